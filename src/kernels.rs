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
//! same bits as [`reference`].
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
//! (`ar x libfa_lab.rlib`, or the final `.wasm` once `src/web.rs` exports
//! something that trains): the kernels are `f32x4.mul`/`f32x4.add` pairs, no
//! `relaxed_madd`. Speed in wasm is measured by the web harness timing the
//! same FA step (`Network::step`) with `performance.now()` over an epoch.
//!
//! Blocking: the products are register-blocked micro-kernels (AVX-512: 8 rows
//! × 48 columns, AVX2/SSE2: 4 × 3 vectors, simd128: 4 × 8) that keep the
//! accumulators in registers for the whole `k` loop. `Aᵀ` is read through
//! strides, never copied; the last `n mod 4` columns of `B` are copied once into
//! a zero-padded 4-wide panel (the padded lanes are computed and dropped); for
//! `gemm_tn` the last `n mod LANES` columns are computed transposed instead,
//! vectorised along `m` (see `gemm_generic`). Measured on the bench machine
//! (Xeon, AVX-512, single thread, best of 200): gemm_nn 1000×225·225×50
//! ≈ 55 GFLOP/s, gemm_tn_acc 225×1000·1000×50 ≈ 61 GFLOP/s (AVX2: ≈ 33 and 32).

use std::sync::atomic::{AtomicU8, Ordering};

/// Plain scalar implementations: the definition every fast path must match bit for bit.
pub mod reference {
    /// C (m×n) = A (m×k) · B (k×n)
    pub fn gemm_nn(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
        assert_eq!(a.len(), m * k, "gemm_nn: a");
        assert_eq!(b.len(), k * n, "gemm_nn: b");
        assert_eq!(c.len(), m * n, "gemm_nn: c");
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0f32;
                for p in 0..k {
                    s += a[i * k + p] * b[p * n + j];
                }
                c[i * n + j] = s;
            }
        }
    }

    /// C (m×n) = A (m×k) · Bᵀ where B is stored (n×k)
    pub fn gemm_nt(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
        assert_eq!(a.len(), m * k, "gemm_nt: a");
        assert_eq!(b.len(), n * k, "gemm_nt: b");
        assert_eq!(c.len(), m * n, "gemm_nt: c");
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0f32;
                for p in 0..k {
                    s += a[i * k + p] * b[j * k + p];
                }
                c[i * n + j] = s;
            }
        }
    }

    fn tn_sum(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], i: usize, j: usize) -> f32 {
        let mut s = 0.0f32;
        for p in 0..k {
            s += a[p * m + i] * b[p * n + j];
        }
        s
    }

    /// C (m×n) = alpha · (Aᵀ · B) where A is stored (k×m), B (k×n)
    pub fn gemm_tn(m: usize, k: usize, n: usize, alpha: f32, a: &[f32], b: &[f32], c: &mut [f32]) {
        assert_eq!(a.len(), k * m, "gemm_tn: a");
        assert_eq!(b.len(), k * n, "gemm_tn: b");
        assert_eq!(c.len(), m * n, "gemm_tn: c");
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = alpha * tn_sum(m, k, n, a, b, i, j);
            }
        }
    }

    /// C (m×n) += alpha · (Aᵀ · B)
    pub fn gemm_tn_acc(m: usize, k: usize, n: usize, alpha: f32, a: &[f32], b: &[f32], c: &mut [f32]) {
        assert_eq!(a.len(), k * m, "gemm_tn_acc: a");
        assert_eq!(b.len(), k * n, "gemm_tn_acc: b");
        assert_eq!(c.len(), m * n, "gemm_tn_acc: c");
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] += alpha * tn_sum(m, k, n, a, b, i, j);
            }
        }
    }

    /// Scalar tanh; see [`super::tanh`].
    pub fn tanh(x: f32) -> f32 {
        super::tanh_scalar(x)
    }

    /// z ← tanh(max(z + bias, 0)) row-wise.
    pub fn bias_tanh_relu(z: &mut [f32], bias: &[f32]) {
        let n = bias.len();
        assert!(n > 0 && z.len().is_multiple_of(n) || z.is_empty(), "bias_tanh_relu: lengths");
        for row in z.chunks_exact_mut(n.max(1)) {
            for (v, &b) in row.iter_mut().zip(bias) {
                let s = *v + b;
                let r = if s > 0.0 { s } else { 0.0 };
                *v = super::tanh_scalar(r);
            }
        }
    }

    /// z ← z + bias row-wise.
    pub fn add_bias(z: &mut [f32], bias: &[f32]) {
        let n = bias.len();
        assert!(n > 0 && z.len().is_multiple_of(n) || z.is_empty(), "add_bias: lengths");
        for row in z.chunks_exact_mut(n.max(1)) {
            for (v, &b) in row.iter_mut().zip(bias) {
                *v += b;
            }
        }
    }

    /// g ← g ⊙ (a > 0 ? 1 − a² : 0).
    pub fn mul_tanh_relu_deriv(g: &mut [f32], a: &[f32]) {
        assert_eq!(g.len(), a.len(), "mul_tanh_relu_deriv: lengths");
        for (gv, &av) in g.iter_mut().zip(a) {
            let d = if av > 0.0 { 1.0 - av * av } else { 0.0 };
            *gv *= d;
        }
    }

    /// out (n) = alpha · Σ_rows x, rows summed in ascending order from 0.0.
    pub fn col_sum(rows: usize, n: usize, alpha: f32, x: &[f32], out: &mut [f32]) {
        assert_eq!(x.len(), rows * n, "col_sum: x");
        assert_eq!(out.len(), n, "col_sum: out");
        for j in 0..n {
            let mut s = 0.0f32;
            for r in 0..rows {
                s += x[r * n + j];
            }
            out[j] = alpha * s;
        }
    }
}

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

