//! Fig. 3b,c: alignment terms `∠(T^o_l, B_lᵀ)` by order, at an early and a
//! late step, with the samples in a fixed order and shuffled every epoch
//! (docs/math.md §5 and §7, row `fig3`).

use serde::{Deserialize, Serialize};

use super::job::{Job, TrainJob};
use super::keys::{Measure, Moment, PanelKey, SeriesKey};
use super::layout::{ANGLE, HIDDEN, PanelDef, line};
use super::probes::{LossProbe, OrderProbe, Probe};
use super::setup::quick_runs;
use super::{Experiment, Preset, TrainSetup};
use crate::data::Mnist15;
use crate::net::Rule;
use crate::train::Trainer;
use crate::{Error, Result};

/// The conditions: name, the early and late panels, what the panels say.
const CONDITIONS: [(&str, [PanelKey; 2], &str); 2] = [
    ("fixed", [PanelKey::BEarly, PanelKey::BLate], "no shuffling"),
    ("shuffled", [PanelKey::CEarly, PanelKey::CLate], "shuffled every epoch"),
];

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
    /// The presets of link version 1 (links without `v`), kept as they were.
    fn preset_v1(preset: Preset) -> Self {
        if preset == Preset::Quick {
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

    /// Link version 2: 5 quick runs, so each claim holds with a margin from the
    /// runs' spread.
    fn in_version(self, preset: Preset, version: u32) -> Self {
        Fig3Params { runs: quick_runs(preset, version, self.runs), train: self.train.in_version(version), ..self }
    }
}

impl Experiment for Fig3Params {
    fn preset(preset: Preset, version: u32) -> Self {
        Self::preset_v1(preset).in_version(preset, version)
    }

    fn title() -> &'static str {
        "Fig. 3b,c — alignment terms by order, without and with shuffling"
    }

    fn runs_seed(&mut self) -> (&mut usize, &mut u64) {
        (&mut self.runs, &mut self.seed)
    }

    fn train(&self) -> Option<&TrainSetup> {
        Some(&self.train)
    }

    fn validate(&self) -> Result<()> {
        if self.max_order == 0 || self.early_step < self.max_order {
            return Err(Error::InvalidParam(format!(
                "fig3: need max_order ≥ 1 and early_step ≥ max_order, got {} and {}",
                self.max_order, self.early_step
            )));
        }
        let total = self.train.epochs * self.train.steps_per_epoch(60_000);
        let late = self.late_step.unwrap_or(total.saturating_sub(1));
        if late < self.early_step || (self.train.n_train.is_some() && late >= total) {
            return Err(Error::InvalidParam(format!(
                "fig3: late step {late} must be ≥ the early step and < the {total} steps"
            )));
        }
        Ok(())
    }

    fn conditions(&self) -> Vec<String> {
        CONDITIONS.iter().map(|(name, ..)| name.to_string()).collect()
    }

    fn job(&self, condition: usize, seed: u64, data: &Mnist15) -> Result<Box<dyn Job>> {
        let name = CONDITIONS[condition].0;
        let mut cfg = self.train.config(Rule::Feedback, seed);
        cfg.shuffle = condition == 1;
        let total = (self.train.epochs * self.train.steps_per_epoch(data.train.len())) as u64;
        let late = self.late_step.map(|s| s as u64).unwrap_or(total - 1);
        if late >= total {
            return Err(Error::InvalidParam(format!("fig3: late step {late} ≥ {total} steps")));
        }
        let probes: Vec<Box<dyn Probe>> = vec![
            Box::new(LossProbe::new(name)),
            Box::new(OrderProbe::new(name, Moment::Early, self.early_step as u64, self.max_order)),
            Box::new(OrderProbe::new(name, Moment::Late, late, self.max_order)),
        ];
        Ok(Box::new(TrainJob::new(Trainer::new(cfg.validate()?, data)?, &self.train, probes)?))
    }

    fn panels(&self) -> Vec<PanelDef> {
        let mut v = Vec::new();
        for (cond, panels, what) in CONDITIONS {
            for (moment, key) in [Moment::Early, Moment::Late].into_iter().zip(panels) {
                let series = HIDDEN
                    .iter()
                    .map(|&l| line(SeriesKey::of(cond, Measure::Order(moment, l)), format!("T^o_{l} (W_{l})"), l))
                    .collect();
                let when = if moment == Moment::Early { "early" } else { "late" };
                let title = format!("∠(T^o_l, B_lᵀ), {what}, {when} step");
                v.push(PanelDef::new(key, title, "order o", ANGLE, series).markers());
            }
        }
        v
    }
}
