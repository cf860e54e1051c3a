//! One generic implementation of every kernel, written against the small
//! [`Vf`] trait; each instruction set supplies the trait with `#[inline(always)]`
//! wrappers of its intrinsics and one `#[target_feature]` entry point per kernel
//! that instantiates the generic code, so the whole kernel is compiled for it
//! (`sse2.rs`, `avx2.rs`, `avx512.rs`, `simd128.rs`).

use super::reference;
use core::array::from_fn;

use super::tanh::{TanhK, tanh_scalar, tanh_vn_magnitude};

/// A vector of `LANES` f32. Every operation is the lane-wise IEEE operation
/// (no FMA anywhere), so a lane computes exactly what the scalar code does.
pub(super) trait Vf: Copy {
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
pub(super) enum Fin {
    /// c = s
    Store,
    /// c = alpha·s
    Scale(f32),
    /// c = c + alpha·s
    Acc(f32),
}

/// Register-blocked micro-kernel: rows `0..R` × `NV` vectors of columns.
/// `a` at (row r, step p) is `a[r·a_rs + p·a_ks]`; `b` at (p, col) is `b[p·b_ks + col]`.
/// The sums start from +0, or from `init` (row r at `init + r·init.rs`):
/// the running sums an earlier chunk of `k` stored.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn micro<V: Vf, const R: usize, const NV: usize>(
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
    init: Sums,
) {
    unsafe {
        let zero = V::splat(0.0);
        let mut acc = [[zero; NV]; R];
        if !init.p.is_null() {
            for (r, row) in acc.iter_mut().enumerate() {
                for (v, x) in row.iter_mut().enumerate() {
                    *x = V::load(init.p.add(r * init.rs + v * V::LANES));
                }
            }
        }
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
            store_row::<V, NV>(row, c.add(r * c_rs), fin, last);
        }
    }
}

