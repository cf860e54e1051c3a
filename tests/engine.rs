//! The numerical core against independent computations: gradients by finite
//! differences on an f64 reference network, docs/math.md §2's sanity laws, WN, angles,
//! N-hot codes, determinism, divergence. None of these needs the MNIST asset.

use fa_lab::Error;
use fa_lab::codes::NHotCodes;
use fa_lab::data::{Mnist15, N_PIXELS, Split};
use fa_lab::metrics::{angle_deg, angle_transposed_deg, cosine, fro_norm};
use fa_lab::net::{Activation, NetConfig, Network, Rule};
use fa_lab::rng::{Purpose, Rng};
use fa_lab::train::{TrainConfig, Trainer};

// ---------- helpers -------------------------------------------------------

fn config(sizes: &[usize], rule: Rule, eta: f32) -> NetConfig {
    NetConfig { sizes: sizes.to_vec(), rule, eta, weight_norm: None, activation: Activation::TanhRelu, use_bias: true }
}

/// Inputs uniform in [0, 1) and 0/1 targets, from a test-only stream.
fn random_batch(seed: u64, n_b: usize, n_in: usize, n_out: usize) -> (Vec<f32>, Vec<f32>) {
    let mut rng = Rng::new(seed, Purpose::Extra(1000));
    let x = (0..n_b * n_in).map(|_| rng.uniform() as f32).collect();
    let y = (0..n_b * n_out).map(|_| if rng.below(3) == 0 { 1.0 } else { 0.0 }).collect();
    (x, y)
}

fn transpose(m: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut t = vec![0.0; m.len()];
    for i in 0..rows {
        for j in 0..cols {
            t[j * rows + i] = m[i * cols + j];
        }
    }
    t
}

fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    let diff: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt();
    let norm: f64 = b.iter().map(|y| y * y).sum::<f64>().sqrt();
    diff / norm
}

/// The f64 reference loss `½ Σ (f(…f(X W_0 + b_1)…) − Y*)²` with std's tanh,
/// from `params_flat`'s layout (all W, then all b).
fn reference_loss(sizes: &[usize], params: &[f64], activation: Activation, x: &[f32], y: &[f32], n_b: usize) -> f64 {
    let d = sizes.len() - 1;
    let mut offsets = Vec::new();
    let mut at = 0;
    for l in 0..d {
        offsets.push(at);
        at += sizes[l] * sizes[l + 1];
    }
    let mut bias_at = at;
    let mut layer: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    for l in 0..d {
        let (n_in, n_out) = (sizes[l], sizes[l + 1]);
        let w = &params[offsets[l]..offsets[l] + n_in * n_out];
        let b = &params[bias_at..bias_at + n_out];
        bias_at += n_out;
        let mut next = vec![0.0; n_b * n_out];
        for r in 0..n_b {
            for j in 0..n_out {
                let z: f64 = b[j] + (0..n_in).map(|i| layer[r * n_in + i] * w[i * n_out + j]).sum::<f64>();
                next[r * n_out + j] = match activation {
                    Activation::TanhRelu => z.max(0.0).tanh(),
                    Activation::Linear => z,
                };
            }
        }
        layer = next;
    }
    layer.iter().zip(y).map(|(&o, &t)| 0.5 * (o - t as f64).powi(2)).sum()
}

/// A learnable stand-in for MNIST: ten random prototype images plus noise.
fn synthetic_data(seed: u64, n_train: usize, n_test: usize) -> Mnist15 {
    let mut rng = Rng::new(seed, Purpose::Extra(2000));
    let prototypes: Vec<Vec<u8>> =
        (0..10).map(|_| (0..N_PIXELS).map(|_| if rng.below(4) == 0 { 220 } else { 10 }).collect()).collect();
    let mut split = |n: usize| {
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        let pixels: Vec<u8> = labels
            .iter()
            .flat_map(|&c| prototypes[c as usize].clone())
            .map(|p| (p as usize + rng.below(30)).min(255) as u8)
            .collect();
        Split::new(pixels, labels)
    };
    let train = split(n_train);
    let test = split(n_test);
    Mnist15 { train, test }
}

fn small_train_config(rule: Rule, eta: f32, seed: u64) -> TrainConfig {
    TrainConfig {
        net: config(&[N_PIXELS, 50, 50, 50], rule, eta),
        epochs: 8,
        batch: 20,
        shuffle: true,
        label_shuffle: 0.0,
        update_angles: false,
        seed,
        n_train: None,
        control_feedback: false,
    }
}

// ---------- docs/math.md §2: gradients and the sanity laws ------------------------

