//! How the MNIST experiments train: [`TrainSetup`], shared by every figure
//! that trains the paper's network.

use serde::{Deserialize, Serialize};

use crate::net::Rule;
use crate::train::TrainConfig;
use crate::versions;
use crate::{Error, Result};

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
    /// BP runs draw FA's `B_l` and never use it, so BP's `∠(W_l, B_lᵀ)` can be
    /// drawn as a control (link version 2 on).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bp_control: bool,
    /// A network that dies (docs/math.md §8) goes on stepping, unchanged by
    /// dead batches, so its loss, accuracy, norms and angles stay in the means
    /// and the panels count it (link version 2 on). Without it the run ends
    /// there and is left out of the means.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keep_dead: bool,
}

impl TrainSetup {
    pub(crate) fn paper(epochs: usize) -> TrainSetup {
        TrainSetup {
            epochs,
            batch: 1000,
            n_train: None,
            record_every: 10,
            eta_scale: 1.0,
            bp_control: false,
            keep_dead: false,
        }
    }

    /// What every training figure gains in link version 2: BP's control `B`,
    /// dead networks kept in the means.
    pub(crate) fn in_version(self, version: u32) -> TrainSetup {
        TrainSetup {
            bp_control: versions::has_bp_control(version),
            keep_dead: versions::keeps_dead_networks(version),
            ..self
        }
    }

    pub(crate) fn quick(n_train: usize, batch: usize, epochs: usize, record_every: usize) -> TrainSetup {
        // Half the paper's step size: η·batch = ½ · η·1000 (see `eta_scale`).
        let eta_scale = 500.0 / batch as f32;
        TrainSetup {
            epochs,
            batch,
            n_train: Some(n_train),
            record_every,
            eta_scale,
            bp_control: false,
            keep_dead: false,
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.record_every == 0 {
            return Err(Error::InvalidParam("record_every must be at least 1".into()));
        }
        if !(self.eta_scale.is_finite() && self.eta_scale > 0.0 && self.eta_scale <= 1000.0) {
            return Err(Error::InvalidParam(format!("eta_scale must be in (0, 1000], got {}", self.eta_scale)));
        }
        if self.n_train.is_some_and(|n| n < self.batch) {
            return Err(Error::InvalidParam("n_train must be at least one batch".into()));
        }
        self.config(Rule::Feedback, 0).validate().map(drop)
    }

    /// The training run of `rule` with its default `η` times `eta_scale`.
    pub(crate) fn config(&self, rule: Rule, seed: u64) -> TrainConfig {
        let mut cfg = TrainConfig::paper(rule, seed);
        cfg.net.eta = rule.default_eta() * self.eta_scale;
        cfg.epochs = self.epochs;
        cfg.batch = self.batch;
        cfg.n_train = self.n_train;
        cfg.control_feedback = self.bp_control && rule.takes_control_feedback();
        cfg
    }

    /// Steps in an epoch on a training split of `data_len` images.
    pub(crate) fn steps_per_epoch(&self, data_len: usize) -> usize {
        self.n_train.unwrap_or(data_len).div_ceil(self.batch.max(1))
    }
}

/// Runs of a preset in link `version`: from version 2 on, a quick preset has at
/// least 5, so every claim holds with a margin from the runs' spread.
pub(crate) fn quick_runs(preset: super::Preset, version: u32, runs: usize) -> usize {
    let quick = preset == super::Preset::Quick;
    if quick && versions::quick_presets_keep_effects(version) { runs.max(5) } else { runs }
}
