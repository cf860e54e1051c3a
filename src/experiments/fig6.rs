//! Fig. 6: BP, FA, FA+WN (and DFA) from one initialisation — norms,
//! alignment, update angles, test accuracy — and the PCA of BP's and FA's
//! parameter paths over the training loss (docs/math.md §3, §4 and §7, row `fig6`).

use serde::{Deserialize, Serialize};

use super::job::{Job, TrainJob};
use super::keys::{Measure, PanelKey, SeriesKey};
use super::layout::{ACCURACY, ALL_LAYERS, ANGLE, EPOCH, HIDDEN, ITER, PanelDef, SeriesDef, dashed, line};
use super::probes::{
    AccuracyProbe, AlignmentProbe, FeedbackUpdateProbe, Layers, LossProbe, NormProbe, Probe, UpdateAngleProbe,
};
use super::{Curve, Experiment, PanelKind, PcaData, PcaPath, Preset, TrainSetup};
use crate::data::{Mnist15, N_PIXELS};
use crate::net::{MAX_GAMMA, Network, Rule, pixels_to_inputs};
use crate::pca::{Pca, Trajectory};
use crate::train::Trainer;
use crate::versions;
use crate::{Error, Result};

/// Fig. 6's conditions, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Condition {
    Bp,
    Fa,
    FaWn,
    Dfa,
    /// Panel (e): BP and FA side by side, then the loss landscape; run 0 only.
    Pca,
}

impl Condition {
    fn name(self) -> &'static str {
        match self {
            Condition::Bp => "bp",
            Condition::Fa => "fa",
            Condition::FaWn => "fa_wn",
            Condition::Dfa => "dfa",
            Condition::Pca => "pca",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Condition::Bp => Rule::Backprop.label(),
            Condition::Fa => Rule::Feedback.label(),
            Condition::FaWn => "FA+WN",
            Condition::Dfa => Rule::Direct.label(),
            Condition::Pca => "PCA",
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
    /// FA+WN's own `η` at batch 1000 (times `train.eta_scale`); `None`: FA's,
    /// as in link version 1, where FA+WN at `γ = 1` dies or stalls on 7 of 10
    /// seeds (the sweep is in [`Rule::default_eta`]'s table).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wn_eta: Option<f32>,
}

impl Fig6Params {
    fn condition_list(&self) -> Vec<Condition> {
        let mut c = vec![Condition::Bp, Condition::Fa, Condition::FaWn];
        if self.include_dfa {
            c.push(Condition::Dfa);
        }
        c.push(Condition::Pca);
        c
    }
}

impl Fig6Params {
    /// The presets of link version 1 (links without `v`), kept as they were.
    fn preset_v1(preset: Preset) -> Self {
        if preset == Preset::Quick {
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
                wn_eta: None,
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
                wn_eta: None,
            }
        }
    }

    /// Link version 2: FA+WN with its own `η` (FA's kills it at `γ = 1`); the
    /// quick preset on the paper's data, batch and `η` for 5 epochs (300
    /// steps), where WN's effect on alignment and `∠(B_lᵀ, ΔW_l)` shows; the
    /// 3,000-image quick preset of version 1 took too few steps for it. The
    /// quick preset leaves DFA out (the paper preset keeps it).
    fn in_version(self, preset: Preset, version: u32) -> Self {
        let mut p = self;
        if versions::fa_wn_has_own_eta(version) {
            p.wn_eta = Some(versions::FA_WN_ETA);
        }
        if preset == Preset::Quick && versions::quick_presets_keep_effects(version) {
            p.train = TrainSetup::paper(5);
            p.pca_snapshot_every = 10;
            // DFA (beyond the paper; the `rules` figure has it) would add a
            // third of the work, and the page must finish in well under a minute.
            p.include_dfa = false;
        }
        p.train = p.train.in_version(version);
        p
    }
}

impl Experiment for Fig6Params {
    fn preset(preset: Preset, version: u32) -> Self {
        Self::preset_v1(preset).in_version(preset, version)
    }