/// BP's ΔW and Δb equal −η ∂𝓛/∂θ, the gradient taken by central differences of an
/// independent f64 network, for every layer (tanh∘ReLU and linear units).
#[test]
fn bp_update_is_minus_eta_times_the_finite_difference_gradient() {
    let sizes = [6, 5, 4, 3];
    let n_b = 7;
    for activation in [Activation::TanhRelu, Activation::Linear] {
        let eta = 0.01;
        let mut net = Network::new(NetConfig { activation, ..config(&sizes, Rule::Backprop, eta) }, 3).unwrap();
        let (x, y) = random_batch(4, n_b, sizes[0], sizes[3]);
        let before: Vec<f64> = net.params_flat().iter().map(|&p| p as f64).collect();
        net.step(&x, &y, n_b).unwrap();

        let h = 1e-6;
        let mut fd_update = Vec::new();
        for i in 0..before.len() {
            let (mut plus, mut minus) = (before.clone(), before.clone());
            plus[i] += h;
            minus[i] -= h;
            let grad = (reference_loss(&sizes, &plus, activation, &x, &y, n_b)
                - reference_loss(&sizes, &minus, activation, &x, &y, n_b))
                / (2.0 * h);
            fd_update.push(-(eta as f64) * grad);
        }
        let mut at = 0;
        for l in 0..3 {
            let n = sizes[l] * sizes[l + 1];
            let got: Vec<f64> = net.last_update(l).iter().map(|&v| v as f64).collect();
            let err = rel_err(&got, &fd_update[at..at + n]);
            assert!(err < 1e-3, "{activation:?} ΔW_{l}: relative error {err}");
            at += n;
        }
        for l in 0..3 {
            let n = sizes[l + 1];
            let got: Vec<f64> = net.last_bias_update(l).iter().map(|&v| v as f64).collect();
            let err = rel_err(&got, &fd_update[at..at + n]);
            assert!(err < 1e-3, "{activation:?} Δb after W_{l}: relative error {err}");
            at += n;
        }
        // The update was applied: θ_new = θ_old + Δθ.
        let after = net.params_flat();
        let moved: Vec<f64> = after.iter().zip(&before).map(|(&a, &b)| a as f64 - b).collect();
        assert!(rel_err(&moved, &fd_update) < 1e-3, "{activation:?}: parameters did not move by Δθ");
    }
}

/// docs/math.md §2: FA with B_l = W_lᵀ set before every step gives exactly BP's trajectory.
/// The kernels sum in ascending k for A·Bᵀ and A·B alike, so it is bit for bit.
#[test]
fn fa_with_feedback_set_to_w_transpose_follows_bp_bit_for_bit() {
    let sizes = [8, 7, 6, 5, 4];
    let mut bp = Network::new(config(&sizes, Rule::Backprop, 0.05), 9).unwrap();
    let mut fa = Network::new(config(&sizes, Rule::Feedback, 0.05), 9).unwrap();
    assert_eq!(bp.params_flat(), fa.params_flat(), "one seed must give one initialisation whatever the rule");
    for k in 0..6 {
        let (x, y) = random_batch(100 + k, 11, sizes[0], sizes[4]);
        for l in 1..4 {
            fa.set_feedback(l, &transpose(fa.weights(l), sizes[l], sizes[l + 1])).unwrap();
        }
        let a = bp.step(&x, &y, 11).unwrap();
        let b = fa.step(&x, &y, 11).unwrap();
        assert_eq!(a.loss.to_bits(), b.loss.to_bits(), "step {k}: losses differ");
    }
    assert_eq!(bp.params_flat(), fa.params_flat());
    // And without the reset FA goes its own way.
    let mut fa_free = Network::new(config(&sizes, Rule::Feedback, 0.05), 9).unwrap();
    let (x, y) = random_batch(100, 11, sizes[0], sizes[4]);
    fa_free.step(&x, &y, 11).unwrap();
    let mut bp_once = Network::new(config(&sizes, Rule::Backprop, 0.05), 9).unwrap();
    bp_once.step(&x, &y, 11).unwrap();
    assert_ne!(fa_free.params_flat(), bp_once.params_flat());
}

/// δ_l of FA is (δ_{l+1} B_l) ⊙ f'(Z_l) and of DFA (δ_d D_l) ⊙ f'(Z_l), recomputed
/// in f64 from the recorded signals; δ_d = −E ⊙ f'(Z_d) for both.
#[test]
fn fa_and_dfa_deltas_follow_their_feedback_matrices() {
    let sizes = [6, 5, 5, 4];
    let d = 3;
    for rule in [Rule::Feedback, Rule::Direct] {
        let mut net = Network::new(config(&sizes, rule, 0.01), 21).unwrap();
        let (x, y) = random_batch(22, 9, sizes[0], sizes[d]);
        net.step(&x, &y, 9).unwrap();
        let fprime = |a: f32| if a > 0.0 { 1.0 - a as f64 * a as f64 } else { 0.0 };
        let out = net.layer_output(d);
        let expect_d: Vec<f64> = out.iter().zip(&y).map(|(&o, &t)| -(o as f64 - t as f64) * fprime(o)).collect();
        let got_d: Vec<f64> = net.delta(d).iter().map(|&v| v as f64).collect();
        assert!(rel_err(&got_d, &expect_d) < 1e-6, "{rule:?} δ_d");
        for l in 1..d {
            let source = if rule == Rule::Direct { d } else { l + 1 };
            let m = net.feedback(l).unwrap();
            let (n_src, n_l) = (sizes[source], sizes[l]);
            assert_eq!(m.len(), n_src * n_l, "{rule:?} feedback {l} shape");
            let delta_src = net.delta(source);
            let a = net.layer_output(l);
            let mut expect = vec![0.0; 9 * n_l];
            for r in 0..9 {
                for j in 0..n_l {
                    let s: f64 = (0..n_src).map(|k| delta_src[r * n_src + k] as f64 * m[k * n_l + j] as f64).sum();
                    expect[r * n_l + j] = s * fprime(a[r * n_l + j]);
                }
            }
            let got: Vec<f64> = net.delta(l).iter().map(|&v| v as f64).collect();
            assert!(rel_err(&got, &expect) < 1e-5, "{rule:?} δ_{l}");
        }
    }
}

