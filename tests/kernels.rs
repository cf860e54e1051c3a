//! Kernel tests: products against an independent f64 computation, tanh against f64 tanh.

use fa_lab::kernels;

fn lcg(seed: &mut u64) -> f32 {
    *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    ((*seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
}

fn rand_vec(len: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..len).map(|_| lcg(&mut s)).collect()
}

#[test]
fn gemm_nn_matches_f64() {
    for &(m, k, n) in &[(1, 1, 1), (7, 17, 50), (17, 50, 7), (50, 225, 50)] {
        let a = rand_vec(m * k, 1);
        let b = rand_vec(k * n, 2);
        let mut c = vec![0.0; m * n];
        kernels::gemm_nn(m, k, n, &a, &b, &mut c);
        for i in 0..m {
            for j in 0..n {
                let (mut s, mut abs) = (0.0f64, 0.0f64);
                for p in 0..k {
                    let t = a[i * k + p] as f64 * b[p * n + j] as f64;
                    s += t;
                    abs += t.abs();
                }
                assert!((c[i * n + j] as f64 - s).abs() <= 1e-6 * abs + 1e-30, "({m},{k},{n}) [{i},{j}]");
            }
        }
    }
}

#[test]
fn tanh_close_to_f64() {
    for i in -20000..=20000 {
        let x = i as f32 * 1e-3;
        let y = kernels::tanh(x) as f64;
        assert!((y - (x as f64).tanh()).abs() <= 3e-7, "x={x}");
    }
}
