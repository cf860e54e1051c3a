//! The benchmark workload shared by `fa-lab bench` and the page's bench view
//! (`www/bench.js` through `src/web.rs`): an FA epoch of the paper net
//! (225-50-50-50-50-50, batch 1000, 60 steps) with the real [`Network::step`] on
//! fixed synthetic data (uniform inputs, one-hot targets) from a fixed seed —
//! the same workload as `../shared/bench/numpy_step.py`.
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

use crate::align::AlignmentTracker;
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
    SIZES
        .windows(2)
        .enumerate()
        .map(|(i, w)| 2.0 * (BATCH * w[0] * w[1]) as f64 * if i == 0 { 2.0 } else { 3.0 })
        .sum()
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
        Extra::ALL
            .into_iter()
            .find(|e| e.name() == s)
            .ok_or_else(|| Error::InvalidParam(format!("unknown bench workload {s:?}: expected step, metrics, update-angles or alignment")))
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
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for l in 0..self.net.depth() {
            for v in self.net.weights(l).iter().chain(self.net.bias(l)) {
                for b in v.to_bits().to_le_bytes() {
                    h ^= b as u64;
                    h = h.wrapping_mul(0x0100_0000_01b3);
                }
            }
        }
        format!("{h:016x}")
    }
}

/// Median of a non-empty list (upper median for even lengths).
pub fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}