/// Sign-symmetry feeds back s_l sign(W_l)ᵀ of the pre-step weights, s_l = mean |W_l|.
#[test]
fn sign_symmetry_uses_scaled_signs_of_the_pre_step_weights() {
    let sizes = [6, 5, 4, 3];
    let mut net = Network::new(config(&sizes, Rule::SignSymmetry, 0.01), 5).unwrap();
    let before: Vec<Vec<f32>> = (0..3).map(|l| net.weights(l).to_vec()).collect();
    let (x, y) = random_batch(6, 8, 6, 3);
    net.step(&x, &y, 8).unwrap();
    for l in 1..3 {
        let w = &before[l];
        let s = w.iter().map(|v| v.abs() as f64).sum::<f64>() / w.len() as f64;
        let expect: Vec<f32> = transpose(w, sizes[l], sizes[l + 1]).iter().map(|&v| (s as f32) * v.signum()).collect();
        assert_eq!(net.feedback(l).unwrap(), &expect[..], "layer {l}");
    }
}

/// Kolen–Pollack: B_l receives ΔW_lᵀ and both decay by 1 − λ, so B_l − W_lᵀ shrinks
/// by exactly (1 − λ) per step (λ = 0: it stays put).
#[test]
fn kolen_pollack_shrinks_the_gap_between_feedback_and_weights() {
    let sizes = [6, 5, 4, 3];
    for decay in [0.0f32, 0.1] {
        let mut net = Network::new(config(&sizes, Rule::KolenPollack { decay }, 0.05), 8).unwrap();
        let gap = |net: &Network, l: usize| -> Vec<f32> {
            let wt = transpose(net.weights(l), sizes[l], sizes[l + 1]);
            net.feedback(l).unwrap().iter().zip(&wt).map(|(b, w)| b - w).collect()
        };
        let initial: Vec<f64> = (1..3).map(|l| fro_norm(&gap(&net, l))).collect();
        let steps = 20;
        for k in 0..steps {
            let (x, y) = random_batch(300 + k, 10, 6, 3);
            net.step(&x, &y, 10).unwrap();
        }
        for l in 1..3 {
            let expect = initial[l - 1] * (1.0 - decay as f64).powi(steps as i32);
            let got = fro_norm(&gap(&net, l));
            assert!(
                (got - expect).abs() <= 1e-5 * initial[l - 1],
                "λ = {decay}, layer {l}: gap {got}, expected {expect}"
            );
        }
    }
}

/// Kolen–Pollack decays the transported pairs (W_l, B_l), not W_0 (docs/math.md §9,
/// "Kolen–Pollack decay"): with all-zero inputs W_0's update is exactly 0, so
/// W_0 stays bit for bit what it was, while a decay would shrink it by 1 − λ a step.
#[test]
fn kolen_pollack_leaves_w0_undecayed() {
    let sizes = [6, 5, 4, 3];
    let mut net = Network::new(config(&sizes, Rule::KolenPollack { decay: 0.1 }, 0.05), 9).unwrap();
    let w0 = net.weights(0).to_vec();
    let w1_norm = fro_norm(net.weights(1));
    for k in 0..5 {
        let (_, y) = random_batch(400 + k, 10, 6, 3);
        net.step(&[0.0; 60], &y, 10).unwrap();
    }
    assert_eq!(net.weights(0), &w0[..], "W_0 has no B and is not decayed");
    assert!(fro_norm(net.weights(1)) < 0.9 * w1_norm, "W_1 is decayed with its B_1");
}

// ---------- docs/math.md §3: weight normalisation ---------------------------------

/// With WN every column of every W_l has norm γ at creation and after each step, and
/// the feedback rows have norm γ at creation and stay fixed (FA).
#[test]
fn weight_normalisation_keeps_every_column_at_gamma() {
    let sizes = [7, 6, 5, 4];
    let gamma = 1.7f32;
    let cfg = NetConfig { weight_norm: Some(gamma), ..config(&sizes, Rule::Feedback, 0.05) };
    let mut net = Network::new(cfg, 12).unwrap();
    let feedback_at_start: Vec<Vec<f32>> = (1..3).map(|l| net.feedback(l).unwrap().to_vec()).collect();
    let check = |net: &Network, when: &str| {
        for l in 0..3 {
            let (rows, cols) = (sizes[l], sizes[l + 1]);
            for j in 0..cols {
                let norm = (0..rows).map(|i| (net.weights(l)[i * cols + j] as f64).powi(2)).sum::<f64>().sqrt();
                assert!((norm - gamma as f64).abs() < 1e-5, "{when}: W_{l} column {j} has norm {norm}");
            }
        }
        for (l, &n_l) in sizes.iter().enumerate().take(3).skip(1) {
            for (j, row) in net.feedback(l).unwrap().chunks(n_l).enumerate() {
                let norm = row.iter().map(|&v| (v as f64).powi(2)).sum::<f64>().sqrt();
                assert!((norm - gamma as f64).abs() < 1e-5, "{when}: B_{l} row {j} has norm {norm}");
            }
        }
    };
    check(&net, "at creation");
    for k in 0..5 {
        let (x, y) = random_batch(40 + k, 10, 7, 4);
        net.step(&x, &y, 10).unwrap();
        check(&net, &format!("after step {k}"));
    }
    for l in 1..3 {
        assert_eq!(net.feedback(l).unwrap(), &feedback_at_start[l - 1][..], "FA's B_{l} changed");
    }
}

