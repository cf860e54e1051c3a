//! The x86_64 SSE2 path: 4 lanes (`__m128`), always present on x86_64.

use core::arch::x86_64::*;

use super::generic::*;
use super::tanh::*;

#[derive(Clone, Copy)]
pub(super) struct F4(__m128);

impl Vf for F4 {
    const LANES: usize = 4;
    lanewise! {
        F4;
        add => _mm_add_ps,
        sub => _mm_sub_ps,
        mul => _mm_mul_ps,
        div => _mm_div_ps,
        and => _mm_and_ps,
        or => _mm_or_ps,
        max_gt => _mm_max_ps,
        min_lt => _mm_min_ps,
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        unsafe { F4(_mm_set1_ps(x)) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        unsafe { F4(_mm_loadu_ps(p)) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        unsafe { _mm_storeu_ps(p, self.0) }
    }
    #[inline(always)]
    unsafe fn select_gt(self, y: Self, a: Self, b: Self) -> Self {
        unsafe {
            let m = _mm_cmpgt_ps(self.0, y.0);
            F4(_mm_or_ps(_mm_and_ps(m, a.0), _mm_andnot_ps(m, b.0)))
        }
    }
    #[inline(always)]
    unsafe fn shl23_add(self, c: Self) -> Self {
        unsafe {
            let s = _mm_slli_epi32::<23>(_mm_castps_si128(self.0));
            F4(_mm_castsi128_ps(_mm_add_epi32(s, _mm_castps_si128(c.0))))
        }
    }
}

simd_entry_points!("sse2", F4, F4, 5, 2, 12, 64);
