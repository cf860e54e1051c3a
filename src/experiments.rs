//! Every figure of the paper as a named experiment (SPEC §7), split into
//! independent runs so a page can hand them to separate Web Workers.
//!
//! The life of a figure:
//!
//! ```no_run
//! # fn demo(data: &fa_lab::data::Mnist15) -> fa_lab::Result<()> {
//! use fa_lab::experiments::{ExperimentId, Preset, RunState, aggregate};
//! let params = ExperimentId::Fig6.params(Preset::Quick);
//! let mut results = Vec::new();
//! for spec in params.runs()? {                      // independent, serde-serialisable
//!     let mut state = RunState::new(&spec, data)?;  // or run_one(&spec, data)
//!     loop {
//!         if let Some(result) = state.advance(50)? { results.push(result); break; }
//!         // a page draws a frame here
//!     }
//!     let partial = aggregate(&params, &results)?;  // works on any subset of the runs
//!     # let _ = partial;
//! }
//! # Ok(()) }
//! ```
//!
//! - [`Params`] is one experiment's parameters (`paper` and `quick` presets).
//! - [`Params::runs`] lists the [`RunSpec`]s: one per run index and *condition*
//!   (e.g. BP / FA / FA+WN / DFA for `fig6`, a label-shuffle fraction for
//!   `fig5`). **Run `i` uses seed `params.seed + i` in every condition**, so the
//!   conditions of one run start from the same weights, feedback and codes.
//! - [`RunState::advance`] does at most `max_steps` training steps (or grid
//!   evaluations) and returns the [`RunResult`] once the run is done;
//!   [`run_one`] runs a spec to the end.
//! - [`aggregate`] turns any set of results (partial ones too) into
//!   [`FigureData`]: panels with titles, axis labels, log flags and series of
//!   mean and sample standard deviation across runs at every x value.
//!
//! A run whose network dies or diverges (SPEC §8; [`Error::Diverged`]) is not an
//! error of the experiment: its [`RunResult`] carries the reason, [`aggregate`]
//! leaves it out of the means and lists it in [`FigureData::failed`].
//!
//! Choices made here (SPEC leaves them open):
//! - Loss curves are the mean batch loss (`½ Σ E²` summed over the batch, as
//!   trained) over the `record_every` steps before each point.
//! - Update angles (Fig. 6c) and feedback/update angles (Fig. 6d) pass through
//!   a trailing moving average of `moving_average` steps (60 as in the paper's
//!   6c; the paper does not say whether 6d is smoothed, FA Lab smooths both).
//! - WN's `γ` is not given by the paper; FA Lab uses `γ = 1` (the CLI's default).
//! - Quick presets keep each figure's mechanism at a smaller scale: fewer
//!   images and a smaller batch (so the rule's default `η`, tuned for batch
//!   1000, keeps the same per-sample step), fewer epochs and runs. `fig3`'s
//!   quick preset keeps 60 minibatches per epoch so the multiples of 60 exist.
//! - `fig2b`'s open-loop net: three layers of width `width`, no biases, ReLU
//!   hidden units, weights and `B_1` from `N(0, 0.1²)`, signals from `N(0, 1)`;
//!   widths and `η` are not given by the paper.
//! - DFA has no alignment terms here: its `D_l` maps the output error
//!   (`n_d` wide) into layer `l`, so `δ_l` does not factor through `δ_{l+1}`
//!   and eq. 5's `B_lᵀ A A ᵀ` has no DFA counterpart of `W_l`'s shape
//!   (the trackers in [`crate::align`] accept FA networks only). DFA appears
//!   beside FA in `fig6` (update angles, accuracy) and in `rules`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::align::{AlignmentTracker, DisturbedCopy, DisturbedFeedback};
use crate::data::{Mnist15, N_PIXELS};
use crate::kernels;
use crate::metrics::{angle_transposed_deg, fro_norm};
use crate::net::{Network, Rule, pixels_to_inputs};
use crate::pca::{Pca, Trajectory};
use crate::rng::{Purpose, Rng};
use crate::train::{TrainConfig, Trainer};
use crate::{Error, Result};

/// Largest accepted number of runs per condition.
pub const MAX_RUNS: usize = 1000;

/// The experiments, one per paper figure, plus `rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExperimentId {
    Fig2b,
    Fig3,
    Fig4,
    Fig5,
    Fig6,
    Fig7,
    Rules,
}

impl ExperimentId {
    pub const ALL: [ExperimentId; 7] = [
        ExperimentId::Fig2b,
        ExperimentId::Fig3,
        ExperimentId::Fig4,
        ExperimentId::Fig5,
        ExperimentId::Fig6,
        ExperimentId::Fig7,
        ExperimentId::Rules,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ExperimentId::Fig2b => "fig2b",
            ExperimentId::Fig3 => "fig3",
            ExperimentId::Fig4 => "fig4",
            ExperimentId::Fig5 => "fig5",
            ExperimentId::Fig6 => "fig6",
            ExperimentId::Fig7 => "fig7",
            ExperimentId::Rules => "rules",
        }
    }

    /// What the figure shows, in a few words.
    pub fn title(self) -> &'static str {
        match self {
            ExperimentId::Fig2b => "Fig. 2b — alignment in an open-loop 2-layer net",
            ExperimentId::Fig3 => "Fig. 3b,c — alignment terms by order, without and with shuffling",
            ExperimentId::Fig4 => "Fig. 4 — real vs disturbed (linearised) weights",
            ExperimentId::Fig5 => "Fig. 5 — label shuffling",
            ExperimentId::Fig6 => "Fig. 6 — norms, alignment, update angles, WN, PCA",
            ExperimentId::Fig7 => "Fig. 7 — FA for T epochs, then BP",
            ExperimentId::Rules => "Beyond the paper — BP, FA, DFA, sign-symmetry, Kolen–Pollack",
        }
    }

    /// The experiment's parameters for a preset.
    pub fn params(self, preset: Preset) -> Params {
        let quick = preset == Preset::Quick;
        match self {
            ExperimentId::Fig2b => Params::Fig2b(Fig2bParams::preset(quick)),
            ExperimentId::Fig3 => Params::Fig3(Fig3Params::preset(quick)),
            ExperimentId::Fig4 => Params::Fig4(Fig4Params::preset(quick)),
            ExperimentId::Fig5 => Params::Fig5(Fig5Params::preset(quick)),
            ExperimentId::Fig6 => Params::Fig6(Fig6Params::preset(quick)),
            ExperimentId::Fig7 => Params::Fig7(Fig7Params::preset(quick)),
            ExperimentId::Rules => Params::Rules(RulesParams::preset(quick)),
        }
    }
}

impl fmt::Display for ExperimentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ExperimentId {
    type Err = Error;
    fn from_str(s: &str) -> Result<ExperimentId> {
        let wanted = s.trim().to_ascii_lowercase();
        ExperimentId::ALL.into_iter().find(|id| id.name() == wanted).ok_or_else(|| {
            Error::InvalidParam(format!(
                "unknown experiment {s:?}: expected one of fig2b, fig3, fig4, fig5, fig6, fig7, rules"
            ))
        })
    }
}

/// `paper`: the paper's values (runs, data, batch); `quick`: seconds, same qualitative shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    Quick,
    Paper,
}

impl FromStr for Preset {
    type Err = Error;
    fn from_str(s: &str) -> Result<Preset> {
        match s.trim().to_ascii_lowercase().as_str() {
            "quick" => Ok(Preset::Quick),
            "paper" => Ok(Preset::Paper),
            _ => Err(Error::InvalidParam(format!("unknown preset {s:?}: expected quick or paper"))),
        }
    }
}

