//! PCA of parameter trajectories and the training loss on the plane they span
//! (paper Fig. 6e; SPEC §7, experiment `fig6` panel (e)).
//!
//! A [`Trajectory`] records flattened parameter vectors (every weight and bias,
//! in the network's `params_flat` order) along one run. [`Pca::fit`] takes the
//! snapshots of one or more runs together — one shared mean, one shared set of
//! axes — so the BP and FA trajectories land in the same picture. The top
//! components come from the `T × T` Gram matrix of the centred snapshots (`T`
//! is a few hundred, while `P` is about 21,000 parameters), diagonalised by
//! [`symmetric_eigen`], a cyclic Jacobi solver, and are mapped back to unit
//! vectors in parameter space. [`Pca::loss_grid`] evaluates a caller-supplied
//! loss at `mean + a·pc1 + b·pc2` for a grid of `(a, b)`: the contour behind
//! the trajectories.
//!
//! Memory: the snapshots are stored as `f32`, `P × T × 4` bytes
//! ([`Trajectory::bytes`]). For the paper net (`P = 21,500`) and 300 snapshots
//! per run, two runs take `2 × 300 × 21,500 × 4 B ≈ 52 MB`; the fit adds the
//! Gram matrix (`T² × 8 B`, 2.9 MB for `T = 600`), one centred column block
//! (`T × 512 × 8 B`, 2.5 MB) and the components (`2 × P × 8 B`, 0.3 MB).
//! Fitting costs about `T² P / 2` multiply-adds for the Gram matrix (3.8·10⁹
//! for `T = 600`: seconds, so record a few hundred snapshots, not every step)
//! plus `O(T³)` per Jacobi sweep.
//!
//! Everything is deterministic: fixed summation orders, a cyclic (not
//! threshold-ordered) Jacobi sweep, ties in the eigenvalue sort broken by
//! index, and a fixed sign convention for every component.

use crate::{Error, Result};

/// The flattened parameters of one run, snapshot after snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    n_params: usize,
    snapshots: Vec<f32>,
}

impl Trajectory {
    /// An empty trajectory of `n_params`-long parameter vectors.
    pub fn new(n_params: usize) -> Result<Self> {
        if n_params == 0 {
            return Err(Error::InvalidParam("a trajectory needs at least one parameter".into()));
        }
        Ok(Trajectory { n_params, snapshots: Vec::new() })
    }

    /// Appends one snapshot; it must have `n_params` finite entries.
    pub fn push(&mut self, params: &[f32]) -> Result<()> {
        if params.len() != self.n_params {
            return Err(Error::InvalidParam(format!(
                "snapshot has {} parameters, the trajectory holds {}",
                params.len(),
                self.n_params
            )));
        }
        if params.iter().any(|v| !v.is_finite()) {
            return Err(Error::Diverged("parameter snapshot contains a non-finite value".into()));
        }
        self.snapshots.extend_from_slice(params);
        Ok(())
    }

    pub fn n_params(&self) -> usize {
        self.n_params
    }

    /// Number of snapshots recorded.
    pub fn len(&self) -> usize {
        self.snapshots.len() / self.n_params
    }

    pub fn is_empty(&self) -> bool {
        self.snapshots.is_empty()
    }

    /// Snapshot `i` (0 = first recorded).
    pub fn snapshot(&self, i: usize) -> &[f32] {
        &self.snapshots[i * self.n_params..(i + 1) * self.n_params]
    }

    /// Bytes held by the snapshots: `n_params × len × 4`.
    pub fn bytes(&self) -> usize {
        self.snapshots.len() * std::mem::size_of::<f32>()
    }
}

/// Principal axes shared by all trajectories given to [`Pca::fit`].
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    mean: Vec<f64>,
    /// `components[c]` is a unit vector of length `n_params`; they are orthonormal.
    components: Vec<Vec<f64>>,
    /// Variance captured by each component: eigenvalue of the Gram matrix / T.
    variances: Vec<f64>,
    total_variance: f64,
}

/// Columns of the snapshot matrix centred at a time when building the Gram
/// matrix: bounds the f64 scratch to `T × 512 × 8` bytes whatever `P` is.
const GRAM_BLOCK: usize = 512;

