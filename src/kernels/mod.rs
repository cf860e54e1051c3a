//! Matrix products and the fast tanh used by training (row-major `f32`, all
//! slices contiguous, lengths asserted).
//!
//! # Determinism invariant
//!
//! Every output element of every product is computed as
//! `s = 0.0; for k in 0..K (ascending) { s = s + a·b }` — a separate multiply
//! then add, never a fused multiply-add — followed by the final operation
//! (`alpha·s`, `c + alpha·s`, …). SIMD paths vectorise across output elements
//! only and never split or reorder the `k` reduction, so every path gives the
//! same bits as [`reference`]. The one liberty: where `a` is ±0 and every
//! element of `B` is finite, a term `a·b` is ±0 and `s + (±0) = s` (the sum
//! starts at +0 and is never −0), so the sparse path may leave such terms out
//! (see "Sparse A" below); it adds every other term in the same order.
//!
//! `tanh` is pure IEEE arithmetic (no libm), so it too is bit-identical across
//! targets; the vector tanh performs the scalar one's operations in the same
//! order (see [`tanh`] for the method and its measured accuracy).
//!
//! # Paths
//!
//! [`Path`] names the implementations: [`Path::Scalar`] (= [`reference`]),
//! SSE2, AVX2 and AVX-512F on x86_64 (detected at run time; AVX2/AVX-512 are
//! enabled per function with `#[target_feature]`, FMA is never used), and
//! wasm `simd128` (compiled in when the crate is built with
//! `-C target-feature=+simd128`, as `.cargo/config.toml` does). The free
//! functions use [`active_path`] (the best available unless [`set_path`] chose
//! another); [`on`] runs a kernel on a named path, which is how the tests prove
//! that every path gives the reference's bits.
//!
//! wasm: `cargo build --release --lib --target wasm32-unknown-unknown` compiles
//! the simd128 path (`.cargo/config.toml` adds `+simd128`; a `RUSTFLAGS`
//! variable in the environment would replace it and silently leave only the
//! scalar path). Check with `wasm-objdump -d` on the build's object code
//! (`ar x libfa_lab.rlib`, or the final `.wasm` once `src/web/` exports
//! something that trains): the kernels are `f32x4.mul`/`f32x4.add` pairs, no
//! `relaxed_madd`. Speed in wasm is measured by the web harness timing the
//! same FA step (`Network::step`) with `performance.now()` over an epoch.
//!
//! Files: `reference.rs` (the scalar definition), `generic.rs` (every kernel
//! once, over a small vector trait), `tanh.rs` (the fast tanh), and one file
//! per instruction set (`sse2.rs`, `avx2.rs`, `avx512.rs`, `simd128.rs`)
//! supplying the trait and its `#[target_feature]` entry points.
//!
//! Blocking: the products are register-blocked micro-kernels (AVX-512: 8 rows
//! × 3 vectors, AVX2 and SSE2: 5 × 2, simd128: 4 × 2) that keep the
//! accumulators in registers over `k`. Natively a long `k` (128 steps or
//! more) goes in chunks of 64 whose rows of `A` and `B` stay in the L1 cache
//! while every block uses them, the running sums stored and reloaded between
//! chunks: `gemm_tn_acc` 50×1000×50 ran 0.72× as long on AVX2 (AVX-512 takes
//! the chunks too, not measured here). simd128 does not: in Chromium the
//! chunks gained nothing (benchmark epoch 1.001×, the quick fig7 1.08× in
//! two runs). A block needs a register
//! for each accumulator, each vector of `B`'s row, `A`'s broadcast and the
//! product: 14 of x86's 16 for 5 × 2. (4 × 3 needed 17, and LLVM kept one
//! accumulator on the stack, so its chain waited on a store and a reload
//! every step: 13–25 % slower natively, measured in one run; simd128 stays at
//! 4 × 2, which V8 ran faster than 5 × 2 or 3 × 3.) `Aᵀ` is read through
//! strides, never copied; the last `n mod 4` columns of `B` are copied once into
//! a zero-padded 4-wide panel (the padded lanes are computed and dropped); for
//! `gemm_tn` the last `n mod LANES` columns are computed transposed instead,
//! vectorised along `m` (see `gemm_generic`). Each step of the `k` loop is one
//! multiply and one add per vector of accumulators, so these kernels are
//! bound by the machine's rate of vector multiplies and adds and by the
//! instructions around them: in the browser (simd128, 4 lanes) the products
//! take 0.9–1.4× the native SSE2 path's time (`scripts/bench.sh`'s breakdown;
//! V8 adds address arithmetic, a loop check, and spills of the sparse
//! kernel's 12 sums); AVX-512 does 16 lanes per instruction.
//!
//! Sparse A (SSE2 and simd128): after tanh∘ReLU about
//! half of a hidden layer's activations are exactly 0, and so is δ behind them.
//! When at least a quarter of `A` (counted on its first 4096 elements) is ±0
//! and every element of `B` is finite, a product is computed row by row from
//! each row's nonzero terms (`(A(i,p), p)`, gathered 8 rows at a time), over
//! chunks of `k` whose rows of `B` fit in the L1 cache, one row × 12 vectors
//! plus the tail panel at a time; the running sums carry over from
//! chunk to chunk, so every sum still takes its terms in ascending `p`. A
//! `gemm_tn` whose `A` is dense but whose `B` has the zeros (the first layer's
//! update `Xᵀ·δ`) is computed as its transpose `Cᵀ = Bᵀ·A` the same way, then
//! put into `C` with the final operation: the same products in the same order.
//! Gathering the terms costs about one step per element of `A`, so the sparse
//! path pays only when a term's row of `B` is long against the vector width.
//! AVX2 never takes it: with half of the sparse operand zero (k = 1000), its
//! dense k-chunked kernel took 359 µs for the first layer's update against
//! 439 µs sparse, and 1000×50×50 products were dense already. AVX-512 (16
//! lanes, not measured here) never takes it either.

