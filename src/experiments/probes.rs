//! What a training run records, as small probes that each own their series.
//!
//! A figure's job hands its [`TrainJob`](super::job::TrainJob) the probes it
//! wants; the job calls every probe at the same moments of the loop (before
//! and after each step, at each epoch's end, at each curve point, at the end).
//! A probe reads the network, never changes it, so the numbers do not depend
//! on which probes a run carries.

use super::Curve;
use super::keys::{Measure, Moment, SeriesKey};
use crate::Result;
use crate::align::{AlignmentTracker, DisturbedCopy};
use crate::metrics::{MovingAverage, fro_norm, weight_alignment_deg};
use crate::net::Network;
use crate::train::IterRecord;

/// Something a training run records.
pub(crate) trait Probe {
    /// Before each step (the network has taken `net.iteration()` steps).
    fn before_step(&mut self, _net: &Network) -> Result<()> {
        Ok(())
    }
    /// After each step, with what the step reported.
    fn after_step(&mut self, _net: &Network, _record: &IterRecord) -> Result<()> {
        Ok(())
    }
    /// After the last step of epoch `epoch` (from 1), with the test accuracy in `[0, 1]`.
    fn epoch_end(&mut self, _epoch: usize, _accuracy: f64) {}
    /// At each curve point: before the first step, every `record_every` steps and after the last.
    fn record(&mut self, _net: &Network) -> Result<()> {
        Ok(())
    }
    /// When the run ends; `failed` when the network died or diverged.
    fn finish(&mut self, _net: &Network, _failed: bool) -> Result<()> {
        Ok(())
    }
    /// The probe's series, handed over once at the end.
    fn take_curves(&mut self) -> Vec<Curve>;
    /// A copy for a forked run ([`super::job::Fork`]); `None` for a probe
    /// whose records depend on the rule or `η` (it cannot be forked).
    fn fork(&self) -> Option<Box<dyn Probe>> {
        None
    }
}

/// The curves of one probe, by key (non-finite points are dropped).
#[derive(Default, Clone)]
pub(crate) struct Curves(Vec<Curve>);

impl Curves {
    pub(crate) fn push(&mut self, key: &SeriesKey, x: f64, y: f64) {
        if !(x.is_finite() && y.is_finite()) {
            return;
        }
        let key = key.to_string();
        match self.0.iter_mut().find(|c| c.key == key) {
            Some(c) => {
                c.x.push(x);
                c.y.push(y);
            }
            None => self.0.push(Curve { key, x: vec![x], y: vec![y] }),
        }
    }

    pub(crate) fn take(&mut self) -> Vec<Curve> {
        std::mem::take(&mut self.0)
    }
}

/// Mean of the finite values; NaN if there are none.
pub(crate) fn mean_finite(v: &[f64]) -> f64 {
    let f: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if f.is_empty() { f64::NAN } else { f.iter().sum::<f64>() / f.len() as f64 }
}

/// The mean batch loss over the steps since the previous curve point.
#[derive(Clone)]
pub(crate) struct LossProbe {
    condition: String,
    sum: f64,
    count: u64,
    curves: Curves,
}

impl LossProbe {
    pub(crate) fn new(condition: &str) -> Self {
        LossProbe { condition: condition.to_string(), sum: 0.0, count: 0, curves: Curves::default() }
    }
}

impl Probe for LossProbe {
    fn after_step(&mut self, _net: &Network, record: &IterRecord) -> Result<()> {
        self.sum += record.metrics.loss;
        self.count += 1;
        Ok(())
    }

    fn record(&mut self, net: &Network) -> Result<()> {
        if net.iteration() > 0 {
            let loss = self.sum / self.count.max(1) as f64;
            self.sum = 0.0;
            self.count = 0;
            self.curves.push(&SeriesKey::of(&self.condition, Measure::Loss), net.iteration() as f64, loss);
        }
        Ok(())
    }

    fn take_curves(&mut self) -> Vec<Curve> {
        self.curves.take()
    }

