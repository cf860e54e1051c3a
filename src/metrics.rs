//! Angles, cosines and norms between matrices (docs/math.md §4), and the metrics read
//! from a network after each step.
//!
//! Everything accumulates in f64 in a fixed order and uses `libm::acos`, so a
//! metric has the same bits on every target (the run fingerprint hashes them).
//! An angle or cosine involving a zero matrix is undefined and returned as NaN.
//! An angle between a matrix and itself is exactly 0: the dot product and both
//! squared norms are the same sum, and `√(a·a) = a` in IEEE arithmetic.

use serde::Serialize;

use crate::net::Network;

/// `⟨p, q⟩_F`, accumulated in f64.
pub fn dot(p: &[f32], q: &[f32]) -> f64 {
    debug_assert_eq!(p.len(), q.len());
    p.iter().zip(q).map(|(&a, &b)| a as f64 * b as f64).sum()
}

/// `‖p‖_F`.
pub fn fro_norm(p: &[f32]) -> f64 {
    dot(p, p).sqrt()
}

/// Cosine similarity `⟨p, q⟩ / (‖p‖ ‖q‖)` of two same-shape matrices; NaN if either is zero.
pub fn cosine(p: &[f32], q: &[f32]) -> f64 {
    cosine_from_sums(dot(p, q), dot(p, p), dot(q, q))
}

/// The angle between two same-shape matrices in degrees, `0..=180`; NaN if either is zero.
pub fn angle_deg(p: &[f32], q: &[f32]) -> f64 {
    degrees(cosine(p, q))
}

/// Cosine between `p` (`rows × cols`) and `q_tᵀ`, where `q_t` is stored `cols × rows`,
/// without forming the transpose.
pub fn cosine_transposed(p: &[f32], q_t: &[f32], rows: usize, cols: usize) -> f64 {
    debug_assert_eq!(p.len(), rows * cols);
    debug_assert_eq!(q_t.len(), rows * cols);
    let (mut pq, mut pp, mut qq) = (0.0, 0.0, 0.0);
    for i in 0..rows {
        for j in 0..cols {
            let (a, b) = (p[i * cols + j] as f64, q_t[j * rows + i] as f64);
            pq += a * b;
            pp += a * a;
            qq += b * b;
        }
    }
    cosine_from_sums(pq, pp, qq)
}

/// The angle between `p` (`rows × cols`) and `q_tᵀ` (`q_t` stored `cols × rows`), in degrees.
pub fn angle_transposed_deg(p: &[f32], q_t: &[f32], rows: usize, cols: usize) -> f64 {
    degrees(cosine_transposed(p, q_t, rows, cols))
}

fn cosine_from_sums(pq: f64, pp: f64, qq: f64) -> f64 {
    if pp == 0.0 || qq == 0.0 {
        return f64::NAN;
    }
    (pq / (pp * qq).sqrt()).clamp(-1.0, 1.0)
}

fn degrees(cos: f64) -> f64 {
    libm::acos(cos) * (180.0 / std::f64::consts::PI)
}

/// What is recorded after every step. Vectors are indexed by the weight layer
/// `l = 0..d` (`W_l`); entries that do not exist for a layer or rule are NaN.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IterMetrics {
    /// `½ Σ E²` of the step's batch before its update.
    pub loss: f64,
    /// `∠(W_l, B_lᵀ)` after the update (docs/math.md §4, Fig. 6b). NaN at `l = 0` and for DFA,
    /// whose `D_l` has another shape. For BP, the angle to its control `B_l`
    /// (drawn, never used; [`Network::hold_control_feedback`]), or 0 without
    /// one, since BP's feedback is `W_l` itself.
    pub weight_alignment_deg: Vec<f64>,
    /// `‖W_l‖_F` after the update (Fig. 6a).
    pub weight_norm: Vec<f64>,
    /// `∠(B_lᵀ, ΔW_l)` with the step's own update (Fig. 6d); NaN where the weight alignment is.
    pub feedback_update_angle_deg: Vec<f64>,
    /// `∠(ΔW_l^rule, ΔW_l^BP)` from the same state and batch (Fig. 6c), when the
    /// network tracks BP updates ([`Network::set_track_bp_updates`]).
    pub update_angle_deg: Option<Vec<f64>>,
    /// The error-signal angle `∠(δ_l^rule, δ_l^BP)` from the same state and batch
    /// (docs/math.md §4), indexed like [`IterMetrics::weight_alignment_deg`]: entry
    /// `l` is the error at the units that `B_l` sends `δ_{l+1}` into (`l = 1..d`;
    /// NaN at `l = 0`, which has no `δ`), when the network tracks BP updates. Not
    /// in the run's fingerprint (links made before it keep theirs): it is a
    /// function of the state the fingerprint covers.
    pub signal_angle_deg: Option<Vec<f64>>,
}