impl Pca {
    /// Fits `n_components` (≥ 2) principal axes to all snapshots of all
    /// `trajectories` together, centred on their joint mean.
    ///
    /// Needs at least `n_components + 1` snapshots in total and snapshots
    /// that are not all equal. When the snapshots span fewer dimensions than
    /// asked (a straight-line trajectory has one), the missing axes are
    /// completed deterministically to an orthonormal set with zero variance.
    pub fn fit(trajectories: &[&Trajectory], n_components: usize) -> Result<Pca> {
        if n_components < 2 {
            return Err(Error::InvalidParam("PCA needs at least 2 components for a plane".into()));
        }
        let Some(first) = trajectories.first() else {
            return Err(Error::InvalidParam("PCA needs at least one trajectory".into()));
        };
        let n_params = first.n_params;
        if trajectories.iter().any(|t| t.n_params != n_params) {
            return Err(Error::InvalidParam("trajectories have different parameter counts".into()));
        }
        let rows: Vec<&[f32]> = trajectories.iter().flat_map(|t| (0..t.len()).map(move |i| t.snapshot(i))).collect();
        let t = rows.len();
        if t < n_components + 1 {
            return Err(Error::InvalidParam(format!(
                "PCA with {n_components} components needs at least {} snapshots, got {t}",
                n_components + 1
            )));
        }
        if n_components > n_params {
            return Err(Error::InvalidParam(format!(
                "{n_components} components asked of {n_params}-dimensional parameters"
            )));
        }

        let mut mean = vec![0.0f64; n_params];
        let mut raw_square_sum = 0.0f64;
        for row in &rows {
            for (m, &v) in mean.iter_mut().zip(row.iter()) {
                *m += v as f64;
                raw_square_sum += v as f64 * v as f64;
            }
        }
        for m in &mut mean {
            *m /= t as f64;
        }

        // Gram matrix of centred snapshots, built block of columns by block so the
        // centring happens in f64 before the products (no cancellation from
        // centring afterwards) without a full f64 copy of the data.
        let mut gram = vec![0.0f64; t * t];
        let mut block = vec![0.0f64; t * GRAM_BLOCK];
        for p0 in (0..n_params).step_by(GRAM_BLOCK) {
            let width = GRAM_BLOCK.min(n_params - p0);
            for (i, row) in rows.iter().enumerate() {
                let dst = &mut block[i * width..(i + 1) * width];
                for (d, (&v, &m)) in dst.iter_mut().zip(row[p0..p0 + width].iter().zip(&mean[p0..])) {
                    *d = v as f64 - m;
                }
            }
            for i in 0..t {
                let ri = &block[i * width..(i + 1) * width];
                for j in i..t {
                    let rj = &block[j * width..(j + 1) * width];
                    gram[i * t + j] += dot(ri, rj);
                }
            }
        }
        for i in 0..t {
            for j in 0..i {
                gram[i * t + j] = gram[j * t + i];
            }
        }

        let eig = symmetric_eigen(t, &gram)?;
        let total: f64 = eig.values.iter().map(|&v| v.max(0.0)).sum();
        // Equal snapshots leave only the rounding of the f64 mean (~1e-32 relative).
        if total <= raw_square_sum * 1e-24 {
            return Err(Error::InvalidParam("all snapshots are equal: nothing to analyse".into()));
        }

        // v_c = Xᵀ u_c / √λ_c is the unit right singular vector of the centred data.
        let mut components: Vec<Vec<f64>> = Vec::with_capacity(n_components);
        let mut variances = Vec::with_capacity(n_components);
        for c in 0..n_components {
            let lambda = eig.values[c];
            // Below this the direction is numerical noise of a rank-deficient set.
            if lambda > total * 1e-13 {
                let mut v = vec![0.0f64; n_params];
                for (i, row) in rows.iter().enumerate() {
                    let u = eig.vectors[i * t + c];
                    for ((vp, &x), &m) in v.iter_mut().zip(row.iter()).zip(&mean) {
                        *vp += (x as f64 - m) * u;
                    }
                }
                // Re-orthogonalise against earlier axes and renormalise: removes the
                // rounding that √λ division leaves, so components are orthonormal to f64.
                orthonormalise_against(&mut v, &components);
                components.push(v);
                variances.push(lambda / t as f64);
            } else {
                components.push(completion_axis(n_params, &components));
                variances.push(0.0);
            }
        }
        for v in &mut components {
            orient(v);
        }
        Ok(Pca { mean, components, variances, total_variance: total / t as f64 })
    }

