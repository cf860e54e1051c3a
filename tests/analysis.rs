//! Tests of the analysis modules: alignment terms by order and the disturbed
//! copy (`fa_lab::align`, docs/math.md §5) and PCA of parameter trajectories
//! (`fa_lab::pca`, Fig. 6e). Each test checks the library against an
//! independent computation: a closed form, a planted answer, or a reference
//! network written here in f64.

use fa_lab::pca::{GridRange, Pca, Trajectory, symmetric_eigen};

// ---------------------------------------------------------------------------
// A test-only random source (SplitMix64 + Box–Muller), so these tests do not
// depend on the crate's own generator.

struct TestRng(u64);

impl TestRng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
    fn normals(&mut self, n: usize, std: f64) -> Vec<f64> {
        (0..n).map(|_| std * self.normal()).collect()
    }
    fn normals_f32(&mut self, n: usize, std: f64) -> Vec<f32> {
        (0..n).map(|_| (std * self.normal()) as f32).collect()
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Orthonormal vectors by modified Gram–Schmidt of Gaussian draws.
fn random_orthonormal(rng: &mut TestRng, count: usize, dim: usize) -> Vec<Vec<f64>> {
    let mut basis: Vec<Vec<f64>> = Vec::new();
    while basis.len() < count {
        let mut v = rng.normals(dim, 1.0);
        for u in &basis {
            let d = dot(&v, u);
            v.iter_mut().zip(u).for_each(|(x, y)| *x -= d * y);
        }
        let n = dot(&v, &v).sqrt();
        v.iter_mut().for_each(|x| *x /= n);
        basis.push(v);
    }
    basis
}

// ---------------------------------------------------------------------------
// Jacobi eigensolver

/// Checks `symmetric_eigen` on `a` against the expected spectrum (any order)
/// and checks A v = λ v and VᵀV = I for what it returns.
fn check_eigen(n: usize, a: &[f64], mut expected: Vec<f64>, tol: f64) {
    let eig = symmetric_eigen(n, a).unwrap();
    expected.sort_by(|x, y| y.total_cmp(x));
    for (got, want) in eig.values.iter().zip(&expected) {
        assert!((got - want).abs() <= tol, "eigenvalue {got} vs {want} (all: {:?})", eig.values);
    }
    for c in 0..n {
        let v: Vec<f64> = (0..n).map(|k| eig.vectors[k * n + c]).collect();
        for i in 0..n {
            let av: f64 = (0..n).map(|k| a[i * n + k] * v[k]).sum();
            assert!((av - eig.values[c] * v[i]).abs() <= tol, "A v ≠ λ v for eigenvalue {c}");
        }
        for d in 0..n {
            let w: Vec<f64> = (0..n).map(|k| eig.vectors[k * n + d]).collect();
            let want = if c == d { 1.0 } else { 0.0 };
            assert!((dot(&v, &w) - want).abs() <= 1e-12, "eigenvectors {c},{d} not orthonormal");
        }
    }
}

#[test]
fn jacobi_reproduces_known_spectra() {
    // Diagonal: the spectrum is the diagonal, returned largest first.
    check_eigen(3, &[3.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 2.0], vec![3.0, -1.0, 2.0], 1e-14);
    // [[2,1],[1,2]] has eigenvalues 3 and 1.
    check_eigen(2, &[2.0, 1.0, 1.0, 2.0], vec![3.0, 1.0], 1e-14);
    // The 1×1 case and the zero matrix.
    check_eigen(1, &[-4.5], vec![-4.5], 0.0);
    check_eigen(3, &[0.0; 9], vec![0.0; 3], 0.0);
    // Tridiagonal Toeplitz (2 on the diagonal, −1 beside it): λ_j = 2 − 2 cos(jπ/(n+1)).
    let n = 12;
    let mut t = vec![0.0; n * n];
    for i in 0..n {
        t[i * n + i] = 2.0;
        if i + 1 < n {
            t[i * n + i + 1] = -1.0;
            t[(i + 1) * n + i] = -1.0;
        }
    }
    let closed: Vec<f64> =
        (1..=n).map(|j| 2.0 - 2.0 * (j as f64 * std::f64::consts::PI / (n + 1) as f64).cos()).collect();
    check_eigen(n, &t, closed, 1e-12);
    // Q diag(λ) Qᵀ with a random orthogonal Q: a planted spectrum with a repeated
    // eigenvalue, a negative one and a zero.
    let n = 40;
    let mut rng = TestRng(7);
    let q = random_orthonormal(&mut rng, n, n);
    let mut planted: Vec<f64> = (0..n).map(|i| (i as f64 - 10.0) * 0.37).collect();
    planted[5] = planted[6];
    let mut a = vec![0.0; n * n];
    for (lambda, v) in planted.iter().zip(&q) {
        for i in 0..n {
            for j in 0..n {
                a[i * n + j] += lambda * v[i] * v[j];
            }
        }
    }
    check_eigen(n, &a, planted, 1e-11);
}

#[test]
fn jacobi_is_deterministic_and_rejects_bad_input() {
    let mut rng = TestRng(3);
    let n = 15;
    let raw = rng.normals(n * n, 1.0);
    let sym: Vec<f64> = (0..n * n).map(|k| raw[k] + raw[(k % n) * n + k / n]).collect();
    assert_eq!(symmetric_eigen(n, &sym).unwrap(), symmetric_eigen(n, &sym).unwrap());
    assert!(symmetric_eigen(3, &[1.0; 8]).is_err());
    assert!(symmetric_eigen(1, &[f64::NAN]).is_err());
}

// ---------------------------------------------------------------------------
// PCA

/// Cosines of the principal angles between span(v1, v2) and span(u1, u2), all
/// four unit vectors: singular values of the 2×2 matrix C_ij = v_i·u_j, from the
/// closed-form eigenvalues of CᵀC.
fn principal_cosines(v: [&[f64]; 2], u: [&[f64]; 2]) -> (f64, f64) {
    let c = [[dot(v[0], u[0]), dot(v[0], u[1])], [dot(v[1], u[0]), dot(v[1], u[1])]];
    let g00 = c[0][0] * c[0][0] + c[1][0] * c[1][0];
    let g11 = c[0][1] * c[0][1] + c[1][1] * c[1][1];
    let g01 = c[0][0] * c[0][1] + c[1][0] * c[1][1];
    let mid = 0.5 * (g00 + g11);
    let rad = (0.25 * (g00 - g11).powi(2) + g01 * g01).sqrt();
    ((mid + rad).sqrt(), (mid - rad).max(0.0).sqrt())
}

/// Two trajectories on a 2-D plane (orthonormal `u1`, `u2`) through `origin`
/// in R^P, with isotropic noise of std `noise`.
fn planted_plane_runs(p: usize, steps: usize, noise: f64, seed: u64) -> (Vec<Trajectory>, [Vec<f64>; 2], Vec<f64>) {
    let mut rng = TestRng(seed);
    let mut axes = random_orthonormal(&mut rng, 2, p);
    let origin = rng.normals(p, 0.1);
    let mut runs = Vec::new();
    for run in 0..2 {
        let mut traj = Trajectory::new(p).unwrap();
        for s in 0..steps {
            let t = s as f64 / steps as f64;
            // Two curved paths from a shared start, as BP and FA from one initialisation.
            let (a, b) = if run == 0 { (4.0 * t, 1.5 * t * t) } else { (3.0 * t * t, -2.0 * t) };
            let x: Vec<f32> =
                (0..p).map(|k| (origin[k] + a * axes[0][k] + b * axes[1][k] + noise * rng.normal()) as f32).collect();
            traj.push(&x).unwrap();
        }
        runs.push(traj);
    }
    let u2 = axes.pop().unwrap();
    let u1 = axes.pop().unwrap();
    (runs, [u1, u2], origin)
}

#[test]
fn pca_recovers_a_planted_plane() {
    let (runs, [u1, u2], _) = planted_plane_runs(400, 60, 1e-4, 11);
    let pca = Pca::fit(&[&runs[0], &runs[1]], 3).unwrap();
    let (c1, c2) = principal_cosines([pca.component(0), pca.component(1)], [&u1, &u2]);
    // Noise of 1e-4 per coordinate against a spread of ~1 tilts the plane by ~1e-4 rad.
    assert!(c1 > 1.0 - 1e-6 && c2 > 1.0 - 1e-6, "principal cosines {c1}, {c2}");
    let evr = pca.explained_variance_ratio();
    // The noise carries P·σ² = 4e-6 of a total variance ≈ 1.5, all outside the plane.
    assert!(evr[0] + evr[1] > 1.0 - 1e-5, "explained variance of two components {evr:?}");
    assert!(evr[0] >= evr[1] && evr[1] >= evr[2] && evr[2] < 1e-6, "{evr:?}");
    // The third component only sees noise but must still be orthonormal to the others.
    for i in 0..3 {
        for j in 0..3 {
            let want = if i == j { 1.0 } else { 0.0 };
            assert!((dot(pca.component(i), pca.component(j)) - want).abs() < 1e-12);
        }
    }
    // project + point round-trip: a snapshot is its projection plus noise.
    for run in &runs {
        for s in [0, 17, 59] {
            let x = run.snapshot(s);
            let (a, b) = pca.project(x).unwrap();
            let back = pca.point(a, b);
            let err = x.iter().zip(&back).map(|(p, q)| (p - q).abs()).fold(0.0f32, f32::max);
            assert!(err < 1e-3, "reconstruction error {err}");
        }
    }
}

#[test]
fn pca_projection_distances_match_the_planted_coordinates() {
    // Distances within the plane are preserved by any orthonormal pair of axes
    // spanning it, so projected distances must equal the planted ones.
    let (runs, _, _) = planted_plane_runs(250, 30, 0.0, 5);
    let pca = Pca::fit(&[&runs[0], &runs[1]], 2).unwrap();
    let ends = [(0, 0), (0, 29), (1, 29)];
    let planted = [
        (0.0, 0.0),
        (4.0 * 29.0 / 30.0, 1.5 * (29.0f64 / 30.0).powi(2)),
        (3.0 * (29.0f64 / 30.0).powi(2), -2.0 * 29.0 / 30.0),
    ];
    for i in 0..3 {
        for j in i + 1..3 {
            let p = pca.project(runs[ends[i].0].snapshot(ends[i].1)).unwrap();
            let q = pca.project(runs[ends[j].0].snapshot(ends[j].1)).unwrap();
            let got = ((p.0 - q.0).powi(2) + (p.1 - q.1).powi(2)).sqrt();
            let want = ((planted[i].0 - planted[j].0).powi(2) + (planted[i].1 - planted[j].1).powi(2)).sqrt();
            assert!((got - want).abs() < 1e-5, "distance {got} vs planted {want}");
        }
    }
}

#[test]
fn pca_of_a_straight_line_completes_the_second_axis() {
    let p = 50;
    let mut rng = TestRng(21);
    let dir = random_orthonormal(&mut rng, 1, p).pop().unwrap();
    let mut traj = Trajectory::new(p).unwrap();
    for s in 0..10 {
        let x: Vec<f32> = dir.iter().map(|d| (s as f64 * d) as f32).collect();
        traj.push(&x).unwrap();
    }
    let pca = Pca::fit(&[&traj], 2).unwrap();
    assert!(dot(pca.component(0), &dir).abs() > 1.0 - 1e-6);
    assert!(dot(pca.component(0), pca.component(1)).abs() < 1e-12);
    assert!((dot(pca.component(1), pca.component(1)) - 1.0).abs() < 1e-12);
    let evr = pca.explained_variance_ratio();
    assert!(evr[0] > 1.0 - 1e-9 && evr[1] == 0.0, "{evr:?}");
}

#[test]
fn pca_rejects_bad_input_without_panicking() {
    let mut t = Trajectory::new(4).unwrap();
    assert!(Trajectory::new(0).is_err());
    assert!(t.push(&[1.0, 2.0, 3.0]).is_err());
    assert!(t.push(&[1.0, f32::NAN, 3.0, 4.0]).is_err());
    assert!(Pca::fit(&[], 2).is_err());
    for _ in 0..5 {
        // 0.1 is inexact in binary, so the f64 mean is not exactly the snapshot.
        t.push(&[0.1, 2.0, 0.3, 4.7]).unwrap();
    }
    // All snapshots equal: there is no variance to analyse.
    assert!(Pca::fit(&[&t], 2).is_err());
    let mut short = Trajectory::new(4).unwrap();
    short.push(&[0.0; 4]).unwrap();
    short.push(&[1.0; 4]).unwrap();
    assert!(Pca::fit(&[&short], 2).is_err(), "two snapshots cannot give two components");
    let other = Trajectory::new(5).unwrap();
    assert!(Pca::fit(&[&t, &other], 2).is_err());
    assert!(Pca::fit(&[&t], 1).is_err());
}

#[test]
fn loss_grid_finds_a_planted_quadratic_minimum() {
    let (runs, _, _) = planted_plane_runs(300, 40, 1e-3, 17);
    let pca = Pca::fit(&[&runs[0], &runs[1]], 2).unwrap();
    let range = pca.projected_range(&[&runs[0], &runs[1]], 0.25).unwrap();
    // The range covers every projected snapshot with a quarter of the extent to spare.
    for run in &runs {
        for (a, b) in pca.project_trajectory(run).unwrap() {
            assert!(a > range.a.0 && a < range.a.1 && b > range.b.0 && b < range.b.1);
        }
    }
    let (n_a, n_b) = (21, 17);
    let step_a = (range.a.1 - range.a.0) / (n_a - 1) as f64;
    let step_b = (range.b.1 - range.b.0) / (n_b - 1) as f64;
    let (i_star, j_star) = (13, 4);
    let (a_star, b_star) = (range.a.0 + i_star as f64 * step_a, range.b.0 + j_star as f64 * step_b);
    let theta_star: Vec<f64> = pca.point(a_star, b_star).iter().map(|&v| v as f64).collect();
    // An anisotropic quadratic with its minimum on the PCA plane at (a*, b*).
    let weights: Vec<f64> = (0..theta_star.len()).map(|k| 1.0 + (k % 7) as f64).collect();
    let mut calls = 0;
    let grid = pca
        .loss_grid(range, n_a, n_b, |theta| {
            calls += 1;
            theta.iter().zip(&theta_star).zip(&weights).map(|((&t, s), w)| w * (t as f64 - s).powi(2)).sum()
        })
        .unwrap();
    assert_eq!(calls, n_a * n_b);
    assert_eq!((grid.a.len(), grid.b.len(), grid.loss.len()), (n_a, n_b, n_a * n_b));
    let mut best = (0, 0);
    for j in 0..n_b {
        for i in 0..n_a {
            if grid.at(i, j) < grid.at(best.0, best.1) {
                best = (i, j);
            }
        }
    }
    assert_eq!(best, (i_star, j_star));
    assert!(grid.at(i_star, j_star) < 1e-8);
    // Along the unit axes the quadratic is (a−a*)² v1ᵀWv1 + …; check one value
    // against that closed form.
    let v1 = pca.component(0);
    let curvature: f64 = v1.iter().zip(&weights).map(|(v, w)| w * v * v).sum();
    let want = curvature * (grid.a[0] - a_star).powi(2);
    assert!((grid.at(0, j_star) - want).abs() < 1e-4 * want, "{} vs {want}", grid.at(0, j_star));
    assert!(pca.loss_grid(GridRange { a: (1.0, 1.0), b: (0.0, 1.0) }, 3, 3, |_| 0.0).is_err());
    assert!(pca.loss_grid(range, 1, 3, |_| 0.0).is_err());
}

#[test]
fn paper_scale_trajectories_fit_in_memory() {
    // The paper net has P = 225·50 + 4·50·50 + 5·50 = 21,500 parameters.
    // Two runs of 150 snapshots: the stored bytes are exactly P × T × 4.
    let p = 225 * 50 + 4 * 50 * 50 + 5 * 50;
    let (runs, [u1, u2], _) = planted_plane_runs(p, 150, 1e-4, 29);
    let bytes: usize = runs.iter().map(|r| r.bytes()).sum();
    assert_eq!(bytes, p * 300 * 4);
    assert!(bytes < 200 << 20);
    let pca = Pca::fit(&[&runs[0], &runs[1]], 2).unwrap();
    let (c1, c2) = principal_cosines([pca.component(0), pca.component(1)], [&u1, &u2]);
    assert!(c1 > 1.0 - 1e-5 && c2 > 1.0 - 1e-5, "principal cosines {c1}, {c2}");
}

// ---------------------------------------------------------------------------
// Alignment terms (docs/math.md §5)

use fa_lab::align::{
    AlignmentTracker, AlignmentWindow, DEFAULT_NONLINEAR_ORDERS, DisturbedCopy, DisturbedFeedback, LayerShape,
    NonlinearTracker, NonlinearWindow,
};
use fa_lab::net::{Activation, NetConfig, Network, Rule};
use fa_lab::rng::{Purpose, Rng};

/// Row-major f64 products written out here, independent of `fa_lab::kernels`.
/// `c = aᵀ b` with `a` stored `k × m`, `b` stored `k × n`.
fn mat_tn(k: usize, m: usize, n: usize, a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut c = vec![0.0; m * n];
    for r in 0..k {
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] += a[r * m + i] * b[r * n + j];
            }
        }
    }
    c
}

