//! Kernel tests. Products are checked against an independent f64 computation
//! (error bound relative to Σ|a||b|), every SIMD path against the scalar
//! reference bit for bit, and tanh against f64 `tanh` in ulps.

use fa_lab::kernels::{self, Path, on, reference};

/// Deterministic values in [-1, 1) with a spread of magnitudes (so that the
/// order of summation matters for the bits).
fn rand_vec(len: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let u = ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0;
            let scale = [1.0, 0.01, 3.0, 1e-4][(s >> 20) as usize % 4];
            u * scale
        })
        .collect()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn simd_paths() -> Vec<Path> {
    Path::available().into_iter().filter(|&p| p != Path::Scalar).collect()
}

/// f64 product and Σ|a||b| for C[i][j] with A(i,p) = a_at(i,p), B(p,j) = b_at(p,j).
fn f64_check(name: &str, m: usize, k: usize, n: usize, c: &[f32], want: impl Fn(usize, usize) -> (f64, f64)) {
    for i in 0..m {
        for j in 0..n {
            let (s, abs) = want(i, j);
            // Recursive summation error bound, with the final rounding(s).
            let tol = (k as f64 + 3.0) * f32::EPSILON as f64 * abs + 1e-37;
            let got = c[i * n + j] as f64;
            assert!((got - s).abs() <= tol, "{name} ({m},{k},{n}) [{i},{j}]: {got} vs {s} (tol {tol})");
        }
    }
}

const SHAPES: &[(usize, usize, usize)] = &[
    (1, 1, 1),
    (7, 17, 50),
    (17, 7, 1),
    (50, 50, 50),
    (1000, 225, 50),
    (225, 1000, 50),
    (50, 1000, 17),
    (3, 1000, 7),
    (9, 5, 33),
    (13, 1, 66),
    (1, 225, 1000),
];

fn all_paths() -> Vec<Path> {
    Path::available()
}

/// gemm_nn (B stored k×n) or gemm_nt (B stored n×k) against f64 on every path.
fn check_nn_or_nt(transposed_b: bool) {
    for &(m, k, n) in SHAPES {
        let (a, b) = (rand_vec(m * k, 1), rand_vec(k * n, 2));
        let b_at = |p: usize, j: usize| if transposed_b { b[j * k + p] } else { b[p * n + j] };
        for path in all_paths() {
            let mut c = vec![f32::NAN; m * n];
            let name = if transposed_b { "gemm_nt" } else { "gemm_nn" };
            if transposed_b {
                on::gemm_nt(path, m, k, n, &a, &b, &mut c);
            } else {
                on::gemm_nn(path, m, k, n, &a, &b, &mut c);
            }
            f64_check(&format!("{name}/{}", path.name()), m, k, n, &c, |i, j| {
                (0..k).fold((0.0, 0.0), |(s, t), p| {
                    let x = a[i * k + p] as f64 * b_at(p, j) as f64;
                    (s + x, t + x.abs())
                })
            });
        }
    }
}

#[test]
fn gemm_nn_matches_f64_on_every_path() {
    check_nn_or_nt(false);
}

#[test]
fn gemm_nt_matches_f64_on_every_path() {
    check_nn_or_nt(true);
}

#[test]
fn gemm_tn_and_acc_match_f64_on_every_path() {
    let alpha = -0.37f32;
    for &(m, k, n) in SHAPES {
        let (a, b) = (rand_vec(k * m, 5), rand_vec(k * n, 6));
        let c0 = rand_vec(m * n, 7);
        let dot = |i: usize, j: usize| {
            (0..k).fold((0.0, 0.0), |(s, t), p| {
                let x = a[p * m + i] as f64 * b[p * n + j] as f64;
                (s + x, t + x.abs())
            })
        };
        for path in all_paths() {
            let mut c = vec![f32::NAN; m * n];
            on::gemm_tn(path, m, k, n, alpha, &a, &b, &mut c);
            f64_check(&format!("gemm_tn/{}", path.name()), m, k, n, &c, |i, j| {
                let (s, t) = dot(i, j);
                (alpha as f64 * s, alpha.abs() as f64 * t)
            });
            let mut c = c0.clone();
            on::gemm_tn_acc(path, m, k, n, alpha, &a, &b, &mut c);
            f64_check(&format!("gemm_tn_acc/{}", path.name()), m, k, n, &c, |i, j| {
                let (s, t) = dot(i, j);
                (c0[i * n + j] as f64 + alpha as f64 * s, c0[i * n + j].abs() as f64 + alpha.abs() as f64 * t)
            });
        }
    }
}