    pub fn n_params(&self) -> usize {
        self.mean.len()
    }

    /// The joint mean of all snapshots the fit saw.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// Unit principal axis `c` (0 = largest variance).
    pub fn component(&self, c: usize) -> &[f64] {
        &self.components[c]
    }

    pub fn n_components(&self) -> usize {
        self.components.len()
    }

    /// Fraction of the total variance of the snapshots along each component.
    pub fn explained_variance_ratio(&self) -> Vec<f64> {
        self.variances.iter().map(|v| v / self.total_variance).collect()
    }

    /// Coordinates of `params` on every component.
    pub fn project_all(&self, params: &[f32]) -> Result<Vec<f64>> {
        if params.len() != self.mean.len() {
            return Err(Error::InvalidParam(format!(
                "cannot project {} parameters onto a {}-parameter PCA",
                params.len(),
                self.mean.len()
            )));
        }
        Ok(self
            .components
            .iter()
            .map(|v| params.iter().zip(&self.mean).zip(v).map(|((&x, &m), &w)| (x as f64 - m) * w).sum())
            .collect())
    }

    /// Coordinates of `params` on the top two components: the point in Fig. 6e.
    pub fn project(&self, params: &[f32]) -> Result<(f64, f64)> {
        let c = self.project_all(params)?;
        Ok((c[0], c[1]))
    }

    /// Every snapshot of `trajectory` projected on the top two components.
    pub fn project_trajectory(&self, trajectory: &Trajectory) -> Result<Vec<(f64, f64)>> {
        (0..trajectory.len()).map(|i| self.project(trajectory.snapshot(i))).collect()
    }

    /// The full parameter vector at `mean + a·pc1 + b·pc2`, written into `out`.
    pub fn point_into(&self, a: f64, b: f64, out: &mut [f32]) -> Result<()> {
        if out.len() != self.mean.len() {
            return Err(Error::InvalidParam("output buffer has the wrong parameter count".into()));
        }
        let (v1, v2) = (&self.components[0], &self.components[1]);
        for (p, o) in out.iter_mut().enumerate() {
            *o = (self.mean[p] + a * v1[p] + b * v2[p]) as f32;
        }
        Ok(())
    }

    /// The full parameter vector at `mean + a·pc1 + b·pc2`.
    pub fn point(&self, a: f64, b: f64) -> Vec<f32> {
        let mut out = vec![0.0f32; self.mean.len()];
        self.point_into(a, b, &mut out).expect("buffer sized from the PCA itself");
        out
    }

    /// The bounding box of the projected `trajectories`, widened on each side by
    /// `margin` times its extent (an axis of zero extent gets ±`margin`).
    pub fn projected_range(&self, trajectories: &[&Trajectory], margin: f64) -> Result<GridRange> {
        if !margin.is_finite() || margin < 0.0 {
            return Err(Error::InvalidParam(format!("grid margin must be finite and ≥ 0, got {margin}")));
        }
        let mut lo = (f64::INFINITY, f64::INFINITY);
        let mut hi = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for t in trajectories {
            for (a, b) in self.project_trajectory(t)? {
                lo = (lo.0.min(a), lo.1.min(b));
                hi = (hi.0.max(a), hi.1.max(b));
            }
        }
        if !lo.0.is_finite() {
            return Err(Error::InvalidParam("no snapshots to take a range from".into()));
        }
        let widen = |lo: f64, hi: f64| {
            let pad = if hi > lo { margin * (hi - lo) } else { margin };
            (lo - pad, hi + pad)
        };
        Ok(GridRange { a: widen(lo.0, hi.0), b: widen(lo.1, hi.1) })
    }