use std::sync::atomic::{AtomicU8, Ordering};

#[macro_use]
mod generic;
mod tanh;

pub mod reference;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128;
#[cfg(target_arch = "x86_64")]
mod sse2;

use generic::{Fin, Prod};
use tanh::tanh_scalar;

/// One implementation of the kernels. Every path gives the same bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// Plain scalar code ([`reference`]).
    Scalar,
    /// x86_64 SSE2, 4 lanes (always present on x86_64).
    Sse2,
    /// x86_64 AVX2, 8 lanes (run-time detected).
    Avx2,
    /// x86_64 AVX-512F, 16 lanes (run-time detected).
    Avx512,
    /// wasm32 simd128, 4 lanes (compiled in with `+simd128`).
    Simd128,
}

impl Path {
    /// Every path, whether or not this machine has it.
    pub const ALL: [Path; 5] = [Path::Scalar, Path::Sse2, Path::Avx2, Path::Avx512, Path::Simd128];

    /// Whether this build on this machine can run the path.
    pub fn is_available(self) -> bool {
        match self {
            Path::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Path::Sse2 => true,
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => std::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            Path::Avx512 => std::is_x86_feature_detected!("avx512f"),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Path::Simd128 => true,
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// The available paths, slowest first.
    pub fn available() -> Vec<Path> {
        Path::ALL.into_iter().filter(|p| p.is_available()).collect()
    }

    /// The fastest available path.
    pub fn best() -> Path {
        *Path::available().last().expect("scalar is always available")
    }

    /// Lower-case name (`scalar`, `sse2`, `avx2`, `avx512`, `simd128`).
    pub fn name(self) -> &'static str {
        match self {
            Path::Scalar => "scalar",
            Path::Sse2 => "sse2",
            Path::Avx2 => "avx2",
            Path::Avx512 => "avx512",
            Path::Simd128 => "simd128",
        }
    }

    /// The path called `name` (as printed by [`Path::name`]).
    pub fn from_name(name: &str) -> crate::Result<Path> {
        Path::ALL.into_iter().find(|p| p.name() == name).ok_or_else(|| {
            crate::Error::InvalidParam(format!("unknown kernel path {name:?} (scalar, sse2, avx2, avx512, simd128)"))
        })
    }
}

/// 0 = not chosen yet (use [`Path::best`]), else index in [`Path::ALL`] + 1.
static ACTIVE: AtomicU8 = AtomicU8::new(0);

/// The path the free functions use.
pub fn active_path() -> Path {
    match ACTIVE.load(Ordering::Relaxed) {
        0 => {
            let p = Path::best();
            ACTIVE.store(Path::ALL.iter().position(|&q| q == p).unwrap() as u8 + 1, Ordering::Relaxed);
            p
        }
        i => Path::ALL[i as usize - 1],
    }
}

/// Makes the free functions use `path` (for benchmarks). Results do not
/// depend on it; only speed does.
pub fn set_path(path: Path) -> crate::Result<()> {
    if !path.is_available() {
        return Err(crate::Error::InvalidParam(format!("kernel path {} is not available here", path.name())));
    }
    ACTIVE.store(Path::ALL.iter().position(|&q| q == path).unwrap() as u8 + 1, Ordering::Relaxed);
    Ok(())
}

/// Kernels on an explicitly named [`Path`] (panics if it is not available).
pub mod on {
    use super::*;