/// `c = a bᵀ` with `a` stored `m × k`, `b` stored `n × k`.
fn mat_nt(m: usize, k: usize, n: usize, a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            c[i * n + j] = (0..k).map(|r| a[i * k + r] * b[j * k + r]).sum();
        }
    }
    c
}

/// `c = a b` with `a` stored `m × k`, `b` stored `k × n`.
fn mat_nn(m: usize, k: usize, n: usize, a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for r in 0..k {
            for j in 0..n {
                c[i * n + j] += a[i * k + r] * b[r * n + j];
            }
        }
    }
    c
}

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

fn norm(v: &[f64]) -> f64 {
    dot(v, v).sqrt()
}

/// ‖a − b‖ / ‖b‖.
fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    let diff: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    norm(&diff) / norm(b)
}

/// ∠(p, q_tᵀ) in degrees, `p` stored `rows × cols`, `q_t` stored `cols × rows`.
fn angle_to_transpose_deg(p: &[f64], q_t: &[f64], rows: usize, cols: usize) -> f64 {
    let q: Vec<f64> = (0..rows * cols).map(|idx| q_t[(idx % cols) * rows + idx / cols]).collect();
    (dot(p, &q) / (norm(p) * norm(&q))).clamp(-1.0, 1.0).acos().to_degrees()
}

