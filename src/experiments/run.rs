//! The run driver: a [`RunState`] advances one run in chunks (a page's
//! animation frame, a worker's slice, a CLI thread) and returns its
//! [`RunResult`]; [`run_one`] and [`run_all`] run to the end.

use super::job::Job;
use super::plan::Branch;
use super::{Params, RunSpec, layout};
use crate::data::{Mnist15, Split};
use crate::figure::{FigureData, RunResult};
use crate::{Error, Result};

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

    /// [`RunState::new`] for a run that uses no data (`fig2b`'s open-loop
    /// net), so it can start before the data set is loaded; a run that
    /// trains on the data set is refused with a message.
    pub fn without_data(spec: &RunSpec) -> Result<RunState> {
        if spec.params.experiment().train().is_some() {
            return Err(Error::InvalidParam(format!("{} trains on the data set: it needs the data", spec.params.id())));
        }
        let none = Split::new(Vec::new(), Vec::new());
        RunState::new(spec, &Mnist15 { train: none.clone(), test: none })
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
        let (died_at, revived_at) = (self.job.died_at(), self.job.revived_at());
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
            revived_at,
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
