//! Every figure of the paper as a named experiment (docs/math.md §7), split into
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
//! A run whose network dies or diverges (docs/math.md §8; [`Error::Diverged`]) is not an
//! error of the experiment, and it is counted, never dropped silently: each
//! panel says how many runs of its conditions failed and when
//! ([`Panel::failures`], also in the CSV). With [`TrainSetup::keep_dead`] (link
//! version 2) a dead network goes on stepping, unchanged, so its loss,
//! accuracy, norms and angles stay in the means ([`RunResult::died_at`]); a
//! diverged run's curves count up to its failure, and a metric that is
//! undefined (a dead network's update angles) is left out, as each point's `n`
//! shows. Version 1 ends a run at its failure and leaves it out of the means.
//!
//! Choices made here (docs/math.md §8: the paper leaves them open):
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
//!
//! How the code is laid out: one file per figure (`fig2b.rs` … `rules.rs`),
//! each implementing [`Experiment`] for its parameters — presets, validation,
//! conditions, the [`job::Job`] a run does and the panels it draws. A training
//! figure's job is a [`job::TrainJob`] carrying the [`probes`] that record its
//! series; series and panels are named by the typed [`keys`]. The
//! `registry!` line below lists every figure: a new figure is one new file and
//! one line there (see ARCHITECTURE.md).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::checked::Checked;
use crate::data::Mnist15;
use crate::{Error, Result};

pub(crate) mod job;
pub mod keys;
mod layout;
pub(crate) mod probes;
mod setup;

pub use layout::aggregate;
pub(crate) use layout::aggregate_checked;
pub use setup::TrainSetup;

use job::Job;
use layout::PanelDef;

/// Largest accepted number of runs per condition.
pub const MAX_RUNS: usize = 1000;

/// One paper figure (or FA Lab's own experiment): what its parameters must
/// satisfy, which conditions a run index is run under, the work of one run
/// and the panels it draws. Implemented by each figure's parameters.
pub(crate) trait Experiment {
    /// The parameters of a preset as links of `version` get them
    /// ([`crate::versions`]; 1 ..= current).
    fn preset(preset: Preset, version: u32) -> Self
    where
        Self: Sized;
    /// What the figure shows, in a few words.
    fn title() -> &'static str
    where
        Self: Sized;
    /// Runs per condition and the base seed.
    fn runs_seed(&mut self) -> (&mut usize, &mut u64);
    /// How the MNIST figures train (`None` for figures without MNIST).
    fn train(&self) -> Option<&TrainSetup> {
        None
    }
    /// The figure's own checks (runs, seed and [`TrainSetup`] are checked by [`Params::validate`]).
    fn validate(&self) -> Result<()>;
    /// Names of the conditions; a [`RunSpec`]'s `condition` indexes this list.
    fn conditions(&self) -> Vec<String>;
    /// A condition that is run for run index 0 only (one picture, not an average).
    fn once_only(&self, _condition: usize) -> bool {
        false
    }
    /// The work of one run of `condition` with `seed`.
    fn job(&self, condition: usize, seed: u64, data: &Mnist15) -> Result<Box<dyn Job>>;
    /// The condition whose run (of the same run index) `condition`'s run
    /// starts as, and how it goes on from there ([`job::Fork`]); `None` for a
    /// run that shares no prefix.
    fn fork_of(&self, _condition: usize) -> Option<(usize, job::Fork)> {
        None
    }
    /// The panels, before the runs are in.
    fn panels(&self) -> Vec<PanelDef>;
    /// Footnotes of a panel that draws `conditions`, e.g. a condition with its own `η`.
    fn notes(&self, _conditions: &[String]) -> Vec<String> {
        Vec::new()
    }
}

