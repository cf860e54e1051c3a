//! Beyond the paper: what the feedback path must be. BP, FA and six variants
//! of FA's feedback path (docs/math.md §2.1) side by side, each rule with its
//! own default `η`: `B` redrawn every step, only the output layer learning
//! (the floor), sparse `B`, scaled `B`, sign-concordant `B`, and `B` aligned
//! with `W_lᵀ` at the start. Per hidden layer: `∠(W_l, B_lᵀ)` (for `redrawn`
//! against the `B_l` of that step; for BP and `shallow` against the control
//! `B_l` they never use) and the error-signal angle `∠(δ_l, δ_l^BP)`.

use serde::{Deserialize, Serialize};

use super::job::{Job, RuleRun};
use super::keys::{Measure, PanelKey, SeriesKey};
use super::layout::{ACCURACY, ANGLE, EPOCH, HIDDEN, ITER, LOSS_TITLE, PanelDef, SeriesDef, dashed, line};
use super::probes::{AlignmentProbe, Layers, SignalAngleProbe};
use super::{Experiment, Preset, TrainSetup};
use crate::data::Mnist15;
use crate::net::{DEFAULT_ALIGNED_MIX, DEFAULT_SCALE_FACTOR, DEFAULT_SPARSE_ZEROS, NetConfig, Rule};
use crate::{Error, Result, versions};

/// Beyond the paper: BP, FA and FA's feedback-path variants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackParams {
    pub runs: usize,
    pub seed: u64,
    pub train: TrainSetup,
    /// One condition per rule, named by the rule's name (so no two may share one).
    pub rules: Vec<Rule>,
    /// Steps in the moving average of the error-signal angles.
    pub moving_average: usize,
}

/// The conditions, in the order of the issue that asked for them.
fn default_rules() -> Vec<Rule> {
    vec![
        Rule::Backprop,
        Rule::Feedback,
        Rule::Redrawn,
        Rule::Shallow,
        Rule::Sparse { zeros: DEFAULT_SPARSE_ZEROS },
        Rule::Scaled { factor: DEFAULT_SCALE_FACTOR },
        Rule::Concordant,
        Rule::Aligned { mix: DEFAULT_ALIGNED_MIX },
    ]
}

/// Whether a rule's error signal has an angle to BP's worth drawing: not BP's
/// own (0 by definition) and not `shallow`'s (it sends none).
fn draws_signal(rule: Rule) -> bool {
    !rule.is_backprop() && rule.trains_hidden_layers()
}

impl Experiment for FeedbackParams {
    fn preset(preset: Preset, version: u32) -> Self {
        let train = match preset {
            Preset::Quick => TrainSetup::quick(3000, 50, 3, 6),
            Preset::Paper => TrainSetup::paper(20),
        };
        let runs = match preset {
            Preset::Quick => 5,
            Preset::Paper => 10,
        };
        FeedbackParams { runs, seed: 0, train: train.in_version(version), rules: default_rules(), moving_average: 60 }
    }

    fn title() -> &'static str {
        "Beyond the paper — what the feedback path must be"
    }

    fn introduced_in() -> u32 {
        versions::FEEDBACK_PATHS
    }

    fn runs_seed(&mut self) -> (&mut usize, &mut u64) {
        (&mut self.runs, &mut self.seed)
    }

    fn train(&self) -> Option<&TrainSetup> {
        Some(&self.train)
    }

    fn validate(&self) -> Result<()> {
        if self.rules.is_empty() || self.moving_average == 0 {
            return Err(Error::InvalidParam("feedback: give at least one rule and moving_average ≥ 1".into()));
        }
        for (i, r) in self.rules.iter().enumerate() {
            if self.rules[..i].iter().any(|o| o.name() == r.name()) {
                return Err(Error::InvalidParam(format!(
                    "feedback: rule {} is named twice (each condition is named by its rule)",
                    r.name()
                )));
            }
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
        let mut run = RuleRun::new(&self.train, rule, seed, draws_signal(rule), data)?;
        let depth = run.depth();
        if run.alignment {
            run.probes.push(Box::new(AlignmentProbe::new(name, Layers::Each)));
        }
        if draws_signal(rule) {
            run.probes.push(Box::new(SignalAngleProbe::new(name, self.moving_average, depth, self.train.keep_dead)));
        }
        run.job(&self.train)
    }

    fn panels(&self) -> Vec<PanelDef> {
        let each = |measure: Measure, keep: fn(Rule) -> bool| -> Vec<SeriesDef> {
            self.rules
                .iter()
                .enumerate()
                .filter(|(_, r)| keep(**r))
                .map(|(i, r)| {
                    let key = SeriesKey::of(r.name(), measure);
                    // The controls (BP's and shallow's unused B) are dashed.
                    if r.takes_control_feedback() { dashed(key, r.label(), i) } else { line(key, r.label(), i) }
                })
                .collect()
        };
        let with_alignment = |r: Rule| r.has_layerwise_feedback() || r.takes_control_feedback();
        let mut panels = vec![PanelDef::new(
            PanelKey::Accuracy,
            "test accuracy",
            EPOCH,
            ACCURACY,
            each(Measure::Accuracy, |_| true),
        )];
        for l in HIDDEN {
            let title = format!("∠(W_{l}, B_{l}ᵀ) (BP, shallow: their unused control B)");
            panels.push(PanelDef::new(
                PanelKey::AlignmentAt(l),
                title,
                ITER,
                ANGLE,
                each(Measure::Align(l), with_alignment),
            ));
        }
        for l in HIDDEN {
            let title =
                format!("error signal ∠(δ_{l}, δ_{l}^BP), moving average {} (shallow sends none)", self.moving_average);
            panels.push(PanelDef::new(
                PanelKey::SignalAt(l),
                title,
                ITER,
                ANGLE,
                each(Measure::Signal(l), draws_signal),
            ));
        }
        panels.push(PanelDef::new(PanelKey::Loss, LOSS_TITLE, ITER, "loss", each(Measure::Loss, |_| true)).log_y());
        panels
    }

    fn notes(&self, conditions: &[String]) -> Vec<String> {
        let scale = self.train.eta_scale;
        let etas: Vec<String> = self
            .rules
            .iter()
            .filter(|r| conditions.iter().any(|c| c == r.name()))
            .map(|r| format!("{} {}", r, r.default_eta() * scale))
            .collect();
        vec![format!("each rule with its own default η: {}", etas.join(", "))]
    }
}