// ---------- docs/math.md §4: angles -----------------------------------------------

#[test]
fn angles_of_known_pairs() {
    let w: Vec<f32> = (0..12).map(|i| (i as f32 * 0.37).sin()).collect();
    let neg: Vec<f32> = w.iter().map(|v| -v).collect();
    assert_eq!(angle_deg(&w, &w), 0.0, "a matrix with itself");
    assert!((angle_deg(&w, &neg) - 180.0).abs() < 1e-9);
    assert!((angle_deg(&[1.0, 0.0, 0.0, 2.0], &[0.0, 3.0, 1.0, 0.0]) - 90.0).abs() < 1e-12);
    assert!((angle_deg(&[1.0, 0.0], &[1.0, 1.0]) - 45.0).abs() < 1e-12);
    assert!((cosine(&[3.0, 4.0], &[4.0, 3.0]) - 24.0 / 25.0).abs() < 1e-15);
    assert!((angle_deg(&[1.0, 0.0], &[-1.0, 1.0]) - 135.0).abs() < 1e-12);
    assert!(angle_deg(&w, &[0.0; 12]).is_nan(), "a zero matrix has no direction");
    // The transposed form equals the angle with the explicit transpose; of Wᵀ with W, 0.
    let q: Vec<f32> = (0..12).map(|i| (i as f32 * 1.3).cos()).collect();
    let qt = transpose(&q, 3, 4);
    assert!((angle_transposed_deg(&w, &qt, 3, 4) - angle_deg(&w, &q)).abs() < 1e-12);
    assert_eq!(angle_transposed_deg(&w, &transpose(&w, 3, 4), 3, 4), 0.0);
}

// ---------- docs/math.md §6: N-hot codes ------------------------------------------

#[test]
fn nhot_codes_are_disjoint_with_n_ones_each() {
    for (n_outputs, expect_n) in [(50, 5), (53, 5), (10, 1), (29, 2)] {
        for seed in 0..20 {
            let codes = NHotCodes::new(10, n_outputs, &mut Rng::new(seed, Purpose::Codes)).unwrap();
            assert_eq!(codes.n_hot(), expect_n);
            let mut used = vec![0; n_outputs];
            for c in 0..10 {
                let code = codes.code(c);
                assert_eq!(code.iter().filter(|&&v| v == 1.0).count(), expect_n, "class {c}");
                assert_eq!(code.iter().filter(|&&v| v != 0.0 && v != 1.0).count(), 0);
                for (u, &v) in code.iter().enumerate() {
                    used[u] += (v == 1.0) as usize;
                }
                assert_eq!(codes.predict(code), c, "a code reads back as its class");
            }
            assert!(used.iter().all(|&k| k <= 1), "codes overlap: {used:?}");
            assert_eq!(used.iter().sum::<usize>(), 10 * expect_n);
        }
    }
    // Class 0 picks each unit with probability N/m = 0.1 over many seeds.
    let mut hits = [0usize; 50];
    for seed in 0..4000 {
        let codes = NHotCodes::new(10, 50, &mut Rng::new(seed, Purpose::Codes)).unwrap();
        codes.units(0).iter().for_each(|&u| hits[u] += 1);
    }
    let sd = (4000.0f64 * 0.1 * 0.9).sqrt();
    assert!(hits.iter().all(|&h| (h as f64 - 400.0).abs() < 5.0 * sd), "{hits:?}");
}

#[test]
fn nhot_codes_reject_impossible_shapes() {
    let mut rng = Rng::new(0, Purpose::Codes);
    assert!(matches!(NHotCodes::new(10, 9, &mut rng), Err(Error::InvalidParam(_))), "N = 0");
    assert!(matches!(NHotCodes::with_n_hot(10, 50, 6, &mut rng), Err(Error::InvalidParam(_))), "N·C > m");
    assert!(matches!(NHotCodes::with_n_hot(10, 50, 0, &mut rng), Err(Error::InvalidParam(_))), "N = 0");
    assert!(matches!(NHotCodes::new(0, 50, &mut rng), Err(Error::InvalidParam(_))), "C = 0");
}

// ---------- training runs -------------------------------------------------

/// One seed fixes the run bit for bit; another seed gives another run.
#[test]
fn same_seed_same_fingerprint_different_seed_different() {
    let data = synthetic_data(1, 300, 100);
    let run = |seed| {
        let mut cfg = small_train_config(Rule::Feedback, 2e-3, seed);
        cfg.epochs = 2;
        cfg.label_shuffle = 0.3;
        cfg.update_angles = true;
        let mut t = Trainer::new(cfg.validate().unwrap(), &data).unwrap();
        while !t.is_done() {
            t.step().unwrap();
            if t.is_epoch_boundary() {
                t.epoch_end().unwrap();
            }
        }
        (t.fingerprint(), t.network().params_flat())
    };
    let (a, pa) = run(5);
    let (b, pb) = run(5);
    let (c, _) = run(6);
    assert_eq!(a, b);
    assert_eq!(pa, pb);
    assert_ne!(a, c);
}