/// Every SIMD path gives the scalar reference's bits, for every product, over
/// shapes that exercise each column tail (n = 1..=70) and row tail (m = 1..=19).
#[test]
fn products_bit_identical_to_reference_on_every_path() {
    let mut shapes = Vec::new();
    for n in 1..=70 {
        shapes.push((1 + n % 19, 1 + (n * 7) % 40, n));
    }
    shapes.extend([
        (1000, 225, 50),
        (225, 1000, 50),
        (50, 1000, 50),
        (33, 20, 17),
        (64, 9, 5),
        (100, 30, 3),
        (17, 4, 31),
    ]);
    // Long k, taken in chunks with the running sums carried over: every row
    // and column tail, a k just at and just past the chunking threshold.
    shapes.extend([(19, 300, 70), (7, 129, 13), (23, 257, 9), (3, 128, 1), (14, 127, 22)]);
    shapes.extend([(8, 0, 5), (0, 3, 4), (5, 3, 0)]);
    for (si, &(m, k, n)) in shapes.iter().enumerate() {
        let a = rand_vec(m * k, 10 + si as u64);
        let b = rand_vec(k * n, 20 + si as u64);
        let c0 = rand_vec(m * n, 30 + si as u64);
        let alpha = 0.001 * (si as f32 + 1.0);
        let mut want = vec![vec![0.0f32; m * n]; 4];
        reference::gemm_nn(m, k, n, &a, &b, &mut want[0]);
        reference::gemm_nt(m, k, n, &a, &b, &mut want[1]);
        reference::gemm_tn(m, k, n, alpha, &a, &b, &mut want[2]);
        want[3].copy_from_slice(&c0);
        reference::gemm_tn_acc(m, k, n, alpha, &a, &b, &mut want[3]);
        for path in simd_paths() {
            let mut got = vec![vec![f32::NAN; m * n]; 4];
            on::gemm_nn(path, m, k, n, &a, &b, &mut got[0]);
            on::gemm_nt(path, m, k, n, &a, &b, &mut got[1]);
            on::gemm_tn(path, m, k, n, alpha, &a, &b, &mut got[2]);
            got[3].copy_from_slice(&c0);
            on::gemm_tn_acc(path, m, k, n, alpha, &a, &b, &mut got[3]);
            for (q, name) in ["nn", "nt", "tn", "tn_acc"].iter().enumerate() {
                assert_eq!(bits(&got[q]), bits(&want[q]), "gemm_{name} on {} ({m},{k},{n})", path.name());
            }
        }
    }
}

/// `rand_vec` with about `zero_pct` % of the elements set to +0 or −0 (as
/// activations after ReLU and the δ behind them are), so the kernels' sparse
/// path (A with many exact zeros) runs.
fn sparse_vec(len: usize, seed: u64, zero_pct: u64) -> Vec<f32> {
    let mut v = rand_vec(len, seed);
    let mut s = seed | 1;
    for x in &mut v {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        if (s >> 33) % 100 < zero_pct {
            *x = if (s >> 20) & 1 == 0 { 0.0 } else { -0.0 };
        }
    }
    v
}

/// Products whose A or B is mostly exact zeros (the sparse paths: from A's
/// nonzero terms, and for `gemm_tn` as `Cᵀ = Bᵀ·A` from B's) give the
/// reference's bits on every path: zero fractions from none to all, a whole
/// row of A or column of B of zeros, ±∞ and NaN in A, and ±∞ or NaN in B
/// (where 0·∞ = NaN must still be added, so the product is computed densely).
#[test]
fn products_with_zeros_bit_identical_to_reference() {
    for zeros_in_b in [false, true] {
        products_with_zeros(zeros_in_b);
    }
}

