//! Fig. 2b: alignment in an open-loop 2-layer net with supplied signals
//! (docs/math.md §7, row `fig2b`).
//!
//! `fig2b`'s open-loop net: three layers of width `width`, no biases, ReLU
//! hidden units, weights and `B_1` from `N(0, 0.1²)`, signals from `N(0, 1)`;
//! widths and `η` are not given by the paper.

use serde::{Deserialize, Serialize};

use super::job::Job;
use super::keys::{Measure, PanelKey, SeriesKey};
use super::layout::{ANGLE, ITER, PanelDef, line};
use super::probes::Curves;
use super::{Curve, Experiment, PcaData, Preset};
use crate::data::Mnist15;
use crate::kernels;
use crate::metrics::angle_transposed_deg;
use crate::rng::{Purpose, Rng};
use crate::{Error, Result};

/// Fig. 2b: the open-loop 2-layer net with supplied errors (docs/math.md §7, row `fig2b`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fig2bParams {
    pub runs: usize,
    pub seed: u64,
    pub iterations: usize,
    /// Width of input, hidden and output layers (cross-correlation needs `n_0 = n_2`).
    pub width: usize,
    /// Rows of `L_0` and `δ_2` per step.
    pub batch: usize,
    pub eta: f32,
    pub record_every: usize,
}

impl Fig2bParams {
    /// The presets of link version 1 (links without `v`), kept as they were.
    fn preset_v1(preset: Preset) -> Self {
        if preset == Preset::Quick {
            Fig2bParams { runs: 4, seed: 0, iterations: 1000, width: 20, batch: 20, eta: 1e-3, record_every: 10 }
        } else {
            Fig2bParams { runs: 10, seed: 0, iterations: 2000, width: 50, batch: 50, eta: 1e-3, record_every: 10 }
        }
    }

    /// Link version 2 keeps version 1's fig2b (4 and 10 runs already show every claim).
    fn in_version(self, _preset: Preset, _version: u32) -> Self {
        self
    }
}

impl Experiment for Fig2bParams {
    fn preset(preset: Preset, version: u32) -> Self {
        Self::preset_v1(preset).in_version(preset, version)
    }

    fn title() -> &'static str {
        "Fig. 2b — alignment in an open-loop 2-layer net"
    }

    fn runs_seed(&mut self) -> (&mut usize, &mut u64) {
        (&mut self.runs, &mut self.seed)
    }

    fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidParam(m));
        if self.width == 0 || self.width > 1024 || self.batch == 0 || self.batch > 4096 {
            return bad("fig2b: width must be in 1..=1024 and batch in 1..=4096".into());
        }
        if self.iterations == 0 || self.record_every == 0 {
            return bad("fig2b: iterations and record_every must be at least 1".into());
        }
        if !(self.eta.is_finite() && self.eta > 0.0 && self.eta <= 1.0) {
            return bad(format!("fig2b: eta must be in (0, 1], got {}", self.eta));
        }
        Ok(())
    }

    fn conditions(&self) -> Vec<String> {
        Fig2bCondition::ALL.iter().map(|c| c.key().to_string()).collect()
    }

    fn job(&self, condition: usize, seed: u64, _data: &Mnist15) -> Result<Box<dyn Job>> {
        Ok(Box::new(OpenLoop::new(self, Fig2bCondition::ALL[condition], seed)))
    }

    fn panels(&self) -> Vec<PanelDef> {
        let series = Fig2bCondition::ALL
            .iter()
            .enumerate()
            .map(|(i, c)| line(SeriesKey::of(c.key(), Measure::Angle), c.label(), i))
            .collect();
        vec![PanelDef::new(PanelKey::B, "∠(W_1, B_1ᵀ) in the open-loop net", ITER, ANGLE, series)]
    }
}

/// Fig. 2b's conditions on the supplied signals `L_0` and `δ_2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fig2bCondition {
    /// `L_0` and `δ_2` drawn once (independently) and kept.
    Autocorrelation,
    /// `L_0[k]` fresh each step, `δ_2[k] = L_0[k]`.
    CrossCorrelation,
    /// `L_0 = δ_2`, drawn once and kept.
    Both,
    /// Both fresh and independent each step.
    None,
}

impl Fig2bCondition {
    pub const ALL: [Fig2bCondition; 4] =
        [Fig2bCondition::Autocorrelation, Fig2bCondition::CrossCorrelation, Fig2bCondition::Both, Fig2bCondition::None];

    pub fn key(self) -> &'static str {
        match self {
            Fig2bCondition::Autocorrelation => "auto",
            Fig2bCondition::CrossCorrelation => "cross",
            Fig2bCondition::Both => "both",
            Fig2bCondition::None => "none",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Fig2bCondition::Autocorrelation => "autocorrelation",
            Fig2bCondition::CrossCorrelation => "cross-correlation",
            Fig2bCondition::Both => "auto- and cross-correlation",
            Fig2bCondition::None => "none",
        }
    }
}