const TANH_CLAMP: f32 = 10.0;
const LOG2E: f32 = std::f32::consts::LOG2_E;
/// 1.5·2²³: adding and subtracting it rounds to the nearest integer (ties to even).
const ROUND_MAGIC: f32 = 12_582_912.0;
/// Added to `bits(u·log2e + ROUND_MAGIC) << 23` gives the bits of `2^k`.
const SCALE_BIAS: u32 = 127u32.wrapping_sub(ROUND_MAGIC.to_bits()) << 23;
/// ln 2 split so that `k·LN2_HI` is exact for the |k| ≤ 29 that occur.
#[allow(clippy::excessive_precision)] // the exact binary value: k·LN2_HI must be exact
const LN2_HI: f32 = 0.693_359_375;
const LN2_LO: f32 = -2.121_944_4e-4;
/// Horner coefficients of `(expm1(r) − r)/r²`'s Taylor series to r⁷, highest first.
const EXPM1_C: [f32; 6] = [1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5];

/// Scalar fast tanh. [`tanh_v`] performs exactly these operations in this order.
#[inline(always)]
fn tanh_scalar(x: f32) -> f32 {
    let sign = x.to_bits() & 0x8000_0000;
    let t = f32::from_bits(x.to_bits() & 0x7fff_ffff);
    let t = if t > TANH_CLAMP { TANH_CLAMP } else { t };
    let u = t + t;
    let kr = u * LOG2E + ROUND_MAGIC;
    let kf = kr - ROUND_MAGIC;
    let scale = f32::from_bits((kr.to_bits() << 23).wrapping_add(SCALE_BIAS));
    let r = (u - kf * LN2_HI) - kf * LN2_LO;
    let mut p = EXPM1_C[0];
    for &c in &EXPM1_C[1..] {
        p = p * r + c;
    }
    let er = r + (r * r) * p;
    let em = scale * er + (scale - 1.0);
    let y = em / (em + 2.0);
    f32::from_bits(y.to_bits() | sign)
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
/// (f = tanh∘ReLU, SPEC §1). The max is `if s > 0 { s } else { 0 }` (NaN → 0, −0 → +0).
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
// One generic implementation of every kernel, written against the small
// [`Vf`] trait; each instruction set supplies the trait with `#[inline(always)]`
// wrappers of its intrinsics and one `#[target_feature]` entry point per kernel
// that instantiates the generic code, so the whole kernel is compiled for it.

/// A vector of `LANES` f32. Every operation is the lane-wise IEEE operation
/// (no FMA anywhere), so a lane computes exactly what the scalar code does.
trait Vf: Copy {
    const LANES: usize;
    unsafe fn splat(x: f32) -> Self;
    unsafe fn load(p: *const f32) -> Self;
    unsafe fn store(self, p: *mut f32);
    unsafe fn add(self, o: Self) -> Self;
    unsafe fn sub(self, o: Self) -> Self;
    unsafe fn mul(self, o: Self) -> Self;
    unsafe fn div(self, o: Self) -> Self;
    unsafe fn and(self, o: Self) -> Self;
    unsafe fn or(self, o: Self) -> Self;
    /// Lane-wise `if self > y { a } else { b }` (ordered: false for NaN).
    unsafe fn select_gt(self, y: Self, a: Self, b: Self) -> Self;
    /// Lane-wise `if self > y { self } else { y }`: one instruction (x86
    /// `maxps`, wasm `f32x4.pmax`), not IEEE `max` (NaN and ±0 follow the compare).
    unsafe fn max_gt(self, y: Self) -> Self;
    /// Lane-wise `if self < y { self } else { y }` (x86 `minps`, wasm `f32x4.pmin`).
    unsafe fn min_lt(self, y: Self) -> Self;
    /// On the bit patterns as u32: `(self << 23) + c` (wrapping).
    unsafe fn shl23_add(self, c: Self) -> Self;
}

/// The final operation applied to a product's sum `s`.
#[derive(Clone, Copy)]
enum Fin {
    /// c = s
    Store,
    /// c = alpha·s
    Scale(f32),
    /// c = c + alpha·s
    Acc(f32),
}

/// Register-blocked micro-kernel: rows `0..R` × `NV` vectors of columns.
/// `a` at (row r, step p) is `a[r·a_rs + p·a_ks]`; `b` at (p, col) is `b[p·b_ks + col]`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn micro<V: Vf, const R: usize, const NV: usize>(
    k: usize,
    a: *const f32,
    a_rs: usize,
    a_ks: usize,
    b: *const f32,
    b_ks: usize,
    c: *mut f32,
    c_rs: usize,
    fin: Fin,
    last: usize,
) {
    unsafe {
        let zero = V::splat(0.0);
        let mut acc = [[zero; NV]; R];
        let (mut ap, mut bp) = (a, b);
        for _ in 0..k {
            let mut bv = [zero; NV];
            for (v, x) in bv.iter_mut().enumerate() {
                *x = V::load(bp.add(v * V::LANES));
            }
            for (r, row) in acc.iter_mut().enumerate() {
                let av = V::splat(*ap.add(r * a_rs));
                for (x, &bx) in row.iter_mut().zip(&bv) {
                    *x = x.add(av.mul(bx));
                }
            }
            ap = ap.add(a_ks);
            bp = bp.add(b_ks);
        }
        for (r, row) in acc.iter().enumerate() {
            for (v, &s) in row.iter().enumerate() {
                let p = c.add(r * c_rs + v * V::LANES);
                if v + 1 == NV && last < V::LANES {
                    // Only the first `last` lanes are columns of C.
                    let mut buf = [0.0f32; 16];
                    s.store(buf.as_mut_ptr());
                    for (q, &t) in buf.iter().enumerate().take(last) {
                        let dst = p.add(q);
                        *dst = match fin {
                            Fin::Store => t,
                            Fin::Scale(al) => al * t,
                            Fin::Acc(al) => *dst + al * t,
                        };
                    }
                    continue;
                }
                let out = match fin {
                    Fin::Store => s,
                    Fin::Scale(al) => V::splat(al).mul(s),
                    Fin::Acc(al) => V::load(p).add(V::splat(al).mul(s)),
                };
                out.store(p);
            }
        }
    }
}

