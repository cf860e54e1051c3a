//! The work one run does: the [`Job`] trait that [`super::RunState`] drives,
//! and [`TrainJob`], the training loop every MNIST figure shares.

use super::probes::Probe;
use super::setup::TrainSetup;
use super::{Curve, PcaData};
use crate::Result;
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
    /// The first step whose batch was dead, for a network that went on through it.
    fn died_at(&self) -> Option<u64> {
        None
    }
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
        if self.keep_dead && self.died_at.is_none() && self.trainer.network().last_batch_was_dead(rec.metrics.loss) {
            self.died_at = Some(rec.iteration);
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
                let net = self.trainer.network_mut();
                net.set_rule(Rule::Backprop)?;
                net.set_eta(Rule::Backprop.default_eta() * eta_scale)?;
                // The paper's claim is that BP then gets stuck at a zero-gradient
                // point: a dead network is the result to draw, not a failed run.
                net.set_allow_dead(true);
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

    fn finish(&mut self, failed: bool) -> Result<(Vec<Curve>, Option<PcaData>)> {
        let mut curves = Vec::new();
        for p in &mut self.probes {
            p.finish(self.trainer.network(), failed)?;
            curves.extend(p.take_curves());
        }
        Ok((curves, None))
    }
}