fn products_with_zeros(zeros_in_b: bool) {
    let shapes = [
        (1000, 50, 50),
        (1000, 225, 50),
        (1000, 50, 225),
        (50, 1000, 50),
        (225, 200, 50),
        (19, 33, 70),
        (9, 17, 8),
        (13, 40, 23),
    ];
    let mut cases = 0;
    for (si, &(m, k, n)) in shapes.iter().enumerate() {
        for (zi, zero_pct) in [0u64, 30, 50, 90, 100].into_iter().enumerate() {
            for special in 0..4 {
                let seed = (si * 40 + zi * 4 + special) as u64 + 1000 * zeros_in_b as u64;
                let (mut a, mut b) = if zeros_in_b {
                    (rand_vec(m * k, 100 + seed), sparse_vec(k * n, 200 + seed, zero_pct))
                } else {
                    (sparse_vec(m * k, 100 + seed, zero_pct), rand_vec(k * n, 200 + seed))
                };
                let c0 = rand_vec(m * n, 300 + seed);
                let alpha = 0.003;
                for p in 0..k {
                    if zeros_in_b {
                        // B's column 0 all zeros (C's first column).
                        b[p * n] = if p % 2 == 0 { 0.0 } else { -0.0 };
                    } else {
                        // A's row 0 all zeros (in both layouts' first row of C).
                        a[p] = 0.0;
                        a[p * m] = -0.0;
                    }
                }
                match special {
                    1 => {
                        a[(k * m) / 2] = f32::INFINITY;
                        a[(k * m) / 3] = f32::NAN;
                    }
                    2 => b[(k * n) / 2] = f32::NEG_INFINITY,
                    3 => b[k * n - 1] = f32::NAN,
                    _ => {}
                }
                let mut want = vec![vec![0.0f32; m * n]; 3];
                reference::gemm_nn(m, k, n, &a, &b, &mut want[0]);
                reference::gemm_tn(m, k, n, alpha, &a, &b, &mut want[1]);
                want[2].copy_from_slice(&c0);
                reference::gemm_tn_acc(m, k, n, alpha, &a, &b, &mut want[2]);
                for path in simd_paths() {
                    let mut got = vec![vec![f32::NAN; m * n]; 3];
                    on::gemm_nn(path, m, k, n, &a, &b, &mut got[0]);
                    on::gemm_tn(path, m, k, n, alpha, &a, &b, &mut got[1]);
                    got[2].copy_from_slice(&c0);
                    on::gemm_tn_acc(path, m, k, n, alpha, &a, &b, &mut got[2]);
                    for (q, name) in ["nn", "tn", "tn_acc"].iter().enumerate() {
                        // NaN payloads are not specified: compare NaN as NaN, everything else by bits.
                        let canon = |v: &[f32]| {
                            v.iter().map(|x| if x.is_nan() { u32::MAX } else { x.to_bits() }).collect::<Vec<_>>()
                        };
                        assert_eq!(
                            canon(&got[q]),
                            canon(&want[q]),
                            "gemm_{name} on {} ({m},{k},{n}), {zero_pct} % zeros in {}, case {special}",
                            path.name(),
                            if zeros_in_b { "B" } else { "A" }
                        );
                    }
                    cases += 1;
                }
            }
        }
    }
    assert!(cases > 0 || simd_paths().is_empty());
}

/// The documented contract of gemm_tn_acc: the bits of gemm_tn into t, then c + t.
#[test]
fn gemm_tn_acc_is_gemm_tn_then_add() {
    let (m, k, n) = (50, 1000, 50);
    let (a, b, c0) = (rand_vec(k * m, 40), rand_vec(k * n, 41), rand_vec(m * n, 42));
    for path in all_paths() {
        let mut t = vec![0.0; m * n];
        on::gemm_tn(path, m, k, n, 1e-3, &a, &b, &mut t);
        let want: Vec<f32> = c0.iter().zip(&t).map(|(c, t)| c + t).collect();
        let mut c = c0.clone();
        on::gemm_tn_acc(path, m, k, n, 1e-3, &a, &b, &mut c);
        assert_eq!(bits(&c), bits(&want), "{}", path.name());
    }
}

