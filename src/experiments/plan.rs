//! Run planning: the independent runs a figure's parameters ask for
//! ([`RunSpec`], run `i` with seed `seed + i` in every condition) and the runs
//! that can start as a copy of another ([`Branch`], fig7's shared prefix).

use serde::{Deserialize, Serialize};

use super::{Params, job};
use crate::checked::Checked;
use crate::data::Mnist15;

/// A run that starts as another run of its figure ([`job::Fork`], fig7):
/// computing the `trunk` once and forking it after `at_step` steps
/// ([`RunState::fork`]) gives the `branch`'s result bit for bit. Indices are
/// into [`Checked::<Params>::specs`].
#[derive(Debug, Clone)]
pub struct Branch {
    pub trunk: usize,
    pub branch: usize,
    pub at_step: u64,
    pub(super) fork: job::Fork,
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
