//! The training loop on 15×15 MNIST (docs/math.md §6): minibatches in a fixed or
//! per-epoch shuffled order, optional label shuffling, per-iteration metrics,
//! per-epoch test accuracy and a fingerprint of the whole run.
//!
//! [`Trainer::step`] does one minibatch, so a caller (the CLI's loop, the web
//! page's animation frame) decides how many to run at a time:
//!
//! ```no_run
//! # fn demo(data: &fa_lab::data::Mnist15) -> fa_lab::Result<()> {
//! use fa_lab::{net::Rule, train::{TrainConfig, Trainer}};
//! let mut trainer = Trainer::new(TrainConfig::paper(Rule::Feedback, 0).validate()?, data)?;
//! while !trainer.is_done() {
//!     let record = trainer.step()?;
//!     if trainer.is_epoch_boundary() {
//!         println!("epoch {}: loss {} test accuracy {}", record.epoch, record.metrics.loss, trainer.epoch_end()?);
//!     }
//! }
//! println!("{:016x}", trainer.fingerprint());
//! # Ok(()) }
//! ```

use serde::{Deserialize, Serialize};

use crate::checked::Checked;
use crate::codes::NHotCodes;
use crate::data::{Mnist15, N_CLASSES, N_PIXELS, Split};
use crate::hash::Fnv1a;
use crate::metrics::{IterMetrics, iter_metrics};
use crate::net::{NetConfig, Network, Rule, pixel_input};
use crate::rng::{Purpose, Rng};
use crate::{Error, Result};

/// Largest accepted number of epochs.
pub const MAX_EPOCHS: usize = 100_000;

/// One training run, fully: the seed fixes everything else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub net: NetConfig,
    pub epochs: usize,
    /// Minibatch rows (the paper: 1000, so 60 steps an epoch).
    pub batch: usize,
    /// Permute the sample order at the start of every epoch (docs/math.md §6, Fig. 3c).
    pub shuffle: bool,
    /// Fraction `p ∈ [0, 1]` of the training labels permuted among themselves once, at the start (Fig. 5).
    pub label_shuffle: f64,
    /// Also compute true backprop's update each step for `∠(ΔW^rule, ΔW^BP)` (a second backward pass).
    pub update_angles: bool,
    pub seed: u64,
    /// Train on the first `n` training images only (quick runs); `None` for all.
    pub n_train: Option<usize>,
    /// BP only: draw FA's `B_l` as a control that is never used, so BP's
    /// `∠(W_l, B_lᵀ)` is measured ([`Network::hold_control_feedback`]). Links of
    /// version 1 have none (BP's angle was drawn as 0).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub control_feedback: bool,
}

impl TrainConfig {
    /// The paper's setting: its net with the rule's default `η`, 20 epochs of
    /// batch 1000 in a fixed order, no label shuffling, no update angles; BP
    /// holds its control `B_l` (links of version 1 do not: see [`crate::versions`]).
    pub fn paper(rule: Rule, seed: u64) -> TrainConfig {
        TrainConfig {
            net: NetConfig::paper(rule),
            epochs: 20,
            batch: 1000,
            shuffle: false,
            label_shuffle: 0.0,
            update_angles: false,
            seed,
            n_train: None,
            control_feedback: rule.takes_control_feedback(),
        }
    }

    /// Checks every field once (the network's too); what trains takes the result.
    pub fn validate(self) -> Result<Checked<TrainConfig>> {
        self.check()?;
        Ok(Checked::assume_checked(self))
    }

    fn check(&self) -> Result<()> {
        self.net.check()?;
        let bad = |m: String| Err(Error::InvalidParam(m));
        let sizes = &self.net.sizes;
        if sizes[0] != N_PIXELS {
            return bad(format!("the input layer must have {N_PIXELS} units (15×15 pixels), got {}", sizes[0]));
        }
        if sizes[sizes.len() - 1] < N_CLASSES {
            return bad(format!(
                "the output layer needs at least {N_CLASSES} units for N-hot codes, got {}",
                sizes[sizes.len() - 1]
            ));
        }
        if self.epochs == 0 || self.epochs > MAX_EPOCHS {
            return bad(format!("epochs must be in 1..={MAX_EPOCHS}, got {}", self.epochs));
        }
        if self.batch == 0 {
            return bad("batch size must be at least 1".into());
        }
        if !(0.0..=1.0).contains(&self.label_shuffle) {
            return bad(format!("label-shuffle fraction must be in [0, 1], got {}", self.label_shuffle));
        }
        if self.n_train == Some(0) {
            return bad("n_train must be at least 1".into());
        }
        if self.control_feedback && !self.net.rule.takes_control_feedback() {
            return bad(format!("a control B is for BP only, not for rule {}", self.net.rule));
        }
        Ok(())
    }
}