/// The cheap metrics of the network's last step (plus update angles if tracked).
pub fn iter_metrics(net: &Network, loss: f64) -> IterMetrics {
    let d = net.depth();
    IterMetrics {
        loss,
        weight_alignment_deg: (0..d).map(|l| weight_alignment_deg(net, l)).collect(),
        weight_norm: (0..d).map(|l| fro_norm(net.weights(l))).collect(),
        feedback_update_angle_deg: (0..d).map(|l| feedback_update_angle_deg(net, l)).collect(),
        update_angle_deg: update_angles_deg(net),
        signal_angle_deg: signal_angles_deg(net),
    }
}

/// Angle in degrees between `m` (shape of `W_l`) and the transpose of the matrix
/// that sends `δ` back through layer `l`; NaN where there is none of `W_l`'s shape.
fn angle_with_feedback_t(net: &Network, l: usize, m: &[f32]) -> f64 {
    let (rows, cols) = (net.sizes()[l], net.sizes()[l + 1]);
    let rule = net.rule();
    if l == 0 {
        f64::NAN
    } else if rule.is_backprop() {
        // BP sends δ back through W_lᵀ itself; its control B_l, if it holds one, stands in.
        match net.control_feedback(l) {
            Some(b) => angle_transposed_deg(m, b, rows, cols),
            None => angle_deg(m, net.weights(l)),
        }
    } else {
        match net.feedback(l) {
            Some(b) if rule.has_layerwise_feedback() => angle_transposed_deg(m, b, rows, cols),
            _ => f64::NAN,
        }
    }
}

/// `∠(W_l, B_lᵀ)` in degrees for `l = 1..d` (see [`IterMetrics::weight_alignment_deg`]).
pub fn weight_alignment_deg(net: &Network, l: usize) -> f64 {
    angle_with_feedback_t(net, l, net.weights(l))
}

/// `∠(B_lᵀ, ΔW_l)` in degrees for the last step (see [`IterMetrics::feedback_update_angle_deg`]).
pub fn feedback_update_angle_deg(net: &Network, l: usize) -> f64 {
    angle_with_feedback_t(net, l, net.last_update(l))
}

/// `∠(ΔW_l^rule, ΔW_l^BP)` for `l = 0..d`, if the network tracks BP updates. The last
/// layer's angle is exactly 0 for every rule, which all use BP's `δ_d` (docs/math.md §4's
/// built-in check, asserted here in debug builds).
pub fn update_angles_deg(net: &Network) -> Option<Vec<f64>> {
    let last = net.depth() - 1;
    debug_assert!(
        net.bp_update(last).is_none_or(|bp| bp == net.last_update(last)),
        "every rule shares δ_d, so the last layer's update must be BP's bit for bit"
    );
    (0..net.depth()).map(|l| net.bp_update(l).map(|bp| angle_deg(net.last_update(l), bp))).collect()
}

/// `∠(δ_l^rule, δ_l^BP)` for `l = 0..d` (NaN at 0), if the network tracks BP
/// updates (see [`IterMetrics::signal_angle_deg`]).
pub fn signal_angles_deg(net: &Network) -> Option<Vec<f64>> {
    let angle = |l: usize| if l == 0 { Some(f64::NAN) } else { net.bp_delta(l).map(|bp| angle_deg(net.delta(l), bp)) };
    (0..net.depth()).map(angle).collect()
}