    /// Evaluates `loss` at `mean + a·pc1 + b·pc2` for an `n_a × n_b` grid
    /// spanning `range` (ends included). Plug in the network with e.g.
    /// `|p| { net.set_params_flat(p); net.loss_on(x, y, n) }`.
    pub fn loss_grid(
        &self,
        range: GridRange,
        n_a: usize,
        n_b: usize,
        mut loss: impl FnMut(&[f32]) -> f64,
    ) -> Result<LossGrid> {
        let (a, b) = range.axes(n_a, n_b)?;
        let mut values = Vec::with_capacity(n_a * n_b);
        for &bj in &b {
            values.extend(self.loss_row(&a, bj, |p| Ok(loss(p)))?);
        }
        Ok(LossGrid { a, b, loss: values })
    }

    /// One row of [`Pca::loss_grid`]: `loss` at `mean + a_i·pc1 + b·pc2` for
    /// every `a_i` of `a` (a caller that spreads the grid over several calls,
    /// like `fig6`'s PCA job, asks for one row at a time).
    pub fn loss_row(&self, a: &[f64], b: f64, mut loss: impl FnMut(&[f32]) -> Result<f64>) -> Result<Vec<f64>> {
        let mut buf = vec![0.0f32; self.mean.len()];
        a.iter()
            .map(|&ai| {
                self.point_into(ai, b, &mut buf)?;
                loss(&buf)
            })
            .collect()
    }
}

/// An axis-aligned box in the plane of the top two components.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridRange {
    /// `(min, max)` along pc1.
    pub a: (f64, f64),
    /// `(min, max)` along pc2.
    pub b: (f64, f64),
}

impl GridRange {
    /// `n_a` and `n_b` evenly spaced coordinates along pc1 and pc2, ends included.
    pub fn axes(&self, n_a: usize, n_b: usize) -> Result<(Vec<f64>, Vec<f64>)> {
        if n_a < 2 || n_b < 2 {
            return Err(Error::InvalidParam(format!("a loss grid needs ≥ 2 points per axis, got {n_a}×{n_b}")));
        }
        let finite = [self.a.0, self.a.1, self.b.0, self.b.1].iter().all(|v| v.is_finite());
        if !finite || self.a.0 >= self.a.1 || self.b.0 >= self.b.1 {
            return Err(Error::InvalidParam(format!("empty or non-finite grid range {self:?}")));
        }
        let axis = |(lo, hi): (f64, f64), n: usize| -> Vec<f64> {
            (0..n).map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64).collect()
        };
        Ok((axis(self.a, n_a), axis(self.b, n_b)))
    }
}

/// Loss values on a grid, ready for a contour plot.
#[derive(Debug, Clone, PartialEq)]
pub struct LossGrid {
    /// Coordinates along pc1, ascending.
    pub a: Vec<f64>,
    /// Coordinates along pc2, ascending.
    pub b: Vec<f64>,
    /// `loss[j * a.len() + i]` is the loss at `(a[i], b[j])`.
    pub loss: Vec<f64>,
}

impl LossGrid {
    /// The loss at grid point `(a[i], b[j])`.
    pub fn at(&self, i: usize, j: usize) -> f64 {
        self.loss[j * self.a.len() + i]
    }
}

/// Eigen-decomposition of a symmetric matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct SymmetricEigen {
    /// Eigenvalues, largest first.
    pub values: Vec<f64>,
    /// Row-major `n × n`; column `c` is the unit eigenvector of `values[c]`.
    pub vectors: Vec<f64>,
}

/// Upper bound on Jacobi sweeps; convergence is quadratic, so real inputs stop
/// after 6–12 and this only guards against a pathological input looping.
const MAX_SWEEPS: usize = 60;

