//! The x86_64 AVX2 path: 8 lanes (`__m256`), detected at run time; SSE2's
//! 4-lane vector for the last columns.

use core::arch::x86_64::*;

use super::generic::*;
use super::sse2::F4;
use super::tanh::*;

#[derive(Clone, Copy)]
pub(super) struct F8(__m256);

impl Vf for F8 {
    const LANES: usize = 8;
    lanewise! {
        F8;
        add => _mm256_add_ps,
        sub => _mm256_sub_ps,
        mul => _mm256_mul_ps,
        div => _mm256_div_ps,
        and => _mm256_and_ps,
        or => _mm256_or_ps,
        max_gt => _mm256_max_ps,
        min_lt => _mm256_min_ps,
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        unsafe { F8(_mm256_set1_ps(x)) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        unsafe { F8(_mm256_loadu_ps(p)) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        unsafe { _mm256_storeu_ps(p, self.0) }
    }
    #[inline(always)]
    unsafe fn select_gt(self, y: Self, a: Self, b: Self) -> Self {
        unsafe { F8(_mm256_blendv_ps(b.0, a.0, _mm256_cmp_ps::<_CMP_GT_OQ>(self.0, y.0))) }
    }
    #[inline(always)]
    unsafe fn shl23_add(self, c: Self) -> Self {
        unsafe {
            let s = _mm256_slli_epi32::<23>(_mm256_castps_si256(self.0));
            F8(_mm256_castsi256_ps(_mm256_add_epi32(s, _mm256_castps_si256(c.0))))
        }
    }
}

simd_entry_points!("avx2", F8, F4, 5, 2, 0, 64);