/// How the MNIST experiments train (the rule and `η` are the experiment's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainSetup {
    pub epochs: usize,
    /// Minibatch rows (paper: 1000, 60 steps an epoch).
    pub batch: usize,
    /// First `n` training images only; `None` for all 60,000.
    pub n_train: Option<usize>,
    /// A curve point every this many steps.
    pub record_every: usize,
    /// Multiplies every rule's default `η` (paper: 1). Quick presets use a
    /// smaller batch; scaling `η` by about `1000 / batch` keeps each step's size
    /// (`η` times a sum over the batch) near the paper's, so a few hundred small
    /// steps travel as far as the paper's first few hundred.
    pub eta_scale: f32,
}

impl TrainSetup {
    fn paper(epochs: usize) -> TrainSetup {
        TrainSetup { epochs, batch: 1000, n_train: None, record_every: 10, eta_scale: 1.0 }
    }

    fn quick(n_train: usize, batch: usize, epochs: usize, record_every: usize) -> TrainSetup {
        // Half the paper's step size: η·batch = ½ · η·1000 (see `eta_scale`).
        let eta_scale = 500.0 / batch as f32;
        TrainSetup { epochs, batch, n_train: Some(n_train), record_every, eta_scale }
    }

    fn validate(&self) -> Result<()> {
        if self.record_every == 0 {
            return Err(Error::InvalidParam("record_every must be at least 1".into()));
        }
        if !(self.eta_scale.is_finite() && self.eta_scale > 0.0 && self.eta_scale <= 1000.0) {
            return Err(Error::InvalidParam(format!("eta_scale must be in (0, 1000], got {}", self.eta_scale)));
        }
        if self.n_train.is_some_and(|n| n < self.batch) {
            return Err(Error::InvalidParam("n_train must be at least one batch".into()));
        }
        Ok(())
    }

    fn config(&self, rule: Rule, seed: u64) -> TrainConfig {
        let mut cfg = TrainConfig::paper(rule, seed);
        cfg.net.eta = rule.default_eta() * self.eta_scale;
        cfg.epochs = self.epochs;
        cfg.batch = self.batch;
        cfg.n_train = self.n_train;
        cfg
    }

    fn steps_per_epoch(&self, data_len: usize) -> usize {
        self.n_train.unwrap_or(data_len).div_ceil(self.batch.max(1))
    }
}

/// Fig. 2b: the open-loop 2-layer net with supplied errors (SPEC §7 row 1).
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
    fn preset(quick: bool) -> Self {
        if quick {
            Fig2bParams { runs: 4, seed: 0, iterations: 1000, width: 20, batch: 20, eta: 1e-3, record_every: 10 }
        } else {
            Fig2bParams { runs: 10, seed: 0, iterations: 2000, width: 50, batch: 50, eta: 1e-3, record_every: 10 }
        }
    }
}

/// Fig. 3b,c: alignment terms `∠(T^o_l, B_lᵀ)` by order, fixed order vs shuffled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fig3Params {
    pub runs: usize,
    pub seed: u64,
    pub train: TrainSetup,
    /// Orders `1..=max_order`.
    pub max_order: usize,
    /// The early step `k` (0-based; needs `k ≥ max_order`).
    pub early_step: usize,
    /// The late step `k`; `None` for the last step.
    pub late_step: Option<usize>,
}

impl Fig3Params {
    fn preset(quick: bool) -> Self {
        if quick {
            // 3000 images in batches of 50: still 60 minibatches an epoch.
            Fig3Params {
                runs: 3,
                seed: 0,
                train: TrainSetup::quick(3000, 50, 4, 10),
                max_order: 130,
                early_step: 130,
                late_step: None,
            }
        } else {
            Fig3Params {
                runs: 30,
                seed: 0,
                train: TrainSetup::paper(10),
                max_order: 130,
                early_step: 130,
                late_step: None,
            }
        }
    }
}

/// Fig. 4: the real network beside eq. 8's disturbed copies (same `B`, fresh `B_new`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fig4Params {
    pub runs: usize,
    pub seed: u64,
    pub train: TrainSetup,
}

impl Fig4Params {
    fn preset(quick: bool) -> Self {
        if quick {
            Fig4Params { runs: 2, seed: 0, train: TrainSetup::quick(3000, 100, 4, 3) }
        } else {
            Fig4Params { runs: 5, seed: 0, train: TrainSetup::paper(20) }
        }
    }
}

/// Fig. 5: label-shuffle fractions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fig5Params {
    pub runs: usize,
    pub seed: u64,
    pub train: TrainSetup,
    pub fractions: Vec<f64>,
    /// Orders `1..=max_order` of panel (c), at the last step.
    pub max_order: usize,
}

impl Fig5Params {
    fn preset(quick: bool) -> Self {
        let fractions = vec![0.0, 0.25, 0.5, 0.75, 1.0];
        if quick {
            Fig5Params { runs: 2, seed: 0, train: TrainSetup::quick(3000, 50, 3, 6), fractions, max_order: 130 }
        } else {
            Fig5Params { runs: 30, seed: 0, train: TrainSetup::paper(20), fractions, max_order: 130 }
        }
    }
}

/// Fig. 6: BP, FA, FA+WN (and DFA) from one initialisation, and the PCA of BP's and FA's paths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fig6Params {
    pub runs: usize,
    pub seed: u64,
    pub train: TrainSetup,
    /// WN's column norm `γ` for the FA+WN runs.
    pub gamma: f32,
    /// Trailing moving-average window of the update angles (paper: 60).
    pub moving_average: usize,
    /// Add a DFA run beside FA (beyond the paper).
    pub include_dfa: bool,
    /// PCA (panel e, run 0 only): a parameter snapshot every this many steps.
    pub pca_snapshot_every: usize,
    /// Grid points per axis of the loss contour.
    pub pca_grid: usize,
    /// Training images the contour's loss is evaluated on.
    pub pca_loss_samples: usize,
}

impl Fig6Params {
    fn preset(quick: bool) -> Self {
        if quick {
            Fig6Params {
                runs: 3,
                seed: 0,
                train: TrainSetup::quick(3000, 50, 5, 6),
                gamma: 1.0,
                moving_average: 60,
                include_dfa: true,
                pca_snapshot_every: 6,
                pca_grid: 14,
                pca_loss_samples: 1000,
            }
        } else {
            Fig6Params {
                runs: 30,
                seed: 0,
                train: TrainSetup::paper(20),
                gamma: 1.0,
                moving_average: 60,
                include_dfa: true,
                pca_snapshot_every: 10,
                pca_grid: 30,
                pca_loss_samples: 5000,
            }
        }
    }
}

/// Fig. 7: FA for `T` epochs, then BP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fig7Params {
    pub runs: usize,
    pub seed: u64,
    pub train: TrainSetup,
    /// Epoch thresholds `T`; `T ≥ epochs` means FA throughout, `T = 0` BP throughout.
    pub thresholds: Vec<usize>,
}

impl Fig7Params {
    fn preset(quick: bool) -> Self {
        if quick {
            Fig7Params { runs: 2, seed: 0, train: TrainSetup::quick(3000, 100, 6, 3), thresholds: vec![0, 1, 3, 6] }
        } else {
            Fig7Params { runs: 10, seed: 0, train: TrainSetup::paper(20), thresholds: vec![0, 2, 5, 10, 20] }
        }
    }
}

/// Beyond the paper: every rule with its default `η`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RulesParams {
    pub runs: usize,
    pub seed: u64,
    pub train: TrainSetup,
    pub rules: Vec<Rule>,
    pub moving_average: usize,
}

