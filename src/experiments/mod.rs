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

mod feedback;
mod fig2b;
mod fig3;
mod fig4;
mod fig5;
mod fig6;
mod fig7;
pub(crate) mod job;
pub mod keys;
mod layout;
mod plan;
pub(crate) mod probes;
mod rules;
mod run;
mod setup;

pub use crate::figure::{
    Curve, FailedRun, FailureCount, FigureData, Panel, PanelKind, PcaData, PcaPath, RunResult, Series,
};
pub use layout::aggregate;
pub(crate) use layout::aggregate_checked;
pub use plan::{Branch, RunSpec};
pub use run::{RunState, run_all, run_one};
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
    /// The link version that introduced the figure (older links cannot name it).
    fn introduced_in() -> u32
    where
        Self: Sized,
    {
        1
    }
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

/// Lists every figure once: `Variant => module::ParamsType` (each module is
/// declared above, where rustfmt sees it). Generates [`ExperimentId`],
/// [`Params`] and their dispatch.
macro_rules! registry {
    ($($variant:ident => $module:ident :: $params:ident),* $(,)?) => {
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

            /// The link version that introduced the figure ([`crate::versions::check_introduced`]).
            pub fn introduced_in(self) -> u32 {
                match self {
                    $(ExperimentId::$variant => <$params as Experiment>::introduced_in(),)*
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
    Feedback => feedback::FeedbackParams,
}

pub use fig2b::Fig2bCondition;

impl ExperimentId {
    /// Every figure's name, as the command line's help and messages list them:
    /// `fig2b, fig3, …, rules, feedback`.
    pub fn names() -> String {
        ExperimentId::ALL.iter().map(|id| id.name()).collect::<Vec<_>>().join(", ")
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
            Error::InvalidParam(format!("unknown experiment {s:?}: expected one of {}", ExperimentId::names()))
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

impl Preset {
    /// Every preset, in the order the page lists them.
    pub const ALL: [Preset; 2] = [Preset::Quick, Preset::Paper];

    /// The name in links, on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Quick => "quick",
            Preset::Paper => "paper",
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Preset {
    type Err = Error;
    fn from_str(s: &str) -> Result<Preset> {
        let wanted = s.trim().to_ascii_lowercase();
        Preset::ALL.into_iter().find(|p| p.name() == wanted).ok_or_else(|| {
            let names: Vec<&str> = Preset::ALL.iter().map(|p| p.name()).collect();
            Error::InvalidParam(format!("unknown preset {s:?}: expected {}", names.join(" or ")))
        })
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