    fn title() -> &'static str {
        "Fig. 6 — norms, alignment, update angles, WN, PCA"
    }

    fn runs_seed(&mut self) -> (&mut usize, &mut u64) {
        (&mut self.runs, &mut self.seed)
    }

    fn train(&self) -> Option<&TrainSetup> {
        Some(&self.train)
    }

    fn validate(&self) -> Result<()> {
        if !(self.gamma.is_finite() && self.gamma > 0.0 && self.gamma <= MAX_GAMMA) {
            return Err(Error::InvalidParam(format!("fig6: gamma must be in (0, {MAX_GAMMA}], got {}", self.gamma)));
        }
        if self.moving_average == 0
            || self.pca_snapshot_every == 0
            || self.pca_grid < 2
            || self.pca_grid > 200
            || self.pca_loss_samples == 0
        {
            return Err(Error::InvalidParam(
                "fig6: moving_average, pca_snapshot_every, pca_loss_samples ≥ 1 and pca_grid in 2..=200".into(),
            ));
        }
        Ok(())
    }

    fn conditions(&self) -> Vec<String> {
        self.condition_list().iter().map(|c| c.name().to_string()).collect()
    }

    fn once_only(&self, condition: usize) -> bool {
        self.condition_list()[condition] == Condition::Pca
    }

    fn job(&self, condition: usize, seed: u64, data: &Mnist15) -> Result<Box<dyn Job>> {
        let condition = self.condition_list()[condition];
        let rule = match condition {
            Condition::Pca => return Ok(Box::new(PcaJob::new(self, seed, data)?)),
            Condition::Bp => Rule::Backprop,
            Condition::Dfa => Rule::Direct,
            Condition::Fa | Condition::FaWn => Rule::Feedback,
        };
        let name = condition.name();
        let mut cfg = self.train.config(rule, seed);
        if condition == Condition::FaWn {
            cfg.net.weight_norm = Some(self.gamma);
            if let Some(eta) = self.wn_eta {
                cfg.net.eta = eta * self.train.eta_scale;
            }
        }
        cfg.update_angles = !rule.is_backprop();
        let control = cfg.control_feedback;
        let trainer = Trainer::new(cfg.validate()?, data)?;
        let depth = trainer.network().depth();
        let mut probes: Vec<Box<dyn Probe>> =
            vec![Box::new(LossProbe::new(name)), Box::new(AccuracyProbe::new(name)), Box::new(NormProbe::new(name))];
        let resets = self.train.keep_dead;
        if !rule.is_backprop() {
            probes.push(Box::new(UpdateAngleProbe::new(name, Layers::Each, self.moving_average, depth, resets)));
        }
        if matches!(condition, Condition::Fa | Condition::FaWn) {
            probes.push(Box::new(AlignmentProbe::new(name, Layers::Each)));
            probes.push(Box::new(FeedbackUpdateProbe::new(name, self.moving_average, depth, resets)));
        }
        if control {
            // BP's angle to a B it never uses: the control line of panel (b).
            probes.push(Box::new(AlignmentProbe::new(name, Layers::Mean)));
        }
        Ok(Box::new(TrainJob::new(trainer, &self.train, probes)?))
    }

    fn panels(&self) -> Vec<PanelDef> {
        let key = |c: Condition, m: Measure| SeriesKey::of(c.name(), m);
        let fa_and_wn = |m: fn(usize) -> Measure, what: &str| -> Vec<SeriesDef> {
            HIDDEN
                .iter()
                .flat_map(|&l| {
                    [
                        line(key(Condition::Fa, m(l)), format!("{what}_{l} FA"), l),
                        dashed(key(Condition::FaWn, m(l)), format!("{what}_{l} FA+WN"), l),
                    ]
                })
                .collect()
        };
        let ma = self.moving_average;
        let mut v = vec![
            PanelDef::new(
                PanelKey::A,
                "‖W_l‖_F under FA",
                ITER,
                "Frobenius norm",
                ALL_LAYERS.iter().map(|&l| line(key(Condition::Fa, Measure::Norm(l)), format!("W_{l}"), l)).collect(),
            ),
            if self.train.bp_control {
                let mut series = fa_and_wn(Measure::Align, "W");
                series.push(dashed(key(Condition::Bp, Measure::AlignMean), "BP control: mean W_1..W_4, B unused", 7));
                PanelDef::new(
                    PanelKey::B,
                    "∠(W_l, B_lᵀ): FA (solid) vs FA+WN (dashed); BP control (grey)",
                    ITER,
                    ANGLE,
                    series,
                )
            } else {
                PanelDef::new(
                    PanelKey::B,
                    "∠(W_l, B_lᵀ): FA (solid) vs FA+WN (dashed)",
                    ITER,
                    ANGLE,
                    fa_and_wn(Measure::Align, "W"),
                )
            },
            PanelDef::new(
                PanelKey::C,
                format!("∠(ΔW_l^FA, ΔW_l^BP), moving average {ma}"),
                ITER,
                ANGLE,
                ALL_LAYERS
                    .iter()
                    .map(|&l| line(key(Condition::Fa, Measure::Update(l)), format!("ΔW_{l}"), l))
                    .collect(),
            ),
            PanelDef::new(
                PanelKey::D,
                format!("∠(B_lᵀ, ΔW_l): FA (solid) vs FA+WN (dashed), moving average {ma}"),
                ITER,
                ANGLE,
                fa_and_wn(Measure::FeedbackUpdate, "ΔW"),
            ),
            PanelDef {
                kind: PanelKind::Pca,
                ..PanelDef::new(
                    PanelKey::E,
                    "PCA of BP and FA parameter paths over the training loss",
                    "pc1",
                    "pc2",
                    Vec::new(),
                )
            },
        ];
        if self.include_dfa {
            v.push(PanelDef::new(
                PanelKey::CDfa,
                format!("DFA: ∠(ΔW_l^DFA, ΔW_l^BP), moving average {ma}"),
                ITER,
                ANGLE,
                ALL_LAYERS
                    .iter()
                    .map(|&l| dashed(key(Condition::Dfa, Measure::Update(l)), format!("ΔW_{l}"), l))
                    .collect(),
            ));
        }
        let accuracy = self
            .condition_list()
            .into_iter()
            .filter(|&c| c != Condition::Pca)
            .enumerate()
            .map(|(i, c)| line(key(c, Measure::Accuracy), c.label(), i))
            .collect();
        v.push(PanelDef::new(PanelKey::Accuracy, "test accuracy", EPOCH, ACCURACY, accuracy));
        v
    }

    fn notes(&self, conditions: &[String]) -> Vec<String> {
        match self.wn_eta {
            Some(wn_eta) if conditions.iter().any(|c| c == Condition::FaWn.name()) => {
                let scale = self.train.eta_scale;
                vec![format!(
                    "FA+WN trains with its own η = {} (FA: {}): at FA's η, FA+WN with γ = {} dies or stalls on 7 of 10 seeds",
                    wn_eta * scale,
                    Rule::Feedback.default_eta() * scale,
                    self.gamma
                )]
            }
            _ => Vec::new(),
        }
    }
}