    /// Runs `$call` on `path`'s module (`sse2`, `avx2`, …) or `$scalar` for the scalar path.
    macro_rules! dispatch {
        ($path:expr, $scalar:expr, $m:ident => $call:expr) => {{
            let path: Path = $path;
            assert!(path.is_available(), "kernel path {} is not available", path.name());
            match path {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: the CPU has the features (checked just above).
                Path::Sse2 => unsafe {
                    use super::sse2 as $m;
                    $call
                },
                #[cfg(target_arch = "x86_64")]
                Path::Avx2 => unsafe {
                    use super::avx2 as $m;
                    $call
                },
                #[cfg(target_arch = "x86_64")]
                Path::Avx512 => unsafe {
                    use super::avx512 as $m;
                    $call
                },
                #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
                Path::Simd128 => unsafe {
                    use super::simd128 as $m;
                    $call
                },
                _ => $scalar,
            }
        }};
    }

    fn check(name: &str, a: usize, b: usize, c: usize, (la, lb, lc): (usize, usize, usize)) {
        assert_eq!(a, la, "{name}: length of a");
        assert_eq!(b, lb, "{name}: length of b");
        assert_eq!(c, lc, "{name}: length of c");
    }

    #[allow(clippy::too_many_arguments)] // a BLAS-shaped call: sizes, operands, output, epilogue
    fn prod(m: usize, k: usize, n: usize, a: &[f32], tn: bool, b: &[f32], c: &mut [f32], fin: Fin) -> Prod {
        let (a_rs, a_ks) = if tn { (1, m) } else { (k, 1) };
        Prod { m, k, n, a: a.as_ptr(), a_rs, a_ks, b: b.as_ptr(), b_ks: n, c: c.as_mut_ptr(), c_rs: n, fin }
    }

    /// [`super::gemm_nn`] on `path`.
    pub fn gemm_nn(path: Path, m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
        check("gemm_nn", a.len(), b.len(), c.len(), (m * k, k * n, m * n));
        let g = prod(m, k, n, a, false, b, c, Fin::Store);
        dispatch!(path, reference::gemm_nn(m, k, n, a, b, c), s => s::gemm(g))
    }

    /// [`super::gemm_nt`] on `path`.
    pub fn gemm_nt(path: Path, m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
        check("gemm_nt", a.len(), b.len(), c.len(), (m * k, n * k, m * n));
        if path == Path::Scalar {
            return reference::gemm_nt(m, k, n, a, b, c);
        }
        // Bᵀ packed once (k×n); the sums are the same as reading B in place.
        let mut bt = vec![0.0f32; k * n];
        for j in 0..n {
            for p in 0..k {
                bt[p * n + j] = b[j * k + p];
            }
        }
        gemm_nn(path, m, k, n, a, &bt, c)
    }

    /// [`super::gemm_tn`] on `path`.
    #[allow(clippy::too_many_arguments)] // the BLAS-shaped signature of [`super::gemm_tn`], plus the path
    pub fn gemm_tn(path: Path, m: usize, k: usize, n: usize, alpha: f32, a: &[f32], b: &[f32], c: &mut [f32]) {
        check("gemm_tn", a.len(), b.len(), c.len(), (k * m, k * n, m * n));
        let g = prod(m, k, n, a, true, b, c, Fin::Scale(alpha));
        dispatch!(path, reference::gemm_tn(m, k, n, alpha, a, b, c), s => s::gemm(g))
    }

    /// [`super::gemm_tn_acc`] on `path`.
    #[allow(clippy::too_many_arguments)] // the BLAS-shaped signature of [`super::gemm_tn_acc`], plus the path
    pub fn gemm_tn_acc(path: Path, m: usize, k: usize, n: usize, alpha: f32, a: &[f32], b: &[f32], c: &mut [f32]) {
        check("gemm_tn_acc", a.len(), b.len(), c.len(), (k * m, k * n, m * n));
        let g = prod(m, k, n, a, true, b, c, Fin::Acc(alpha));
        dispatch!(path, reference::gemm_tn_acc(m, k, n, alpha, a, b, c), s => s::gemm(g))
    }

    /// [`super::tanh`] applied in place to every element, on `path`.
    pub fn tanh_slice(path: Path, x: &mut [f32]) {
        dispatch!(path, x.iter_mut().for_each(|v| *v = tanh_scalar(*v)), s => s::tanh_slice(x))
    }

    fn check_rows(name: &str, z: usize, n: usize) {
        assert!(
            if n == 0 { z == 0 } else { z.is_multiple_of(n) },
            "{name}: z.len() = {z} is not a multiple of bias.len() = {n}"
        );
    }

    /// [`super::bias_tanh_relu`] on `path`.
    pub fn bias_tanh_relu(path: Path, z: &mut [f32], bias: &[f32]) {
        check_rows("bias_tanh_relu", z.len(), bias.len());
        if bias.is_empty() {
            return;
        }
        dispatch!(path, reference::bias_tanh_relu(z, bias), s => s::bias_tanh_relu(z, bias))
    }

