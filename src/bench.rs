//! The benchmark workload shared by `fa-lab bench` and the page's bench view
//! (`www/bench.js` through `src/web/`): an FA epoch of the paper net
//! (225-50-50-50-50-50, batch 1000, 60 steps) with the real [`Network::step`] on
//! fixed synthetic data (uniform inputs, one-hot targets) from a fixed seed —
//! the same workload as `scripts/numpy_step.py`.
//!
//! The core has no clock (std's `Instant` does not exist on wasm32): callers
//! time [`FaBench::epoch`] / [`FaBench::steps`] themselves (native `Instant`,
//! browser `performance.now()`), so both sides time exactly this code.
//!
//! [`Extra`] adds the per-step bookkeeping some figures need, so its cost can
//! be measured against the bare step:
//! - [`Extra::Metrics`]: [`iter_metrics`] after every step (what training records);
//! - [`Extra::UpdateAngles`]: [`Network::set_track_bp_updates`] (a second, BP,
//!   backward pass) plus [`iter_metrics`], which then computes the update angles
//!   (what `TrainConfig::update_angles` costs);
//! - [`Extra::Alignment`]: [`AlignmentTracker::observe`] after every step
//!   (window of [`ALIGN_ORDERS`] orders).
//!
//! [`FaBench::checksum`] hashes the parameters (FNV-1a over the `f32` bits),
//! so native and wasm can show that they computed the same bits.
//!
//! [`KernelStep`] is the same FA step written directly with the kernels (what
//! `numpy_step.py` does), and [`breakdown`] times one of its epochs per kind of
//! kernel with a clock the caller supplies: where an epoch's time goes, in the
//! browser as natively.

use crate::align::AlignmentTracker;
use crate::hash::Fnv1a;
use crate::kernels;
use crate::metrics::iter_metrics;
use crate::net::{NetConfig, Network, Rule};
use crate::{Error, Result};

/// The paper net's widths.
pub const SIZES: [usize; 6] = [225, 50, 50, 50, 50, 50];
/// Rows per step.
pub const BATCH: usize = 1000;
/// Steps per epoch (60 000 training images / 1000).
pub const STEPS: usize = 60;
/// Learning rate, as in numpy_step.py.
pub const ETA: f32 = 1e-3;
/// Seed of the network and of the synthetic data.
pub const SEED: u64 = 0x5EED;
/// Orders kept by the alignment tracker in [`Extra::Alignment`] (Fig. 3's window).
pub const ALIGN_ORDERS: usize = 180;

/// Multiply–add FLOPs of one FA step, counted as numpy_step.py does
/// (forward + ΔW for the first layer, forward + δB + ΔW for the others).
pub fn step_flops() -> f64 {
    SIZES.windows(2).enumerate().map(|(i, w)| 2.0 * (BATCH * w[0] * w[1]) as f64 * if i == 0 { 2.0 } else { 3.0 }).sum()
}

/// FLOPs of one epoch ([`STEPS`] × [`step_flops`]).
pub fn epoch_flops() -> f64 {
    STEPS as f64 * step_flops()
}

/// What runs after each step besides [`Network::step`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extra {
    None,
    Metrics,
    UpdateAngles,
    Alignment,
}

impl Extra {
    pub const ALL: [Extra; 4] = [Extra::None, Extra::Metrics, Extra::UpdateAngles, Extra::Alignment];

    pub fn name(self) -> &'static str {
        match self {
            Extra::None => "step",
            Extra::Metrics => "metrics",
            Extra::UpdateAngles => "update-angles",
            Extra::Alignment => "alignment",
        }
    }

    /// The workload the overhead is relative to.
    pub fn baseline(self) -> Extra {
        match self {
            Extra::UpdateAngles => Extra::Metrics,
            _ => Extra::None,
        }
    }
}

impl std::str::FromStr for Extra {
    type Err = Error;
    fn from_str(s: &str) -> Result<Extra> {
        Extra::ALL.into_iter().find(|e| e.name() == s).ok_or_else(|| {
            Error::InvalidParam(format!(
                "unknown bench workload {s:?}: expected step, metrics, update-angles or alignment"
            ))
        })
    }
}

/// Deterministic uniform [0, 1) generator (integer arithmetic, same on every target).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// The synthetic epoch: inputs (`STEPS·BATCH × 225`) and one-hot targets.
pub struct SyntheticData {
    pub x: Vec<f32>,
    pub y: Vec<f32>,
}

impl SyntheticData {
    pub fn new(seed: u64) -> SyntheticData {
        let mut rng = Lcg(seed);
        let (n, n_in, n_out) = (BATCH * STEPS, SIZES[0], SIZES[5]);
        let x: Vec<f32> = (0..n * n_in).map(|_| rng.next()).collect();
        let mut y = vec![0.0f32; n * n_out];
        for r in 0..n {
            let j = (rng.next() * n_out as f32) as usize % n_out;
            y[r * n_out + j] = 1.0;
        }
        SyntheticData { x, y }
    }