// --- panel (e): PCA of BP's and FA's paths -----------------------------------

struct PcaJob {
    trainers: [Trainer; 2],
    paths: [Trajectory; 2],
    snapshot_every: u64,
    grid: usize,
    /// Inputs and N-hot targets the contour's loss is measured on.
    x: Vec<f32>,
    y: Vec<f32>,
    n: usize,
    fitted: Option<Fitted>,
    loss: Vec<f64>,
    result: Option<PcaData>,
}

/// The PCA of both paths, the grid's coordinates and a network to evaluate the loss with.
struct Fitted {
    pca: Pca,
    a: Vec<f64>,
    b: Vec<f64>,
    net: Network,
}

impl PcaJob {
    fn new(p: &Fig6Params, seed: u64, data: &Mnist15) -> Result<PcaJob> {
        let mut bp = Trainer::new(p.train.config(Rule::Backprop, seed).validate()?, data)?;
        let mut fa = Trainer::new(p.train.config(Rule::Feedback, seed).validate()?, data)?;
        bp.network_mut().set_allow_dead(p.train.keep_dead);
        fa.network_mut().set_allow_dead(p.train.keep_dead);
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
}

impl Job for PcaJob {
    fn total_steps(&self) -> u64 {
        let t = &self.trainers[0];
        (2 * t.steps_per_epoch() * t.config().epochs + self.grid) as u64
    }

    fn is_complete(&self) -> bool {
        self.result.is_some()
    }

    fn finish(&mut self, _failed: bool) -> Result<(Vec<Curve>, Option<PcaData>)> {
        Ok((Vec::new(), self.result.take()))
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
            let (a, b) = range.axes(self.grid, self.grid)?;
            let net = self.trainers[0].network().clone();
            self.fitted = Some(Fitted { pca, a, b, net });
            return Ok(true);
        }
        let Fitted { pca, a, b, net } = self.fitted.as_mut().expect("fitted above");
        // One grid row per call.
        let j = self.loss.len() / self.grid;
        let (x, y, n) = (&self.x, &self.y, self.n);
        let row = pca.loss_row(a, b[j], |params| {
            net.set_params_flat(params)?;
            Ok(net.loss_on(x, y, n)? / n as f64)
        })?;
        self.loss.extend(row);
        if self.loss.len() == self.grid * self.grid {
            let paths = ["BP", "FA"]
                .iter()
                .zip(&self.paths)
                .map(|(label, t)| Ok(PcaPath { label: label.to_string(), points: pca.project_trajectory(t)? }))
                .collect::<Result<Vec<_>>>()?;
            let ev = pca.explained_variance_ratio();
            self.result = Some(PcaData {
                a: a.clone(),
                b: b.clone(),
                loss: std::mem::take(&mut self.loss),
                paths,
                explained: ev.into_iter().take(2).collect(),
            });
        }
        Ok(true)
    }
}
