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
//! targets.

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
                    s = s + a[i * k + p] * b[p * n + j];
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
                    s = s + a[i * k + p] * b[j * k + p];
                }
                c[i * n + j] = s;
            }
        }
    }

    fn tn_sum(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], i: usize, j: usize) -> f32 {
        let mut s = 0.0f32;
        for p in 0..k {
            s = s + a[p * m + i] * b[p * n + j];
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
                c[i * n + j] = c[i * n + j] + alpha * tn_sum(m, k, n, a, b, i, j);
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
        assert!(n > 0 && z.len() % n == 0 || z.is_empty(), "bias_tanh_relu: lengths");
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
        assert!(n > 0 && z.len() % n == 0 || z.is_empty(), "add_bias: lengths");
        for row in z.chunks_exact_mut(n.max(1)) {
            for (v, &b) in row.iter_mut().zip(bias) {
                *v = *v + b;
            }
        }
    }

    /// g ← g ⊙ (a > 0 ? 1 − a² : 0).
    pub fn mul_tanh_relu_deriv(g: &mut [f32], a: &[f32]) {
        assert_eq!(g.len(), a.len(), "mul_tanh_relu_deriv: lengths");
        for (gv, &av) in g.iter_mut().zip(a) {
            let d = if av > 0.0 { 1.0 - av * av } else { 0.0 };
            *gv = *gv * d;
        }
    }

    /// out (n) = alpha · Σ_rows x, rows summed in ascending order from 0.0.
    pub fn col_sum(rows: usize, n: usize, alpha: f32, x: &[f32], out: &mut [f32]) {
        assert_eq!(x.len(), rows * n, "col_sum: x");
        assert_eq!(out.len(), n, "col_sum: out");
        for j in 0..n {
            let mut s = 0.0f32;
            for r in 0..rows {
                s = s + x[r * n + j];
            }
            out[j] = alpha * s;
        }
    }
}

const TANH_CLAMP: f32 = 10.0;
const LOG2E: f32 = std::f32::consts::LOG2_E;
/// 1.5·2²³: adding and subtracting it rounds to the nearest integer (ties to even).
const ROUND_MAGIC: f32 = 12_582_912.0;
/// ln 2 split so that `k·LN2_HI` is exact for |k| < 2¹⁵.
const LN2_HI: f32 = 0.693_359_375;
const LN2_LO: f32 = -2.121_944_4e-4;

/// Scalar fast tanh. The SIMD versions perform exactly these operations in this order.
#[inline(always)]
fn tanh_scalar(x: f32) -> f32 {
    let sign = x.to_bits() & 0x8000_0000;
    let t = f32::from_bits(x.to_bits() & 0x7fff_ffff);
    let t = if t > TANH_CLAMP { TANH_CLAMP } else { t };
    let u = t + t;
    let kr = u * LOG2E + ROUND_MAGIC;
    let kf = kr - ROUND_MAGIC;
    let ki = kr.to_bits().wrapping_sub(ROUND_MAGIC.to_bits());
    let scale = f32::from_bits(ki.wrapping_add(127) << 23);
    let r = (u - kf * LN2_HI) - kf * LN2_LO;
    // expm1(r) by its Taylor series to r⁷ (|r| ≤ ln2/2, truncation < 2e-8 relative).
    let p = 1.0 / 5040.0;
    let p = p * r + 1.0 / 720.0;
    let p = p * r + 1.0 / 120.0;
    let p = p * r + 1.0 / 24.0;
    let p = p * r + 1.0 / 6.0;
    let p = p * r + 0.5;
    let er = r + (r * r) * p;
    // expm1(u) = 2^k·expm1(r) + (2^k − 1)
    let em = scale * er + (scale - 1.0);
    let y = em / (em + 2.0);
    f32::from_bits(y.to_bits() | sign)
}

/// C (m×n) = A (m×k) · B (k×n)
pub fn gemm_nn(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    reference::gemm_nn(m, k, n, a, b, c)
}

/// C (m×n) = A (m×k) · Bᵀ where B is stored (n×k)
pub fn gemm_nt(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    reference::gemm_nt(m, k, n, a, b, c)
}

/// C (m×n) = alpha · (Aᵀ · B) where A is stored (k×m), B (k×n)
pub fn gemm_tn(m: usize, k: usize, n: usize, alpha: f32, a: &[f32], b: &[f32], c: &mut [f32]) {
    reference::gemm_tn(m, k, n, alpha, a, b, c)
}

/// C (m×n) += alpha · (Aᵀ · B): bit-identical to computing [`gemm_tn`] into a
/// temporary `t` and then `c + t` element-wise.
pub fn gemm_tn_acc(m: usize, k: usize, n: usize, alpha: f32, a: &[f32], b: &[f32], c: &mut [f32]) {
    reference::gemm_tn_acc(m, k, n, alpha, a, b, c)
}

/// Fast deterministic tanh: pure arithmetic, bit-identical on every target.
pub fn tanh(x: f32) -> f32 {
    tanh_scalar(x)
}

/// In place, row-wise (z is rows × bias.len()): z ← tanh(max(z + bias, 0)).
pub fn bias_tanh_relu(z: &mut [f32], bias: &[f32]) {
    reference::bias_tanh_relu(z, bias)
}

/// In place: z ← z + bias row-wise.
pub fn add_bias(z: &mut [f32], bias: &[f32]) {
    reference::add_bias(z, bias)
}

/// In place: g ← g ⊙ f'(z) from the stored activation a = f(z): 1 − a² where a > 0, else 0.
pub fn mul_tanh_relu_deriv(g: &mut [f32], a: &[f32]) {
    reference::mul_tanh_relu_deriv(g, a)
}

/// out (n) = alpha · Σ_rows x (rows×n), rows summed in ascending order from 0.0.
pub fn col_sum(rows: usize, n: usize, alpha: f32, x: &[f32], out: &mut [f32]) {
    reference::col_sum(rows, n, alpha, x, out)
}