    fn fork(&self) -> Option<Box<dyn Probe>> {
        Some(Box::new(self.clone()))
    }
}

/// Test accuracy (%) after each epoch.
#[derive(Clone)]
pub(crate) struct AccuracyProbe {
    key: SeriesKey,
    curves: Curves,
}

impl AccuracyProbe {
    pub(crate) fn new(condition: &str) -> Self {
        AccuracyProbe { key: SeriesKey::of(condition, Measure::Accuracy), curves: Curves::default() }
    }
}

impl Probe for AccuracyProbe {
    fn epoch_end(&mut self, epoch: usize, accuracy: f64) {
        self.curves.push(&self.key, epoch as f64, 100.0 * accuracy);
    }

    fn take_curves(&mut self) -> Vec<Curve> {
        self.curves.take()
    }

    fn fork(&self) -> Option<Box<dyn Probe>> {
        Some(Box::new(self.clone()))
    }
}

/// `‖W_l‖_F` of every layer.
pub(crate) struct NormProbe {
    condition: String,
    curves: Curves,
}

impl NormProbe {
    pub(crate) fn new(condition: &str) -> Self {
        NormProbe { condition: condition.to_string(), curves: Curves::default() }
    }
}

impl Probe for NormProbe {
    fn record(&mut self, net: &Network) -> Result<()> {
        for l in 0..net.depth() {
            self.curves.push(
                &SeriesKey::of(&self.condition, Measure::Norm(l)),
                net.iteration() as f64,
                fro_norm(net.weights(l)),
            );
        }
        Ok(())
    }

    fn take_curves(&mut self) -> Vec<Curve> {
        self.curves.take()
    }
}

/// Whether a per-layer quantity is drawn per layer or as one mean line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layers {
    Each,
    Mean,
}

/// `∠(W_l, B_lᵀ)` of the hidden layers.
pub(crate) struct AlignmentProbe {
    condition: String,
    layers: Layers,
    curves: Curves,
}

impl AlignmentProbe {
    pub(crate) fn new(condition: &str, layers: Layers) -> Self {
        AlignmentProbe { condition: condition.to_string(), layers, curves: Curves::default() }
    }
}

impl Probe for AlignmentProbe {
    fn record(&mut self, net: &Network) -> Result<()> {
        let x = net.iteration() as f64;
        let hidden = 1..net.depth();
        let angles: Vec<f64> = hidden.clone().map(|l| weight_alignment_deg(net, l)).collect();
        match self.layers {
            Layers::Mean => {
                self.curves.push(&SeriesKey::of(&self.condition, Measure::AlignMean), x, mean_finite(&angles))
            }
            Layers::Each => {
                for (l, &a) in hidden.zip(&angles) {
                    self.curves.push(&SeriesKey::of(&self.condition, Measure::Align(l)), x, a);
                }
            }
        }
        Ok(())
    }

    fn take_curves(&mut self) -> Vec<Curve> {
        self.curves.take()
    }
}

/// One moving average per layer; with `undefined_resets` (runs that keep a dead
/// network, link version 2) an undefined angle empties the window.
fn averages(window: usize, depth: usize, undefined_resets: bool) -> Vec<MovingAverage> {
    let one = if undefined_resets { MovingAverage::resetting_on_undefined(window) } else { MovingAverage::new(window) };
    vec![one; depth]
}

/// `∠(ΔW_l^rule, ΔW_l^BP)`, moving average (the run must track BP's updates).
pub(crate) struct UpdateAngleProbe {
    condition: String,
    layers: Layers,
    /// One per layer.
    average: Vec<MovingAverage>,
    curves: Curves,
}

impl UpdateAngleProbe {
    pub(crate) fn new(condition: &str, layers: Layers, window: usize, depth: usize, undefined_resets: bool) -> Self {
        UpdateAngleProbe {
            condition: condition.to_string(),
            layers,
            average: averages(window, depth, undefined_resets),
            curves: Curves::default(),
        }
    }
}