impl RulesParams {
    fn preset(quick: bool) -> Self {
        let rules = vec![
            Rule::Backprop,
            Rule::Feedback,
            Rule::Direct,
            Rule::SignSymmetry,
            Rule::KolenPollack { decay: crate::net::DEFAULT_KP_DECAY },
        ];
        if quick {
            RulesParams { runs: 2, seed: 0, train: TrainSetup::quick(3000, 50, 3, 6), rules, moving_average: 60 }
        } else {
            RulesParams { runs: 10, seed: 0, train: TrainSetup::paper(20), rules, moving_average: 60 }
        }
    }
}

/// One experiment's parameters; in JSON `{"experiment": "fig6", …fields}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "experiment", rename_all = "lowercase")]
pub enum Params {
    Fig2b(Fig2bParams),
    Fig3(Fig3Params),
    Fig4(Fig4Params),
    Fig5(Fig5Params),
    Fig6(Fig6Params),
    Fig7(Fig7Params),
    Rules(RulesParams),
}

impl Params {
    pub fn id(&self) -> ExperimentId {
        match self {
            Params::Fig2b(_) => ExperimentId::Fig2b,
            Params::Fig3(_) => ExperimentId::Fig3,
            Params::Fig4(_) => ExperimentId::Fig4,
            Params::Fig5(_) => ExperimentId::Fig5,
            Params::Fig6(_) => ExperimentId::Fig6,
            Params::Fig7(_) => ExperimentId::Fig7,
            Params::Rules(_) => ExperimentId::Rules,
        }
    }

    fn runs_seed_mut(&mut self) -> (&mut usize, &mut u64) {
        match self {
            Params::Fig2b(p) => (&mut p.runs, &mut p.seed),
            Params::Fig3(p) => (&mut p.runs, &mut p.seed),
            Params::Fig4(p) => (&mut p.runs, &mut p.seed),
            Params::Fig5(p) => (&mut p.runs, &mut p.seed),
            Params::Fig6(p) => (&mut p.runs, &mut p.seed),
            Params::Fig7(p) => (&mut p.runs, &mut p.seed),
            Params::Rules(p) => (&mut p.runs, &mut p.seed),
        }
    }

    /// Runs per condition.
    pub fn n_runs(&self) -> usize {
        *self.clone().runs_seed_mut().0
    }

    /// The base seed; run `i` uses `seed + i`.
    pub fn seed(&self) -> u64 {
        *self.clone().runs_seed_mut().1
    }

    pub fn set_runs(&mut self, runs: usize) {
        *self.runs_seed_mut().0 = runs;
    }

    pub fn set_seed(&mut self, seed: u64) {
        *self.runs_seed_mut().1 = seed;
    }

    fn train(&self) -> Option<&TrainSetup> {
        match self {
            Params::Fig2b(_) => None,
            Params::Fig3(p) => Some(&p.train),
            Params::Fig4(p) => Some(&p.train),
            Params::Fig5(p) => Some(&p.train),
            Params::Fig6(p) => Some(&p.train),
            Params::Fig7(p) => Some(&p.train),
            Params::Rules(p) => Some(&p.train),
        }
    }

    /// Checks every field once, so the runs cannot fail on parameters.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidParam(m));
        let runs = self.n_runs();
        if runs == 0 || runs > MAX_RUNS {
            return bad(format!("runs must be in 1..={MAX_RUNS}, got {runs}"));
        }
        if let Some(t) = self.train() {
            t.validate()?;
            t.config(Rule::Feedback, 0).validate()?;
        }
        match self {
            Params::Fig2b(p) => {
                if p.width == 0 || p.width > 1024 || p.batch == 0 || p.batch > 4096 {
                    return bad("fig2b: width must be in 1..=1024 and batch in 1..=4096".into());
                }
                if p.iterations == 0 || p.record_every == 0 {
                    return bad("fig2b: iterations and record_every must be at least 1".into());
                }
                if !(p.eta.is_finite() && p.eta > 0.0 && p.eta <= 1.0) {
                    return bad(format!("fig2b: eta must be in (0, 1], got {}", p.eta));
                }
            }
            Params::Fig3(p) => {
                if p.max_order == 0 || p.early_step < p.max_order {
                    return bad(format!(
                        "fig3: need max_order ≥ 1 and early_step ≥ max_order, got {} and {}",
                        p.max_order, p.early_step
                    ));
                }
                let total = p.train.epochs * p.train.steps_per_epoch(60_000);
                let late = p.late_step.unwrap_or(total.saturating_sub(1));
                if late < p.early_step || (p.train.n_train.is_some() && late >= total) {
                    return bad(format!("fig3: late step {late} must be ≥ the early step and < the {total} steps"));
                }
            }
            Params::Fig5(p) => {
                if p.fractions.is_empty() || p.fractions.iter().any(|f| !(0.0..=1.0).contains(f)) {
                    return bad("fig5: fractions must be a non-empty list in [0, 1]".into());
                }
                if p.max_order == 0 {
                    return bad("fig5: max_order must be at least 1".into());
                }
            }
            Params::Fig6(p) => {
                if !(p.gamma.is_finite() && p.gamma > 0.0 && p.gamma <= crate::net::MAX_GAMMA) {
                    return bad(format!("fig6: gamma must be in (0, {}], got {}", crate::net::MAX_GAMMA, p.gamma));
                }
                if p.moving_average == 0
                    || p.pca_snapshot_every == 0
                    || p.pca_grid < 2
                    || p.pca_grid > 200
                    || p.pca_loss_samples == 0
                {
                    return bad(
                        "fig6: moving_average, pca_snapshot_every, pca_loss_samples ≥ 1 and pca_grid in 2..=200".into(),
                    );
                }
            }
            Params::Fig7(p) => {
                if p.thresholds.is_empty() {
                    return bad("fig7: give at least one threshold".into());
                }
            }
            Params::Rules(p) => {
                if p.rules.is_empty() || p.moving_average == 0 {
                    return bad("rules: give at least one rule and moving_average ≥ 1".into());
                }
                for r in &p.rules {
                    crate::net::NetConfig::paper(*r).validate()?;
                }
            }
            Params::Fig4(_) => {}
        }
        Ok(())
    }

    /// Names of the conditions; a run spec's `condition` indexes this list.
    pub fn conditions(&self) -> Vec<String> {
        match self {
            Params::Fig2b(_) => Fig2bCondition::ALL.iter().map(|c| c.key().to_string()).collect(),
            Params::Fig3(_) => vec!["fixed".into(), "shuffled".into()],
            Params::Fig4(_) => vec!["fa".into()],
            Params::Fig5(p) => p.fractions.iter().map(|f| format!("p{f}")).collect(),
            Params::Fig6(p) => {
                let mut c: Vec<String> = ["bp", "fa", "fa_wn"].iter().map(|s| s.to_string()).collect();
                if p.include_dfa {
                    c.push("dfa".into());
                }
                c.push("pca".into());
                c
            }
            Params::Fig7(p) => p.thresholds.iter().map(|t| format!("T{t}")).collect(),
            Params::Rules(p) => p.rules.iter().map(|r| r.name().to_string()).collect(),
        }
    }

    /// Every independent run: run index `i` × condition, seed `seed + i`.
    /// `fig6`'s PCA condition runs for run 0 only (one picture, not an average).
    pub fn runs(&self) -> Result<Vec<RunSpec>> {
        self.validate()?;
        let conditions = self.conditions();
        let mut specs = Vec::new();
        for run in 0..self.n_runs() {
            for (condition, name) in conditions.iter().enumerate() {
                if name == "pca" && run > 0 {
                    continue;
                }
                specs.push(RunSpec {
                    params: self.clone(),
                    run,
                    condition,
                    condition_name: name.clone(),
                    seed: self.seed().wrapping_add(run as u64),
                });
            }
        }
        Ok(specs)
    }
}