fn fa_net(sizes: &[usize], activation: Activation, use_bias: bool, eta: f32, seed: u64) -> Network {
    let cfg = NetConfig { sizes: sizes.to_vec(), rule: Rule::Feedback, eta, weight_norm: None, activation, use_bias };
    Network::new(cfg, seed).unwrap()
}

/// A random batch (inputs N(0,1), targets uniform in [0, 1)).
fn batch(rng: &mut TestRng, sizes: &[usize], n_b: usize) -> (Vec<f32>, Vec<f32>) {
    let x = (0..n_b * sizes[0]).map(|_| rng.normal() as f32).collect();
    let y = (0..n_b * sizes[sizes.len() - 1]).map(|_| rng.uniform() as f32).collect();
    (x, y)
}

/// Scales every FA feedback matrix so the alignment terms are a sizeable part of
/// ΔW (with std 0.1 they are a few percent, which would test less).
fn boost_feedback(net: &mut Network, factor: f32) {
    for l in 1..net.depth() {
        let b: Vec<f32> = net.feedback(l).unwrap().iter().map(|v| v * factor).collect();
        net.set_feedback(l, &b).unwrap();
    }
}

/// The key identity of docs/math.md §5 for a linear FA network, against the real
/// `Network`: Σ_{o=1..k} T^o_l[k] + η (L_{l−1}[k] W_{l−1}[0] + b_l[k])ᵀ δ_{l+1}[k]
/// equals ΔW_l[k]. The initial-weights term and the reference T^o are computed
/// here in f64; the library's T^o must match them order by order.
fn check_linear_expansion(use_bias: bool) {
    let sizes = [6, 5, 4, 3];
    let (n_b, steps, eta) = (7, 30, 0.05f32);
    let mut net = fa_net(&sizes, Activation::Linear, use_bias, eta, 3);
    boost_feedback(&mut net, 5.0);
    let mut tracker = AlignmentTracker::new(&net, 40).unwrap();
    let initial: Vec<Vec<f64>> = (0..net.depth()).map(|l| f64s(net.weights(l))).collect();
    let mut rng = TestRng(100 + use_bias as u64);
    // The reference's own record of A_l[j] = δ_{l+1}[j]ᵀ L_{l−1}[j], f64.
    let mut history: Vec<Vec<Vec<f64>>> = vec![Vec::new(); net.depth()];
    let mut checked = 0;
    for k in 0..steps {
        let bias_used: Vec<Vec<f64>> = (0..net.depth()).map(|l| f64s(net.bias(l))).collect();
        let (x, y) = batch(&mut rng, &sizes, n_b);
        net.step(&x, &y, n_b).unwrap();
        tracker.observe(&net).unwrap();
        for l in 1..net.depth() {
            let (n_prev, n_layer, n_next) = (sizes[l - 1], sizes[l], sizes[l + 1]);
            let input = f64s(net.layer_output(l - 1));
            let delta_next = f64s(net.delta(l + 1));
            history[l].push(mat_tn(n_b, n_next, n_prev, &delta_next, &input));
            if ![1, 2, 9, 29].contains(&k) {
                continue;
            }
            let b = net.feedback(l).unwrap().to_vec();
            let b64 = f64s(&b);
            // η (L_{l−1}[k] W_{l−1}[0] + 1 b_l[k]ᵀ)ᵀ δ_{l+1}[k]
            let mut z0 = mat_nn(n_b, n_prev, n_layer, &input, &initial[l - 1]);
            for r in 0..n_b {
                for i in 0..n_layer {
                    z0[r * n_layer + i] += bias_used[l - 1][i];
                }
            }
            let mut total: Vec<f64> =
                mat_tn(n_b, n_layer, n_next, &z0, &delta_next).iter().map(|v| eta as f64 * v).collect();
            let mut terms_sum = vec![0.0; total.len()];
            let window = tracker.window(l);
            assert_eq!(window.max_order(), k);
            for o in 1..=k {
                let got = f64s(&window.linear_term(o, &b, eta).unwrap());
                let m = mat_nt(n_next, n_prev, n_next, &history[l][k - o], &history[l][k]);
                let want: Vec<f64> =
                    mat_tn(n_next, n_layer, n_next, &b64, &m).iter().map(|v| (eta as f64).powi(2) * v).collect();
                assert!(rel_err(&got, &want) < 1e-4, "layer {l}, k {k}, order {o}: {}", rel_err(&got, &want));
                terms_sum.iter_mut().zip(&got).for_each(|(s, g)| *s += g);
            }
            total.iter_mut().zip(&terms_sum).for_each(|(t, s)| *t += s);
            let actual = f64s(net.last_update(l));
            let err = rel_err(&total, &actual);
            assert!(err < 1e-4, "layer {l}, k {k}: expansion off ΔW by {err}");
            // The terms must carry a real share of ΔW, or the identity would be vacuous.
            if k >= 9 {
                let share = norm(&terms_sum) / norm(&actual);
                assert!(share > 0.05, "layer {l}, k {k}: alignment terms are only {share} of ΔW");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 4 * 2);
}

#[test]
fn linear_terms_plus_initial_term_equal_the_update_of_a_linear_fa_net() {
    check_linear_expansion(false);
}

#[test]
fn linear_expansion_holds_with_biases_too() {
    // With a linear f the bias enters only the initial-weights term, through b_l[k].
    check_linear_expansion(true);
}

/// Eq. 8's copy with `B̂ = B_l` is exact for a linear FA net: W̃_l = W_l at every step.
fn check_disturbed_copy_is_exact(use_bias: bool) {
    let sizes = [5, 6, 4, 4, 3];
    let (n_b, eta) = (6, 0.05f32);
    let mut net = fa_net(&sizes, Activation::Linear, use_bias, eta, 8);
    boost_feedback(&mut net, 5.0);
    let mut copy = DisturbedCopy::new(&net, DisturbedFeedback::Same).unwrap();
    let start: Vec<Vec<f64>> = (1..net.depth()).map(|l| f64s(net.weights(l))).collect();
    let mut rng = TestRng(40);
    for _ in 0..40 {
        let (x, y) = batch(&mut rng, &sizes, n_b);
        net.step(&x, &y, n_b).unwrap();
        copy.observe(&net).unwrap();
        let angles = copy.angles(&net).unwrap();
        for l in 1..net.depth() {
            let (real, tilde) = (f64s(net.weights(l)), f64s(copy.layer(l).weights()));
            let moved: Vec<f64> = real.iter().zip(&start[l - 1]).map(|(a, b)| a - b).collect();
            let diff: Vec<f64> = real.iter().zip(&tilde).map(|(a, b)| a - b).collect();
            // Relative to how far W_l has moved, which is the part eq. 8 reconstructs.
            assert!(norm(&diff) < 1e-4 * norm(&moved), "layer {l}: W̃ off W by {}", norm(&diff));
            let a = angles[l - 1];
            assert!((a.real_deg - a.disturbed_deg).abs() < 1e-3, "{a:?}");
            assert_eq!(a.disturbed_to_new_deg, None);
        }
    }
}

#[test]
fn disturbed_copy_reproduces_the_weights_of_a_linear_fa_net() {
    check_disturbed_copy_is_exact(false);
    check_disturbed_copy_is_exact(true);
}

#[test]
fn disturbed_copy_with_fresh_feedback_follows_eq_8() {
    // A tanh∘ReLU net with biases; the copy's W̃ is recomputed here in f64 from
    // the same signals: W̃ += η² B_newᵀ S A[k]ᵀ + η f(L W_{l−1}[0] + b_l[k])ᵀ δ_{l+1}.
    let sizes = [5, 6, 4, 3];
    let (n_b, eta) = (6, 0.1f32);
    let mut net = fa_net(&sizes, Activation::TanhRelu, true, eta, 12);
    let mut stream = Rng::new(12, Purpose::Extra(4));
    let mut copy = DisturbedCopy::new(&net, DisturbedFeedback::Fresh(&mut stream)).unwrap();
    let l = 1;
    let (n_prev, n_layer, n_next) = (sizes[0], sizes[1], sizes[2]);
    let b_new = f64s(copy.layer(l).alignment_feedback());
    assert_ne!(copy.layer(l).alignment_feedback(), net.feedback(l).unwrap());
    let w_prev0 = f64s(net.weights(l - 1));
    let mut w_tilde = f64s(net.weights(l));
    let mut running = vec![0.0; n_next * n_prev];
    let mut rng = TestRng(41);
    for _ in 0..25 {
        let bias = f64s(net.bias(l - 1));
        let (x, y) = batch(&mut rng, &sizes, n_b);
        net.step(&x, &y, n_b).unwrap();
        copy.observe(&net).unwrap();
        let input = f64s(net.layer_output(l - 1));
        let delta_next = f64s(net.delta(l + 1));
        let a_k = mat_tn(n_b, n_next, n_prev, &delta_next, &input);
        let m = mat_nt(n_next, n_prev, n_next, &running, &a_k);
        let align = mat_tn(n_next, n_layer, n_next, &b_new, &m);
        let mut z0 = mat_nn(n_b, n_prev, n_layer, &input, &w_prev0);
        for (idx, z) in z0.iter_mut().enumerate() {
            *z = (*z + bias[idx % n_layer]).max(0.0).tanh();
        }
        let init = mat_tn(n_b, n_layer, n_next, &z0, &delta_next);
        for idx in 0..w_tilde.len() {
            w_tilde[idx] += (eta as f64).powi(2) * align[idx] + eta as f64 * init[idx];
        }
        running.iter_mut().zip(&a_k).for_each(|(s, a)| *s += a);
        let got = f64s(copy.layer(l).weights());
        assert!(rel_err(&got, &w_tilde) < 1e-5, "W̃ off the f64 reference by {}", rel_err(&got, &w_tilde));
    }
    let a = copy.angles(&net).unwrap()[l - 1];
    let want_new = angle_to_transpose_deg(&w_tilde, &b_new, n_layer, n_next);
    assert!((a.disturbed_to_new_deg.unwrap() - want_new).abs() < 1e-2, "{a:?} vs {want_new}");
    let want_old = angle_to_transpose_deg(&w_tilde, &f64s(net.feedback(l).unwrap()), n_layer, n_next);
    assert!((a.disturbed_deg - want_old).abs() < 1e-2, "{a:?} vs {want_old}");
}

#[test]
fn nonlinear_terms_reduce_to_linear_ones_when_f_is_linear() {
    // f' ≡ 1 and δ_l = δ_{l+1} B_l: eq. 4's terms are eq. 5's, order by order.
    let sizes = [5, 6, 4, 3];
    let (n_b, eta) = (6, 0.05f32);
    let mut net = fa_net(&sizes, Activation::Linear, true, eta, 21);
    boost_feedback(&mut net, 5.0);
    let mut linear = AlignmentTracker::new(&net, 12).unwrap();
    let mut nonlinear = NonlinearTracker::new(&net, 12).unwrap();
    let mut rng = TestRng(50);
    for _ in 0..20 {
        let (x, y) = batch(&mut rng, &sizes, n_b);
        net.step(&x, &y, n_b).unwrap();
        linear.observe(&net).unwrap();
        nonlinear.observe(&net).unwrap();
    }
    for l in 1..net.depth() {
        let b = net.feedback(l).unwrap();
        assert_eq!(nonlinear.window(l).max_order(), 12);
        for o in 1..=12 {
            let lin = f64s(&linear.window(l).linear_term(o, b, eta).unwrap());
            let non = f64s(&nonlinear.window(l).term(o, nonlinear.signals(&net, l), Activation::Linear, eta).unwrap());
            assert!(rel_err(&non, &lin) < 1e-4, "layer {l}, order {o}: {}", rel_err(&non, &lin));
        }
    }
    let (la, na) = (linear.linear_angles_deg(&net).unwrap(), nonlinear.angles_deg(&net).unwrap());
    for (lin, non) in la.iter().zip(&na) {
        assert_eq!(lin.len(), 12);
        for (a, b) in lin.iter().zip(non) {
            assert!((a - b).abs() < 1e-2, "{a} vs {b}");
        }
    }
}

#[test]
fn nonlinear_terms_match_eq_4_and_approximate_the_update() {
    // A tanh∘ReLU FA net. Each library term is checked against eq. 4 computed here
    // in f64 from recorded signals; then Σ_o T^o + η f(L W_{l−1}[0] + b_l[k])ᵀ δ_{l+1}
    // (a telescoped first-order Taylor expansion) must approximate ΔW_l[k] far
    // better than the linear terms do, and better as η shrinks.
    // Measured: η 0.02 → residual 6e-4 (linear 2e-2, initial term alone 2e-2);
    // η 0.005 → 4e-6 (linear 2e-2, initial term alone 7e-3).
    let sizes = [5, 6, 4, 3];
    let n_b = 6;
    let l = 1;
    let (n_prev, n_layer, n_next) = (sizes[0], sizes[1], sizes[2]);
    let mut residuals = Vec::new();
    for eta in [0.02f32, 0.005] {
        let mut net = fa_net(&sizes, Activation::TanhRelu, true, eta, 31);
        boost_feedback(&mut net, 3.0);
        let w_prev0 = f64s(net.weights(l - 1));
        let mut tracker = NonlinearTracker::new(&net, 40).unwrap();
        let mut linear = AlignmentTracker::new(&net, 40).unwrap();
        let mut rng = TestRng(60);
        // (D_l[j] = L_{l−1}[j]ᵀ δ_l[j], W_{l−1}[j]) recorded here.
        let mut history: Vec<(Vec<f64>, Vec<f64>)> = Vec::new();
        let steps = 24;
        for _ in 0..steps {
            let w_used = f64s(net.weights(l - 1));
            let (x, y) = batch(&mut rng, &sizes, n_b);
            net.step(&x, &y, n_b).unwrap();
            tracker.observe(&net).unwrap();
            linear.observe(&net).unwrap();
            let d = mat_tn(n_b, n_prev, n_layer, &f64s(net.layer_output(l - 1)), &f64s(net.delta(l)));
            history.push((d, w_used));
        }
        let k = steps - 1;
        let now = tracker.signals(&net, l);
        let (input, delta_next, bias) = (f64s(now.input), f64s(now.delta_next), f64s(now.bias));
        let mut sum = vec![0.0; n_layer * n_next];
        let mut lin_sum = vec![0.0; n_layer * n_next];
        let b = net.feedback(l).unwrap();
        for o in 1..=k {
            let (d, w) = &history[k - o];
            let mut zeta = mat_nn(n_b, n_prev, n_layer, &input, w);
            let mut masked = mat_nn(n_b, n_prev, n_layer, &input, d);
            for (idx, z) in zeta.iter_mut().enumerate() {
                *z += bias[idx % n_layer];
                let fprime = if *z > 0.0 { 1.0 - z.tanh().powi(2) } else { 0.0 };
                masked[idx] *= fprime;
            }
            let want: Vec<f64> =
                mat_tn(n_b, n_layer, n_next, &masked, &delta_next).iter().map(|v| (eta as f64).powi(2) * v).collect();
            let got = f64s(&tracker.window(l).term(o, now, Activation::TanhRelu, eta).unwrap());
            assert!(rel_err(&got, &want) < 1e-4, "order {o}: {}", rel_err(&got, &want));
            sum.iter_mut().zip(&got).for_each(|(s, g)| *s += g);
            let lin = f64s(&linear.window(l).linear_term(o, b, eta).unwrap());
            lin_sum.iter_mut().zip(&lin).for_each(|(s, g)| *s += g);
        }
        let mut z0 = mat_nn(n_b, n_prev, n_layer, &input, &w_prev0);
        for (idx, z) in z0.iter_mut().enumerate() {
            *z = (*z + bias[idx % n_layer]).max(0.0).tanh();
        }
        let init = mat_tn(n_b, n_layer, n_next, &z0, &delta_next);
        let actual = f64s(net.last_update(l));
        let with = |terms: &[f64]| -> Vec<f64> { terms.iter().zip(&init).map(|(t, i)| t + eta as f64 * i).collect() };
        let (err_nonlinear, err_linear, err_init) = (
            rel_err(&with(&sum), &actual),
            rel_err(&with(&lin_sum), &actual),
            rel_err(&with(&vec![0.0; sum.len()]), &actual),
        );
        eprintln!(
            "η {eta}: residual nonlinear {err_nonlinear:.2e}, linear {err_linear:.2e}, initial term only {err_init:.2e}"
        );
        assert!(err_nonlinear < 0.25 * err_init, "the terms must explain most of what W_{{l−1}}'s change did");
        assert!(err_nonlinear < 0.5 * err_linear, "eq. 4 keeps the masks eq. 5 drops");
        residuals.push(err_nonlinear);
    }
    // A second-order residual falls at least 4× when η falls 4× at a fixed number
    // of steps (here far more: at η = 0.02 a few units cross ReLU's kink).
    assert!(residuals[1] < residuals[0] / 4.0, "residual must shrink with η: {residuals:?}");
}

/// `A = δᵀ L` in f64 for a window check.
fn signal_product_f64(n_b: usize, n_prev: usize, n_next: usize, input: &[f32], delta: &[f32]) -> Vec<f64> {
    mat_tn(n_b, n_next, n_prev, &f64s(delta), &f64s(input))
}

#[test]
fn window_keeps_exactly_the_last_capacity_plus_one_products() {
    let shape = LayerShape::new(4, 3, 5).unwrap();
    let n_b = 3;
    let mut window = AlignmentWindow::new(shape, 5).unwrap();
    assert_eq!((window.steps(), window.max_order()), (0, 0));
    assert_eq!(window.bytes(), 6 * 5 * 4 * 4);
    assert!(window.product(0).is_none());
    let feedback: Vec<f32> = (0..15).map(|i| (i as f32 * 0.37).sin()).collect();
    assert!(window.linear_angles_deg(&feedback).unwrap().is_empty());
    let mut rng = TestRng(70);
    let mut pushed = Vec::new();
    for k in 0..12 {
        let input: Vec<f32> = rng.normals_f32(n_b * 4, 1.0);
        let delta: Vec<f32> = rng.normals_f32(n_b * 5, 1.0);
        window.push(&input, &delta, n_b).unwrap();
        pushed.push(signal_product_f64(n_b, 4, 5, &input, &delta));
        assert_eq!(window.max_order(), k.min(5));
    }
    for age in 0..=5 {
        let got = f64s(window.product(age).unwrap());
        assert!(rel_err(&got, &pushed[11 - age]) < 1e-6, "age {age}");
    }
    assert!(window.product(6).is_none());
    assert!(window.linear_term(6, &feedback, 1.0).is_err());
    assert!(window.linear_term(0, &feedback, 1.0).is_err());
    let angles = window.linear_angles_deg(&feedback).unwrap();
    assert_eq!(angles.len(), 5);
    for (o, got) in angles.iter().enumerate().map(|(i, a)| (i + 1, a)) {
        let m = mat_nt(5, 4, 5, &pushed[11 - o], &pushed[11]);
        let t = mat_tn(5, 3, 5, &f64s(&feedback), &m);
        let want = angle_to_transpose_deg(&t, &f64s(&feedback), 3, 5);
        assert!((got - want).abs() < 1e-3, "order {o}: {got} vs {want}");
    }
    // A rejected push leaves the window as it was.
    assert!(window.push(&[0.0; 5], &[0.0; 15], 3).is_err());
    assert!(window.push(&[0.0; 12], &[0.0; 15], 0).is_err());
    assert_eq!(window.steps(), 12);
    assert!(window.linear_angles_deg(&feedback[..14]).is_err());
    assert!(AlignmentWindow::new(shape, 0).is_err());
    assert!(LayerShape::new(0, 3, 5).is_err());
}

#[test]
fn autocorrelated_signals_give_terms_within_90_degrees_of_the_feedback() {
    // Constant L_{l−1} and δ_{l+1} (Fig. 2b's autocorrelation condition): every
    // M^o = A Aᵀ is symmetric positive semidefinite, so ⟨B_lᵀ M, B_lᵀ⟩ = tr(B_lᵀ M B_l) ≥ 0
    // and all orders share one angle below 90°. With fresh independent signals
    // each step (neither auto- nor cross-correlation) M^o has no preferred sign
    // and the angles fall on both sides of 90°.
    let shape = LayerShape::new(8, 6, 7).unwrap();
    let n_b = 5;
    let mut rng = TestRng(80);
    let feedback: Vec<f32> = rng.normals_f32(42, 0.1);
    let input: Vec<f32> = rng.normals_f32(n_b * 8, 1.0);
    let delta: Vec<f32> = rng.normals_f32(n_b * 7, 1.0);
    let mut constant = AlignmentWindow::new(shape, 30).unwrap();
    let mut fresh = AlignmentWindow::new(shape, 30).unwrap();
    for _ in 0..31 {
        constant.push(&input, &delta, n_b).unwrap();
        let x: Vec<f32> = rng.normals_f32(n_b * 8, 1.0);
        let e: Vec<f32> = rng.normals_f32(n_b * 7, 1.0);
        fresh.push(&x, &e, n_b).unwrap();
    }
    let angles = constant.linear_angles_deg(&feedback).unwrap();
    assert_eq!(angles.len(), 30);
    for a in &angles {
        assert!(*a < 90.0 && (a - angles[0]).abs() < 1e-9, "{angles:?}");
    }
    let random = fresh.linear_angles_deg(&feedback).unwrap();
    assert!(random.iter().any(|&a| a < 85.0) && random.iter().any(|&a| a > 95.0), "{random:?}");
}

#[test]
fn fa_training_on_a_repeated_batch_aligns_the_terms() {
    // The real tanh∘ReLU net trained by FA on one batch over and over: the signals
    // are strongly autocorrelated, so (as in Fig. 3b's early phase) the terms of
    // every order point within 90° of B_lᵀ, and so do the nonlinear ones.
    let sizes = [12, 10, 10, 8];
    let n_b = 16;
    let mut net = fa_net(&sizes, Activation::TanhRelu, true, 0.05, 5);
    let mut linear = AlignmentTracker::new(&net, 30).unwrap();
    let mut nonlinear = NonlinearTracker::new(&net, 10).unwrap();
    let mut rng = TestRng(90);
    let (x, y) = batch(&mut rng, &sizes, n_b);
    let x: Vec<f32> = x.iter().map(|v| v.abs()).collect();
    for _ in 0..40 {
        net.step(&x, &y, n_b).unwrap();
        linear.observe(&net).unwrap();
        nonlinear.observe(&net).unwrap();
    }
    for (l, angles) in linear.linear_angles_deg(&net).unwrap().iter().enumerate() {
        assert_eq!(angles.len(), 30);
        assert!(angles.iter().all(|&a| a < 90.0), "layer {}: {angles:?}", l + 1);
    }
    for (l, angles) in nonlinear.angles_deg(&net).unwrap().iter().enumerate() {
        assert_eq!(angles.len(), 10);
        assert!(angles.iter().all(|&a| a < 90.0), "layer {} (eq. 4): {angles:?}", l + 1);
    }
}

#[test]
fn trackers_insist_on_every_step_and_on_fa() {
    let sizes = [4, 5, 5, 3];
    let mut net = fa_net(&sizes, Activation::TanhRelu, true, 0.05, 1);
    let mut tracker = AlignmentTracker::new(&net, 5).unwrap();
    let mut nonlinear = NonlinearTracker::new(&net, 5).unwrap();
    let mut stream = Rng::new(1, Purpose::Extra(9));
    let mut copy = DisturbedCopy::new(&net, DisturbedFeedback::Fresh(&mut stream)).unwrap();
    let mut rng = TestRng(95);
    let (x, y) = batch(&mut rng, &sizes, 4);
    // Observing before any step, or twice after one step, is refused.
    assert!(tracker.observe(&net).is_err());
    net.step(&x, &y, 4).unwrap();
    tracker.observe(&net).unwrap();
    nonlinear.observe(&net).unwrap();
    copy.observe(&net).unwrap();
    assert!(tracker.observe(&net).is_err());
    assert!(nonlinear.observe(&net).is_err());
    assert!(copy.observe(&net).is_err());
    // A missed step is refused too.
    net.step(&x, &y, 4).unwrap();
    net.step(&x, &y, 4).unwrap();
    assert!(tracker.observe(&net).is_err());
    assert!(copy.angles(&net).unwrap().iter().all(|a| a.disturbed_to_new_deg.is_some()));
    // Alignment terms are defined for FA only.
    let bp = Network::new(NetConfig { rule: Rule::Backprop, ..net.config().clone() }, 1).unwrap();
    assert!(DisturbedCopy::new(&bp, DisturbedFeedback::Same).is_err());
    let bp_tracker = AlignmentTracker::new(&bp, 5).unwrap();
    assert!(bp_tracker.linear_angles_deg(&bp).is_err());
    // A net with no hidden weight layer between two others has nothing to track.
    assert!(LayerShape::of(&[4, 3], 1).is_err());
    assert!(LayerShape::of(&sizes, 0).is_err());
    assert!(LayerShape::of(&sizes, 3).is_err());
}

#[test]
fn memory_of_the_windows_for_the_paper_net() {
    // Documented figures (src/align.rs): linear window (O+1)·n_{l+1}·n_{l−1}·4 B,
    // nonlinear (O+1)·2·n_{l−1}·n_l·4 B. Layer 1 reads the 225 inputs.
    let sizes = [225, 50, 50, 50, 50, 50];
    let layer = |l| LayerShape::of(&sizes, l).unwrap();
    assert_eq!(AlignmentWindow::bytes_for(layer(1), 180), 181 * 50 * 225 * 4); // 8.1 MB
    assert_eq!(AlignmentWindow::bytes_for(layer(2), 180), 181 * 50 * 50 * 4); // 1.8 MB
    assert_eq!(NonlinearWindow::bytes_for(layer(1), DEFAULT_NONLINEAR_ORDERS), 61 * 2 * 225 * 50 * 4); // 5.5 MB
    let net = Network::new(NetConfig::paper(Rule::Feedback), 0).unwrap();
    let linear = AlignmentTracker::new(&net, 180).unwrap();
    assert_eq!(linear.bytes(), 181 * 4 * (50 * 225 + 3 * 50 * 50));
    assert!(linear.bytes() < 14_000_000);
    let nonlinear = NonlinearTracker::new(&net, DEFAULT_NONLINEAR_ORDERS).unwrap();
    assert!(nonlinear.bytes() < 10_000_000, "{}", nonlinear.bytes());
}