/// `L_1 = ReLU(L_0 W_0)`, `δ_1 = (δ_2 B_1) ⊙ f'(Z_1)`, `ΔW_1 = η L_1ᵀ δ_2`, `ΔW_0 = η L_0ᵀ δ_1`.
struct OpenLoop {
    cond: Fig2bCondition,
    n: usize,
    n_b: usize,
    eta: f32,
    iterations: usize,
    record_every: usize,
    k: usize,
    w0: Vec<f32>,
    w1: Vec<f32>,
    b1: Vec<f32>,
    l0: Vec<f32>,
    d2: Vec<f32>,
    l1: Vec<f32>,
    d1: Vec<f32>,
    rng: Rng,
    curves: Curves,
}

impl Job for OpenLoop {
    fn total_steps(&self) -> u64 {
        self.iterations as u64
    }

    fn step(&mut self) -> Result<bool> {
        self.step_once()
    }

    fn is_complete(&self) -> bool {
        self.k >= self.iterations
    }

    fn finish(&mut self, _failed: bool) -> Result<(Vec<Curve>, Option<PcaData>)> {
        Ok((self.curves.take(), None))
    }
}

impl OpenLoop {
    fn new(p: &Fig2bParams, cond: Fig2bCondition, seed: u64) -> OpenLoop {
        let (n, n_b) = (p.width, p.batch);
        let mut weights = Rng::new(seed, Purpose::Weights);
        let mut w0 = vec![0.0; n * n];
        let mut w1 = vec![0.0; n * n];
        weights.fill_normal(crate::net::INIT_STD, &mut w0);
        weights.fill_normal(crate::net::INIT_STD, &mut w1);
        let mut b1 = vec![0.0; n * n];
        Rng::new(seed, Purpose::Feedback).fill_normal(crate::net::INIT_STD, &mut b1);
        let mut rng = Rng::new(seed, Purpose::Extra(2));
        let mut l0 = vec![0.0; n_b * n];
        let mut d2 = vec![0.0; n_b * n];
        rng.fill_normal(1.0, &mut l0);
        match cond {
            Fig2bCondition::Both | Fig2bCondition::CrossCorrelation => d2.copy_from_slice(&l0),
            _ => rng.fill_normal(1.0, &mut d2),
        }
        let mut job = OpenLoop {
            cond,
            n,
            n_b,
            eta: p.eta,
            iterations: p.iterations,
            record_every: p.record_every,
            k: 0,
            w0,
            w1,
            b1,
            l0,
            d2,
            l1: vec![0.0; n_b * n],
            d1: vec![0.0; n_b * n],
            rng,
            curves: Curves::default(),
        };
        job.record();
        job
    }

    fn record(&mut self) {
        let angle = angle_transposed_deg(&self.w1, &self.b1, self.n, self.n);
        self.curves.push(&SeriesKey::of(self.cond.key(), Measure::Angle), self.k as f64, angle);
    }

    fn step_once(&mut self) -> Result<bool> {
        let (n, n_b) = (self.n, self.n_b);
        if self.k > 0 {
            match self.cond {
                Fig2bCondition::CrossCorrelation => {
                    self.rng.fill_normal(1.0, &mut self.l0);
                    self.d2.copy_from_slice(&self.l0);
                }
                Fig2bCondition::None => {
                    self.rng.fill_normal(1.0, &mut self.l0);
                    self.rng.fill_normal(1.0, &mut self.d2);
                }
                _ => {}
            }
        }
        kernels::gemm_nn(n_b, n, n, &self.l0, &self.w0, &mut self.l1);
        self.l1.iter_mut().for_each(|v| *v = v.max(0.0));
        kernels::gemm_nn(n_b, n, n, &self.d2, &self.b1, &mut self.d1);
        for (d, &a) in self.d1.iter_mut().zip(&self.l1) {
            if a <= 0.0 {
                *d = 0.0;
            }
        }
        kernels::gemm_tn_acc(n, n_b, n, self.eta, &self.l1, &self.d2, &mut self.w1);
        kernels::gemm_tn_acc(n, n_b, n, self.eta, &self.l0, &self.d1, &mut self.w0);
        if self.w0.iter().chain(&self.w1).any(|v| !v.is_finite()) {
            return Err(Error::Diverged(format!("fig2b: non-finite weights at iteration {}", self.k)));
        }
        self.k += 1;
        if self.k.is_multiple_of(self.record_every) || self.k == self.iterations {
            self.record();
        }
        Ok(true)
    }
}