/// One independent run of an experiment; carries everything it needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSpec {
    pub params: Params,
    /// Run index `i` (`0..runs`).
    pub run: usize,
    /// Index into [`Params::conditions`].
    pub condition: usize,
    pub condition_name: String,
    /// `params.seed + run`.
    pub seed: u64,
}

/// One curve of one run: `y` at `x` (non-finite points are dropped).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    pub key: String,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
}

/// The loss landscape and paths of Fig. 6e.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PcaData {
    /// Grid coordinates along pc1 and pc2, ascending.
    pub a: Vec<f64>,
    pub b: Vec<f64>,
    /// `loss[j * a.len() + i]` at `(a[i], b[j])`: mean per-sample training loss.
    pub loss: Vec<f64>,
    pub paths: Vec<PcaPath>,
    /// Share of the variance of all snapshots on pc1 and pc2.
    pub explained: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PcaPath {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// What a run produced. `failure` is set (and the curves are partial) when the
/// network died or diverged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub run: usize,
    pub condition: usize,
    pub condition_name: String,
    pub seed: u64,
    pub steps: u64,
    pub curves: Vec<Curve>,
    pub pca: Option<PcaData>,
    pub failure: Option<String>,
}

/// A series of a panel: mean and sample standard deviation across runs at each x.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub key: String,
    /// Legend text (says which weights the line is).
    pub label: String,
    /// Colour index into the plot palette.
    pub colour: usize,
    pub dashed: bool,
    pub x: Vec<f64>,
    pub mean: Vec<f64>,
    pub sd: Vec<f64>,
    /// Runs that contributed to each point.
    pub n: Vec<usize>,
}

/// One panel: labels, scale and its series (or the PCA landscape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Panel {
    /// Paper panel letter or a short name (`"a"`, `"b-early"`, `"accuracy"`).
    pub key: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub log_y: bool,
    /// Draw markers at the points (few x values, e.g. orders or fractions).
    pub markers: bool,
    pub series: Vec<Series>,
    pub pca: Option<PcaData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedRun {
    pub run: usize,
    pub condition_name: String,
    pub seed: u64,
    pub reason: String,
}

/// Everything needed to draw a figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FigureData {
    pub experiment: ExperimentId,
    pub title: String,
    pub params: Params,
    pub runs_total: usize,
    pub runs_done: usize,
    pub failed: Vec<FailedRun>,
    pub panels: Vec<Panel>,
}

impl FigureData {
    pub fn panel(&self, key: &str) -> Option<&Panel> {
        self.panels.iter().find(|p| p.key == key)
    }

    /// Long-format CSV: `panel,series,x,mean,sd,n` (PCA grids and paths as extra rows).
    pub fn to_csv(&self) -> String {
        let mut s = String::from("panel,series,x,mean,sd,n\n");
        for p in &self.panels {
            for ser in &p.series {
                for i in 0..ser.x.len() {
                    s.push_str(&format!(
                        "{},{},{},{},{},{}\n",
                        p.key, ser.key, ser.x[i], ser.mean[i], ser.sd[i], ser.n[i]
                    ));
                }
            }
            if let Some(pca) = &p.pca {
                for (j, b) in pca.b.iter().enumerate() {
                    for (i, a) in pca.a.iter().enumerate() {
                        s.push_str(&format!("{},loss@{a}:{b},{a},{},0,1\n", p.key, pca.loss[j * pca.a.len() + i]));
                    }
                }
                for path in &pca.paths {
                    for (a, b) in &path.points {
                        s.push_str(&format!("{},path:{},{a},{b},0,1\n", p.key, path.label));
                    }
                }
            }
        }
        s
    }
}

// ---------------------------------------------------------------------------
// Running

/// Runs a spec to the end.
pub fn run_one(spec: &RunSpec, data: &Mnist15) -> Result<RunResult> {
    let mut state = RunState::new(spec, data)?;
    loop {
        if let Some(r) = state.advance(usize::MAX)? {
            return Ok(r);
        }
    }
}

/// A run in progress, advanced in chunks (e.g. inside `requestAnimationFrame`).
pub struct RunState {
    spec: RunSpec,
    job: Job,
    steps: u64,
    finished: bool,
}

enum Job {
    OpenLoop(Box<OpenLoop>),
    Train(Box<TrainJob>),
    Pca(Box<PcaJob>),
}

impl RunState {
    /// Sets the run up (copies what it needs from `data`; `fig2b` ignores it).
    pub fn new(spec: &RunSpec, data: &Mnist15) -> Result<RunState> {
        spec.params.validate()?;
        let conditions = spec.params.conditions();
        if spec.condition >= conditions.len() {
            return Err(Error::InvalidParam(format!("condition {} of {}", spec.condition, conditions.len())));
        }
        let job = match &spec.params {
            Params::Fig2b(p) => {
                Job::OpenLoop(Box::new(OpenLoop::new(p, Fig2bCondition::ALL[spec.condition], spec.seed)))
            }
            Params::Fig6(p) if conditions[spec.condition] == "pca" => {
                Job::Pca(Box::new(PcaJob::new(p, spec.seed, data)?))
            }
            _ => Job::Train(Box::new(TrainJob::new(spec, data)?)),
        };
        Ok(RunState { spec: spec.clone(), job, steps: 0, finished: false })
    }

    pub fn spec(&self) -> &RunSpec {
        &self.spec
    }

    /// Steps done so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Total steps the run will take (training steps, plus grid rows for PCA).
    pub fn total_steps(&self) -> u64 {
        match &self.job {
            Job::OpenLoop(j) => j.iterations as u64,
            Job::Train(j) => j.total_steps,
            Job::Pca(j) => j.total_steps(),
        }
    }

    /// Does up to `max_steps` steps; returns the result once the run is done
    /// (a dead or diverged network ends the run with `failure` set).
    pub fn advance(&mut self, max_steps: usize) -> Result<Option<RunResult>> {
        if self.finished {
            return Err(Error::InvalidParam("this run has already finished".into()));
        }
        let mut done = 0usize;
        let mut failure = None;
        while done < max_steps.max(1) {
            let step = match &mut self.job {
                Job::OpenLoop(j) => j.step(),
                Job::Train(j) => j.step(),
                Job::Pca(j) => j.step(),
            };
            match step {
                Ok(true) => {
                    self.steps += 1;
                    done += 1;
                }
                Ok(false) => break,
                Err(Error::Diverged(m)) => {
                    failure = Some(m);
                    break;
                }
                Err(e) => return Err(e),
            }
            if self.is_complete() {
                break;
            }
        }
        if failure.is_none() && !self.is_complete() {
            return Ok(None);
        }
        self.finished = true;
        let (curves, pca) = match &mut self.job {
            Job::OpenLoop(j) => (std::mem::take(&mut j.curves), None),
            Job::Train(j) => (j.finish(failure.is_some())?, None),
            Job::Pca(j) => (Vec::new(), j.result.take()),
        };
        Ok(Some(RunResult {
            run: self.spec.run,
            condition: self.spec.condition,
            condition_name: self.spec.condition_name.clone(),
            seed: self.spec.seed,
            steps: self.steps,
            curves: curves.into_iter().filter(|c| !c.x.is_empty()).collect(),
            pca,
            failure,
        }))
    }

    fn is_complete(&self) -> bool {
        match &self.job {
            Job::OpenLoop(j) => j.k >= j.iterations,
            Job::Train(j) => j.trainer.is_done(),
            Job::Pca(j) => j.result.is_some(),
        }
    }
}