    /// Inputs and targets of step `s` (`0..STEPS`).
    pub fn batch(&self, s: usize) -> (&[f32], &[f32]) {
        let (n_in, n_out) = (SIZES[0], SIZES[5]);
        (&self.x[s * BATCH * n_in..(s + 1) * BATCH * n_in], &self.y[s * BATCH * n_out..(s + 1) * BATCH * n_out])
    }
}

/// The paper net trained by FA on [`SyntheticData`], stepped by the caller.
pub struct FaBench {
    net: Network,
    data: SyntheticData,
    extra: Extra,
    tracker: Option<AlignmentTracker>,
    next_step: usize,
    sink: f64,
}

impl FaBench {
    pub fn new(extra: Extra) -> Result<FaBench> {
        let mut cfg = NetConfig::paper(Rule::Feedback);
        cfg.eta = ETA;
        let mut net = Network::new(cfg, SEED)?;
        net.set_track_bp_updates(extra == Extra::UpdateAngles);
        let tracker = match extra {
            Extra::Alignment => Some(AlignmentTracker::new(&net, ALIGN_ORDERS)?),
            _ => None,
        };
        Ok(FaBench { net, data: SyntheticData::new(SEED), extra, tracker, next_step: 0, sink: 0.0 })
    }

    pub fn extra(&self) -> Extra {
        self.extra
    }

    /// Runs `n` steps (cycling through the epoch's 60 batches); returns the last loss.
    pub fn steps(&mut self, n: usize) -> Result<f64> {
        let mut loss = f64::NAN;
        for _ in 0..n {
            let (x, y) = self.data.batch(self.next_step);
            let st = self.net.step(x, y, BATCH)?;
            loss = st.loss;
            match self.extra {
                Extra::None => {}
                Extra::Metrics | Extra::UpdateAngles => {
                    let m = iter_metrics(&self.net, st.loss);
                    self.sink += m.weight_norm[0] + m.update_angle_deg.map_or(0.0, |u| u[0]);
                }
                Extra::Alignment => self.tracker.as_mut().expect("tracker").observe(&self.net)?,
            }
            self.next_step = (self.next_step + 1) % STEPS;
        }
        std::hint::black_box(self.sink);
        Ok(loss)
    }

    /// One epoch: the remaining steps up to the next epoch boundary (all 60 from a fresh bench).
    pub fn epoch(&mut self) -> Result<f64> {
        self.steps(STEPS - self.next_step)
    }

    /// Steps taken so far.
    pub fn iteration(&self) -> u64 {
        self.net.iteration()
    }

    /// FNV-1a over the bits of every weight and bias, as 16 hex digits.
    pub fn checksum(&self) -> String {
        let mut h = Fnv1a::new();
        for l in 0..self.net.depth() {
            self.net.weights(l).iter().chain(self.net.bias(l)).for_each(|&v| h.f32(v));
        }
        format!("{:016x}", h.value())
    }
}

/// Median of a non-empty list (upper median for even lengths).
pub fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// The kinds of work in one FA step, in the order [`breakdown`] reports them.
pub const KINDS: [&str; 5] =
    ["forward gemm_nn", "bias_tanh_relu", "backward gemm_nn (δB)", "gemm_tn_acc (ΔW)", "deriv, col_sum, rest"];

/// Per-kind wall time, accumulated from a caller's clock (seconds) when one is given.
struct Laps<'a> {
    clock: Option<&'a mut dyn FnMut() -> f64>,
    last: f64,
    acc: [f64; KINDS.len()],
}

impl Laps<'_> {
    fn start(&mut self) {
        if let Some(c) = self.clock.as_mut() {
            self.last = c();
        }
    }

    /// Charges the time since the last lap to `kind`.
    fn lap(&mut self, kind: usize) {
        if let Some(c) = self.clock.as_mut() {
            let now = c();
            self.acc[kind] += now - self.last;
            self.last = now;
        }
    }
}

/// The paper net's FA step written directly with the kernels (no `Network`),
/// on its own buffers: the step `numpy_step.py` times.
pub struct KernelStep {
    w: Vec<Vec<f32>>,
    b: Vec<Vec<f32>>,
    fb: Vec<Vec<f32>>,
    acts: Vec<Vec<f32>>,
    delta: Vec<f32>,
    back: Vec<f32>,
    bias_upd: Vec<f32>,
}

impl KernelStep {
    pub fn new(seed: u64) -> KernelStep {
        let mut rng = crate::rng::Rng::new(seed, crate::rng::Purpose::Weights);
        let mut draw = |len: usize| {
            let mut v = vec![0.0f32; len];
            rng.fill_normal(0.1, &mut v);
            v
        };
        let pairs: Vec<(usize, usize)> = SIZES.windows(2).map(|w| (w[0], w[1])).collect();
        KernelStep {
            w: pairs.iter().map(|&(a, c)| draw(a * c)).collect(),
            b: pairs.iter().map(|&(_, c)| draw(c)).collect(),
            fb: pairs.iter().map(|&(a, c)| draw(c * a)).collect(),
            acts: SIZES[1..].iter().map(|&n| vec![0.0; BATCH * n]).collect(),
            delta: vec![0.0; BATCH * SIZES[SIZES.len() - 1]],
            back: vec![0.0; BATCH * SIZES[1]],
            bias_upd: vec![0.0; SIZES[1]],
        }
    }