impl Checked<TrainConfig> {
    /// The network's settings, checked with the whole.
    pub fn net(&self) -> Checked<NetConfig> {
        Checked::assume_checked(self.net.clone())
    }
}

/// What one step reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IterRecord {
    /// Step index from 0.
    pub iteration: u64,
    /// Epoch the step belongs to, from 0.
    pub epoch: usize,
    pub metrics: IterMetrics,
    /// Test accuracy measured right after this step when it ended an epoch.
    pub test_accuracy: Option<f64>,
}

/// A training run in progress.
#[derive(Debug, Clone)]
pub struct Trainer {
    cfg: TrainConfig,
    net: Network,
    codes: NHotCodes,
    /// The training images (shared with the data set, not copied); the first
    /// `order.len()` are in use.
    train: Split,
    /// Labels of the images in use, after label shuffling.
    train_labels: Vec<u8>,
    /// The test split (shared, not copied; converted to inputs in chunks).
    test: Split,
    /// Sample order of the current epoch.
    order: Vec<usize>,
    order_rng: Rng,
    epoch: usize,
    step_in_epoch: usize,
    batch_inputs: Vec<f32>,
    batch_targets: Vec<f32>,
    test_accuracy: Vec<f64>,
    hash: Fnv1a,
    /// An epoch's last step whose test accuracy is being counted in parts
    /// ([`Trainer::advance_within`]).
    measuring: Option<Measuring>,
}

/// An epoch's last step, waiting for its test accuracy: test images counted so far.
#[derive(Debug, Clone)]
struct Measuring {
    record: IterRecord,
    rows: usize,
    correct: usize,
}

impl Trainer {
    /// Sets up a run: the network, the N-hot codes, the label shuffle and the sample order.
    pub fn new(cfg: Checked<TrainConfig>, data: &Mnist15) -> Result<Trainer> {
        let n_available = data.train.len();
        let n = cfg.n_train.unwrap_or(n_available);
        if n > n_available {
            return Err(Error::InvalidParam(format!("n_train = {n} but the data has {n_available} training images")));
        }
        if data.test.is_empty() {
            return Err(Error::InvalidParam("the data has no test images".into()));
        }
        let mut net = Network::from_checked(cfg.net(), cfg.seed);
        let cfg = cfg.into_inner();
        net.set_track_bp_updates(cfg.update_angles);
        if cfg.control_feedback {
            net.hold_control_feedback();
        }
        let n_out = cfg.net.sizes[cfg.net.sizes.len() - 1];
        let codes = NHotCodes::new(N_CLASSES, n_out, &mut Rng::new(cfg.seed, Purpose::Codes))?;
        let mut train_labels = data.train.labels[..n].to_vec();
        shuffle_fraction(&mut train_labels, cfg.label_shuffle, &mut Rng::new(cfg.seed, Purpose::LabelShuffle));
        Ok(Trainer {
            net,
            codes,
            train: data.train.clone(),
            train_labels,
            test: data.test.clone(),
            order: (0..n).collect(),
            order_rng: Rng::new(cfg.seed, Purpose::BatchOrder),
            epoch: 0,
            step_in_epoch: 0,
            batch_inputs: Vec::with_capacity(cfg.batch.min(n) * N_PIXELS),
            batch_targets: Vec::with_capacity(cfg.batch.min(n) * n_out),
            test_accuracy: Vec::new(),
            hash: Fnv1a::new(),
            measuring: None,
            cfg,
        })
    }