fn push_point(curves: &mut Vec<Curve>, key: &str, x: f64, y: f64) {
    if !(x.is_finite() && y.is_finite()) {
        return;
    }
    match curves.iter_mut().find(|c| c.key == key) {
        Some(c) => {
            c.x.push(x);
            c.y.push(y);
        }
        None => curves.push(Curve { key: key.to_string(), x: vec![x], y: vec![y] }),
    }
}

// --- fig2b: the open-loop net ----------------------------------------------

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
    curves: Vec<Curve>,
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
            curves: Vec::new(),
        };
        job.record();
        job
    }

    fn record(&mut self) {
        let angle = angle_transposed_deg(&self.w1, &self.b1, self.n, self.n);
        push_point(&mut self.curves, &format!("{}/angle", self.cond.key()), self.k as f64, angle);
    }

    fn step(&mut self) -> Result<bool> {
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

// --- training experiments ----------------------------------------------------

/// An alignment-term probe: orders `1..=max_order` at step `at` (0-based).
struct OrderProbe {
    name: &'static str,
    at: u64,
    max_order: usize,
    tracker: Option<AlignmentTracker>,
}

/// Trailing moving average per layer.
struct MovingAverage {
    window: usize,
    values: Vec<std::collections::VecDeque<f64>>,
}

impl MovingAverage {
    fn new(window: usize, layers: usize) -> Self {
        MovingAverage { window, values: (0..layers).map(|_| std::collections::VecDeque::new()).collect() }
    }

    fn push(&mut self, layer: usize, v: f64) {
        let q = &mut self.values[layer];
        if v.is_finite() {
            q.push_back(v);
            if q.len() > self.window {
                q.pop_front();
            }
        }
    }

    fn mean(&self, layer: usize) -> f64 {
        let q = &self.values[layer];
        if q.is_empty() { f64::NAN } else { q.iter().sum::<f64>() / q.len() as f64 }
    }
}

/// What a training run records.
#[derive(Default)]
struct Record {
    norms: bool,
    alignment: bool,
    update_angles: Option<usize>,
    feedback_update: Option<usize>,
    accuracy: bool,
    /// Final `∠(W_l, B_lᵀ)` against this x (fig5a).
    final_alignment_at: Option<f64>,
    /// Mean over layers instead of per layer (`rules`).
    layer_means: bool,
}

struct TrainJob {
    trainer: Trainer,
    tag: String,
    record: Record,
    record_every: u64,
    total_steps: u64,
    switch_to_bp_after: Option<usize>,
    eta_scale: f32,
    probes: Vec<OrderProbe>,
    disturbed: Option<(DisturbedCopy, DisturbedCopy)>,
    update_ma: Option<MovingAverage>,
    feedback_ma: Option<MovingAverage>,
    loss_sum: f64,
    loss_count: u64,
    curves: Vec<Curve>,
}

impl TrainJob {
    fn new(spec: &RunSpec, data: &Mnist15) -> Result<TrainJob> {
        let seed = spec.seed;
        let tag = spec.condition_name.clone();
        let mut record = Record { accuracy: true, ..Record::default() };
        let mut probes = Vec::new();
        let mut switch_to_bp_after = None;
        let mut with_disturbed = false;
        let (setup, cfg) = match &spec.params {
            Params::Fig3(p) => {
                let mut cfg = p.train.config(Rule::Feedback, seed);
                cfg.shuffle = spec.condition == 1;
                let total = (p.train.epochs * p.train.steps_per_epoch(data.train.len())) as u64;
                let late = p.late_step.map(|s| s as u64).unwrap_or(total - 1);
                if late >= total {
                    return Err(Error::InvalidParam(format!("fig3: late step {late} ≥ {total} steps")));
                }
                probes.push(OrderProbe {
                    name: "early",
                    at: p.early_step as u64,
                    max_order: p.max_order,
                    tracker: None,
                });
                probes.push(OrderProbe { name: "late", at: late, max_order: p.max_order, tracker: None });
                record.accuracy = false;
                (&p.train, cfg)
            }
            Params::Fig4(p) => {
                with_disturbed = true;
                record.accuracy = false;
                (&p.train, p.train.config(Rule::Feedback, seed))
            }
            Params::Fig5(p) => {
                let mut cfg = p.train.config(Rule::Feedback, seed);
                cfg.label_shuffle = p.fractions[spec.condition];
                let total = (p.train.epochs * p.train.steps_per_epoch(data.train.len())) as u64;
                let order = p.max_order.min(total as usize - 1);
                if order > 0 {
                    probes.push(OrderProbe { name: "late", at: total - 1, max_order: order, tracker: None });
                }
                record.final_alignment_at = Some(cfg.label_shuffle);
                (&p.train, cfg)
            }
            Params::Fig6(p) => {
                let rule = match tag.as_str() {
                    "bp" => Rule::Backprop,
                    "dfa" => Rule::Direct,
                    _ => Rule::Feedback,
                };
                let mut cfg = p.train.config(rule, seed);
                if tag == "fa_wn" {
                    cfg.net.weight_norm = Some(p.gamma);
                }
                cfg.update_angles = rule != Rule::Backprop;
                record.norms = true;
                record.alignment = rule == Rule::Feedback;
                record.update_angles = cfg.update_angles.then_some(p.moving_average);
                record.feedback_update = record.alignment.then_some(p.moving_average);
                (&p.train, cfg)
            }
            Params::Fig7(p) => {
                let t = p.thresholds[spec.condition];
                let rule = if t == 0 { Rule::Backprop } else { Rule::Feedback };
                if t > 0 && t < p.train.epochs {
                    switch_to_bp_after = Some(t);
                }
                (&p.train, p.train.config(rule, seed))
            }
            Params::Rules(p) => {
                let rule = p.rules[spec.condition];
                let mut cfg = p.train.config(rule, seed);
                cfg.update_angles = rule != Rule::Backprop;
                record.update_angles = cfg.update_angles.then_some(p.moving_average);
                record.alignment = !matches!(rule, Rule::Backprop | Rule::Direct);
                record.layer_means = true;
                (&p.train, cfg)
            }
            Params::Fig2b(_) => unreachable!("fig2b is an open-loop job"),
        };
        let trainer = Trainer::new(cfg, data)?;
        let total_steps = (trainer.steps_per_epoch() * setup.epochs) as u64;
        let d = trainer.network().depth();
        let disturbed = if with_disturbed {
            let net = trainer.network();
            let mut rng = Rng::new(seed, Purpose::Extra(4));
            Some((
                DisturbedCopy::new(net, DisturbedFeedback::Same)?,
                DisturbedCopy::new(net, DisturbedFeedback::Fresh(&mut rng))?,
            ))
        } else {
            None
        };
        let mut job = TrainJob {
            update_ma: record.update_angles.map(|w| MovingAverage::new(w, d)),
            feedback_ma: record.feedback_update.map(|w| MovingAverage::new(w, d)),
            trainer,
            tag,
            record,
            record_every: setup.record_every as u64,
            total_steps,
            switch_to_bp_after,
            eta_scale: setup.eta_scale,
            probes,
            disturbed,
            loss_sum: 0.0,
            loss_count: 0,
            curves: Vec::new(),
        };
        job.record_state(0.0)?;
        Ok(job)
    }

    fn key(&self, what: &str) -> String {
        format!("{}/{what}", self.tag)
    }

    fn step(&mut self) -> Result<bool> {
        if self.trainer.is_done() {
            return Ok(false);
        }
        let k = self.trainer.iteration();
        for probe in &mut self.probes {
            if probe.tracker.is_none() && k + probe.max_order as u64 >= probe.at && k <= probe.at {
                probe.tracker = Some(AlignmentTracker::new(self.trainer.network(), probe.max_order + 1)?);
            }
        }
        let rec = self.trainer.step()?;
        let net = self.trainer.network();
        for probe in &mut self.probes {
            if let Some(tracker) = probe.tracker.as_mut() {
                tracker.observe(net)?;
                if rec.iteration == probe.at {
                    let angles = tracker.linear_angles_deg(net)?;
                    for (i, per_order) in angles.iter().enumerate() {
                        let key = format!("{}/order/{}/{}", self.tag, probe.name, i + 1);
                        for (o, &a) in per_order.iter().enumerate() {
                            push_point(&mut self.curves, &key, (o + 1) as f64, a);
                        }
                    }
                    probe.tracker = None;
                }
            }
        }
        if let Some((same, fresh)) = self.disturbed.as_mut() {
            same.observe(net)?;
            fresh.observe(net)?;
        }
        let m = &rec.metrics;
        if let (Some(ma), Some(angles)) = (self.update_ma.as_mut(), m.update_angle_deg.as_ref()) {
            angles.iter().enumerate().for_each(|(l, &a)| ma.push(l, a));
        }
        if let Some(ma) = self.feedback_ma.as_mut() {
            m.feedback_update_angle_deg.iter().enumerate().for_each(|(l, &a)| ma.push(l, a));
        }
        self.loss_sum += m.loss;
        self.loss_count += 1;
        let steps = rec.iteration + 1;
        if self.trainer.is_epoch_boundary() {
            let acc = self.trainer.epoch_end()?;
            if self.record.accuracy {
                let key = self.key("accuracy");
                push_point(&mut self.curves, &key, self.trainer.epoch() as f64, 100.0 * acc);
            }
            if self.switch_to_bp_after == Some(self.trainer.epoch()) {
                let net = self.trainer.network_mut();
                net.set_rule(Rule::Backprop)?;
                net.set_eta(Rule::Backprop.default_eta() * self.eta_scale)?;
                // The paper's claim is that BP then gets stuck at a zero-gradient
                // point: a dead network is the result to draw, not a failed run.
                net.set_allow_dead(true);
            }
        }
        if steps.is_multiple_of(self.record_every) || steps == self.total_steps {
            let loss = self.loss_sum / self.loss_count.max(1) as f64;
            self.loss_sum = 0.0;
            self.loss_count = 0;
            self.record_state(loss)?;
        }
        Ok(true)
    }

    /// Records the curves at the current step (`loss` is the mean since the last point).
    fn record_state(&mut self, loss: f64) -> Result<()> {
        let net = self.trainer.network();
        let x = net.iteration() as f64;
        let d = net.depth();
        let mut points: Vec<(String, f64)> = Vec::new();
        if net.iteration() > 0 {
            points.push((self.key("loss"), loss));
        }
        if self.record.norms {
            (0..d).for_each(|l| points.push((self.key(&format!("norm/{l}")), fro_norm(net.weights(l)))));
        }
        let hidden = 1..d;
        if self.record.alignment {
            let angles: Vec<f64> = hidden.clone().map(|l| crate::metrics::weight_alignment_deg(net, l)).collect();
            if self.record.layer_means {
                points.push((self.key("align/mean"), mean_finite(&angles)));
            } else {
                hidden.clone().zip(&angles).for_each(|(l, &a)| points.push((self.key(&format!("align/{l}")), a)));
            }
        }
        if net.iteration() > 0 {
            if let Some(ma) = &self.update_ma {
                if self.record.layer_means {
                    // The last layer's angle is 0 for every rule: leave it out of the mean.
                    let v: Vec<f64> = (0..d - 1).map(|l| ma.mean(l)).collect();
                    points.push((self.key("update/mean"), mean_finite(&v)));
                } else {
                    (0..d).for_each(|l| points.push((self.key(&format!("update/{l}")), ma.mean(l))));
                }
            }
            if let Some(ma) = &self.feedback_ma {
                hidden.clone().for_each(|l| points.push((self.key(&format!("fbupdate/{l}")), ma.mean(l))));
            }
        }
        if let Some((same, fresh)) = &self.disturbed {
            for (i, (s, f)) in same.angles(net)?.iter().zip(fresh.angles(net)?).enumerate() {
                let l = i + 1;
                points.push((self.key(&format!("real/{l}")), s.real_deg));
                points.push((self.key(&format!("disturbed/{l}")), s.disturbed_deg));
                points.push((self.key(&format!("disturbed_new/{l}")), f.disturbed_to_new_deg.unwrap_or(f64::NAN)));
            }
        }
        for (key, y) in points {
            push_point(&mut self.curves, &key, x, y);
        }
        Ok(())
    }

    fn finish(&mut self, failed: bool) -> Result<Vec<Curve>> {
        if let (Some(p), false) = (self.record.final_alignment_at, failed) {
            let net = self.trainer.network();
            for l in 1..net.depth() {
                let key = format!("final_align/{l}");
                push_point(&mut self.curves, &key, p, crate::metrics::weight_alignment_deg(net, l));
            }
        }
        Ok(std::mem::take(&mut self.curves))
    }
}

fn mean_finite(v: &[f64]) -> f64 {
    let f: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if f.is_empty() { f64::NAN } else { f.iter().sum::<f64>() / f.len() as f64 }
}

// --- fig6e: PCA of BP's and FA's paths ----------------------------------------

struct PcaJob {
    trainers: [Trainer; 2],
    paths: [Trajectory; 2],
    snapshot_every: u64,
    grid: usize,
    /// Inputs and N-hot targets the contour's loss is measured on.
    x: Vec<f32>,
    y: Vec<f32>,
    n: usize,
    fitted: Option<(Pca, crate::pca::GridRange, Network)>,
    loss: Vec<f64>,
    result: Option<PcaData>,
}

impl PcaJob {
    fn new(p: &Fig6Params, seed: u64, data: &Mnist15) -> Result<PcaJob> {
        let bp = Trainer::new(p.train.config(Rule::Backprop, seed), data)?;
        let fa = Trainer::new(p.train.config(Rule::Feedback, seed), data)?;
        let n = p.pca_loss_samples.min(p.train.n_train.unwrap_or(data.train.len()));
        let x = pixels_to_inputs(&data.train.pixels[..n * N_PIXELS]);
        let codes = fa.codes();
        let mut y = vec![0.0; n * codes.n_outputs()];
        codes.encode_into(&data.train.labels[..n], &mut y)?;
        let n_params = bp.network().n_params();
        let mut paths = [Trajectory::new(n_params)?, Trajectory::new(n_params)?];
        paths[0].push(&bp.network().params_flat())?;
        paths[1].push(&fa.network().params_flat())?;
        Ok(PcaJob {
            trainers: [bp, fa],
            paths,
            snapshot_every: p.pca_snapshot_every as u64,
            grid: p.pca_grid,
            x,
            y,
            n,
            fitted: None,
            loss: Vec::new(),
            result: None,
        })
    }

    fn total_steps(&self) -> u64 {
        let t = &self.trainers[0];
        (2 * t.steps_per_epoch() * t.config().epochs + self.grid) as u64
    }

    fn step(&mut self) -> Result<bool> {
        if self.result.is_some() {
            return Ok(false);
        }
        // Training: BP and FA alternate, one step each call.
        if let Some(i) = (0..2).min_by_key(|&i| (self.trainers[i].is_done(), self.trainers[i].iteration())) {
            let t = &mut self.trainers[i];
            if !t.is_done() {
                t.step()?;
                let k = t.iteration();
                if k.is_multiple_of(self.snapshot_every) || t.is_done() {
                    self.paths[i].push(&t.network().params_flat())?;
                }
                return Ok(true);
            }
        }
        if self.fitted.is_none() {
            let pca = Pca::fit(&[&self.paths[0], &self.paths[1]], 2)?;
            let range = pca.projected_range(&[&self.paths[0], &self.paths[1]], 0.15)?;
            let net = self.trainers[0].network().clone();
            self.fitted = Some((pca, range, net));
            return Ok(true);
        }
        let (pca, range, net) = self.fitted.as_mut().expect("fitted above");
        let axis = |(lo, hi): (f64, f64), n: usize| -> Vec<f64> {
            (0..n).map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64).collect()
        };
        let (a, b) = (axis(range.a, self.grid), axis(range.b, self.grid));
        // One grid row per call.
        let j = self.loss.len() / self.grid;
        let mut buf = vec![0.0f32; net.n_params()];
        for &ai in &a {
            pca.point_into(ai, b[j], &mut buf)?;
            net.set_params_flat(&buf)?;
            let l = net.loss_on(&self.x, &self.y, self.n)? / self.n as f64;
            self.loss.push(l);
        }
        if self.loss.len() == self.grid * self.grid {
            let paths = ["BP", "FA"]
                .iter()
                .zip(&self.paths)
                .map(|(label, t)| Ok(PcaPath { label: label.to_string(), points: pca.project_trajectory(t)? }))
                .collect::<Result<Vec<_>>>()?;
            let ev = pca.explained_variance_ratio();
            self.result = Some(PcaData {
                a,
                b,
                loss: std::mem::take(&mut self.loss),
                paths,
                explained: ev.into_iter().take(2).collect(),
            });
        }
        Ok(true)
    }
}