impl Probe for UpdateAngleProbe {
    fn after_step(&mut self, _net: &Network, record: &IterRecord) -> Result<()> {
        if let Some(angles) = &record.metrics.update_angle_deg {
            angles.iter().enumerate().for_each(|(l, &a)| self.average[l].push(a));
        }
        Ok(())
    }

    fn record(&mut self, net: &Network) -> Result<()> {
        if net.iteration() == 0 {
            return Ok(());
        }
        let (x, d) = (net.iteration() as f64, net.depth());
        match self.layers {
            Layers::Mean => {
                // The last layer's angle is 0 for every rule: leave it out of the mean.
                let v: Vec<f64> = (0..d - 1).map(|l| self.average[l].mean()).collect();
                self.curves.push(&SeriesKey::of(&self.condition, Measure::UpdateMean), x, mean_finite(&v));
            }
            Layers::Each => {
                for l in 0..d {
                    self.curves.push(&SeriesKey::of(&self.condition, Measure::Update(l)), x, self.average[l].mean());
                }
            }
        }
        Ok(())
    }

    fn take_curves(&mut self) -> Vec<Curve> {
        self.curves.take()
    }
}

/// The error-signal angle `∠(δ_l^rule, δ_l^BP)` of the hidden layers, moving
/// average (the run must track BP's updates).
pub(crate) struct SignalAngleProbe {
    condition: String,
    /// One per layer (entry 0 unused: layer 0 has no `δ`).
    average: Vec<MovingAverage>,
    curves: Curves,
}

impl SignalAngleProbe {
    pub(crate) fn new(condition: &str, window: usize, depth: usize, undefined_resets: bool) -> Self {
        SignalAngleProbe {
            condition: condition.to_string(),
            average: averages(window, depth, undefined_resets),
            curves: Curves::default(),
        }
    }
}

impl Probe for SignalAngleProbe {
    fn after_step(&mut self, _net: &Network, record: &IterRecord) -> Result<()> {
        if let Some(angles) = &record.metrics.signal_angle_deg {
            angles.iter().enumerate().for_each(|(l, &a)| self.average[l].push(a));
        }
        Ok(())
    }

    fn record(&mut self, net: &Network) -> Result<()> {
        if net.iteration() > 0 {
            for l in 1..net.depth() {
                let key = SeriesKey::of(&self.condition, Measure::Signal(l));
                self.curves.push(&key, net.iteration() as f64, self.average[l].mean());
            }
        }
        Ok(())
    }

    fn take_curves(&mut self) -> Vec<Curve> {
        self.curves.take()
    }
}

/// `∠(B_lᵀ, ΔW_l)` of the hidden layers, moving average.
pub(crate) struct FeedbackUpdateProbe {
    condition: String,
    /// One per layer.
    average: Vec<MovingAverage>,
    curves: Curves,
}

impl FeedbackUpdateProbe {
    pub(crate) fn new(condition: &str, window: usize, depth: usize, undefined_resets: bool) -> Self {
        FeedbackUpdateProbe {
            condition: condition.to_string(),
            average: averages(window, depth, undefined_resets),
            curves: Curves::default(),
        }
    }
}

impl Probe for FeedbackUpdateProbe {
    fn after_step(&mut self, _net: &Network, record: &IterRecord) -> Result<()> {
        let angles = &record.metrics.feedback_update_angle_deg;
        angles.iter().enumerate().for_each(|(l, &a)| self.average[l].push(a));
        Ok(())
    }

    fn record(&mut self, net: &Network) -> Result<()> {
        if net.iteration() > 0 {
            for l in 1..net.depth() {
                let key = SeriesKey::of(&self.condition, Measure::FeedbackUpdate(l));
                self.curves.push(&key, net.iteration() as f64, self.average[l].mean());
            }
        }
        Ok(())
    }

    fn take_curves(&mut self) -> Vec<Curve> {
        self.curves.take()
    }
}