/// docs/math.md §4's built-in check: the update of the last weights is BP's (angle exactly 0)
/// for FA and every other rule, which all use BP's δ_d; the earlier layers differ.
/// BP's angles are all 0.
#[test]
fn update_angle_of_the_last_layer_is_zero_for_fa() {
    let data = synthetic_data(2, 200, 50);
    for rule in Rule::ALL {
        let mut cfg = small_train_config(rule, 2e-3, 1);
        cfg.update_angles = true;
        cfg.net.sizes = vec![N_PIXELS, 40, 30, 30, 20];
        let mut t = Trainer::new(cfg.validate().unwrap(), &data).unwrap();
        for _ in 0..5 {
            let rec = t.step().unwrap();
            let angles = rec.metrics.update_angle_deg.expect("update angles were requested");
            assert_eq!(angles.len(), 4);
            assert_eq!(angles[3], 0.0, "{rule:?}: last layer {angles:?}");
            for &a in &angles[..3] {
                if rule.is_backprop() {
                    assert_eq!(a, 0.0, "BP against itself: {angles:?}");
                } else {
                    assert!(a > 1.0 && a < 180.0, "{rule:?}'s hidden updates should differ from BP's: {angles:?}");
                }
            }
        }
    }
}

/// Every rule learns a small problem: test accuracy far above chance (0.1), loss
/// down; and Kolen–Pollack's B_1 ends closer to W_1ᵀ than FA's fixed B_1 does.
#[test]
fn every_rule_learns_a_small_problem() {
    let data = synthetic_data(3, 1000, 300);
    let rules = [Rule::Backprop, Rule::Feedback, Rule::Direct, Rule::SignSymmetry, Rule::KolenPollack { decay: 1e-3 }];
    let mut alignment = Vec::new();
    for rule in rules {
        let mut t = Trainer::new(small_train_config(rule, 3e-3, 4).validate().unwrap(), &data).unwrap();
        let before = t.test_accuracy().unwrap();
        let first_loss = t.step().unwrap().metrics.loss;
        let mut last_loss = first_loss;
        while !t.is_done() {
            last_loss = t.step().unwrap().metrics.loss;
        }
        let after = t.test_accuracy().unwrap();
        assert!(after >= 0.85, "{rule:?}: test accuracy {before} → {after}");
        assert!(last_loss < 0.5 * first_loss, "{rule:?}: loss {first_loss} → {last_loss}");
        alignment.push(fa_lab::metrics::weight_alignment_deg(t.network(), 1));
    }
    let (fa, kp) = (alignment[1], alignment[4]);
    assert!(kp < fa - 10.0, "∠(W_1, B_1ᵀ): KP {kp}° vs FA {fa}°");
}

/// A huge step size ends in Error::Diverged — a dead network for tanh∘ReLU,
/// non-finite numbers for linear units — never a panic or NaN results.
#[test]
fn huge_learning_rate_is_reported_as_divergence() {
    let sizes = [10, 20, 20, 10];
    for activation in [Activation::TanhRelu, Activation::Linear] {
        let mut net = Network::new(NetConfig { activation, ..config(&sizes, Rule::Feedback, 10.0) }, 1).unwrap();
        let mut outcome = None;
        for k in 0..50 {
            let (x, y) = random_batch(500 + k, 200, 10, 10);
            if let Err(e) = net.step(&x, &y, 200) {
                outcome = Some(e);
                break;
            }
        }
        match outcome {
            Some(Error::Diverged(msg)) => assert!(msg.contains("iteration"), "{msg}"),
            other => panic!("{activation:?}: expected divergence, got {other:?}"),
        }
    }
}

/// A network whose outputs are all 0 is flagged, not trained on.
#[test]
fn dead_network_is_flagged() {
    let sizes = [4, 3, 5];
    let mut net = Network::new(config(&sizes, Rule::Backprop, 0.01), 2).unwrap();
    let mut p = net.params_flat();
    let n = p.len();
    p[n - 5..].iter_mut().for_each(|b| *b = -100.0); // output biases
    net.set_params_flat(&p).unwrap();
    let (x, y) = random_batch(1, 6, 4, 5);
    match net.step(&x, &y, 6) {
        Err(Error::Diverged(msg)) => assert!(msg.contains("dead network"), "{msg}"),
        other => panic!("expected a dead network, got {other:?}"),
    }
    assert_eq!(net.params_flat(), p, "a dead step must not update");

    // Allowed to go on (Fig. 7's "stuck" BP), a dead step succeeds and changes
    // nothing: δ_d = 0 makes every update 0.
    net.set_allow_dead(true);
    for _ in 0..3 {
        let stats = net.step(&x, &y, 6).unwrap();
        assert!(stats.loss > 0.0);
    }
    assert_eq!(net.params_flat(), p, "a stuck network stays where it is");
}

// ---------- configuration and API ----------------------------------------