// ---------------------------------------------------------------------------
// Aggregation

/// What a panel is made of before the runs are in.
struct PanelDef {
    key: &'static str,
    title: String,
    x_label: &'static str,
    y_label: &'static str,
    log_y: bool,
    markers: bool,
    series: Vec<SeriesDef>,
    pca: bool,
}

struct SeriesDef {
    key: String,
    label: String,
    colour: usize,
    dashed: bool,
}

fn sdef(key: impl Into<String>, label: impl Into<String>, colour: usize, dashed: bool) -> SeriesDef {
    SeriesDef { key: key.into(), label: label.into(), colour, dashed }
}

fn panel(
    key: &'static str,
    title: impl Into<String>,
    x_label: &'static str,
    y_label: &'static str,
    series: Vec<SeriesDef>,
) -> PanelDef {
    PanelDef { key, title: title.into(), x_label, y_label, log_y: false, markers: false, series, pca: false }
}

const ITER: &str = "iteration";
const ANGLE: &str = "angle (degrees)";
/// Hidden weight layers of the paper net with a `B_l`.
const HIDDEN: [usize; 4] = [1, 2, 3, 4];
const ALL_LAYERS: [usize; 5] = [0, 1, 2, 3, 4];

fn layer_name(l: usize) -> String {
    format!("W_{l}")
}