/// Lists every figure once: `Variant => module::ParamsType`. Generates the
/// module declarations, [`ExperimentId`], [`Params`] and their dispatch.
macro_rules! registry {
    ($($variant:ident => $module:ident :: $params:ident),* $(,)?) => {
        $(mod $module;)*
        $(pub use $module::$params;)*

        /// The experiments, one per paper figure, plus `rules`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum ExperimentId {
            $($variant,)*
        }

        impl ExperimentId {
            pub const ALL: [ExperimentId; [$(stringify!($variant)),*].len()] = [$(ExperimentId::$variant),*];

            /// `fig2b` … `fig7`, `rules`: the name in links, file names and JSON.
            pub fn name(self) -> &'static str {
                match self {
                    $(ExperimentId::$variant => stringify!($module),)*
                }
            }

            /// What the figure shows, in a few words.
            pub fn title(self) -> &'static str {
                match self {
                    $(ExperimentId::$variant => <$params as Experiment>::title(),)*
                }
            }

            /// The experiment's parameters for a preset, of the current version.
            pub fn params(self, preset: Preset) -> Params {
                self.params_in(preset, crate::versions::CURRENT)
            }

            /// The experiment's parameters for a preset as links of `version`
            /// get them ([`crate::versions`]; checked by the caller).
            pub fn params_in(self, preset: Preset, version: u32) -> Params {
                match self {
                    $(ExperimentId::$variant => Params::$variant(<$params as Experiment>::preset(preset, version)),)*
                }
            }
        }

        /// One experiment's parameters; in JSON `{"experiment": "fig6", …fields}`.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "experiment", rename_all = "lowercase")]
        pub enum Params {
            $($variant($params),)*
        }

        impl Params {
            pub fn id(&self) -> ExperimentId {
                match self {
                    $(Params::$variant(_) => ExperimentId::$variant,)*
                }
            }

            fn experiment(&self) -> &dyn Experiment {
                match self {
                    $(Params::$variant(p) => p,)*
                }
            }

            fn experiment_mut(&mut self) -> &mut dyn Experiment {
                match self {
                    $(Params::$variant(p) => p,)*
                }
            }
        }
    };
}

registry! {
    Fig2b => fig2b::Fig2bParams,
    Fig3 => fig3::Fig3Params,
    Fig4 => fig4::Fig4Params,
    Fig5 => fig5::Fig5Params,
    Fig6 => fig6::Fig6Params,
    Fig7 => fig7::Fig7Params,
    Rules => rules::RulesParams,
}

pub use fig2b::Fig2bCondition;

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
            let names: Vec<&str> = ExperimentId::ALL.iter().map(|id| id.name()).collect();
            Error::InvalidParam(format!("unknown experiment {s:?}: expected one of {}", names.join(", ")))
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

impl Params {
    /// Runs per condition.
    pub fn n_runs(&self) -> usize {
        *self.clone().experiment_mut().runs_seed().0
    }

    /// The base seed; run `i` uses `seed + i`.
    pub fn seed(&self) -> u64 {
        *self.clone().experiment_mut().runs_seed().1
    }

    pub fn set_runs(&mut self, runs: usize) {
        *self.experiment_mut().runs_seed().0 = runs;
    }

    pub fn set_seed(&mut self, seed: u64) {
        *self.experiment_mut().runs_seed().1 = seed;
    }

    /// Checks every field once, so the runs cannot fail on parameters.
    pub fn validate(&self) -> Result<Checked<Params>> {
        let runs = self.n_runs();
        if runs == 0 || runs > MAX_RUNS {
            return Err(Error::InvalidParam(format!("runs must be in 1..={MAX_RUNS}, got {runs}")));
        }
        if let Some(t) = self.experiment().train() {
            t.validate()?;
        }
        self.experiment().validate()?;
        Ok(Checked::assume_checked(self.clone()))
    }

    /// Names of the conditions; a run spec's `condition` indexes this list.
    pub fn conditions(&self) -> Vec<String> {
        self.experiment().conditions()
    }

    /// Every independent run (see [`Checked::<Params>::specs`]), after validating.
    pub fn runs(&self) -> Result<Vec<RunSpec>> {
        Ok(self.validate()?.specs())
    }
}