#[test]
fn bad_parameters_are_invalid_param() {
    let good = config(&[4, 3, 2], Rule::Feedback, 0.01);
    let cases: Vec<(&str, NetConfig)> = vec![
        ("negative η", NetConfig { eta: -0.1, ..good.clone() }),
        ("zero η", NetConfig { eta: 0.0, ..good.clone() }),
        ("NaN η", NetConfig { eta: f32::NAN, ..good.clone() }),
        ("γ = 0", NetConfig { weight_norm: Some(0.0), ..good.clone() }),
        ("γ < 0", NetConfig { weight_norm: Some(-1.0), ..good.clone() }),
        ("one layer", NetConfig { sizes: vec![4], ..good.clone() }),
        ("zero width", NetConfig { sizes: vec![4, 0, 2], ..good.clone() }),
        ("KP decay 1", NetConfig { rule: Rule::KolenPollack { decay: 1.0 }, ..good.clone() }),
    ];
    for (what, cfg) in cases {
        assert!(matches!(Network::new(cfg, 0), Err(Error::InvalidParam(_))), "{what} accepted");
    }
    assert!(Network::new(good, 0).is_ok());
    let data = synthetic_data(0, 20, 10);
    let base = small_train_config(Rule::Feedback, 1e-3, 0);
    let train_cases: Vec<(&str, TrainConfig)> = vec![
        ("p > 1", TrainConfig { label_shuffle: 1.5, ..base.clone() }),
        ("p < 0", TrainConfig { label_shuffle: -0.1, ..base.clone() }),
        ("p NaN", TrainConfig { label_shuffle: f64::NAN, ..base.clone() }),
        ("batch 0", TrainConfig { batch: 0, ..base.clone() }),
        ("epochs 0", TrainConfig { epochs: 0, ..base.clone() }),
        ("n_train beyond data", TrainConfig { n_train: Some(21), ..base.clone() }),
        ("input not 225", TrainConfig { net: config(&[100, 10, 50], Rule::Feedback, 1e-3), ..base.clone() }),
        ("output below 10", TrainConfig { net: config(&[225, 10, 9], Rule::Feedback, 1e-3), ..base.clone() }),
    ];
    for (what, cfg) in train_cases {
        // Caught by validate(), or (n_train beyond the data) by Trainer::new.
        let result = cfg.validate().and_then(|cfg| Trainer::new(cfg, &data));
        assert!(matches!(result, Err(Error::InvalidParam(_))), "{what} accepted");
    }
    let mut net = Network::new(config(&[4, 3, 2], Rule::Backprop, 0.01), 0).unwrap();
    assert!(matches!(net.step(&[0.0; 7], &[0.0; 4], 2), Err(Error::InvalidParam(_))), "wrong input length");
}

#[test]
fn rule_names_round_trip() {
    for (name, rule) in [
        ("bp", Rule::Backprop),
        ("fa", Rule::Feedback),
        ("dfa", Rule::Direct),
        ("sign", Rule::SignSymmetry),
        ("kp", Rule::KolenPollack { decay: fa_lab::net::DEFAULT_KP_DECAY }),
    ] {
        assert_eq!(name.parse::<Rule>().unwrap(), rule);
        assert_eq!(rule.name(), name);
        let json = serde_json::to_string(&rule).unwrap();
        assert!(json.contains(&format!("\"{name}\"")), "{json}");
        assert_eq!(serde_json::from_str::<Rule>(&json).unwrap(), rule);
    }
    assert_eq!("kp:0.25".parse::<Rule>().unwrap(), Rule::KolenPollack { decay: 0.25 });
    assert_eq!(serde_json::from_str::<Rule>("\"fa\"").unwrap(), Rule::Feedback);
    assert!(matches!("backprop-ish".parse::<Rule>(), Err(Error::InvalidParam(_))));
}

/// params_flat is all W (row-major, layer order) then all biases; set_params_flat inverts it.
#[test]
fn params_flat_layout_round_trips() {
    let sizes = [4, 3, 2];
    let mut net = Network::new(config(&sizes, Rule::Feedback, 0.01), 1).unwrap();
    let p = net.params_flat();
    assert_eq!(p.len(), 4 * 3 + 3 * 2 + 3 + 2);
    let expect: Vec<f32> = [net.weights(0), net.weights(1), net.bias(0), net.bias(1)].concat();
    assert_eq!(p, expect);
    let shifted: Vec<f32> = p.iter().map(|v| v + 1.0).collect();
    net.set_params_flat(&shifted).unwrap();
    assert_eq!(net.params_flat(), shifted);
    assert_eq!(net.weights(1)[0], p[12] + 1.0);
    assert!(matches!(net.set_params_flat(&p[1..]), Err(Error::InvalidParam(_))));
    // loss_on agrees with the f64 reference on the current parameters.
    let (x, y) = random_batch(3, 5, 4, 2);
    let reference =
        reference_loss(&sizes, &shifted.iter().map(|&v| v as f64).collect::<Vec<_>>(), Activation::TanhRelu, &x, &y, 5);
    let loss = net.loss_on(&x, &y, 5).unwrap();
    assert!((loss - reference).abs() < 1e-5 * reference, "{loss} vs {reference}");
}