fn layout(params: &Params) -> Vec<PanelDef> {
    match params {
        Params::Fig2b(_) => vec![panel(
            "b",
            "∠(W_1, B_1ᵀ) in the open-loop net",
            ITER,
            ANGLE,
            Fig2bCondition::ALL
                .iter()
                .enumerate()
                .map(|(i, c)| sdef(format!("{}/angle", c.key()), c.label(), i, false))
                .collect(),
        )],
        Params::Fig3(_) => {
            let mut v = Vec::new();
            for (cond, letter, what) in [("fixed", "b", "no shuffling"), ("shuffled", "c", "shuffled every epoch")] {
                for (when, key) in [
                    ("early", if letter == "b" { "b-early" } else { "c-early" }),
                    ("late", if letter == "b" { "b-late" } else { "c-late" }),
                ] {
                    let series = HIDDEN
                        .iter()
                        .map(|&l| sdef(format!("{cond}/order/{when}/{l}"), format!("T^o_{l} (W_{l})"), l, false))
                        .collect();
                    let mut p = panel(key, format!("∠(T^o_l, B_lᵀ), {what}, {when} step"), "order o", ANGLE, series);
                    p.markers = true;
                    v.push(p);
                }
            }
            v
        }
        Params::Fig4(_) => vec![
            panel(
                "a",
                "real W_l vs disturbed W̃_l (same B_l): ∠(·, B_lᵀ)",
                ITER,
                ANGLE,
                HIDDEN
                    .iter()
                    .flat_map(|&l| {
                        [
                            sdef(format!("fa/real/{l}"), format!("W_{l}"), l, false),
                            sdef(format!("fa/disturbed/{l}"), format!("W̃_{l}"), l, true),
                        ]
                    })
                    .collect(),
            ),
            panel(
                "b",
                "real ∠(W_l, B_lᵀ) vs disturbed with fresh B_new: ∠(W̃_l, B_newᵀ)",
                ITER,
                ANGLE,
                HIDDEN
                    .iter()
                    .flat_map(|&l| {
                        [
                            sdef(format!("fa/real/{l}"), format!("W_{l}"), l, false),
                            sdef(format!("fa/disturbed_new/{l}"), format!("W̃_{l} (B_new)"), l, true),
                        ]
                    })
                    .collect(),
            ),
        ],
        Params::Fig5(p) => {
            let cond = |i: usize, f: f64| (format!("p{f}"), format!("p = {f}"), i);
            let mut a = panel(
                "a",
                "final ∠(W_l, B_lᵀ) vs label-shuffle fraction",
                "fraction of labels shuffled p",
                ANGLE,
                HIDDEN.iter().map(|&l| sdef(format!("final_align/{l}"), layer_name(l), l, false)).collect(),
            );
            a.markers = true;
            let conds: Vec<_> = p.fractions.iter().enumerate().map(|(i, &f)| cond(i, f)).collect();
            let mut b = panel(
                "b",
                "training loss (batch, ½ΣE²)",
                ITER,
                "loss",
                conds.iter().map(|(k, l, i)| sdef(format!("{k}/loss"), l, *i, false)).collect(),
            );
            b.log_y = true;
            let mut c = panel(
                "c",
                "∠(T^o_1, B_1ᵀ) at the last step (W_1)",
                "order o",
                ANGLE,
                conds.iter().map(|(k, l, i)| sdef(format!("{k}/order/late/1"), l, *i, false)).collect(),
            );
            c.markers = true;
            let d = panel(
                "d",
                "test accuracy",
                "epoch",
                "test accuracy (%)",
                conds.iter().map(|(k, l, i)| sdef(format!("{k}/accuracy"), l, *i, false)).collect(),
            );
            vec![a, b, c, d]
        }
        Params::Fig6(p) => {
            let mut v = vec![
                panel(
                    "a",
                    "‖W_l‖_F under FA",
                    ITER,
                    "Frobenius norm",
                    ALL_LAYERS.iter().map(|&l| sdef(format!("fa/norm/{l}"), layer_name(l), l, false)).collect(),
                ),
                panel(
                    "b",
                    "∠(W_l, B_lᵀ): FA (solid) vs FA+WN (dashed)",
                    ITER,
                    ANGLE,
                    HIDDEN
                        .iter()
                        .flat_map(|&l| {
                            [
                                sdef(format!("fa/align/{l}"), format!("W_{l} FA"), l, false),
                                sdef(format!("fa_wn/align/{l}"), format!("W_{l} FA+WN"), l, true),
                            ]
                        })
                        .collect(),
                ),
                panel(
                    "c",
                    format!("∠(ΔW_l^FA, ΔW_l^BP), moving average {}", p.moving_average),
                    ITER,
                    ANGLE,
                    ALL_LAYERS.iter().map(|&l| sdef(format!("fa/update/{l}"), format!("ΔW_{l}"), l, false)).collect(),
                ),
                panel(
                    "d",
                    format!("∠(B_lᵀ, ΔW_l): FA (solid) vs FA+WN (dashed), moving average {}", p.moving_average),
                    ITER,
                    ANGLE,
                    HIDDEN
                        .iter()
                        .flat_map(|&l| {
                            [
                                sdef(format!("fa/fbupdate/{l}"), format!("ΔW_{l} FA"), l, false),
                                sdef(format!("fa_wn/fbupdate/{l}"), format!("ΔW_{l} FA+WN"), l, true),
                            ]
                        })
                        .collect(),
                ),
                PanelDef {
                    key: "e",
                    title: "PCA of BP and FA parameter paths over the training loss".into(),
                    x_label: "pc1",
                    y_label: "pc2",
                    log_y: false,
                    markers: false,
                    series: Vec::new(),
                    pca: true,
                },
            ];
            if p.include_dfa {
                v.push(panel(
                    "c-dfa",
                    format!("DFA: ∠(ΔW_l^DFA, ΔW_l^BP), moving average {}", p.moving_average),
                    ITER,
                    ANGLE,
                    ALL_LAYERS.iter().map(|&l| sdef(format!("dfa/update/{l}"), format!("ΔW_{l}"), l, true)).collect(),
                ));
            }
            let mut rules = vec![("bp", "BP", 0), ("fa", "FA", 1), ("fa_wn", "FA+WN", 2)];
            if p.include_dfa {
                rules.push(("dfa", "DFA", 3));
            }
            v.push(panel(
                "accuracy",
                "test accuracy",
                "epoch",
                "test accuracy (%)",
                rules.iter().map(|(k, l, c)| sdef(format!("{k}/accuracy"), *l, *c, false)).collect(),
            ));
            v
        }
        Params::Fig7(p) => {
            let label = |t: usize| {
                if t == 0 {
                    "BP only (T = 0)".to_string()
                } else if t >= p.train.epochs {
                    format!("FA only (T = {t})")
                } else {
                    format!("T = {t}")
                }
            };
            let mut a = panel(
                "loss",
                "training loss (batch, ½ΣE²)",
                ITER,
                "loss",
                p.thresholds.iter().enumerate().map(|(i, &t)| sdef(format!("T{t}/loss"), label(t), i, false)).collect(),
            );
            a.log_y = true;
            let b = panel(
                "accuracy",
                "test accuracy",
                "epoch",
                "test accuracy (%)",
                p.thresholds
                    .iter()
                    .enumerate()
                    .map(|(i, &t)| sdef(format!("T{t}/accuracy"), label(t), i, false))
                    .collect(),
            );
            vec![a, b]
        }
        Params::Rules(p) => {
            let names: Vec<(String, usize)> =
                p.rules.iter().enumerate().map(|(i, r)| (r.name().to_string(), i)).collect();
            let label = |n: &str| match n {
                "bp" => "BP",
                "fa" => "FA",
                "dfa" => "DFA",
                "sign" => "sign-symmetry",
                _ => "Kolen–Pollack",
            };
            let acc = panel(
                "accuracy",
                "test accuracy",
                "epoch",
                "test accuracy (%)",
                names.iter().map(|(n, i)| sdef(format!("{n}/accuracy"), label(n), *i, false)).collect(),
            );
            let upd = panel(
                "update",
                format!("∠(ΔW_l^rule, ΔW_l^BP), mean over W_0..W_3, moving average {}", p.moving_average),
                ITER,
                ANGLE,
                names
                    .iter()
                    .filter(|(n, _)| n != "bp")
                    .map(|(n, i)| sdef(format!("{n}/update/mean"), label(n), *i, false))
                    .collect(),
            );
            let align = panel(
                "alignment",
                "∠(W_l, feedback_lᵀ), mean over W_1..W_4",
                ITER,
                ANGLE,
                names
                    .iter()
                    .filter(|(n, _)| n != "bp" && n != "dfa")
                    .map(|(n, i)| sdef(format!("{n}/align/mean"), label(n), *i, false))
                    .collect(),
            );
            let mut loss = panel(
                "loss",
                "training loss (batch, ½ΣE²)",
                ITER,
                "loss",
                names.iter().map(|(n, i)| sdef(format!("{n}/loss"), label(n), *i, false)).collect(),
            );
            loss.log_y = true;
            vec![acc, upd, align, loss]
        }
    }
}