/// Applies `fin` to one row of sums `row` (`NV` vectors) and writes it at `c`;
/// in the last vector only the first `last` lanes are columns of C.
#[inline(always)]
unsafe fn store_row<V: Vf, const NV: usize>(row: &[V; NV], c: *mut f32, fin: Fin, last: usize) {
    unsafe {
        for (v, &s) in row.iter().enumerate() {
            let p = c.add(v * V::LANES);
            if v + 1 == NV && last < V::LANES {
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

/// Running sums of a product's earlier `k` chunk, row-major with row stride
/// `rs` at a block's origin (`p` null: the sums start from +0).
#[derive(Clone, Copy)]
pub(super) struct Sums {
    p: *const f32,
    rs: usize,
}

impl Sums {
    const ZERO: Sums = Sums { p: std::ptr::null(), rs: 0 };

    /// The sums at row `i`, column `j`.
    fn at(self, i: usize, j: usize) -> Sums {
        Sums { p: if self.p.is_null() { self.p } else { self.p.wrapping_add(i * self.rs + j) }, ..self }
    }
}

/// Shape and strides of one product C (m×n) = Σ_p A(i,p)·B(p,j).
#[derive(Clone, Copy)]
pub(super) struct Prod {
    pub(super) m: usize,
    pub(super) k: usize,
    /// Columns computed (`≤` the row strides `b_ks`, `c_rs`).
    pub(super) n: usize,
    pub(super) a: *const f32,
    pub(super) a_rs: usize,
    pub(super) a_ks: usize,
    pub(super) b: *const f32,
    pub(super) b_ks: usize,
    pub(super) c: *mut f32,
    pub(super) c_rs: usize,
    pub(super) fin: Fin,
}

/// Rows `i..i+R`, every column block, sums starting from `init`. `tail` is
/// B's last `n % T::LANES` columns, zero-padded to `T::LANES` (k × T::LANES).
#[inline(always)]
pub(super) unsafe fn row_block<V: Vf, T: Vf, const R: usize, const NV: usize>(
    g: &Prod,
    i: usize,
    tail: &[f32],
    init: Sums,
) {
    unsafe {
        let a = g.a.add(i * g.a_rs);
        let c = g.c.add(i * g.c_rs);
        let (b, ks, rs, k, fin) = (g.b, g.b_ks, g.c_rs, g.k, g.fin);
        let mut j = 0;
        while j + NV * V::LANES <= g.n {
            micro::<V, R, NV>(k, a, g.a_rs, g.a_ks, b.add(j), ks, c.add(j), rs, fin, V::LANES, init.at(i, j));
            j += NV * V::LANES;
        }
        if NV > 2 && j + 2 * V::LANES <= g.n {
            micro::<V, R, 2>(k, a, g.a_rs, g.a_ks, b.add(j), ks, c.add(j), rs, fin, V::LANES, init.at(i, j));
            j += 2 * V::LANES;
        }
        while j + V::LANES <= g.n {
            micro::<V, R, 1>(k, a, g.a_rs, g.a_ks, b.add(j), ks, c.add(j), rs, fin, V::LANES, init.at(i, j));
            j += V::LANES;
        }
        while j + T::LANES <= g.n {
            micro::<T, R, 1>(k, a, g.a_rs, g.a_ks, b.add(j), ks, c.add(j), rs, fin, T::LANES, init.at(i, j));
            j += T::LANES;
        }
        if j < g.n {
            // B's zero-padded panel: the padded lanes compute zeros that are not stored.
            let (tp, last) = (tail.as_ptr(), g.n - j);
            micro::<T, R, 1>(k, a, g.a_rs, g.a_ks, tp, T::LANES, c.add(j), rs, fin, last, init.at(i, j));
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
pub(super) unsafe fn gemm_generic<V: Vf, T: Vf, const R: usize, const NV: usize, const KC: usize>(g: Prod) {
    let rem = g.n % V::LANES;
    if g.a_rs == 1 && rem != 0 && g.m >= V::LANES {
        let j0 = g.n - rem;
        let mut t = vec![0.0f32; rem * g.m];
        unsafe {
            gemm_blocks::<V, T, R, NV, KC>(g.transposed(j0, t.as_mut_ptr()));
            gemm_blocks::<V, T, R, NV, KC>(Prod { n: j0, ..g });
        }
        put_transposed(&g, &t, j0);
    } else {
        unsafe { gemm_blocks::<V, T, R, NV, KC>(g) }
    }
}

impl Prod {
    /// Columns `j0..n` of this product with `Aᵀ` stored (`a_rs == 1`), as the
    /// product `Cᵀ = Bᵀ·A` (its A is B's columns, its B is A) writing plain
    /// sums into `t`, (n − j0) × m: `t[q·m + i]` is the sum of C(i, j0 + q).
    fn transposed(&self, j0: usize, t: *mut f32) -> Prod {
        Prod {
            m: self.n - j0,
            k: self.k,
            n: self.m,
            a: self.b.wrapping_add(j0),
            a_rs: 1,
            a_ks: self.b_ks,
            b: self.a,
            b_ks: self.a_ks,
            c: t,
            c_rs: self.m,
            fin: Fin::Store,
        }
    }
}

/// Writes the sums `t` of C's columns `j0..` computed transposed
/// ([`Prod::transposed`]) into C with the product's final operation.
fn put_transposed(g: &Prod, t: &[f32], j0: usize) {
    for (q, col) in t.chunks_exact(g.m).enumerate() {
        for (i, &s) in col.iter().enumerate() {
            // SAFETY: i < m, j0 + q < n ≤ c_rs: inside C.
            let dst = unsafe { &mut *g.c.add(i * g.c_rs + j0 + q) };
            *dst = match g.fin {
                Fin::Store => s,
                Fin::Scale(al) => al * s,
                Fin::Acc(al) => *dst + al * s,
            };
        }
    }
}

/// Row blocks of `R` (then 4, 2, 1), each over every column block; when `k`
/// is at least `2·KC` (`KC` > 0), `k` in chunks of `KC` steps, so that the
/// chunk's rows of A and B stay in the L1 cache while every block of C uses
/// them instead of being read from L2 again for each block. Between chunks
/// each block's sums are stored in a scratch copy of C (rows padded to
/// `T::LANES`, so the tail panel's lanes fit) and reloaded as f32, so every
/// sum still takes its terms in ascending p: the same bits.
#[inline(always)]
pub(super) unsafe fn gemm_blocks<V: Vf, T: Vf, const R: usize, const NV: usize, const KC: usize>(g: Prod) {
    let tail = b_tail::<T>(&g);
    unsafe {
        if KC == 0 || g.k < 2 * KC {
            return blocks_over_rows::<V, T, R, NV>(&g, &tail, Sums::ZERO);
        }
        let rs = g.n.div_ceil(T::LANES) * T::LANES;
        let mut sums = vec![0.0f32; g.m * rs];
        let mut p0 = 0;
        while p0 < g.k {
            let p1 = if g.k - p0 < 2 * KC { g.k } else { p0 + KC };
            let init = if p0 == 0 { Sums::ZERO } else { Sums { p: sums.as_ptr(), rs } };
            let (a, b) = (g.a.add(p0 * g.a_ks), g.b.add(p0 * g.b_ks));
            let chunk = if p1 == g.k {
                Prod { k: p1 - p0, a, b, ..g }
            } else {
                Prod { k: p1 - p0, a, b, c: sums.as_mut_ptr(), c_rs: rs, fin: Fin::Store, ..g }
            };
            let tail = if tail.is_empty() { &tail[..] } else { &tail[p0 * T::LANES..] };
            blocks_over_rows::<V, T, R, NV>(&chunk, tail, init);
            p0 = p1;
        }
    }
}

/// Every row block of `g` (`R` rows, then 4, 2, 1), sums starting from `init`.
#[inline(always)]
unsafe fn blocks_over_rows<V: Vf, T: Vf, const R: usize, const NV: usize>(g: &Prod, tail: &[f32], init: Sums) {
    let mut i = 0;
    unsafe {
        while i + R <= g.m {
            row_block::<V, T, R, NV>(g, i, tail, init);
            i += R;
        }
        if R > 4 && i + 4 <= g.m {
            row_block::<V, T, 4, NV>(g, i, tail, init);
            i += 4;
        }
        if R > 2 && i + 2 <= g.m {
            row_block::<V, T, 2, NV>(g, i, tail, init);
            i += 2;
        }
        if R > 1 && i < g.m {
            row_block::<V, T, 1, NV>(g, i, tail, init);
        }
    }
}

/// B's last `n mod T::LANES` columns, zero-padded to `T::LANES` (k × T::LANES;
/// empty when `T::LANES` divides `n`).
fn b_tail<T: Vf>(g: &Prod) -> Vec<f32> {
    let rem = g.n % T::LANES;
    if rem == 0 {
        return Vec::new();
    }
    let j0 = g.n - rem;
    let mut tail = vec![0.0f32; g.k * T::LANES];
    for p in 0..g.k {
        for q in 0..rem {
            // SAFETY: p < k, j0 + q < n ≤ b_ks: inside B.
            tail[p * T::LANES + q] = unsafe { *g.b.add(p * g.b_ks + j0 + q) };
        }
    }
    tail
}

// ───────────── products whose A has many exact zeros ─────────────
//
// After f = tanh∘ReLU about half of a hidden layer's activations are exactly
// +0, and δ is ±0 wherever they are (f'(0) = 0); MNIST's pixels are mostly 0.
// A term A(i,p)·B(p,j) with A(i,p) = ±0 and B(p,j) finite is ±0, and adding ±0
// to the running sum leaves it unchanged: the sum starts at +0 and a
// round-to-nearest sum is −0 only when both addends are, so it is never −0,
// and s + (±0) = s for every other s (NaN and ±∞ included). So when every
// element of B is finite, leaving such terms out gives the same bits as the
// reference, which adds them; every other term is still added in ascending p
// with a separate multiply and add. A non-finite B (0·∞ = NaN) takes the dense
// path.

/// Rows of A compacted at a time (their terms are gathered in one pass over A).
const SPARSE_ROWS: usize = 8;

/// Whether the product takes the sparse path: A stored contiguously (`gemm_nn`
/// or `gemm_tn` layout), at least 8 columns, at least a quarter of A's
/// first elements (up to [`SPARSE_SAMPLE`]) ±0, and every element of B
/// finite. Only speed depends on the sample; the finiteness of B is checked
/// in full.
#[inline(always)]
fn sparse_pays(g: &Prod) -> bool {
    let len = g.m * g.k;
    let contiguous = (g.a_rs, g.a_ks) == (g.k, 1) || (g.a_rs, g.a_ks) == (1, g.m);
    if !contiguous || len == 0 || g.n < 8 {
        return false;
    }
    // SAFETY: A is m·k contiguous elements (checked just above).
    let a = unsafe { std::slice::from_raw_parts(g.a, len.min(SPARSE_SAMPLE)) };
    let zeros = a.iter().fold(0u32, |z, &x| z + (x == 0.0) as u32) as usize;
    if zeros * 4 < a.len() {
        return false;
    }
    let mut non_finite = 0u32;
    for p in 0..g.k {
        // SAFETY: row p of B, columns 0..n ≤ b_ks.
        let row = unsafe { std::slice::from_raw_parts(g.b.add(p * g.b_ks) as *const u32, g.n) };
        non_finite |= row.iter().fold(0u32, |f, &x| f | ((x & 0x7f80_0000 == 0x7f80_0000) as u32));
    }
    non_finite == 0
}

/// Elements of A [`sparse_pays`] counts zeros among.
const SPARSE_SAMPLE: usize = 4096;

/// Where a sparse micro-kernel's sums go: the running sums of a `k` chunk
/// that is not the last (`partial`, read back by the next chunk), or C with
/// the final operation.
#[derive(Clone, Copy)]
struct SparseOut {
    /// This column block's running sums (one row, `n` rounded up to the narrow width).
    partial: *mut f32,
    /// Whether the sums start from `partial` (not the first chunk).
    resume: bool,
    /// Whether this is the last chunk: apply `fin` and write to `c`.
    last: bool,
    c: *mut f32,
    fin: Fin,
}

/// One row of C over one `k` chunk, from its row of A's nonzero terms in the
/// chunk `(A(i,p), p)`, p ascending: `NV` vectors of columns at `b`, and when
/// `TAIL` one more narrow vector from B's zero-padded tail panel `tail` (its
/// first `tail_cols` lanes are the columns of C after the `NV` vectors).
#[inline(always)]
unsafe fn micro_sparse<V: Vf, T: Vf, const NV: usize, const TAIL: bool>(
    terms: &[(f32, u32)],
    b: *const f32,
    b_ks: usize,
    tail: *const f32,
    out: SparseOut,
    tail_cols: usize,
) {
    unsafe {
        let (mut acc, mut acc_t) = ([V::splat(0.0); NV], [T::splat(0.0)]);
        if out.resume {
            for (v, x) in acc.iter_mut().enumerate() {
                *x = V::load(out.partial.add(v * V::LANES));
            }
            acc_t[0] = T::load(out.partial.add(NV * V::LANES));
        }
        for &(a, p) in terms {
            let av = V::splat(a);
            let bp = b.add(p as usize * b_ks);
            for (v, x) in acc.iter_mut().enumerate() {
                *x = x.add(av.mul(V::load(bp.add(v * V::LANES))));
            }
            if TAIL {
                acc_t[0] = acc_t[0].add(T::splat(a).mul(T::load(tail.add(p as usize * T::LANES))));
            }
        }
        if out.last {
            store_row::<V, NV>(&acc, out.c, out.fin, V::LANES);
            if TAIL {
                store_row::<T, 1>(&acc_t, out.c.add(NV * V::LANES), out.fin, tail_cols);
            }
        } else {
            for (v, x) in acc.iter().enumerate() {
                x.store(out.partial.add(v * V::LANES));
            }
            if TAIL {
                acc_t[0].store(out.partial.add(NV * V::LANES));
            }
        }
    }
}

/// Every column block of one row of C over one `k` chunk: blocks of `NV`
/// vectors, then 4, then 1, then the narrow vector; the block that ends where
/// B's zero-padded tail panel begins takes the panel too (or the panel alone).
/// `out` is at column 0 (its `partial` and `c` move with the block).
#[inline(always)]
unsafe fn row_sparse<V: Vf, T: Vf, const NV: usize>(g: &Prod, terms: &[(f32, u32)], out: SparseOut, tail: &[f32]) {
    unsafe {
        let (b, ks, tp) = (g.b, g.b_ks, tail.as_ptr());
        let at = |j: usize| SparseOut { partial: out.partial.add(j), c: out.c.add(j), ..out };
        let tail_cols = g.n % T::LANES;
        let body = g.n - tail_cols;
        // Runs blocks of `$nv` vectors of `$v` while they fit; true once the tail is done.
        macro_rules! blocks {
            ($v:ty, $nv:tt, $j:ident) => {{
                let w = $nv * <$v>::LANES;
                let mut done = false;
                while !done && $j + w <= body {
                    if tail_cols > 0 && $j + w == body {
                        micro_sparse::<$v, T, $nv, true>(terms, b.add($j), ks, tp, at($j), tail_cols);
                        done = true;
                    } else {
                        micro_sparse::<$v, T, $nv, false>(terms, b.add($j), ks, tp, at($j), 0);
                    }
                    $j += w;
                }
                done
            }};
        }
        let mut j = 0;
        let done = blocks!(V, NV, j) || (NV > 4 && blocks!(V, 4, j)) || blocks!(V, 1, j) || blocks!(T, 1, j);
        if !done && tail_cols > 0 {
            micro_sparse::<V, T, 0, true>(terms, b, ks, tp, at(j), tail_cols);
        }
    }
}

/// The product, by the fastest of three ways that all give the reference's
/// bits: from A's nonzero terms when A has many zeros ([`sparse_pays`]); for
/// `Aᵀ` stored (`gemm_tn`) whose B has many zeros and A is finite, as its
/// transpose `Cᵀ = Bᵀ·A` from B's nonzero terms — the same products (IEEE
/// `×` commutes) summed in the same ascending p, then put into C with the
/// final operation; else the dense register-blocked kernels. `SNV` is a
/// sparse micro-kernel's width in vectors (0: never sparse).
///
/// The transposed way is for the first layer's weight update, `Xᵀ·δ`: the
/// inputs need not have zeros (the benchmark's are uniform), δ behind a
/// ReLU layer has about half.
#[inline(always)]
pub(super) unsafe fn gemm_any<V: Vf, T: Vf, const R: usize, const NV: usize, const SNV: usize, const KC: usize>(
    g: Prod,
) {
    unsafe {
        if SNV > 0 && sparse_pays(&g) {
            return gemm_sparse::<V, T, SNV>(g);
        }
        if SNV > 0 && g.a_rs == 1 && g.b_ks == g.n && sparse_pays(&g.transposed(0, std::ptr::null_mut())) {
            let mut t = vec![0.0f32; g.n * g.m];
            gemm_sparse::<V, T, SNV>(g.transposed(0, t.as_mut_ptr()));
            put_transposed(&g, &t, 0);
            return;
        }
        gemm_generic::<V, T, R, NV, KC>(g)
    }
}

/// The product by rows of A's nonzero terms (see [`sparse_pays`] for why the
/// bits are the reference's): [`SPARSE_ROWS`] rows at a time, their terms
/// gathered in one pass over A; then `k` in chunks whose rows of B fit in the
/// L1 cache (about 16 KB), each chunk running every row over every column
/// block and carrying the running sums to the next chunk, so each sum still
/// takes its terms in ascending p.
#[inline(always)]
pub(super) unsafe fn gemm_sparse<V: Vf, T: Vf, const NV: usize>(g: Prod) {
    let tail = b_tail::<T>(&g);
    let k = g.k;
    let n_pad = g.n.div_ceil(T::LANES) * T::LANES;
    let chunk = (4096 / n_pad).max(16);
    let chunks = k.div_ceil(chunk).max(1);
    let mut terms = vec![(0.0f32, 0u32); SPARSE_ROWS * k];
    let mut partial = vec![0.0f32; SPARSE_ROWS * n_pad];
    // bounds[r·(chunks+1) + c]: where row r's terms of chunk c start.
    let mut bounds = vec![0usize; SPARSE_ROWS * (chunks + 1)];
    let t = terms.as_mut_ptr();
    let mut i = 0;
    while i < g.m {
        let rows = SPARSE_ROWS.min(g.m - i);
        let mut count = [0usize; SPARSE_ROWS];
        // Every element is written at its row's next free slot, which advances
        // only past a nonzero one: count[r] ≤ p < k, inside row r's k slots.
        for c in 0..chunks {
            let (p0, p1) = (c * chunk, ((c + 1) * chunk).min(k));
            for (r, &cnt) in count.iter().enumerate().take(rows) {
                bounds[r * (chunks + 1) + c] = cnt;
            }
            unsafe {
                if g.a_rs == 1 && rows == SPARSE_ROWS {
                    // Aᵀ stored: A(i + r, p) is contiguous in r (a whole
                    // block: the row loop unrolls, the counts stay in registers).
                    for p in p0..p1 {
                        let ap = g.a.add(i + p * g.a_ks);
                        for (r, cnt) in count.iter_mut().enumerate() {
                            let a = *ap.add(r);
                            t.add(r * k + *cnt).write((a, p as u32));
                            *cnt += (a != 0.0) as usize;
                        }
                    }
                } else if g.a_rs == 1 {
                    for p in p0..p1 {
                        let ap = g.a.add(i + p * g.a_ks);
                        for (r, cnt) in count.iter_mut().enumerate().take(rows) {
                            let a = *ap.add(r);
                            t.add(r * k + *cnt).write((a, p as u32));
                            *cnt += (a != 0.0) as usize;
                        }
                    }
                } else {
                    for (r, cnt) in count.iter_mut().enumerate().take(rows) {
                        let ap = g.a.add((i + r) * g.a_rs);
                        for p in p0..p1 {
                            let a = *ap.add(p);
                            t.add(r * k + *cnt).write((a, p as u32));
                            *cnt += (a != 0.0) as usize;
                        }
                    }
                }
            }
        }
        for (r, &cnt) in count.iter().enumerate().take(rows) {
            bounds[r * (chunks + 1) + chunks] = cnt;
        }
        for c in 0..chunks {
            for r in 0..rows {
                let (from, to) = (bounds[r * (chunks + 1) + c], bounds[r * (chunks + 1) + c + 1]);
                let out = SparseOut {
                    partial: partial[r * n_pad..].as_mut_ptr(),
                    resume: c > 0,
                    last: c + 1 == chunks,
                    // SAFETY: row i + r < m of C.
                    c: unsafe { g.c.add((i + r) * g.c_rs) },
                    fin: g.fin,
                };
                unsafe { row_sparse::<V, T, NV>(&g, &terms[r * k + from..r * k + to], out, &tail) };
            }
        }
        i += rows;
    }
}

/// `z[i] ← op(z[i], bias[i mod n])` over the flat array, `U` vectors a step:
/// vectors of `z` are paired with a copy of `bias` repeated `LANES` times
/// (period `n·LANES`, a multiple of `LANES`, followed by `U − 1` more vectors
/// of it, so a step's `U` vectors are read without wrapping), so rows need not
/// be a multiple of the vector width; the last `len mod (U·LANES)` elements use `scalar`. Elements are
/// independent, so this is the row-wise definition exactly.
#[inline(always)]
pub(super) unsafe fn with_bias_generic<V: Vf, const U: usize>(
    z: &mut [f32],
    bias: &[f32],
    op: impl Fn([V; U], [V; U]) -> [V; U],
    scalar: impl Fn(f32, f32) -> f32,
) {
    let n = bias.len();
    let period = n * V::LANES;
    let rep: Vec<f32> = (0..period + (U - 1) * V::LANES).map(|i| bias[i % n]).collect();
    let step = U * V::LANES;
    let full = z.len() / step * step;
    let (mut o, mut q) = (0, 0);
    while o < full {
        unsafe {
            let p = z.as_mut_ptr().add(o);
            let b = rep.as_ptr().add(q);
            let y = op(from_fn(|u| V::load(p.add(u * V::LANES))), from_fn(|u| V::load(b.add(u * V::LANES))));
            for (u, y) in y.into_iter().enumerate() {
                y.store(p.add(u * V::LANES));
            }
        }
        o += step;
        q += step;
        while q >= period {
            q -= period;
        }
    }
    for (i, v) in z.iter_mut().enumerate().skip(full) {
        *v = scalar(*v, bias[i % n]);
    }
}

/// Vectors of `bias_tanh_relu` a step: enough independent tanh chains to keep
/// the vector units busy (see [`super::tanh::tanh_vn`]).
const TANH_UNROLL: usize = 4;

#[inline(always)]
pub(super) unsafe fn bias_tanh_relu_generic<V: Vf>(z: &mut [f32], bias: &[f32]) {
    unsafe {
        let k = TanhK::<V>::new();
        // ReLU then the clamp: s ≤ 0 and NaN become +0, so the sign bit is
        // clear and tanh's own |·| and sign restoring change nothing.
        let op = |x: [V; TANH_UNROLL], b: [V; TANH_UNROLL]| {
            tanh_vn_magnitude(from_fn(|u| k.clamp.min_lt(x[u].add(b[u]).max_gt(k.zero))), &k)
        };
        with_bias_generic::<V, TANH_UNROLL>(z, bias, op, |x, b| {
            let s = x + b;
            tanh_scalar(if s > 0.0 { s } else { 0.0 })
        })
    }
}

#[inline(always)]
pub(super) unsafe fn add_bias_generic<V: Vf>(z: &mut [f32], bias: &[f32]) {
    unsafe { with_bias_generic::<V, 1>(z, bias, |x, b| [x[0].add(b[0])], |x, b| x + b) }
}

#[inline(always)]
pub(super) unsafe fn deriv_generic<V: Vf>(g: &mut [f32], a: &[f32]) {
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

/// Column vectors [`col_sum_generic`] sums in one pass down the rows.
const COL_SUM_BLOCK: usize = 4;

/// `out[j..j + B·LANES] = alpha · Σ_r x[r, j..j + B·LANES]`, rows ascending.
#[inline(always)]
unsafe fn col_sum_block<V: Vf, const B: usize>(
    rows: usize,
    n: usize,
    alpha: f32,
    x: &[f32],
    out: &mut [f32],
    j: usize,
) {
    unsafe {
        let mut s = [V::splat(0.0); B];
        for r in 0..rows {
            let p = x.as_ptr().add(r * n + j);
            s = from_fn(|v| s[v].add(V::load(p.add(v * V::LANES))));
        }
        for (v, s) in s.into_iter().enumerate() {
            V::splat(alpha).mul(s).store(out.as_mut_ptr().add(j + v * V::LANES));
        }
    }
}

#[inline(always)]
pub(super) unsafe fn col_sum_generic<V: Vf>(rows: usize, n: usize, alpha: f32, x: &[f32], out: &mut [f32]) {
    let mut j = 0;
    unsafe {
        // COL_SUM_BLOCK column vectors a pass down the rows: their sums are
        // independent chains of adds, so they overlap (one alone waits for each add).
        while j + COL_SUM_BLOCK * V::LANES <= n {
            col_sum_block::<V, COL_SUM_BLOCK>(rows, n, alpha, x, out, j);
            j += COL_SUM_BLOCK * V::LANES;
        }
        while j + V::LANES <= n {
            col_sum_block::<V, 1>(rows, n, alpha, x, out, j);
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

/// Expands, in the instruction set's module, to its `#[target_feature]` entry
/// points: vector type `$v`, narrow vector `$t`, blocking `$r`×`$nv` (dense)
/// and 1×`$snv` (sparse; 0: no sparse path), a long `k` in chunks of `$kc`
/// steps (0: never; see [`gemm_blocks`]).
macro_rules! simd_entry_points {
    ($feat:literal, $v:ty, $t:ty, $r:literal, $nv:literal, $snv:literal, $kc:literal) => {
        #[target_feature(enable = $feat)]
        pub(super) unsafe fn gemm(g: Prod) {
            unsafe { gemm_any::<$v, $t, $r, $nv, $snv, $kc>(g) }
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