    /// One minibatch: forward, the rule's update, the metrics.
    pub fn step(&mut self) -> Result<IterRecord> {
        if self.step_in_epoch == 0 && self.cfg.shuffle {
            self.order_rng.shuffle(&mut self.order);
        }
        let n = self.order.len();
        let start = self.step_in_epoch * self.cfg.batch;
        let rows = self.cfg.batch.min(n - start);
        let n_out = self.codes.n_outputs();
        self.batch_inputs.resize(rows * N_PIXELS, 0.0);
        self.batch_targets.resize(rows * n_out, 0.0);
        for (r, &sample) in self.order[start..start + rows].iter().enumerate() {
            let pixels = self.train.image(sample);
            for (x, &p) in self.batch_inputs[r * N_PIXELS..(r + 1) * N_PIXELS].iter_mut().zip(pixels) {
                *x = pixel_input(p);
            }
            let code = self.codes.code(self.train_labels[sample] as usize);
            self.batch_targets[r * n_out..(r + 1) * n_out].copy_from_slice(code);
        }
        let stats = self.net.step(&self.batch_inputs, &self.batch_targets, rows)?;
        let record = IterRecord {
            iteration: stats.iteration,
            epoch: self.epoch,
            metrics: iter_metrics(&self.net, stats.loss),
            test_accuracy: None,
        };
        self.hash_metrics(&record.metrics);
        self.step_in_epoch += 1;
        if self.step_in_epoch == self.steps_per_epoch() {
            self.step_in_epoch = 0;
            self.epoch += 1;
        }
        Ok(record)
    }

    /// Hashes the metrics links of version 1 and 2 were recorded with; the
    /// error-signal angle, which came later, is left out, so their
    /// fingerprints hold (it follows from the state the hash covers).
    fn hash_metrics(&mut self, m: &IterMetrics) {
        self.hash.f64(m.loss);
        let vectors = [&m.weight_alignment_deg, &m.weight_norm, &m.feedback_update_angle_deg];
        for v in vectors.into_iter().chain(&m.update_angle_deg) {
            v.iter().for_each(|&x| self.hash.f64(x));
        }
    }

    /// The training loop shared by the CLI and the page: up to `max_steps`
    /// steps (fewer when training ends), measuring test accuracy after the
    /// last step of every epoch and putting it in that step's record.
    pub fn advance(&mut self, max_steps: usize) -> Result<Vec<IterRecord>> {
        self.advance_within(max_steps, usize::MAX)
    }

    /// As [`Trainer::advance`], but an epoch's test accuracy is counted on at
    /// most `max_rows` test images per call (at least one), so that the page
    /// can spread it over frames. While it is being counted nothing trains:
    /// a call that finds it unfinished only goes on counting, and the
    /// epoch's last record comes out once its accuracy is in. The records
    /// and the fingerprint are `advance`'s: the same images are counted, and
    /// the count is recorded after the same step.
    pub fn advance_within(&mut self, max_steps: usize, max_rows: usize) -> Result<Vec<IterRecord>> {
        let mut records = Vec::with_capacity(max_steps.min(self.steps_per_epoch()));
        let (mut steps, mut rows_left) = (0, max_rows.max(1));
        let resumed = self.measuring.is_some();
        loop {
            if let Some(m) = &mut self.measuring {
                let rows = rows_left.min(self.test.len() - m.rows);
                m.correct += self.net.count_correct_rows(&self.test, &self.codes, m.rows..m.rows + rows)?;
                m.rows += rows;
                rows_left -= rows;
                if m.rows < self.test.len() {
                    return Ok(records);
                }
                if let Some(Measuring { mut record, correct, .. }) = self.measuring.take() {
                    record.test_accuracy = Some(self.record_epoch_end(correct));
                    records.push(record);
                }
                if resumed {
                    return Ok(records);
                }
            }
            if steps >= max_steps || self.is_done() {
                return Ok(records);
            }
            let record = self.step()?;
            steps += 1;
            if self.is_epoch_boundary() {
                self.measuring = Some(Measuring { record, rows: 0, correct: 0 });
            } else {
                records.push(record);
            }
        }
    }

    /// Whether an epoch's test accuracy is being counted (see [`Trainer::advance_within`]).
    pub fn is_measuring(&self) -> bool {
        self.measuring.is_some()
    }

