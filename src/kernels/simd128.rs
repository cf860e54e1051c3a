//! The wasm32 simd128 path: 4 lanes (`v128`), compiled in when the crate is
//! built with `-C target-feature=+simd128` (as `.cargo/config.toml` does).

use core::arch::wasm32::*;

use super::generic::*;
use super::tanh::*;

#[derive(Clone, Copy)]
pub(super) struct F4(v128);

impl Vf for F4 {
    const LANES: usize = 4;
    lanewise! {
        F4;
        add => f32x4_add,
        sub => f32x4_sub,
        mul => f32x4_mul,
        div => f32x4_div,
        and => v128_and,
        or => v128_or,
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        F4(f32x4_splat(x))
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        unsafe { F4(v128_load(p as *const v128)) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        unsafe { v128_store(p as *mut v128, self.0) }
    }
    #[inline(always)]
    unsafe fn select_gt(self, y: Self, a: Self, b: Self) -> Self {
        F4(v128_bitselect(a.0, b.0, f32x4_gt(self.0, y.0)))
    }
    #[inline(always)]
    unsafe fn max_gt(self, y: Self) -> Self {
        // pmax(a, b) = if a < b { b } else { a }
        F4(f32x4_pmax(y.0, self.0))
    }
    #[inline(always)]
    unsafe fn min_lt(self, y: Self) -> Self {
        // pmin(a, b) = if b < a { b } else { a }
        F4(f32x4_pmin(y.0, self.0))
    }
    #[inline(always)]
    unsafe fn shl23_add(self, c: Self) -> Self {
        F4(i32x4_add(i32x4_shl(self.0, 23), c.0))
    }
}

simd_entry_points!("simd128", F4, F4, 4, 2, 12, 0);