/// Eigenvalues and eigenvectors of the symmetric `n × n` row-major matrix `a`
/// (only symmetric input is meaningful; the upper triangle is used) by the
/// cyclic Jacobi method: rotations zero each off-diagonal entry in turn, row by
/// row, until the off-diagonal mass is negligible. Deterministic: the sweep
/// order is fixed, and each eigenvector's largest-magnitude entry (first one on
/// a tie) is made positive.
pub fn symmetric_eigen(n: usize, a: &[f64]) -> Result<SymmetricEigen> {
    if a.len() != n * n {
        return Err(Error::InvalidParam(format!("matrix of {} entries is not {n}×{n}", a.len())));
    }
    if a.iter().any(|v| !v.is_finite()) {
        return Err(Error::InvalidParam("matrix has non-finite entries".into()));
    }
    let mut m = vec![0.0f64; n * n];
    for i in 0..n {
        for j in i..n {
            m[i * n + j] = a[i * n + j];
            m[j * n + i] = a[i * n + j];
        }
    }
    let mut v = vec![0.0f64; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    let norm2: f64 = m.iter().map(|x| x * x).sum();
    for _ in 0..MAX_SWEEPS {
        let mut off2 = 0.0f64;
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    off2 += m[i * n + j] * m[i * n + j];
                }
            }
        }
        if off2 <= norm2 * 1e-30 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let (app, aqq) = (m[p * n + p], m[q * n + q]);
                // Rotation angle φ with cot 2φ = θ; t = tan φ is the smaller root of
                // t² + 2θt − 1 = 0, which keeps |φ| ≤ π/4 and the sweep stable.
                let theta = (aqq - app) / (2.0 * apq);
                let t =
                    if theta.is_finite() { theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt()) } else { 0.0 };
                if t == 0.0 {
                    continue;
                }
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (mkp, mkq) = (m[k * n + p], m[k * n + q]);
                    m[k * n + p] = c * mkp - s * mkq;
                    m[k * n + q] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let (mpk, mqk) = (m[p * n + k], m[q * n + k]);
                    m[p * n + k] = c * mpk - s * mqk;
                    m[q * n + k] = s * mpk + c * mqk;
                }
                m[p * n + q] = 0.0;
                m[q * n + p] = 0.0;
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| m[j * n + j].total_cmp(&m[i * n + i]).then(i.cmp(&j)));
    let values = order.iter().map(|&i| m[i * n + i]).collect();
    let mut vectors = vec![0.0f64; n * n];
    for (c, &src) in order.iter().enumerate() {
        let mut col: Vec<f64> = (0..n).map(|k| v[k * n + src]).collect();
        orient(&mut col);
        for k in 0..n {
            vectors[k * n + c] = col[k];
        }
    }
    Ok(SymmetricEigen { values, vectors })
}

/// `a · b` with four interleaved partial sums (fixed order, so deterministic):
/// lets the compiler vectorise the Gram matrix's inner loop, which a single
/// running sum forbids.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for lane in 0..4 {
            acc[lane] += x[lane] * y[lane];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// Sign convention: the entry of largest magnitude (the first on a tie) is positive.
fn orient(v: &mut [f64]) {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if x.abs() > v[best].abs() {
            best = i;
        }
    }
    if v.get(best).is_some_and(|&x| x < 0.0) {
        for x in v.iter_mut() {
            *x = -*x;
        }
    }
}

/// Gram–Schmidt `v` against the orthonormal `basis`, twice (one pass leaves
/// rounding of order ε‖v‖ when `v` was nearly in their span), then normalises.
fn orthonormalise_against(v: &mut [f64], basis: &[Vec<f64>]) {
    for _ in 0..2 {
        for u in basis {
            let d = dot(v, u);
            for (x, y) in v.iter_mut().zip(u) {
                *x -= d * y;
            }
        }
    }
    let norm = dot(v, v).sqrt();
    if norm > 0.0 {
        for x in v.iter_mut() {
            *x /= norm;
        }
    }
}

/// A unit vector orthogonal to `basis`: the first coordinate axis that keeps
/// a clear component after projecting the basis out.
fn completion_axis(n: usize, basis: &[Vec<f64>]) -> Vec<f64> {
    for axis in 0..n {
        let mut residual = vec![0.0f64; n];
        residual[axis] = 1.0;
        for u in basis {
            let d = dot(&residual, u);
            for (x, y) in residual.iter_mut().zip(u) {
                *x -= d * y;
            }
        }
        // Σ over axes of the squared residual is n − basis.len() ≥ 1, so some
        // axis keeps a squared length of at least 1/n.
        if dot(&residual, &residual) > 0.5 / n as f64 {
            orthonormalise_against(&mut residual, basis);
            return residual;
        }
    }
    unreachable!("an orthonormal set smaller than the dimension always has a completing axis")
}