    /// Test accuracy now; recorded as the accuracy of the epoch just finished.
    pub fn epoch_end(&mut self) -> Result<f64> {
        let correct = self.net.count_correct_rows(&self.test, &self.codes, 0..self.test.len())?;
        Ok(self.record_epoch_end(correct))
    }

    /// Records the test accuracy of the epoch just finished from the number
    /// of test images classified correctly (over the whole split); returns it.
    fn record_epoch_end(&mut self, correct: usize) -> f64 {
        let acc = correct as f64 / self.test.len() as f64;
        self.hash.f64(acc);
        self.test_accuracy.push(acc);
        acc
    }

    /// Test accuracy of the current network, without recording it.
    pub fn test_accuracy(&self) -> Result<f64> {
        self.net.accuracy(&self.test, &self.codes)
    }

    /// True right after the last step of an epoch.
    pub fn is_epoch_boundary(&self) -> bool {
        self.step_in_epoch == 0 && self.net.iteration() > 0
    }

    /// True once `epochs` epochs have been run and the last one's test accuracy is in.
    pub fn is_done(&self) -> bool {
        self.epoch >= self.cfg.epochs && self.measuring.is_none()
    }

    /// Steps in one epoch (the last batch of an epoch may be smaller).
    pub fn steps_per_epoch(&self) -> usize {
        self.order.len().div_ceil(self.cfg.batch)
    }

    /// Completed epochs.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// Steps taken.
    pub fn iteration(&self) -> u64 {
        self.net.iteration()
    }

    pub fn config(&self) -> &TrainConfig {
        &self.cfg
    }

    pub fn network(&self) -> &Network {
        &self.net
    }

    /// The network, e.g. to switch the rule mid-run (docs/math.md §7 `fig7`).
    pub fn network_mut(&mut self) -> &mut Network {
        &mut self.net
    }

    pub fn codes(&self) -> &NHotCodes {
        &self.codes
    }

    /// Training labels in use (after label shuffling).
    pub fn train_labels(&self) -> &[u8] {
        &self.train_labels
    }

    /// Test accuracy of every epoch ended so far.
    pub fn test_accuracies(&self) -> &[f64] {
        &self.test_accuracy
    }

    /// FNV-1a-64 over the bits of every metric and test accuracy recorded so
    /// far and of the current parameters: equal fingerprints mean equal runs.
    pub fn fingerprint(&self) -> u64 {
        let mut h = self.hash;
        self.net.params_flat().iter().for_each(|&p| h.f32(p));
        h.value()
    }
}

/// Permutes a fraction `p` of `labels` among themselves: `round(p·n)` positions
/// drawn at random, their labels shuffled (docs/math.md §6, Fig. 5).
fn shuffle_fraction(labels: &mut [u8], p: f64, rng: &mut Rng) {
    let n = labels.len();
    let k = ((p * n as f64).round() as usize).min(n);
    if k < 2 {
        return;
    }
    let mut positions: Vec<usize> = (0..n).collect();
    for j in 0..k {
        let pick = j + rng.below(n - j);
        positions.swap(j, pick);
    }
    let chosen = &positions[..k];
    let mut moved: Vec<u8> = chosen.iter().map(|&i| labels[i]).collect();
    rng.shuffle(&mut moved);
    for (&i, &label) in chosen.iter().zip(&moved) {
        labels[i] = label;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_shuffle_keeps_the_histogram_and_moves_about_the_fraction() {
        let labels: Vec<u8> = (0..10_000).map(|i| (i % 10) as u8).collect();
        for p in [0.0, 0.25, 1.0] {
            let mut shuffled = labels.clone();
            shuffle_fraction(&mut shuffled, p, &mut Rng::new(1, Purpose::LabelShuffle));
            let mut a = labels.clone();
            let mut b = shuffled.clone();
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b, "p = {p}: label counts changed");
            // A shuffled label keeps its value with probability ~1/10.
            let changed = labels.iter().zip(&shuffled).filter(|(x, y)| x != y).count() as f64 / 10_000.0;
            let expected = p * 0.9;
            assert!((changed - expected).abs() < 0.02, "p = {p}: {changed} changed, expected ≈ {expected}");
        }
    }
}
