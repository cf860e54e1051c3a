//! The work one run does: the [`Job`] trait that [`super::RunState`] drives,
//! and [`TrainJob`], the training loop every MNIST figure shares.

use super::probes::{AccuracyProbe, LossProbe, Probe};
use super::setup::TrainSetup;
use super::{Curve, PcaData};
use crate::Result;
use crate::data::Mnist15;
use crate::net::Rule;
use crate::train::Trainer;

/// One run's work, advanced a step at a time.
pub(crate) trait Job {
    /// Steps the run will take in all.
    fn total_steps(&self) -> u64;
    /// One step; `Ok(false)` when there is nothing left to do. A dead or
    /// diverged network is `Err(Error::Diverged)`, which ends the run as failed.
    fn step(&mut self) -> Result<bool>;
    fn is_complete(&self) -> bool;
    /// What the run recorded (`failed`: it ended on `Error::Diverged`).
    fn finish(&mut self, failed: bool) -> Result<(Vec<Curve>, Option<PcaData>)>;
    /// For a network that went on through dead batches, the first step
    /// whose batch was alive again after the last dead one (`None`: dead to the end).
    fn revived_at(&self) -> Option<u64> {
        None
    }
    /// The first step whose batch was dead, for a network that went on through it.
    fn died_at(&self) -> Option<u64> {
        None
    }
    /// A copy of this run's state that goes on as `fork` says, or `None` if
    /// this job cannot be forked here (see [`Fork`]).
    fn fork(&self, _fork: &Fork) -> Option<Box<dyn Job>> {
        None
    }
}

/// How a run goes on from another run's state. fig7's runs train FA for `T`
/// epochs and then switch to BP: the FA epochs before each switch are the
/// first epochs of the run with the largest `T`, so they are computed once
/// and the other runs fork from it at their `T`, bit for bit as if computed
/// alone (`tests/experiments.rs` compares the fingerprints).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fork {
    /// The trunk's condition name, renamed to the branch's in every series.
    pub(crate) from: String,
    pub(crate) to: String,
    /// The branch switches to BP at the fork, after epoch `.0`, with BP's
    /// default `η` times `.1` (the trunk is right after that epoch's end).
    pub(crate) switch_to_bp: (usize, f32),
}

/// A training run of the paper's network with the probes a figure asks for.
pub(crate) struct TrainJob {
    trainer: Trainer,
    probes: Vec<Box<dyn Probe>>,
    record_every: u64,
    total_steps: u64,
    /// After this many epochs, switch to BP with its default `η` times the scale (`fig7`).
    switch_to_bp: Option<(usize, f32)>,
    /// The network goes on through dead batches ([`TrainSetup::keep_dead`]).
    keep_dead: bool,
    died_at: Option<u64>,
    /// The last step whose batch was dead.
    last_dead: Option<u64>,
    /// A forked run's series are renamed from the trunk's condition to its own.
    rename: Option<(String, String)>,
}

/// The start of one rule's run in a figure that sets rules side by side
/// (`rules`, `feedback`): its trainer (update angles as asked), whether it
/// has an alignment to draw (layer-wise feedback, or BP's never-used control
/// `B`), and its loss and accuracy probes, named by the rule. The figure adds
/// its own probes after these, then [`RuleRun::job`].
pub(crate) struct RuleRun {
    pub(crate) trainer: Trainer,
    pub(crate) alignment: bool,
    pub(crate) probes: Vec<Box<dyn Probe>>,
}

impl RuleRun {
    pub(crate) fn new(
        train: &TrainSetup,
        rule: Rule,
        seed: u64,
        update_angles: bool,
        data: &Mnist15,
    ) -> Result<RuleRun> {
        let mut cfg = train.config(rule, seed);
        cfg.update_angles = update_angles;
        let alignment = rule.has_layerwise_feedback() || cfg.control_feedback;
        let trainer = Trainer::new(cfg.validate()?, data)?;
        let name = rule.name();
        let probes: Vec<Box<dyn Probe>> = vec![Box::new(LossProbe::new(name)), Box::new(AccuracyProbe::new(name))];
        Ok(RuleRun { trainer, alignment, probes })
    }

    pub(crate) fn depth(&self) -> usize {
        self.trainer.network().depth()
    }

    pub(crate) fn job(self, train: &TrainSetup) -> Result<Box<dyn Job>> {
        Ok(Box::new(TrainJob::new(self.trainer, train, self.probes)?))
    }
}

