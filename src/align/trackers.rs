//! Adapters that read an FA [`Network`] after each of its steps and feed the
//! windows of every hidden layer: [`AlignmentTracker`] (linear terms) and
//! [`NonlinearTracker`] (nonlinear terms).

use super::LayerShape;
use super::terms::{AlignmentWindow, NonlinearWindow, StepSignals};
use crate::net::Network;
use crate::{Error, Result};

// ───────────────────────── adapters for a Network ─────────────────────────

/// `B_l` of an FA network, checked: the terms of docs/math.md §5 are defined
/// for fixed `B_l` of `W_lᵀ`'s shape only ([`crate::net::Rule::has_fixed_layerwise_feedback`]).
pub(super) fn fa_feedback(net: &Network, l: usize) -> Result<&[f32]> {
    if !net.rule().has_fixed_layerwise_feedback() {
        return Err(Error::InvalidParam(format!(
            "alignment terms are defined for FA (docs/math.md §5), this network uses {}",
            net.rule()
        )));
    }
    net.feedback(l).ok_or_else(|| Error::InvalidParam(format!("the network has no B_{l}")))
}

/// Guards that an adapter sees every step: orders count consecutive steps.
#[derive(Debug, Clone)]
pub(super) struct StepCounter {
    /// The network iteration the next observation must follow.
    next: u64,
}

impl StepCounter {
    pub(super) fn new(net: &Network) -> Self {
        StepCounter { next: net.iteration() }
    }

    pub(super) fn advance(&mut self, net: &Network) -> Result<()> {
        if net.iteration() != self.next + 1 {
            return Err(Error::InvalidParam(format!(
                "observe() must follow every step: expected the network after step {}, it has taken {} steps",
                self.next,
                net.iteration()
            )));
        }
        self.next += 1;
        Ok(())
    }
}

pub(super) fn hidden_layers(net: &Network) -> std::ops::Range<usize> {
    1..net.depth()
}

/// Linear alignment terms for every hidden layer `l = 1..d−1` of an FA network.
#[derive(Debug, Clone)]
pub struct AlignmentTracker {
    /// Entry `l − 1` is layer `l`.
    windows: Vec<AlignmentWindow>,
    counter: StepCounter,
}

impl AlignmentTracker {
    /// Create before the step that should be the window's first (usually before
    /// training); call [`AlignmentTracker::observe`] after every step from then on.
    pub fn new(net: &Network, capacity: usize) -> Result<Self> {
        let windows = hidden_layers(net)
            .map(|l| AlignmentWindow::new(LayerShape::of(net.sizes(), l)?, capacity))
            .collect::<Result<_>>()?;
        Ok(AlignmentTracker { windows, counter: StepCounter::new(net) })
    }

    /// Bytes held by all windows.
    pub fn bytes(&self) -> usize {
        self.windows.iter().map(AlignmentWindow::bytes).sum()
    }

    /// The window of hidden layer `l` (`1..d−1`).
    pub fn window(&self, l: usize) -> &AlignmentWindow {
        &self.windows[l - 1]
    }

    /// Records the step the network just took.
    pub fn observe(&mut self, net: &Network) -> Result<()> {
        self.counter.advance(net)?;
        for (i, w) in self.windows.iter_mut().enumerate() {
            let l = i + 1;
            w.push(net.layer_output(l - 1), net.delta(l + 1), net.batch_rows())?;
        }
        Ok(())
    }

    /// `∠(T^o_l[k], B_lᵀ)` for the newest step: entry `l − 1` is layer `l`, its
    /// entry `o − 1` is order `o`.
    pub fn linear_angles_deg(&self, net: &Network) -> Result<Vec<Vec<f64>>> {
        self.windows.iter().enumerate().map(|(i, w)| w.linear_angles_deg(fa_feedback(net, i + 1)?)).collect()
    }
}

/// Snapshots of what a step's forward pass used, taken after the previous step.
#[derive(Debug, Clone)]
pub(super) struct PreStep {
    /// `W_{l−1}` for each hidden `l` (entry `l − 1`).
    weights: Vec<Vec<f32>>,
    /// `b_l` for each hidden `l`.
    biases: Vec<Vec<f32>>,
}

impl PreStep {
    fn take(net: &Network) -> PreStep {
        PreStep {
            weights: hidden_layers(net).map(|l| net.weights(l - 1).to_vec()).collect(),
            biases: hidden_layers(net).map(|l| net.bias(l - 1).to_vec()).collect(),
        }
    }

    fn refresh(&mut self, net: &Network) {
        for (i, l) in hidden_layers(net).enumerate() {
            self.weights[i].copy_from_slice(net.weights(l - 1));
            self.biases[i].copy_from_slice(net.bias(l - 1));
        }
    }
}

/// Nonlinear alignment terms (eq. 4) for every hidden layer of an FA network.
#[derive(Debug, Clone)]
pub struct NonlinearTracker {
    windows: Vec<NonlinearWindow>,
    /// Parameters the next step will use.
    upcoming: PreStep,
    /// `b_l[k]` of the newest step `k`.
    used_biases: Vec<Vec<f32>>,
    counter: StepCounter,
}

impl NonlinearTracker {
    /// Create before the window's first step; [`NonlinearTracker::observe`] after every step.
    pub fn new(net: &Network, capacity: usize) -> Result<Self> {
        let windows = hidden_layers(net)
            .map(|l| NonlinearWindow::new(LayerShape::of(net.sizes(), l)?, capacity))
            .collect::<Result<_>>()?;
        let upcoming = PreStep::take(net);
        Ok(NonlinearTracker { windows, used_biases: upcoming.biases.clone(), upcoming, counter: StepCounter::new(net) })
    }

    /// Bytes held by all windows and snapshots.
    pub fn bytes(&self) -> usize {
        let snap: usize =
            self.upcoming.weights.iter().chain(&self.upcoming.biases).chain(&self.used_biases).map(Vec::len).sum();
        self.windows.iter().map(NonlinearWindow::bytes).sum::<usize>() + snap * std::mem::size_of::<f32>()
    }

    pub fn window(&self, l: usize) -> &NonlinearWindow {
        &self.windows[l - 1]
    }

    /// Records the step the network just took.
    pub fn observe(&mut self, net: &Network) -> Result<()> {
        self.counter.advance(net)?;
        for (i, w) in self.windows.iter_mut().enumerate() {
            let l = i + 1;
            w.push(net.layer_output(l - 1), net.delta(l), &self.upcoming.weights[i], net.batch_rows())?;
        }
        std::mem::swap(&mut self.used_biases, &mut self.upcoming.biases);
        self.upcoming.refresh(net);
        Ok(())
    }

    /// The newest step's signals for hidden layer `l`.
    pub fn signals<'a>(&'a self, net: &'a Network, l: usize) -> StepSignals<'a> {
        StepSignals {
            input: net.layer_output(l - 1),
            delta_next: net.delta(l + 1),
            bias: &self.used_biases[l - 1],
            n_b: net.batch_rows(),
        }
    }

    /// `∠(T^o_l[k], B_lᵀ)` of eq. 4 for the newest step, per hidden layer and order.
    pub fn angles_deg(&self, net: &Network) -> Result<Vec<Vec<f64>>> {
        let activation = net.config().activation;
        self.windows
            .iter()
            .enumerate()
            .map(|(i, w)| w.angles_deg(self.signals(net, i + 1), activation, fa_feedback(net, i + 1)?))
            .collect()
    }
}