/// Alignment terms by order: `∠(T^o_l, B_lᵀ)` for `o = 1..=max_order` at step
/// `at` (0-based). The tracker lives only for the `max_order + 1` steps it needs.
pub(crate) struct OrderProbe {
    condition: String,
    moment: Moment,
    at: u64,
    max_order: usize,
    tracker: Option<AlignmentTracker>,
    curves: Curves,
}

impl OrderProbe {
    pub(crate) fn new(condition: &str, moment: Moment, at: u64, max_order: usize) -> Self {
        OrderProbe { condition: condition.to_string(), moment, at, max_order, tracker: None, curves: Curves::default() }
    }
}

impl Probe for OrderProbe {
    fn before_step(&mut self, net: &Network) -> Result<()> {
        let k = net.iteration();
        if self.tracker.is_none() && k + self.max_order as u64 >= self.at && k <= self.at {
            self.tracker = Some(AlignmentTracker::new(net, self.max_order + 1)?);
        }
        Ok(())
    }

    fn after_step(&mut self, net: &Network, record: &IterRecord) -> Result<()> {
        if let Some(tracker) = self.tracker.as_mut() {
            tracker.observe(net)?;
            if record.iteration == self.at {
                let angles = tracker.linear_angles_deg(net)?;
                for (i, per_order) in angles.iter().enumerate() {
                    let key = SeriesKey::of(&self.condition, Measure::Order(self.moment, i + 1));
                    for (o, &a) in per_order.iter().enumerate() {
                        self.curves.push(&key, (o + 1) as f64, a);
                    }
                }
                self.tracker = None;
            }
        }
        Ok(())
    }

    fn take_curves(&mut self) -> Vec<Curve> {
        self.curves.take()
    }
}

/// The real network beside eq. 8's disturbed copies: one with the real `B_l`,
/// one with fresh feedback `B_new`.
pub(crate) struct DisturbedProbe {
    condition: String,
    same: DisturbedCopy,
    fresh: DisturbedCopy,
    curves: Curves,
}

impl DisturbedProbe {
    pub(crate) fn new(condition: &str, same: DisturbedCopy, fresh: DisturbedCopy) -> Self {
        DisturbedProbe { condition: condition.to_string(), same, fresh, curves: Curves::default() }
    }
}

impl Probe for DisturbedProbe {
    fn after_step(&mut self, net: &Network, _record: &IterRecord) -> Result<()> {
        self.same.observe(net)?;
        self.fresh.observe(net)
    }

    fn record(&mut self, net: &Network) -> Result<()> {
        let x = net.iteration() as f64;
        for (i, (s, f)) in self.same.angles(net)?.iter().zip(self.fresh.angles(net)?).enumerate() {
            let l = i + 1;
            let key = |m| SeriesKey::of(&self.condition, m);
            self.curves.push(&key(Measure::Real(l)), x, s.real_deg);
            self.curves.push(&key(Measure::Disturbed(l)), x, s.disturbed_deg);
            self.curves.push(&key(Measure::DisturbedNew(l)), x, f.disturbed_to_new_deg.unwrap_or(f64::NAN));
        }
        Ok(())
    }

    fn take_curves(&mut self) -> Vec<Curve> {
        self.curves.take()
    }
}

/// `∠(W_l, B_lᵀ)` of the hidden layers at the end of a run that did not fail,
/// drawn against `x` (the condition's value, e.g. a label-shuffle fraction).
pub(crate) struct FinalAlignmentProbe {
    x: f64,
    curves: Curves,
}

impl FinalAlignmentProbe {
    pub(crate) fn new(x: f64) -> Self {
        FinalAlignmentProbe { x, curves: Curves::default() }
    }
}

impl Probe for FinalAlignmentProbe {
    fn finish(&mut self, net: &Network, failed: bool) -> Result<()> {
        if !failed {
            for l in 1..net.depth() {
                self.curves.push(&SeriesKey::across(Measure::FinalAlign(l)), self.x, weight_alignment_deg(net, l));
            }
        }
        Ok(())
    }

    fn take_curves(&mut self) -> Vec<Curve> {
        self.curves.take()
    }
}