impl TrainJob {
    /// Starts the job and records the curves' first points (before any step).
    pub(crate) fn new(mut trainer: Trainer, setup: &TrainSetup, probes: Vec<Box<dyn Probe>>) -> Result<TrainJob> {
        let total_steps = (trainer.steps_per_epoch() * setup.epochs) as u64;
        trainer.network_mut().set_allow_dead(setup.keep_dead);
        let mut job = TrainJob {
            trainer,
            probes,
            record_every: setup.record_every as u64,
            total_steps,
            switch_to_bp: None,
            keep_dead: setup.keep_dead,
            died_at: None,
            last_dead: None,
            rename: None,
        };
        for p in &mut job.probes {
            p.record(job.trainer.network())?;
        }
        Ok(job)
    }

    /// Switches to BP after epoch `epochs` (with the default `η` times `eta_scale`).
    pub(crate) fn switch_to_bp_after(mut self, epochs: usize, eta_scale: f32) -> TrainJob {
        self.switch_to_bp = Some((epochs, eta_scale));
        self
    }

    fn switch(&mut self, eta_scale: f32) -> Result<()> {
        let net = self.trainer.network_mut();
        net.set_rule(Rule::Backprop)?;
        net.set_eta(Rule::Backprop.default_eta() * eta_scale)?;
        // The paper's claim is that BP then gets stuck at a zero-gradient
        // point: a dead network is the result to draw, not a failed run.
        net.set_allow_dead(true);
        Ok(())
    }
}

impl Job for TrainJob {
    fn total_steps(&self) -> u64 {
        self.total_steps
    }

    fn step(&mut self) -> Result<bool> {
        if self.trainer.is_done() {
            return Ok(false);
        }
        for p in &mut self.probes {
            p.before_step(self.trainer.network())?;
        }
        let rec = self.trainer.step()?;
        if self.keep_dead && self.trainer.network().last_batch_was_dead(rec.metrics.loss) {
            self.died_at.get_or_insert(rec.iteration);
            self.last_dead = Some(rec.iteration);
        }
        for p in &mut self.probes {
            p.after_step(self.trainer.network(), &rec)?;
        }
        let steps = rec.iteration + 1;
        if self.trainer.is_epoch_boundary() {
            let acc = self.trainer.epoch_end()?;
            let epoch = self.trainer.epoch();
            self.probes.iter_mut().for_each(|p| p.epoch_end(epoch, acc));
            if let Some((after, eta_scale)) = self.switch_to_bp
                && after == epoch
            {
                self.switch(eta_scale)?;
            }
        }
        if steps.is_multiple_of(self.record_every) || steps == self.total_steps {
            for p in &mut self.probes {
                p.record(self.trainer.network())?;
            }
        }
        Ok(true)
    }

    fn is_complete(&self) -> bool {
        self.trainer.is_done()
    }

    fn died_at(&self) -> Option<u64> {
        self.died_at
    }

    fn revived_at(&self) -> Option<u64> {
        let done = self.trainer.iteration();
        self.last_dead.map(|last| last + 1).filter(|&next| next < done)
    }

    fn finish(&mut self, failed: bool) -> Result<(Vec<Curve>, Option<PcaData>)> {
        let mut curves = Vec::new();
        for p in &mut self.probes {
            p.finish(self.trainer.network(), failed)?;
            curves.extend(p.take_curves());
        }
        if let Some((from, to)) = &self.rename {
            for c in &mut curves {
                if let Some(rest) = c.key.strip_prefix(&format!("{from}/")) {
                    c.key = format!("{to}/{rest}");
                }
            }
        }
        Ok((curves, None))
    }

    /// Forks right after the last step of epoch `fork.switch_to_bp.0`, where
    /// a run computed alone switches to BP: the step, its epoch end and its
    /// curve point are the trunk's, and the probes forked (loss and accuracy)
    /// record nothing that depends on the rule, so the switch can follow them.
    fn fork(&self, fork: &Fork) -> Option<Box<dyn Job>> {
        let (after, eta_scale) = fork.switch_to_bp;
        let at_end_of = self.trainer.is_epoch_boundary() && self.trainer.epoch() == after;
        if !at_end_of || self.trainer.is_done() || self.switch_to_bp.is_some_and(|(t, _)| t <= after) {
            return None;
        }
        let probes = self.probes.iter().map(|p| p.fork()).collect::<Option<Vec<_>>>()?;
        let mut job = TrainJob {
            trainer: self.trainer.clone(),
            probes,
            record_every: self.record_every,
            total_steps: self.total_steps,
            switch_to_bp: Some(fork.switch_to_bp),
            keep_dead: self.keep_dead,
            died_at: self.died_at,
            last_dead: self.last_dead,
            rename: Some((fork.from.clone(), fork.to.clone())),
        };
        job.switch(eta_scale).ok()?;
        Some(Box::new(job))
    }
}
