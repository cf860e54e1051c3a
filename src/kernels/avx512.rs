//! The x86_64 AVX-512F path: 16 lanes (`__m512`), detected at run time;
//! SSE2's 4-lane vector for the last columns.

use core::arch::x86_64::*;

use super::generic::*;
use super::sse2::F4;
use super::tanh::*;

#[derive(Clone, Copy)]
pub(super) struct F16(__m512);

impl Vf for F16 {
    const LANES: usize = 16;
    lanewise! {
        F16;
        add => _mm512_add_ps,
        sub => _mm512_sub_ps,
        mul => _mm512_mul_ps,
        div => _mm512_div_ps,
        max_gt => _mm512_max_ps,
        min_lt => _mm512_min_ps,
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        unsafe { F16(_mm512_set1_ps(x)) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        unsafe { F16(_mm512_loadu_ps(p)) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        unsafe { _mm512_storeu_ps(p, self.0) }
    }
    #[inline(always)]
    unsafe fn and(self, o: Self) -> Self {
        unsafe { F16(_mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(self.0), _mm512_castps_si512(o.0)))) }
    }
    #[inline(always)]
    unsafe fn or(self, o: Self) -> Self {
        unsafe { F16(_mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(self.0), _mm512_castps_si512(o.0)))) }
    }
    #[inline(always)]
    unsafe fn select_gt(self, y: Self, a: Self, b: Self) -> Self {
        unsafe { F16(_mm512_mask_blend_ps(_mm512_cmp_ps_mask::<_CMP_GT_OQ>(self.0, y.0), b.0, a.0)) }
    }
    #[inline(always)]
    unsafe fn shl23_add(self, c: Self) -> Self {
        unsafe {
            let s = _mm512_slli_epi32::<23>(_mm512_castps_si512(self.0));
            F16(_mm512_castsi512_ps(_mm512_add_epi32(s, _mm512_castps_si512(c.0))))
        }
    }
}

simd_entry_points!("avx512f", F16, F4, 8, 3, 0, 64);