/// Shape and strides of one product C (m×n) = Σ_p A(i,p)·B(p,j).
#[derive(Clone, Copy)]
struct Prod {
    m: usize,
    k: usize,
    /// Columns computed (`≤` the row strides `b_ks`, `c_rs`).
    n: usize,
    a: *const f32,
    a_rs: usize,
    a_ks: usize,
    b: *const f32,
    b_ks: usize,
    c: *mut f32,
    c_rs: usize,
    fin: Fin,
}

/// Rows `i..i+R`, every column block. `tail` is B's last `n % T::LANES`
/// columns, zero-padded to `T::LANES` (k × T::LANES).
#[inline(always)]
unsafe fn row_block<V: Vf, T: Vf, const R: usize, const NV: usize>(g: &Prod, i: usize, tail: &[f32]) {
    unsafe {
        let a = g.a.add(i * g.a_rs);
        let c = g.c.add(i * g.c_rs);
        let mut j = 0;
        while j + NV * V::LANES <= g.n {
            micro::<V, R, NV>(g.k, a, g.a_rs, g.a_ks, g.b.add(j), g.b_ks, c.add(j), g.c_rs, g.fin, V::LANES);
            j += NV * V::LANES;
        }
        if NV > 2 && j + 2 * V::LANES <= g.n {
            micro::<V, R, 2>(g.k, a, g.a_rs, g.a_ks, g.b.add(j), g.b_ks, c.add(j), g.c_rs, g.fin, V::LANES);
            j += 2 * V::LANES;
        }
        while j + V::LANES <= g.n {
            micro::<V, R, 1>(g.k, a, g.a_rs, g.a_ks, g.b.add(j), g.b_ks, c.add(j), g.c_rs, g.fin, V::LANES);
            j += V::LANES;
        }
        while j + T::LANES <= g.n {
            micro::<T, R, 1>(g.k, a, g.a_rs, g.a_ks, g.b.add(j), g.b_ks, c.add(j), g.c_rs, g.fin, T::LANES);
            j += T::LANES;
        }
        if j < g.n {
            // B's zero-padded panel: the padded lanes compute zeros that are not stored.
            micro::<T, R, 1>(g.k, a, g.a_rs, g.a_ks, tail.as_ptr(), T::LANES, c.add(j), g.c_rs, g.fin, g.n - j);
        }
    }
}

