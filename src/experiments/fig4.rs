//! Fig. 4: the real network beside eq. 8's disturbed (linearised) copies,
//! one with the real `B_l` and one with fresh feedback `B_new`
//! (docs/math.md §5 and §7, row `fig4`).

use serde::{Deserialize, Serialize};

use super::job::{Job, TrainJob};
use super::keys::{Measure, PanelKey, SeriesKey};
use super::layout::{ANGLE, HIDDEN, ITER, PanelDef, dashed, line};
use super::probes::{DisturbedProbe, LossProbe, Probe};
use super::setup::quick_runs;
use super::{Experiment, Preset, TrainSetup};
use crate::Result;
use crate::align::{DisturbedCopy, DisturbedFeedback};
use crate::data::Mnist15;
use crate::net::Rule;
use crate::rng::{Purpose, Rng};
use crate::train::Trainer;

/// Fig. 4's one condition: FA.
const CONDITION: &str = "fa";

/// Fig. 4: the real network beside eq. 8's disturbed copies (same `B`, fresh `B_new`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fig4Params {
    pub runs: usize,
    pub seed: u64,
    pub train: TrainSetup,
}

impl Fig4Params {
    /// The presets of link version 1 (links without `v`), kept as they were.
    fn preset_v1(preset: Preset) -> Self {
        if preset == Preset::Quick {
            Fig4Params { runs: 2, seed: 0, train: TrainSetup::quick(3000, 100, 4, 3) }
        } else {
            Fig4Params { runs: 5, seed: 0, train: TrainSetup::paper(20) }
        }
    }

    /// Link version 2: 5 quick runs.
    fn in_version(self, preset: Preset, version: u32) -> Self {
        Fig4Params { runs: quick_runs(preset, version, self.runs), train: self.train.in_version(version), ..self }
    }
}

impl Experiment for Fig4Params {
    fn preset(preset: Preset, version: u32) -> Self {
        Self::preset_v1(preset).in_version(preset, version)
    }

    fn title() -> &'static str {
        "Fig. 4 — real vs disturbed (linearised) weights"
    }

    fn runs_seed(&mut self) -> (&mut usize, &mut u64) {
        (&mut self.runs, &mut self.seed)
    }

    fn train(&self) -> Option<&TrainSetup> {
        Some(&self.train)
    }

    fn validate(&self) -> Result<()> {
        Ok(())
    }

    fn conditions(&self) -> Vec<String> {
        vec![CONDITION.to_string()]
    }

    fn job(&self, _condition: usize, seed: u64, data: &Mnist15) -> Result<Box<dyn Job>> {
        let trainer = Trainer::new(self.train.config(Rule::Feedback, seed).validate()?, data)?;
        let net = trainer.network();
        let mut rng = Rng::new(seed, Purpose::Extra(4));
        let same = DisturbedCopy::new(net, DisturbedFeedback::Same)?;
        let fresh = DisturbedCopy::new(net, DisturbedFeedback::Fresh(&mut rng))?;
        let probes: Vec<Box<dyn Probe>> =
            vec![Box::new(LossProbe::new(CONDITION)), Box::new(DisturbedProbe::new(CONDITION, same, fresh))];
        Ok(Box::new(TrainJob::new(trainer, &self.train, probes)?))
    }

    fn panels(&self) -> Vec<PanelDef> {
        let key = |m| SeriesKey::of(CONDITION, m);
        let pairs = |other: fn(usize) -> Measure, label: fn(usize) -> String| {
            HIDDEN
                .iter()
                .flat_map(|&l| [line(key(Measure::Real(l)), format!("W_{l}"), l), dashed(key(other(l)), label(l), l)])
                .collect()
        };
        vec![
            PanelDef::new(
                PanelKey::A,
                "real W_l vs disturbed W̃_l (same B_l): ∠(·, B_lᵀ)",
                ITER,
                ANGLE,
                pairs(Measure::Disturbed, |l| format!("W̃_{l}")),
            ),
            PanelDef::new(
                PanelKey::B,
                "real ∠(W_l, B_lᵀ) vs disturbed with fresh B_new: ∠(W̃_l, B_newᵀ)",
                ITER,
                ANGLE,
                pairs(Measure::DisturbedNew, |l| format!("W̃_{l} (B_new)")),
            ),
        ]
    }
}
