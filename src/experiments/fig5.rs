//! Fig. 5: label shuffling — a fraction `p` of the training labels permuted
//! once — against alignment, loss, alignment by order and accuracy
//! (docs/math.md §6 and §7, row `fig5`).

use serde::{Deserialize, Serialize};

use super::job::{Job, TrainJob};
use super::keys::{Measure, Moment, PanelKey, SeriesKey};
use super::layout::{ACCURACY, ANGLE, EPOCH, HIDDEN, ITER, LOSS_TITLE, PanelDef, SeriesDef, line};
use super::probes::{AccuracyProbe, FinalAlignmentProbe, LossProbe, OrderProbe, Probe};
use super::setup::quick_runs;
use super::{Experiment, Preset, TrainSetup};
use crate::data::Mnist15;
use crate::net::Rule;
use crate::train::Trainer;
use crate::{Error, Result};

/// The condition of label-shuffle fraction `f`: `p0`, `p0.25`, …
fn condition(f: f64) -> String {
    format!("p{f}")
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
    /// The presets of link version 1 (links without `v`), kept as they were.
    fn preset_v1(preset: Preset) -> Self {
        let fractions = vec![0.0, 0.25, 0.5, 0.75, 1.0];
        if preset == Preset::Quick {
            Fig5Params { runs: 2, seed: 0, train: TrainSetup::quick(3000, 50, 3, 6), fractions, max_order: 130 }
        } else {
            Fig5Params { runs: 30, seed: 0, train: TrainSetup::paper(20), fractions, max_order: 130 }
        }
    }

    /// Link version 2: 5 quick runs; a network that dies (labels shuffled) stays
    /// in the means.
    fn in_version(self, preset: Preset, version: u32) -> Self {
        Fig5Params { runs: quick_runs(preset, version, self.runs), train: self.train.in_version(version), ..self }
    }
}

impl Experiment for Fig5Params {
    fn preset(preset: Preset, version: u32) -> Self {
        Self::preset_v1(preset).in_version(preset, version)
    }

    fn title() -> &'static str {
        "Fig. 5 — label shuffling"
    }

    fn runs_seed(&mut self) -> (&mut usize, &mut u64) {
        (&mut self.runs, &mut self.seed)
    }

    fn train(&self) -> Option<&TrainSetup> {
        Some(&self.train)
    }

    fn validate(&self) -> Result<()> {
        if self.fractions.is_empty() || self.fractions.iter().any(|f| !(0.0..=1.0).contains(f)) {
            return Err(Error::InvalidParam("fig5: fractions must be a non-empty list in [0, 1]".into()));
        }
        if self.max_order == 0 {
            return Err(Error::InvalidParam("fig5: max_order must be at least 1".into()));
        }
        Ok(())
    }

    fn conditions(&self) -> Vec<String> {
        self.fractions.iter().map(|&f| condition(f)).collect()
    }

    fn job(&self, condition: usize, seed: u64, data: &Mnist15) -> Result<Box<dyn Job>> {
        let name = &self.conditions()[condition];
        let mut cfg = self.train.config(Rule::Feedback, seed);
        cfg.label_shuffle = self.fractions[condition];
        let total = (self.train.epochs * self.train.steps_per_epoch(data.train.len())) as u64;
        let order = self.max_order.min(total as usize - 1);
        let mut probes: Vec<Box<dyn Probe>> = vec![Box::new(LossProbe::new(name)), Box::new(AccuracyProbe::new(name))];
        if order > 0 {
            probes.push(Box::new(OrderProbe::new(name, Moment::Late, total - 1, order)));
        }
        probes.push(Box::new(FinalAlignmentProbe::new(cfg.label_shuffle)));
        Ok(Box::new(TrainJob::new(Trainer::new(cfg.validate()?, data)?, &self.train, probes)?))
    }

    fn panels(&self) -> Vec<PanelDef> {
        let conds: Vec<(String, String, usize)> =
            self.fractions.iter().enumerate().map(|(i, &f)| (condition(f), format!("p = {f}"), i)).collect();
        let each = |measure: Measure| -> Vec<SeriesDef> {
            conds.iter().map(|(name, label, i)| line(SeriesKey::of(name, measure), label, *i)).collect()
        };
        vec![
            PanelDef::new(
                PanelKey::A,
                "final ∠(W_l, B_lᵀ) vs label-shuffle fraction",
                "fraction of labels shuffled p",
                ANGLE,
                HIDDEN.iter().map(|&l| line(SeriesKey::across(Measure::FinalAlign(l)), format!("W_{l}"), l)).collect(),
            )
            .markers(),
            PanelDef::new(PanelKey::B, LOSS_TITLE, ITER, "loss", each(Measure::Loss)).log_y(),
            PanelDef::new(
                PanelKey::C,
                "∠(T^o_1, B_1ᵀ) at the last step (W_1)",
                "order o",
                ANGLE,
                each(Measure::Order(Moment::Late, 1)),
            )
            .markers(),
            PanelDef::new(PanelKey::D, "test accuracy", EPOCH, ACCURACY, each(Measure::Accuracy)),
        ]
    }
}