    /// [`super::add_bias`] on `path`.
    pub fn add_bias(path: Path, z: &mut [f32], bias: &[f32]) {
        check_rows("add_bias", z.len(), bias.len());
        if bias.is_empty() {
            return;
        }
        dispatch!(path, reference::add_bias(z, bias), s => s::add_bias(z, bias))
    }

    /// [`super::mul_tanh_relu_deriv`] on `path`.
    pub fn mul_tanh_relu_deriv(path: Path, g: &mut [f32], a: &[f32]) {
        assert_eq!(g.len(), a.len(), "mul_tanh_relu_deriv: lengths");
        dispatch!(path, reference::mul_tanh_relu_deriv(g, a), s => s::deriv(g, a))
    }

    /// [`super::col_sum`] on `path`.
    pub fn col_sum(path: Path, rows: usize, n: usize, alpha: f32, x: &[f32], out: &mut [f32]) {
        assert_eq!(x.len(), rows * n, "col_sum: x");
        assert_eq!(out.len(), n, "col_sum: out");
        dispatch!(path, reference::col_sum(rows, n, alpha, x, out), s => s::col_sum(rows, n, alpha, x, out))
    }
}

/// C (m×n) = A (m×k) · B (k×n)
pub fn gemm_nn(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    on::gemm_nn(active_path(), m, k, n, a, b, c)
}

/// C (m×n) = A (m×k) · Bᵀ where B is stored (n×k)
pub fn gemm_nt(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    on::gemm_nt(active_path(), m, k, n, a, b, c)
}

/// C (m×n) = alpha · (Aᵀ · B) where A is stored (k×m), B (k×n)
pub fn gemm_tn(m: usize, k: usize, n: usize, alpha: f32, a: &[f32], b: &[f32], c: &mut [f32]) {
    on::gemm_tn(active_path(), m, k, n, alpha, a, b, c)
}

/// C (m×n) += alpha · (Aᵀ · B): bit-identical to computing [`gemm_tn`] into a
/// temporary `t` and then `c + t` element-wise.
pub fn gemm_tn_acc(m: usize, k: usize, n: usize, alpha: f32, a: &[f32], b: &[f32], c: &mut [f32]) {
    on::gemm_tn_acc(active_path(), m, k, n, alpha, a, b, c)
}

/// Fast deterministic tanh: pure IEEE arithmetic, bit-identical on every target.
///
/// Method: `t = min(|x|, 10)`, `tanh t = expm1(2t) / (expm1(2t) + 2)` with
/// `expm1(u) = 2^k·expm1(r) + (2^k − 1)`, `u = k·ln2 + r`, `|r| ≤ ln2/2`
/// (Cody–Waite reduction with a two-part ln 2, `k` by round-to-nearest with a
/// magic constant), `expm1(r)` by its Taylor series to `r⁷`; the sign of `x`
/// is copied onto the result. Every operation is a single IEEE `+ − × ÷` or a
/// bit operation, so the result has the same bits on every target and path.
///
/// Accuracy (tests/kernels.rs: every 61st f32 from the smallest subnormal to
/// 20, against f64 `tanh` rounded to f32): at most 2 ulp (worst measured: 2
/// ulp near 1.2e-4; the `em + 2` rounding and the division dominate). Special values: `tanh(±0) = ±0`, tiny `x` give `x`
/// exactly, `|x| ≥ 9.1` gives `±1`, `tanh(±∞) = ±1`, NaN gives a NaN (its
/// payload and sign are not specified).
pub fn tanh(x: f32) -> f32 {
    tanh_scalar(x)
}

/// In place, row-wise (z is rows × bias.len()): z ← tanh(max(z + bias, 0))
/// (f = tanh∘ReLU, docs/math.md §1). The max is `if s > 0 { s } else { 0 }` (NaN → 0, −0 → +0).
pub fn bias_tanh_relu(z: &mut [f32], bias: &[f32]) {
    on::bias_tanh_relu(active_path(), z, bias)
}

/// In place: z ← z + bias row-wise (for a linear network variant).
pub fn add_bias(z: &mut [f32], bias: &[f32]) {
    on::add_bias(active_path(), z, bias)
}

/// In place: g ← g ⊙ f'(z) computed from the stored activation a = f(z):
/// `g · (if a > 0 { 1 − a·a } else { 0 })`.
pub fn mul_tanh_relu_deriv(g: &mut [f32], a: &[f32]) {
    on::mul_tanh_relu_deriv(active_path(), g, a)
}

/// Column sums times alpha: out (n) = alpha · Σ_rows x (rows×n), rows summed
/// in ascending order from 0.0 (bias update).
pub fn col_sum(rows: usize, n: usize, alpha: f32, x: &[f32], out: &mut [f32]) {
    on::col_sum(active_path(), rows, n, alpha, x, out)
}

// ───────────────────────── SIMD machinery ─────────────────────────
//
