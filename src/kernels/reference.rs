//! Plain scalar implementations: the definition every fast path must match bit for bit.

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