/// A run that starts as another run of its figure ([`job::Fork`], fig7):
/// computing the `trunk` once and forking it after `at_step` steps
/// ([`RunState::fork`]) gives the `branch`'s result bit for bit. Indices are
/// into [`Checked::<Params>::specs`].
#[derive(Debug, Clone)]
pub struct Branch {
    pub trunk: usize,
    pub branch: usize,
    pub at_step: u64,
    fork: job::Fork,
}

impl Checked<Params> {
    /// The runs that can fork from another ([`Branch`]), ordered by trunk and step.
    pub fn branches(&self, data: &Mnist15) -> Vec<Branch> {
        let Some(train) = self.experiment().train() else { return Vec::new() };
        let steps_per_epoch = train.steps_per_epoch(data.train.len()) as u64;
        let specs = self.specs();
        let mut out = Vec::new();
        for (branch, spec) in specs.iter().enumerate() {
            let Some((condition, fork)) = self.experiment().fork_of(spec.condition) else { continue };
            if let Some(trunk) = specs.iter().position(|s| s.run == spec.run && s.condition == condition) {
                out.push(Branch { trunk, branch, at_step: fork.switch_to_bp.0 as u64 * steps_per_epoch, fork });
            }
        }
        out.sort_by_key(|b| (b.trunk, b.at_step));
        out
    }

