//! The error signal a rule sends into each hidden layer beside the one true
//! backprop would send on the same weights and batch (docs/math.md §4,
//! "error-signal angle"): [`Network::error_signals`].
//!
//! Training records the angle between the two at every step when update
//! angles are on ([`crate::metrics::IterMetrics::signal_angle_deg`]); this
//! function gives the signals themselves, for one batch, without changing the
//! network, e.g. to show `δ` through `W_lᵀ` and through `B_l` side by side.

use super::{Network, Rule};
use crate::Result;
use crate::metrics::angle_deg;

/// One hidden layer's error signals on one batch.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerSignals {
    /// The layer `l` (`1..d`): `δ_l` is the error at its units, sent back
    /// through `B_l` (FA) or `W_lᵀ` (BP) from `δ_{l+1}`.
    pub layer: usize,
    /// The rule's `δ_l`, `n_b × n_l`, row-major (descent sign, without `η`).
    pub rule: Vec<f32>,
    /// True backprop's `δ_l` from the same weights and batch, same layout.
    pub bp: Vec<f32>,
    /// `∠(δ_l^rule, δ_l^BP)` in degrees over the whole batch (both as one
    /// vector); NaN where either is all zeros (a dead batch, or a rule that
    /// sends no error into the layer).
    pub angle_deg: f64,
}

/// What [`Network::error_signals`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorSignals {
    /// The rule whose signals [`LayerSignals::rule`] holds.
    pub rule: Rule,
    /// Rows of the batch.
    pub rows: usize,
    /// `½ Σ E²` on the batch.
    pub loss: f64,
    /// The output error `δ_d` (`n_b × n_d`), which every rule shares.
    pub output: Vec<f32>,
    /// The hidden layers `l = 1..d`, in order.
    pub layers: Vec<LayerSignals>,
}

impl Network {
    /// Each hidden layer's `δ_l` by `rule` and by true backprop on the
    /// network's current weights and one batch (`x`: `n_b × n_0`, `targets`:
    /// `n_b × n_d`, row-major), and the angle between them. The network is
    /// not changed: a copy computes the forward pass and both backward passes
    /// and takes no step.
    ///
    /// `rule` need not be the network's: its feedback is the one the network
    /// holds or would draw when switched to `rule` ([`Network::set_rule`];
    /// a BP network's control `B_l` is FA's `B_l`). Feedback that changes
    /// before every step (sign-symmetry) is the one the network's next step
    /// would use: these are the signals of the step the network would take
    /// on this batch.
    pub fn error_signals(&self, rule: Rule, x: &[f32], targets: &[f32], n_b: usize) -> Result<ErrorSignals> {
        let mut net = self.clone();
        net.set_rule(rule)?;
        net.set_track_bp_updates(true);
        let loss = net.forward_pass(x, targets, n_b)?;
        net.backward_passes();
        let d = net.depth();
        let layers = (1..d)
            .map(|l| LayerSignals {
                layer: l,
                angle_deg: angle_deg(&net.deltas[l], &net.bp_deltas[l]),
                rule: net.deltas[l].clone(),
                bp: net.bp_deltas[l].clone(),
            })
            .collect();
        Ok(ErrorSignals { rule, rows: n_b, loss, output: net.deltas[d].clone(), layers })
    }
}