/// Distance in ulps between two finite f32 of the same sign.
fn ulps(a: f32, b: f32) -> u32 {
    (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
}

#[test]
fn tanh_within_2_ulp_of_f64_tanh_on_a_dense_grid() {
    let mut worst = (0u32, 0.0f32);
    // Every 61st positive f32 from the smallest subnormal up to 20 (about 18M values).
    let top = 20.0f32.to_bits();
    let mut bits_x = 1u32;
    while bits_x <= top {
        let x = f32::from_bits(bits_x);
        let y = kernels::tanh(x);
        let want = (x as f64).tanh() as f32;
        let d = ulps(y, want);
        if d > worst.0 {
            worst = (d, x);
        }
        // Odd symmetry holds exactly (sign copied onto the result).
        assert_eq!(kernels::tanh(-x).to_bits(), (-y).to_bits(), "x = {x}");
        bits_x += 61;
    }
    println!("tanh: worst {} ulp at x = {:e}", worst.0, worst.1);
    assert!(worst.0 <= 2, "tanh: {} ulp at x = {:e}", worst.0, worst.1);
}

#[test]
fn tanh_special_values() {
    assert_eq!(kernels::tanh(0.0).to_bits(), 0.0f32.to_bits());
    assert_eq!(kernels::tanh(-0.0).to_bits(), (-0.0f32).to_bits());
    for x in [1e-30f32, 1e-20, 1e-10, f32::MIN_POSITIVE, 1e-40, f32::from_bits(1)] {
        assert_eq!(kernels::tanh(x), x, "tiny x = {x:e}");
        assert_eq!(kernels::tanh(-x), -x, "tiny x = {x:e}");
    }
    for x in [9.1f32, 10.0, 50.0, 1e30, f32::MAX, f32::INFINITY] {
        assert_eq!(kernels::tanh(x), 1.0, "x = {x}");
        assert_eq!(kernels::tanh(-x), -1.0, "x = {x}");
    }
    assert!(kernels::tanh(f32::NAN).is_nan());
    assert!(kernels::tanh(-f32::NAN).is_nan());
    // Values in (0, 1) stay below 1 until tanh really rounds to 1.
    assert!(kernels::tanh(8.0) < 1.0);
    assert!(kernels::tanh(1.0) > 0.76 && kernels::tanh(1.0) < 0.7616);
}

/// The vector tanh of every path gives the scalar tanh's bits, specials included.
#[test]
fn tanh_bit_identical_on_every_path() {
    let mut xs: Vec<f32> = (0..400_000).map(|i| f32::from_bits(i * 5_351 + 7)).collect();
    xs.extend([0.0, -0.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN, f32::MAX, f32::MIN, 1e-45, 9.0, 10.0, 10.5]);
    let xs: Vec<f32> = xs.into_iter().filter(|x| !x.is_nan()).collect();
    let want: Vec<f32> = xs.iter().map(|&x| kernels::tanh(x)).collect();
    for path in all_paths() {
        let mut got = xs.clone();
        on::tanh_slice(path, &mut got);
        assert_eq!(bits(&got), bits(&want), "{}", path.name());
        let mut nan = vec![f32::NAN; 19];
        on::tanh_slice(path, &mut nan);
        assert!(nan.iter().all(|v| v.is_nan()), "{}", path.name());
    }
}

#[test]
fn activations_match_their_definitions_on_every_path() {
    // (100, 1) and (37, 3): a bias period shorter than a vector step of bias_tanh_relu.
    for &(rows, n) in &[(1, 1), (3, 7), (1000, 50), (5, 17), (2, 33), (4, 225), (100, 1), (37, 3)] {
        let mut z0 = rand_vec(rows * n, 50);
        z0[0] = -0.0;
        // NaN, ±∞ and values beyond tanh's clamp, inside the vector part.
        for (i, v) in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 12.5, -40.0, 9.99].into_iter().enumerate() {
            if let Some(z) = z0.get_mut(1 + 7 * i) {
                *z = v;
            }
        }
        let bias = rand_vec(n, 51);
        let g0 = rand_vec(rows * n, 52);
        // Independent definitions.
        let relu_tanh: Vec<f32> = z0
            .iter()
            .enumerate()
            .map(|(i, &z)| {
                let s = z + bias[i % n];
                kernels::tanh(if s > 0.0 { s } else { 0.0 })
            })
            .collect();
        let lin: Vec<f32> = z0.iter().enumerate().map(|(i, &z)| z + bias[i % n]).collect();
        let deriv: Vec<f32> =
            g0.iter().zip(&relu_tanh).map(|(&g, &a)| g * if a > 0.0 { 1.0 - a * a } else { 0.0 }).collect();
        for path in all_paths() {
            let mut z = z0.clone();
            on::bias_tanh_relu(path, &mut z, &bias);
            assert_eq!(bits(&z), bits(&relu_tanh), "bias_tanh_relu {} ({rows}x{n})", path.name());
            assert!(z.iter().all(|&v| (0.0..=1.0).contains(&v)) && z[0].to_bits() != (-0.0f32).to_bits());
            let mut l = z0.clone();
            on::add_bias(path, &mut l, &bias);
            assert_eq!(bits(&l), bits(&lin), "add_bias {}", path.name());
            let mut g = g0.clone();
            on::mul_tanh_relu_deriv(path, &mut g, &relu_tanh);
            assert_eq!(bits(&g), bits(&deriv), "mul_tanh_relu_deriv {}", path.name());
        }
    }
}