/// Initial weights come from their own stream: BP, FA, DFA and WN-free runs with one
/// seed share them, and FA and KP share their initial B.
#[test]
fn the_rule_does_not_change_the_initialisation() {
    let sizes = [5, 4, 4, 3];
    let nets: Vec<Network> =
        [Rule::Backprop, Rule::Feedback, Rule::Direct, Rule::SignSymmetry, Rule::KolenPollack { decay: 0.0 }]
            .into_iter()
            .map(|rule| Network::new(config(&sizes, rule, 0.01), 77).unwrap())
            .collect();
    for n in &nets[1..] {
        assert_eq!(n.params_flat(), nets[0].params_flat());
    }
    assert_eq!(nets[1].feedback(1), nets[4].feedback(1));
    assert!(nets[0].feedback(1).is_none());
    assert_eq!(nets[2].feedback(1).unwrap().len(), 3 * 4, "D_1 is n_d × n_1");
}

/// `fa-lab train` refuses bad arguments with a message and exit code 2, before reading data.
#[test]
fn cli_train_rejects_bad_arguments_with_exit_code_2() {
    let cases: [&[&str]; 6] = [
        &["--lr", "-0.1"],
        &["--lr", "0"],
        &["--label-shuffle", "1.5"],
        &["--gamma", "0"],
        &["--rule", "telepathy"],
        &["--kp-decay", "0.1", "--rule", "fa"],
    ];
    for args in cases {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_fa-lab"))
            .arg("train")
            .args(args)
            .args(["--data", "/nonexistent/mnist15.bin", "--out", "/nonexistent/out"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("invalid parameter"), "{args:?}: {stderr}");
    }
}

#[test]
fn accuracy_on_a_split_counts_as_accuracy_on_its_inputs() {
    // `Network::accuracy` converts pixels a chunk of rows at a time; the
    // independent path converts the whole split at once. 2,345 rows: chunks
    // of 1,000 and a ragged last one.
    let data = synthetic_data(5, 10, 2345);
    let mut net = Network::new(config(&[N_PIXELS, 30, 20], Rule::Feedback, 1e-3), 7).unwrap();
    let codes = NHotCodes::new(10, 20, &mut Rng::new(7, Purpose::Codes)).unwrap();
    let inputs = fa_lab::net::pixels_to_inputs(&data.test.pixels);
    for _ in 0..3 {
        let chunked = net.accuracy(&data.test, &codes).unwrap();
        let whole = net.accuracy_on(&inputs, &data.test.labels, &codes).unwrap();
        assert_eq!(chunked.to_bits(), whole.to_bits());
        assert!(chunked > 0.0 && chunked < 1.0, "{chunked}: a degenerate net would not test the chunk edges");
        let (x, y) = random_batch(9, 50, N_PIXELS, 20);
        net.step(&x, &y, 50).unwrap();
    }
}

/// BP's control B (issue 10): drawing it changes nothing BP computes, it is the
/// B an FA network of the same seed uses, and BP's ∠(W_l, B_lᵀ) is measured
/// against it — recomputed here with an explicit transpose — staying near 90°.
#[test]
fn bp_control_feedback_is_fas_b_and_never_used() {
    let data = synthetic_data(4, 400, 50);
    let mut plain = small_train_config(Rule::Backprop, 5e-3, 6);
    plain.epochs = 3;
    let control = TrainConfig { control_feedback: true, ..plain.clone() };
    let (mut a, mut b) = (
        Trainer::new(plain.validate().unwrap(), &data).unwrap(),
        Trainer::new(control.clone().validate().unwrap(), &data).unwrap(),
    );
    let fa = Trainer::new(
        TrainConfig {
            net: NetConfig { rule: Rule::Feedback, ..control.net.clone() },
            control_feedback: false,
            ..control
        }
        .validate()
        .unwrap(),
        &data,
    )
    .unwrap();
    let sizes = a.network().sizes().to_vec();
    for l in 1..sizes.len() - 1 {
        assert!(a.network().control_feedback(l).is_none());
        assert_eq!(b.network().control_feedback(l), fa.network().feedback(l), "B_{l} is FA's");
        assert!(b.network().feedback(l).is_none(), "BP sends δ back through W_lᵀ, not B_l");
    }
    while !a.is_done() {
        let (ra, rb) = (a.step().unwrap(), b.step().unwrap());
        assert_eq!(ra.metrics.loss.to_bits(), rb.metrics.loss.to_bits());
        assert!(ra.metrics.weight_alignment_deg[1..].iter().all(|&x| x == 0.0), "without a control: 0");
        for l in 1..sizes.len() - 1 {
            let (rows, cols) = (sizes[l], sizes[l + 1]);
            let bt = transpose(b.network().control_feedback(l).unwrap(), cols, rows);
            let expected = angle_deg(b.network().weights(l), &bt);
            assert!((rb.metrics.weight_alignment_deg[l] - expected).abs() < 1e-9, "layer {l}");
        }
    }
    assert_eq!(a.network().params_flat(), b.network().params_flat(), "the control changes no parameter");
    for l in 1..sizes.len() - 1 {
        let angle = fa_lab::metrics::weight_alignment_deg(b.network(), l);
        assert!((80.0..100.0).contains(&angle), "BP's W_{l} moved towards a B it never used: {angle}°");
    }
}

/// The error signals of `Network::error_signals` against an f64 network of
/// their own: the forward pass from the parameters (std's tanh), `δ_d = −E ⊙
/// f'`, and `δ_l = (δ_{l+1} M_l) ⊙ f'` with `M_l = B_l` for FA and `W_lᵀ` for
/// BP. The network is not changed, and a training step on the same state and
/// batch records the same angles (`IterMetrics::signal_angle_deg`).
#[test]
fn error_signals_are_the_rules_and_bps_deltas_on_the_same_weights() {
    let sizes = [6, 5, 5, 4, 3];
    let d = sizes.len() - 1;
    let n_b = 9;
    let net = Network::new(config(&sizes, Rule::Feedback, 0.01), 31).unwrap();
    let (x, y) = random_batch(32, n_b, sizes[0], sizes[d]);
    let before = net.params_flat();
    let signals = net.error_signals(Rule::Feedback, &x, &y, n_b).unwrap();
    assert_eq!((net.params_flat(), net.iteration()), (before, 0), "error_signals must not change the network");
    assert_eq!((signals.rows, signals.layers.len()), (n_b, d - 1));

    // The f64 forward pass.
    let mut acts: Vec<Vec<f64>> = vec![x.iter().map(|&v| v as f64).collect()];
    for l in 0..d {
        let (n_in, n_out, w, b) = (sizes[l], sizes[l + 1], net.weights(l), net.bias(l));
        let prev = &acts[l];
        let next = (0..n_b * n_out)
            .map(|k| {
                let (r, j) = (k / n_out, k % n_out);
                let z = b[j] as f64 + (0..n_in).map(|i| prev[r * n_in + i] * w[i * n_out + j] as f64).sum::<f64>();
                z.max(0.0).tanh()
            })
            .collect();
        acts.push(next);
    }
    let fprime = |a: f64| if a > 0.0 { 1.0 - a * a } else { 0.0 };
    let out_delta: Vec<f64> = acts[d].iter().zip(&y).map(|(&o, &t)| -(o - t as f64) * fprime(o)).collect();
    // δ_l by a matrix M_l (n_{l+1} × n_l) for every l, from δ_d down.
    let deltas = |m: &dyn Fn(usize) -> Vec<f64>| -> Vec<Vec<f64>> {
        let mut out = vec![Vec::new(); d + 1];
        out[d] = out_delta.clone();
        for l in (1..d).rev() {
            let (n_next, n_l, mat) = (sizes[l + 1], sizes[l], m(l));
            out[l] = (0..n_b * n_l)
                .map(|k| {
                    let (r, j) = (k / n_l, k % n_l);
                    let s: f64 = (0..n_next).map(|i| out[l + 1][r * n_next + i] * mat[i * n_l + j]).sum();
                    s * fprime(acts[l][r * n_l + j])
                })
                .collect();
        }
        out
    };
    let f64s = |v: &[f32]| v.iter().map(|&a| a as f64).collect::<Vec<f64>>();
    let fa = deltas(&|l| f64s(net.feedback(l).unwrap()));
    let bp = deltas(&|l| f64s(&transpose(net.weights(l), sizes[l], sizes[l + 1])));
    assert!(rel_err(&f64s(&signals.output), &out_delta) < 1e-5, "δ_d");
    for s in &signals.layers {
        let l = s.layer;
        assert!(rel_err(&f64s(&s.rule), &fa[l]) < 1e-5, "FA's δ_{l}");
        assert!(rel_err(&f64s(&s.bp), &bp[l]) < 1e-5, "BP's δ_{l}");
        let cos = fa[l].iter().zip(&bp[l]).map(|(a, b)| a * b).sum::<f64>()
            / (fa[l].iter().map(|a| a * a).sum::<f64>().sqrt() * bp[l].iter().map(|b| b * b).sum::<f64>().sqrt());
        let expect = cos.acos().to_degrees();
        assert!((s.angle_deg - expect).abs() < 1e-3, "∠ δ_{l}: {} vs {expect}", s.angle_deg);
        assert!(s.angle_deg > 1.0 && s.angle_deg < 179.0, "FA's random B gives a real angle at δ_{l}");
    }
    // BP's own signals are BP's: angle 0 at every layer.
    let own = net.error_signals(Rule::Backprop, &x, &y, n_b).unwrap();
    assert!(own.layers.iter().all(|s| s.rule == s.bp && s.angle_deg == 0.0));
    // A step records the same angles, from the same state and batch.
    let mut trained = net.clone();
    trained.set_track_bp_updates(true);
    let loss = trained.step(&x, &y, n_b).unwrap().loss;
    assert_eq!(loss, signals.loss);
    let recorded = fa_lab::metrics::iter_metrics(&trained, loss).signal_angle_deg.unwrap();
    assert!(recorded[0].is_nan());
    for s in &signals.layers {
        assert_eq!(recorded[s.layer].to_bits(), s.angle_deg.to_bits(), "layer {}", s.layer);
    }
    // Without BP tracking a step records none; a bad batch is an error, not a panic.
    assert!(fa_lab::metrics::iter_metrics(&net, 0.0).signal_angle_deg.is_none());
    assert!(net.error_signals(Rule::Feedback, &x[1..], &y, n_b).is_err());
}