    /// Every independent run: run index `i` × condition, seed `seed + i`.
    /// `fig6`'s PCA condition runs for run 0 only (one picture, not an average).
    pub fn specs(&self) -> Vec<RunSpec> {
        let conditions = self.conditions();
        let mut specs = Vec::new();
        for run in 0..self.n_runs() {
            for (condition, name) in conditions.iter().enumerate() {
                if run > 0 && self.experiment().once_only(condition) {
                    continue;
                }
                specs.push(RunSpec {
                    params: Params::clone(self),
                    run,
                    condition,
                    condition_name: name.clone(),
                    seed: self.seed().wrapping_add(run as u64),
                });
            }
        }
        specs
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

/// One curve of one run: `y` at `x` (non-finite points are dropped). `key` is
/// a [`keys::SeriesKey`] in its text form.
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
    /// The step at which `failure` ended the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<u64>,
    /// The first step whose batch was dead, for a run that went on through it
    /// ([`TrainSetup::keep_dead`]); its curves are complete and in the means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub died_at: Option<u64>,
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
    /// Paper panel letter or a short name (`"a"`, `"b-early"`, `"accuracy"`): a [`keys::PanelKey`].
    pub key: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub log_y: bool,
    /// Draw markers at the points (few x values, e.g. orders or fractions).
    pub markers: bool,
    pub series: Vec<Series>,
    pub pca: Option<PcaData>,
    /// Runs of this panel's conditions that died or diverged, per condition.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<FailureCount>,
    /// Footnotes, e.g. a condition that trains with its own `η`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// How many finished runs of one condition died or diverged, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureCount {
    pub condition: String,
    /// The condition as a legend names it (`"FA+WN"`, `"p = 1"`, `"T = 4"`).
    pub label: String,
    /// Finished runs of the condition.
    pub runs: usize,
    /// Runs whose network died and went on stepping ([`TrainSetup::keep_dead`]):
    /// in the means with every metric a dead network still has.
    pub died: usize,
    /// Runs that ended at a failure: in the means up to it ([`TrainSetup::keep_dead`])
    /// or left out entirely (link version 1).
    pub diverged: usize,
    /// Median step at which they died or diverged.
    pub median_step: f64,
    /// Whether the failed runs are in the means (see `died`, `diverged`).
    pub in_means: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedRun {
    pub run: usize,
    pub condition_name: String,
    pub seed: u64,
    pub reason: String,
    /// The step at which the network died or diverged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u64>,
    /// True for a network that died and went on stepping (its curves are complete).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub kept: bool,
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

    /// Long-format CSV: `panel,series,x,mean,sd,n` (PCA grids and paths as
    /// extra rows). A condition with failed runs adds a row
    /// `panel,failed:<condition>,<median step>,<died>,<diverged>,<runs>`.
    pub fn to_csv(&self) -> String {
        let mut s = String::from("panel,series,x,mean,sd,n\n");
        for p in &self.panels {
            for f in &p.failures {
                s.push_str(&format!(
                    "{},failed:{},{},{},{},{}\n",
                    p.key, f.condition, f.median_step, f.died, f.diverged, f.runs
                ));
            }
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

/// Runs a spec to the end.
pub fn run_one(spec: &RunSpec, data: &Mnist15) -> Result<RunResult> {
    RunState::new(spec, data)?.run_to_end()
}

/// A run in progress, advanced in chunks (e.g. inside `requestAnimationFrame`).
pub struct RunState {
    spec: RunSpec,
    job: Box<dyn Job>,
    steps: u64,
    finished: bool,
}

impl RunState {
    /// Sets the run up (copies what it needs from `data`; `fig2b` ignores it).
    /// Validates the spec's parameters: a spec may come from anywhere (JSON
    /// from the page). [`run_all`] starts the specs of parameters it has
    /// validated already.
    pub fn new(spec: &RunSpec, data: &Mnist15) -> Result<RunState> {
        spec.params.validate()?;
        RunState::start(spec, data)
    }

    /// [`RunState::new`] of a spec made by [`Checked::<Params>::specs`].
    fn start(spec: &RunSpec, data: &Mnist15) -> Result<RunState> {
        let conditions = spec.params.conditions();
        if spec.condition >= conditions.len() {
            return Err(Error::InvalidParam(format!("condition {} of {}", spec.condition, conditions.len())));
        }
        let job = spec.params.experiment().job(spec.condition, spec.seed, data)?;
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
        self.job.total_steps()
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
            match self.job.step() {
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
        let (curves, pca) = self.job.finish(failure.is_some())?;
        let died_at = self.job.died_at();
        Ok(Some(RunResult {
            run: self.spec.run,
            condition: self.spec.condition,
            condition_name: self.spec.condition_name.clone(),
            seed: self.spec.seed,
            steps: self.steps,
            curves: curves.into_iter().filter(|c| !c.x.is_empty()).collect(),
            pca,
            failed_at: failure.as_ref().map(|_| self.steps),
            failure,
            died_at,
        }))
    }

    fn is_complete(&self) -> bool {
        self.job.is_complete()
    }

    /// The run of `spec`, `branch`'s branch, forked from this state (its
    /// trunk's, after exactly `branch.at_step` steps); `None` where it cannot
    /// be forked (a trunk that failed, or a job that does not fork): compute
    /// it alone then.
    pub fn fork(&self, branch: &Branch, spec: &RunSpec) -> Option<RunState> {
        if self.finished || self.steps != branch.at_step || spec.run != self.spec.run {
            return None;
        }
        let job = self.job.fork(&branch.fork)?;
        Some(RunState { spec: spec.clone(), job, steps: self.steps, finished: false })
    }

    fn run_to_end(mut self) -> Result<RunResult> {
        loop {
            if let Some(r) = self.advance(usize::MAX)? {
                return Ok(r);
            }
        }
    }
}

/// Runs every spec of `params` in order and aggregates them (the CLI's path;
/// the page runs the specs in workers instead).
pub fn run_all(params: &Params, data: &Mnist15, mut on_result: impl FnMut(&RunResult)) -> Result<FigureData> {
    let params = params.validate()?;
    let mut results = Vec::new();
    for spec in params.specs() {
        let r = RunState::start(&spec, data)?.run_to_end()?;
        on_result(&r);
        results.push(r);
    }
    Ok(layout::aggregate_checked(&params, &results))
}