/// The whole product: row blocks of `R` (then 4, 2, 1 for the remainder).
///
/// With `Aᵀ` stored (`a_rs == 1`, the `gemm_tn` case) the last `n mod LANES`
/// columns are instead computed transposed, vectorised along `m` (`Aᵀ`'s rows
/// are contiguous): `Cᵀ[q, i] = Σ_p B[p, q]·A[p, i]`, the same products
/// (IEEE × commutes) summed in the same order, then scattered with the final op.
#[inline(always)]
unsafe fn gemm_generic<V: Vf, T: Vf, const R: usize, const NV: usize>(g: Prod) {
    let rem = g.n % V::LANES;
    if g.a_rs == 1 && rem != 0 && g.m >= V::LANES {
        let j0 = g.n - rem;
        let mut t = vec![0.0f32; rem * g.m];
        let gt = Prod {
            m: rem,
            k: g.k,
            n: g.m,
            a: unsafe { g.b.add(j0) },
            a_rs: 1,
            a_ks: g.b_ks,
            b: g.a,
            b_ks: g.a_ks,
            c: t.as_mut_ptr(),
            c_rs: g.m,
            fin: Fin::Store,
        };
        unsafe {
            gemm_blocks::<V, T, R, NV>(gt);
            gemm_blocks::<V, T, R, NV>(Prod { n: j0, ..g });
        }
        for q in 0..rem {
            for i in 0..g.m {
                let s = t[q * g.m + i];
                // SAFETY: i < m, j0 + q < n ≤ c_rs: inside C.
                let dst = unsafe { &mut *g.c.add(i * g.c_rs + j0 + q) };
                *dst = match g.fin {
                    Fin::Store => s,
                    Fin::Scale(al) => al * s,
                    Fin::Acc(al) => *dst + al * s,
                };
            }
        }
    } else {
        unsafe { gemm_blocks::<V, T, R, NV>(g) }
    }
}

/// Row blocks of `R` (then 4, 2, 1), each over every column block.
#[inline(always)]
unsafe fn gemm_blocks<V: Vf, T: Vf, const R: usize, const NV: usize>(g: Prod) {
    let rem = g.n % T::LANES;
    let mut tail = Vec::new();
    if rem != 0 {
        let j0 = g.n - rem;
        tail = vec![0.0f32; g.k * T::LANES];
        for p in 0..g.k {
            for q in 0..rem {
                tail[p * T::LANES + q] = unsafe { *g.b.add(p * g.b_ks + j0 + q) };
            }
        }
    }
    let mut i = 0;
    unsafe {
        while i + R <= g.m {
            row_block::<V, T, R, NV>(&g, i, &tail);
            i += R;
        }
        if R > 4 && i + 4 <= g.m {
            row_block::<V, T, 4, NV>(&g, i, &tail);
            i += 4;
        }
        if R > 2 && i + 2 <= g.m {
            row_block::<V, T, 2, NV>(&g, i, &tail);
            i += 2;
        }
        if R > 1 && i < g.m {
            row_block::<V, T, 1, NV>(&g, i, &tail);
        }
    }
}

/// The splatted constants of [`tanh_v`], built once per call of a kernel.
///
/// Each goes through `black_box`, so the compiler keeps it in a register or a
/// local instead of re-creating it inside the loop: in wasm, LLVM would
/// otherwise re-emit every `v128.const` per iteration, and V8 builds each one
/// from immediates with several instructions (measured: the vector tanh ran
/// about 3× slower that way).
struct TanhK<V> {
    sign: V,
    abs: V,
    clamp: V,
    log2e: V,
    magic: V,
    scale_bias: V,
    ln2_hi: V,
    ln2_lo: V,
    c: [V; 6],
    one: V,
    two: V,
    zero: V,
}