/// Mean and sample standard deviation (0 for one value).
fn mean_sd(ys: &[f64]) -> (f64, f64) {
    let n = ys.len() as f64;
    let mean = ys.iter().sum::<f64>() / n;
    if ys.len() < 2 {
        return (mean, 0.0);
    }
    let var = ys.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// Builds the figure from whatever runs have finished: means and standard
/// deviations over the runs that reached each x value; failed runs are listed,
/// not averaged.
pub fn aggregate(params: &Params, results: &[RunResult]) -> Result<FigureData> {
    let runs_total = params.runs()?.len();
    let ok: Vec<&RunResult> = results.iter().filter(|r| r.failure.is_none()).collect();
    let failed = results
        .iter()
        .filter_map(|r| {
            r.failure.as_ref().map(|reason| FailedRun {
                run: r.run,
                condition_name: r.condition_name.clone(),
                seed: r.seed,
                reason: reason.clone(),
            })
        })
        .collect();
    let mut panels = Vec::new();
    for def in layout(params) {
        let mut series = Vec::new();
        for s in def.series {
            let mut pts: Vec<(f64, f64)> = ok
                .iter()
                .flat_map(|r| r.curves.iter().filter(|c| c.key == s.key))
                .flat_map(|c| c.x.iter().copied().zip(c.y.iter().copied()))
                .collect();
            if pts.is_empty() {
                continue;
            }
            pts.sort_by(|p, q| p.0.total_cmp(&q.0));
            let mut out = Series {
                key: s.key,
                label: s.label,
                colour: s.colour,
                dashed: s.dashed,
                x: vec![],
                mean: vec![],
                sd: vec![],
                n: vec![],
            };
            for group in pts.chunk_by(|p, q| p.0 == q.0) {
                let ys: Vec<f64> = group.iter().map(|p| p.1).collect();
                let (m, sd) = mean_sd(&ys);
                out.x.push(group[0].0);
                out.mean.push(m);
                out.sd.push(sd);
                out.n.push(ys.len());
            }
            series.push(out);
        }
        let pca = if def.pca { ok.iter().find_map(|r| r.pca.clone()) } else { None };
        panels.push(Panel {
            key: def.key.to_string(),
            title: def.title,
            x_label: def.x_label.to_string(),
            y_label: def.y_label.to_string(),
            log_y: def.log_y,
            markers: def.markers,
            series,
            pca,
        });
    }
    Ok(FigureData {
        experiment: params.id(),
        title: params.id().title().to_string(),
        params: params.clone(),
        runs_total,
        runs_done: results.len(),
        failed,
        panels,
    })
}

/// Runs every spec of `params` in order and aggregates them (the CLI's path;
/// the page runs the specs in workers instead).
pub fn run_all(params: &Params, data: &Mnist15, mut on_result: impl FnMut(&RunResult)) -> Result<FigureData> {
    let mut results = Vec::new();
    for spec in params.runs()? {
        let r = run_one(&spec, data)?;
        on_result(&r);
        results.push(r);
    }
    aggregate(params, &results)
}