    /// The step from a paper-net FA [`Network`]'s current weights, biases and
    /// feedback (to check that it is the network's step, bit for bit).
    pub fn from_network(net: &Network) -> Result<KernelStep> {
        let cfg = net.config();
        let fa = cfg.rule.has_fixed_layerwise_feedback();
        if cfg.sizes != SIZES || !fa || !cfg.use_bias || cfg.weight_norm.is_some() {
            return Err(Error::InvalidParam("KernelStep is the paper net's FA step with biases, no WN".into()));
        }
        if cfg.eta != ETA {
            return Err(Error::InvalidParam(format!("KernelStep's η is {ETA}, the network's {}", cfg.eta)));
        }
        let mut k = KernelStep::new(0);
        for l in 0..SIZES.len() - 1 {
            k.w[l] = net.weights(l).to_vec();
            k.b[l] = net.bias(l).to_vec();
            k.fb[l] = net.feedback(l).map_or_else(Vec::new, <[f32]>::to_vec);
        }
        Ok(k)
    }

    /// `W_l` after the steps so far.
    pub fn weights(&self, l: usize) -> &[f32] {
        &self.w[l]
    }

    /// The bias after `W_l`.
    pub fn bias(&self, l: usize) -> &[f32] {
        &self.b[l]
    }

    /// One FA step on `x` (BATCH × 225) and `y` (BATCH × 50).
    pub fn step(&mut self, x: &[f32], y: &[f32]) {
        self.step_with(x, y, &mut Laps { clock: None, last: 0.0, acc: [0.0; KINDS.len()] });
    }

    /// Whether every weight is still finite.
    pub fn weights_finite(&self) -> bool {
        self.w.iter().flatten().all(|v| v.is_finite())
    }

    fn step_with(&mut self, x: &[f32], y: &[f32], tm: &mut Laps) {
        let d = SIZES.len() - 1;
        tm.start();
        for l in 0..d {
            let (lower, upper) = self.acts.split_at_mut(l);
            let input: &[f32] = if l == 0 { x } else { &lower[l - 1] };
            let z = &mut upper[0];
            kernels::gemm_nn(BATCH, SIZES[l], SIZES[l + 1], input, &self.w[l], z);
            tm.lap(0);
            kernels::bias_tanh_relu(z, &self.b[l]);
            tm.lap(1);
        }
        // δ_d = −E ⊙ f'(Z_d) = (Y* − Y) ⊙ f'
        let out = &self.acts[d - 1];
        let n_out = SIZES[d];
        self.delta.resize(BATCH * n_out, 0.0);
        for ((dv, &o), &t) in self.delta.iter_mut().zip(out).zip(y) {
            *dv = t - o;
        }
        kernels::mul_tanh_relu_deriv(&mut self.delta, out);
        for l in (0..d).rev() {
            let (n_in, n_next) = (SIZES[l], SIZES[l + 1]);
            let input: &[f32] = if l == 0 { x } else { &self.acts[l - 1] };
            if l > 0 {
                self.back.resize(BATCH * n_in, 0.0);
                tm.lap(4);
                kernels::gemm_nn(BATCH, n_next, n_in, &self.delta, &self.fb[l], &mut self.back);
                tm.lap(2);
                kernels::mul_tanh_relu_deriv(&mut self.back, input);
            }
            tm.lap(4);
            kernels::gemm_tn_acc(n_in, BATCH, n_next, ETA, input, &self.delta, &mut self.w[l]);
            tm.lap(3);
            self.bias_upd.resize(n_next, 0.0);
            kernels::col_sum(BATCH, n_next, ETA, &self.delta, &mut self.bias_upd);
            for (b, &u) in self.b[l].iter_mut().zip(&self.bias_upd) {
                *b += u;
            }
            std::mem::swap(&mut self.delta, &mut self.back);
        }
        tm.lap(4);
    }
}

/// Seconds per epoch spent in each of [`KINDS`]: a fresh [`KernelStep`] warmed
/// up by one untimed epoch, then one epoch timed call by call with `clock`
/// (seconds; `Instant` natively, `performance.now()` in the browser).
pub fn breakdown(clock: &mut dyn FnMut() -> f64) -> [f64; KINDS.len()] {
    let data = SyntheticData::new(SEED);
    let mut k = KernelStep::new(SEED);
    for s in 0..STEPS {
        let (x, y) = data.batch(s);
        k.step(x, y);
    }
    let mut tm = Laps { clock: Some(clock), last: 0.0, acc: [0.0; KINDS.len()] };
    for s in 0..STEPS {
        let (x, y) = data.batch(s);
        k.step_with(x, y, &mut tm);
    }
    tm.acc
}