impl<V: Vf> TanhK<V> {
    #[inline(always)]
    unsafe fn new() -> Self {
        use core::hint::black_box as opaque;
        unsafe {
            let s = |x: f32| opaque(V::splat(x));
            TanhK {
                sign: s(f32::from_bits(0x8000_0000)),
                abs: s(f32::from_bits(0x7fff_ffff)),
                clamp: s(TANH_CLAMP),
                log2e: s(LOG2E),
                magic: s(ROUND_MAGIC),
                scale_bias: s(f32::from_bits(SCALE_BIAS)),
                ln2_hi: s(LN2_HI),
                ln2_lo: s(LN2_LO),
                c: EXPM1_C.map(s),
                one: s(1.0),
                two: s(2.0),
                zero: s(0.0),
            }
        }
    }
}

/// Vector tanh: exactly the operations of [`tanh_scalar`], in the same order.
#[inline(always)]
unsafe fn tanh_v<V: Vf>(x: V, k: &TanhK<V>) -> V {
    unsafe {
        let sign = x.and(k.sign);
        let t = x.and(k.abs);
        let t = k.clamp.min_lt(t);
        let u = t.add(t);
        let kr = u.mul(k.log2e).add(k.magic);
        let kf = kr.sub(k.magic);
        let scale = kr.shl23_add(k.scale_bias);
        let r = u.sub(kf.mul(k.ln2_hi)).sub(kf.mul(k.ln2_lo));
        let mut p = k.c[0];
        for &cst in &k.c[1..] {
            p = p.mul(r).add(cst);
        }
        let er = r.add(r.mul(r).mul(p));
        let em = scale.mul(er).add(scale.sub(k.one));
        let y = em.div(em.add(k.two));
        y.or(sign)
    }
}

/// `z[i] ← op(z[i], bias[i mod n])` over the flat array: vectors of `z` are
/// paired with a copy of `bias` repeated `LANES` times (period `n·LANES`, a
/// multiple of `LANES`), so rows need not be a multiple of the vector width;
/// the last `len mod LANES` elements use `scalar`. Elements are independent, so
/// this is the row-wise definition exactly.
#[inline(always)]
unsafe fn with_bias_generic<V: Vf>(
    z: &mut [f32],
    bias: &[f32],
    op: impl Fn(V, V) -> V,
    scalar: impl Fn(f32, f32) -> f32,
) {
    let n = bias.len();
    let period = n * V::LANES;
    let rep: Vec<f32> = (0..period).map(|i| bias[i % n]).collect();
    let full = z.len() / V::LANES * V::LANES;
    let (mut o, mut q) = (0, 0);
    while o < full {
        unsafe {
            let p = z.as_mut_ptr().add(o);
            op(V::load(p), V::load(rep.as_ptr().add(q))).store(p);
        }
        o += V::LANES;
        q += V::LANES;
        if q == period {
            q = 0;
        }
    }
    for (i, v) in z.iter_mut().enumerate().skip(full) {
        *v = scalar(*v, bias[i % n]);
    }
}

#[inline(always)]
unsafe fn bias_tanh_relu_generic<V: Vf>(z: &mut [f32], bias: &[f32]) {
    unsafe {
        let k = TanhK::<V>::new();
        let op = |x: V, b: V| {
            let s = x.add(b);
            tanh_v(s.max_gt(k.zero), &k)
        };
        with_bias_generic::<V>(z, bias, op, |x, b| {
            let s = x + b;
            tanh_scalar(if s > 0.0 { s } else { 0.0 })
        })
    }
}

#[inline(always)]
unsafe fn add_bias_generic<V: Vf>(z: &mut [f32], bias: &[f32]) {
    unsafe { with_bias_generic::<V>(z, bias, |x, b| x.add(b), |x, b| x + b) }
}

#[inline(always)]
unsafe fn deriv_generic<V: Vf>(g: &mut [f32], a: &[f32]) {
    let len = g.len();
    let mut j = 0;
    unsafe {
        let (zero, one) = (V::splat(0.0), V::splat(1.0));
        while j + V::LANES <= len {
            let gp = g.as_mut_ptr().add(j);
            let av = V::load(a.as_ptr().add(j));
            let d = av.select_gt(zero, one.sub(av.mul(av)), zero);
            V::load(gp).mul(d).store(gp);
            j += V::LANES;
        }
    }
    reference::mul_tanh_relu_deriv(&mut g[j..], &a[j..]);
}

