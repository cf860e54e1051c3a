//! Beyond the paper: every learning rule (BP, FA, DFA, sign-symmetry,
//! Kolen–Pollack) with its default `η`, side by side (docs/math.md §2 and §7).

use serde::{Deserialize, Serialize};

use super::job::{Job, RuleRun};
use super::keys::{Measure, PanelKey, SeriesKey};
use super::layout::{ACCURACY, ANGLE, EPOCH, ITER, LOSS_TITLE, PanelDef, SeriesDef, dashed, line};
use super::probes::{AlignmentProbe, Layers, UpdateAngleProbe};
use super::setup::quick_runs;
use super::{Experiment, Preset, TrainSetup};
use crate::data::Mnist15;
use crate::net::{DEFAULT_KP_DECAY, NetConfig, Rule};
use crate::{Error, Result};

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
    /// The presets of link version 1 (links without `v`), kept as they were.
    fn preset_v1(preset: Preset) -> Self {
        let rules = vec![
            Rule::Backprop,
            Rule::Feedback,
            Rule::Direct,
            Rule::SignSymmetry,
            Rule::KolenPollack { decay: DEFAULT_KP_DECAY },
        ];
        if preset == Preset::Quick {
            RulesParams { runs: 2, seed: 0, train: TrainSetup::quick(3000, 50, 3, 6), rules, moving_average: 60 }
        } else {
            RulesParams { runs: 10, seed: 0, train: TrainSetup::paper(20), rules, moving_average: 60 }
        }
    }

    /// Link version 2: 5 quick runs; BP's control `B`.
    fn in_version(self, preset: Preset, version: u32) -> Self {
        RulesParams { runs: quick_runs(preset, version, self.runs), train: self.train.in_version(version), ..self }
    }
}

impl Experiment for RulesParams {
    fn preset(preset: Preset, version: u32) -> Self {
        Self::preset_v1(preset).in_version(preset, version)
    }

    fn title() -> &'static str {
        "Beyond the paper — BP, FA, DFA, sign-symmetry, Kolen–Pollack"
    }

    fn runs_seed(&mut self) -> (&mut usize, &mut u64) {
        (&mut self.runs, &mut self.seed)
    }

    fn train(&self) -> Option<&TrainSetup> {
        Some(&self.train)
    }

    fn validate(&self) -> Result<()> {
        if self.rules.is_empty() || self.moving_average == 0 {
            return Err(Error::InvalidParam("rules: give at least one rule and moving_average ≥ 1".into()));
        }
        for r in &self.rules {
            NetConfig::paper(*r).validate()?;
        }
        Ok(())
    }

    fn conditions(&self) -> Vec<String> {
        self.rules.iter().map(|r| r.name().to_string()).collect()
    }

    fn job(&self, condition: usize, seed: u64, data: &Mnist15) -> Result<Box<dyn Job>> {
        let rule = self.rules[condition];
        let name = rule.name();
        let mut run = RuleRun::new(&self.train, rule, seed, !rule.is_backprop(), data)?;
        let depth = run.depth();
        if !rule.is_backprop() {
            run.probes.push(Box::new(UpdateAngleProbe::new(
                name,
                Layers::Mean,
                self.moving_average,
                depth,
                self.train.keep_dead,
            )));
        }
        // BP's control B (never used) gives BP an alignment line too.
        if run.alignment {
            run.probes.push(Box::new(AlignmentProbe::new(name, Layers::Mean)));
        }
        run.job(&self.train)
    }

    fn panels(&self) -> Vec<PanelDef> {
        let each = |measure: Measure, keep: fn(Rule) -> bool| -> Vec<SeriesDef> {
            self.rules
                .iter()
                .enumerate()
                .filter(|(_, r)| keep(**r))
                .map(|(i, r)| line(SeriesKey::of(r.name(), measure), r.label(), i))
                .collect()
        };
        vec![
            PanelDef::new(PanelKey::Accuracy, "test accuracy", EPOCH, ACCURACY, each(Measure::Accuracy, |_| true)),
            PanelDef::new(
                PanelKey::Update,
                format!("∠(ΔW_l^rule, ΔW_l^BP), mean over W_0..W_3, moving average {}", self.moving_average),
                ITER,
                ANGLE,
                each(Measure::UpdateMean, |r| !r.is_backprop()),
            ),
            PanelDef::new(PanelKey::Alignment, "∠(W_l, feedback_lᵀ), mean over W_1..W_4", ITER, ANGLE, {
                let mut series = each(Measure::AlignMean, Rule::has_layerwise_feedback);
                let control = self.rules.iter().find(|r| r.takes_control_feedback()).filter(|_| self.train.bp_control);
                if let Some(r) = control {
                    let label = format!("{} control (B unused)", r.label());
                    series.push(dashed(SeriesKey::of(r.name(), Measure::AlignMean), label, 7));
                }
                series
            }),
            PanelDef::new(PanelKey::Loss, LOSS_TITLE, ITER, "loss", each(Measure::Loss, |_| true)).log_y(),
        ]
    }
}
