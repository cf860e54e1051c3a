//! Fig. 7: FA for the first `T` epochs, then BP (docs/math.md §7, row `fig7`).

use serde::{Deserialize, Serialize};

use super::job::{Fork, Job, TrainJob};
use super::keys::{Measure, PanelKey, SeriesKey};
use super::layout::{ACCURACY, EPOCH, ITER, LOSS_TITLE, PanelDef, SeriesDef, line};
use super::probes::{AccuracyProbe, LossProbe, Probe};
use super::{Experiment, Preset, TrainSetup};
use crate::data::Mnist15;
use crate::net::Rule;
use crate::train::Trainer;
use crate::versions;
use crate::{Error, Result};

/// The condition of threshold `t`: `T0`, `T1`, …
fn condition(t: usize) -> String {
    format!("T{t}")
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
    /// The presets of link version 1 (links without `v`), kept as they were.
    fn preset_v1(preset: Preset) -> Self {
        if preset == Preset::Quick {
            Fig7Params { runs: 2, seed: 0, train: TrainSetup::quick(3000, 100, 6, 3), thresholds: vec![0, 1, 3, 6] }
        } else {
            Fig7Params { runs: 10, seed: 0, train: TrainSetup::paper(20), thresholds: vec![0, 2, 5, 10, 20] }
        }
    }

    /// Link version 2: the quick preset on the paper's data, batch and `η` for 5
    /// epochs, switching after 2 and 4, with 3 runs: after 4 epochs of FA,
    /// BP's first steps kill the network, as at the paper's scale (version 1's
    /// 3,000-image preset took too few steps for FA's weights to grow that far).
    fn in_version(self, preset: Preset, version: u32) -> Self {
        let mut p = self;
        if preset == Preset::Quick && versions::quick_presets_keep_effects(version) {
            p = Fig7Params { runs: 3, train: TrainSetup::paper(5), thresholds: vec![0, 2, 4, 5], ..p };
        }
        p.train = p.train.in_version(version);
        p
    }
}

impl Experiment for Fig7Params {
    fn preset(preset: Preset, version: u32) -> Self {
        Self::preset_v1(preset).in_version(preset, version)
    }

    fn title() -> &'static str {
        "Fig. 7 — FA for T epochs, then BP"
    }

    fn runs_seed(&mut self) -> (&mut usize, &mut u64) {
        (&mut self.runs, &mut self.seed)
    }

    fn train(&self) -> Option<&TrainSetup> {
        Some(&self.train)
    }

    fn validate(&self) -> Result<()> {
        if self.thresholds.is_empty() {
            return Err(Error::InvalidParam("fig7: give at least one threshold".into()));
        }
        Ok(())
    }

    fn conditions(&self) -> Vec<String> {
        self.thresholds.iter().map(|&t| condition(t)).collect()
    }

    fn job(&self, condition: usize, seed: u64, data: &Mnist15) -> Result<Box<dyn Job>> {
        let name = &self.conditions()[condition];
        let t = self.thresholds[condition];
        let rule = if t == 0 { Rule::Backprop } else { Rule::Feedback };
        let trainer = Trainer::new(self.train.config(rule, seed).validate()?, data)?;
        let probes: Vec<Box<dyn Probe>> = vec![Box::new(LossProbe::new(name)), Box::new(AccuracyProbe::new(name))];
        let job = TrainJob::new(trainer, &self.train, probes)?;
        Ok(Box::new(if t > 0 && t < self.train.epochs { job.switch_to_bp_after(t, self.train.eta_scale) } else { job }))
    }

    /// A switched run (`0 < T`) starts as the run with the largest `T`: FA
    /// for `T` epochs. It forks from it there, if that run switches later.
    fn fork_of(&self, condition: usize) -> Option<(usize, Fork)> {
        let t = self.thresholds[condition];
        let (trunk, &largest) = self.thresholds.iter().enumerate().max_by_key(|&(i, t)| (t, std::cmp::Reverse(i)))?;
        if t == 0 || t >= largest || t >= self.train.epochs {
            return None;
        }
        let names = self.conditions();
        Some((
            trunk,
            Fork { from: names[trunk].clone(), to: names[condition].clone(), switch_to_bp: (t, self.train.eta_scale) },
        ))
    }

    /// The switched runs' fate depends on BP's step size after the switch
    /// (`tests/experiments.rs`, `fig7_the_collapse_after_the_switch_depends_on_bps_step_size`).
    fn notes(&self, conditions: &[String]) -> Vec<String> {
        let switched =
            self.thresholds.iter().any(|&t| t > 0 && t < self.train.epochs && conditions.contains(&condition(t)));
        if !switched {
            return Vec::new();
        }
        vec![format!(
            "After the switch BP trains with its default η = {}; the collapse depends on it: with a quarter of it, none of 4 networks switched after 4 of 5 epochs died (seeds 0-3, tested)",
            Rule::Backprop.default_eta() * self.train.eta_scale
        )]
    }

    fn panels(&self) -> Vec<PanelDef> {
        let label = |t: usize| {
            if t == 0 {
                "BP only (T = 0)".to_string()
            } else if t >= self.train.epochs {
                format!("FA only (T = {t})")
            } else {
                format!("T = {t}")
            }
        };
        let each = |measure: Measure| -> Vec<SeriesDef> {
            self.thresholds
                .iter()
                .enumerate()
                .map(|(i, &t)| line(SeriesKey::of(condition(t), measure), label(t), i))
                .collect()
        };
        vec![
            PanelDef::new(PanelKey::Loss, LOSS_TITLE, ITER, "loss", each(Measure::Loss)).log_y(),
            PanelDef::new(PanelKey::Accuracy, "test accuracy", EPOCH, ACCURACY, each(Measure::Accuracy)),
        ]
    }
}