/// Trailing moving average over the last `window` finite values of a series
/// (fewer at the start); NaN while none has arrived.
///
/// A non-finite value is skipped, not averaged: an angle is undefined (NaN)
/// at a step whose update is zero, and that one missing value must not blank
/// every later point — with a running sum, one NaN would poison the rest of
/// the curve. The paper figures' smoothed update angles (Figs. 6c,d and the
/// `rules` panel) and the page's live update panel both use this one.
#[derive(Debug, Clone)]
pub struct MovingAverage {
    window: usize,
    values: std::collections::VecDeque<f64>,
    undefined_resets: bool,
}

impl MovingAverage {
    /// A window of at least 1; a value that is not finite is skipped.
    pub fn new(window: usize) -> MovingAverage {
        MovingAverage { window: window.max(1), values: std::collections::VecDeque::new(), undefined_resets: false }
    }

    /// Like [`MovingAverage::new`], but a value that is not finite empties the
    /// window (runs that keep a dead network, link version 2): a dead network's
    /// zero updates have no angle, and the average must not repeat the last
    /// defined ones; it is defined again from the next finite value on.
    pub fn resetting_on_undefined(window: usize) -> MovingAverage {
        MovingAverage { undefined_resets: true, ..MovingAverage::new(window) }
    }

    /// Adds a value (not finite: skipped, or empties the window when resetting).
    pub fn push(&mut self, v: f64) {
        if v.is_finite() {
            self.values.push_back(v);
            if self.values.len() > self.window {
                self.values.pop_front();
            }
        } else if self.undefined_resets {
            self.values.clear();
        }
    }

    /// The mean of the values in the window, summed oldest first; NaN if empty.
    pub fn mean(&self) -> f64 {
        if self.values.is_empty() { f64::NAN } else { self.values.iter().sum::<f64>() / self.values.len() as f64 }
    }
}

/// [`MovingAverage`] after each value of `v`.
pub fn moving_average(v: &[f64], window: usize) -> Vec<f64> {
    let mut ma = MovingAverage::new(window);
    v.iter()
        .map(|&x| {
            ma.push(x);
            ma.mean()
        })
        .collect()
}

#[cfg(test)]
mod moving_average_tests {
    use super::*;

    #[test]
    fn moving_average_is_trailing() {
        assert_eq!(moving_average(&[1.0, 3.0, 5.0, 7.0], 2), vec![1.0, 2.0, 4.0, 6.0]);
        assert_eq!(moving_average(&[1.0, 3.0, 5.0], 10), vec![1.0, 2.0, 3.0]);
    }

    #[test]
    fn a_nan_is_skipped_and_does_not_poison_later_points() {
        let nan = f64::NAN;
        let out = moving_average(&[nan, 2.0, nan, 4.0, 6.0, 8.0], 2);
        assert!(out[0].is_nan(), "nothing finite yet: {out:?}");
        // Window of the last two finite values: [2], [2], [2, 4], [4, 6], [6, 8].
        assert_eq!(&out[1..], &[2.0, 2.0, 3.0, 5.0, 7.0]);
        let inf = moving_average(&[1.0, f64::INFINITY, 3.0], 3);
        assert_eq!(inf, vec![1.0, 1.0, 2.0]);
    }

    #[test]
    fn a_resetting_average_empties_its_window_on_an_undefined_value() {
        let mut ma = MovingAverage::resetting_on_undefined(3);
        let mut out = Vec::new();
        for v in [2.0, 4.0, f64::NAN, 6.0, 8.0, 10.0, 12.0, f64::INFINITY] {
            ma.push(v);
            out.push(ma.mean());
        }
        // [2], [2, 4], [] (reset), [6], [6, 8], [6, 8, 10], [8, 10, 12], [] (reset).
        assert_eq!(&out[..2], &[2.0, 3.0]);
        assert!(out[2].is_nan(), "the undefined value must empty the window: {out:?}");
        assert_eq!(&out[3..7], &[6.0, 7.0, 8.0, 10.0]);
        assert!(out[7].is_nan(), "{out:?}");
        // The skipping average (version 1) carries the last values over the gap.
        let skip = moving_average(&[2.0, 4.0, f64::NAN, 6.0], 3);
        assert_eq!(skip, vec![2.0, 3.0, 3.0, 4.0]);
    }
}