#[inline(always)]
unsafe fn col_sum_generic<V: Vf>(rows: usize, n: usize, alpha: f32, x: &[f32], out: &mut [f32]) {
    let mut j = 0;
    unsafe {
        while j + V::LANES <= n {
            let mut s = V::splat(0.0);
            for r in 0..rows {
                s = s.add(V::load(x.as_ptr().add(r * n + j)));
            }
            V::splat(alpha).mul(s).store(out.as_mut_ptr().add(j));
            j += V::LANES;
        }
    }
    for jj in j..n {
        let mut s = 0.0f32;
        for r in 0..rows {
            s += x[r * n + jj];
        }
        out[jj] = alpha * s;
    }
}

/// Expands to one module of `#[target_feature]` entry points for an
/// instruction set: vector type `$v`, narrow vector `$t`, blocking `$r`×`$nv`.
macro_rules! simd_entry_points {
    ($name:ident, $feat:literal, $v:ty, $t:ty, $r:literal, $nv:literal) => {
        mod $name {
            use super::*;
            #[target_feature(enable = $feat)]
            pub(super) unsafe fn gemm(g: Prod) {
                unsafe { gemm_generic::<$v, $t, $r, $nv>(g) }
            }
            #[target_feature(enable = $feat)]
            pub(super) unsafe fn bias_tanh_relu(z: &mut [f32], bias: &[f32]) {
                unsafe { bias_tanh_relu_generic::<$v>(z, bias) }
            }
            #[target_feature(enable = $feat)]
            pub(super) unsafe fn add_bias(z: &mut [f32], bias: &[f32]) {
                unsafe { add_bias_generic::<$v>(z, bias) }
            }
            #[target_feature(enable = $feat)]
            pub(super) unsafe fn deriv(g: &mut [f32], a: &[f32]) {
                unsafe { deriv_generic::<$v>(g, a) }
            }
            #[target_feature(enable = $feat)]
            pub(super) unsafe fn col_sum(rows: usize, n: usize, alpha: f32, x: &[f32], out: &mut [f32]) {
                unsafe { col_sum_generic::<$v>(rows, n, alpha, x, out) }
            }
            #[target_feature(enable = $feat)]
            pub(super) unsafe fn tanh_slice(x: &mut [f32]) {
                let mut j = 0;
                unsafe {
                    let k = TanhK::<$v>::new();
                    while j + <$v>::LANES <= x.len() {
                        let p = x.as_mut_ptr().add(j);
                        tanh_v(<$v>::load(p), &k).store(p);
                        j += <$v>::LANES;
                    }
                }
                for v in &mut x[j..] {
                    *v = tanh_scalar(*v);
                }
            }
        }
    };
}

/// `unsafe fn op(self, o: Self) -> Self` for each `op => intrinsic` pair: a
/// lane-wise binary operation that is one intrinsic on the wrapped register
/// (used inside the `Vf` impls; wasm's intrinsics are safe, hence the allow).
macro_rules! lanewise {
    ($t:ident; $($op:ident => $intr:ident),* $(,)?) => {
        $(
            #[inline(always)]
            #[allow(unused_unsafe)]
            unsafe fn $op(self, o: Self) -> Self {
                unsafe { $t($intr(self.0, o.0)) }
            }
        )*
    };
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::*;

    #[derive(Clone, Copy)]
    pub struct F4(__m128);
    #[derive(Clone, Copy)]
    pub struct F8(__m256);
    #[derive(Clone, Copy)]
    pub struct F16(__m512);

    impl super::Vf for F4 {
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

    impl super::Vf for F8 {
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

    impl super::Vf for F16 {
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
}

#[cfg(target_arch = "x86_64")]
simd_entry_points!(sse2, "sse2", x86::F4, x86::F4, 4, 3);
#[cfg(target_arch = "x86_64")]
simd_entry_points!(avx2, "avx2", x86::F8, x86::F4, 4, 3);
#[cfg(target_arch = "x86_64")]
simd_entry_points!(avx512, "avx512f", x86::F16, x86::F4, 8, 3);

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm {
    use core::arch::wasm32::*;

    #[derive(Clone, Copy)]
    pub struct F4(v128);

    impl super::Vf for F4 {
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
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
simd_entry_points!(simd128, "simd128", wasm::F4, wasm::F4, 4, 2);