#[test]
fn bias_tanh_relu_close_to_f64() {
    let (rows, n) = (40, 50);
    let z0: Vec<f32> = rand_vec(rows * n, 60).iter().map(|v| v * 4.0).collect();
    let bias = rand_vec(n, 61);
    let mut z = z0.clone();
    kernels::bias_tanh_relu(&mut z, &bias);
    for (i, (&v, &z)) in z.iter().zip(&z0).enumerate() {
        let s = (z + bias[i % n]) as f64;
        let want = s.max(0.0).tanh();
        assert!((v as f64 - want).abs() <= 4.0 * f32::EPSILON as f64 * want.max(1e-30), "{v} vs {want}");
    }
}

#[test]
fn col_sum_matches_f64_and_reference_bits() {
    for &(rows, n) in &[(1, 1), (1000, 50), (7, 17), (3, 225), (0, 5)] {
        let x = rand_vec(rows * n, 70);
        let alpha = 1e-3;
        let mut want = vec![0.0; n];
        reference::col_sum(rows, n, alpha, &x, &mut want);
        for j in 0..n {
            let (s, t) =
                (0..rows).fold((0.0f64, 0.0f64), |(s, t), r| (s + x[r * n + j] as f64, t + x[r * n + j].abs() as f64));
            let tol = (rows as f64 + 2.0) * f32::EPSILON as f64 * alpha as f64 * t + 1e-37;
            assert!((want[j] as f64 - alpha as f64 * s).abs() <= tol);
        }
        for path in all_paths() {
            let mut got = vec![f32::NAN; n];
            on::col_sum(path, rows, n, alpha, &x, &mut got);
            assert_eq!(bits(&got), bits(&want), "col_sum {} ({rows}x{n})", path.name());
        }
    }
}

#[test]
fn paths_by_name_and_selection() {
    for p in Path::ALL {
        assert_eq!(Path::from_name(p.name()).unwrap(), p);
    }
    assert!(Path::from_name("avx9").is_err());
    assert!(Path::available().contains(&Path::Scalar));
    assert!(Path::best().is_available());
    #[cfg(target_arch = "x86_64")]
    assert!(kernels::set_path(Path::Simd128).is_err());
}

#[test]
fn bench_kernel_step_is_the_networks_fa_step_bit_for_bit() {
    use fa_lab::bench::{BATCH, ETA, KernelStep, SEED, STEPS, SyntheticData};
    use fa_lab::net::{NetConfig, Network, Rule};
    let mut cfg = NetConfig::paper(Rule::Feedback);
    cfg.eta = ETA;
    let mut net = Network::new(cfg, SEED).unwrap();
    let mut k = KernelStep::from_network(&net).unwrap();
    let data = SyntheticData::new(SEED);
    for s in 0..8 {
        let (x, y) = data.batch(s % STEPS);
        net.step(x, y, BATCH).unwrap();
        k.step(x, y);
    }
    for l in 0..net.depth() {
        assert!(net.weights(l).iter().any(|&w| w != 0.0));
        assert_eq!(bits(k.weights(l)), bits(net.weights(l)), "W_{l} differs after 8 steps");
        assert_eq!(bits(k.bias(l)), bits(net.bias(l)), "b after W_{l} differs after 8 steps");
    }
    // A network it does not model is refused, not mis-stepped.
    assert!(KernelStep::from_network(&Network::new(NetConfig::paper(Rule::Backprop), 0).unwrap()).is_err());
}
