//! Eq. 8's disturbed copy: [`DisturbedLayer`] for one hidden layer and
//! [`DisturbedCopy`], which follows an FA [`Network`] (docs/math.md §5, Fig. 4).

use super::terms::{StepSignals, initial_weights_term};
use super::trackers::{StepCounter, fa_feedback, hidden_layers};
use super::{LayerShape, check_len, signal_product};
use crate::Result;
use crate::kernels;
use crate::metrics::angle_transposed_deg;
use crate::net::{Activation, INIT_STD, Network, normalize_rows};
use crate::rng::Rng;

/// Eq. 8's disturbed copy `W̃_l` of one hidden weight layer `l`.
#[derive(Debug, Clone)]
pub struct DisturbedLayer {
    shape: LayerShape,
    /// `W̃_l`, `n_l × n_{l+1}`.
    weights: Vec<f32>,
    /// `S_l = Σ_{j<k} A_l[j]` (`n_{l+1} × n_{l−1}`), in f64: thousands of steps are summed.
    running_sum: Vec<f64>,
    /// `W_{l−1}[0]`, `n_{l−1} × n_l`.
    initial_prev_weights: Vec<f32>,
    /// `B̂` inside the alignment term (`B_l` or `B_new`), `n_{l+1} × n_l`.
    alignment_feedback: Vec<f32>,
    /// Scratch: `A_l[k]`, `S_l` in f32, `S_l A_l[k]ᵀ`.
    product: Vec<f32>,
    sum_f32: Vec<f32>,
    m: Vec<f32>,
}

impl DisturbedLayer {
    /// Starts `W̃_l` at `initial_weights` (`W_l[0]`), with `W_{l−1}[0]` =
    /// `initial_prev_weights` and `B̂` = `alignment_feedback` (`n_{l+1} × n_l`).
    pub fn new(
        shape: LayerShape,
        initial_weights: &[f32],
        initial_prev_weights: &[f32],
        alignment_feedback: &[f32],
    ) -> Result<Self> {
        check_len("W_l[0] (n_l × n_{l+1})", initial_weights.len(), shape.weight_len())?;
        check_len("W_{l-1}[0] (n_{l-1} × n_l)", initial_prev_weights.len(), shape.n_prev * shape.n_layer)?;
        check_len("B̂ (n_{l+1} × n_l)", alignment_feedback.len(), shape.weight_len())?;
        let a_len = shape.n_next * shape.n_prev;
        Ok(DisturbedLayer {
            shape,
            weights: initial_weights.to_vec(),
            running_sum: vec![0.0; a_len],
            initial_prev_weights: initial_prev_weights.to_vec(),
            alignment_feedback: alignment_feedback.to_vec(),
            product: vec![0.0; a_len],
            sum_f32: vec![0.0; a_len],
            m: vec![0.0; shape.n_next * shape.n_next],
        })
    }

    /// `W̃_l` now (`n_l × n_{l+1}`).
    pub fn weights(&self) -> &[f32] {
        &self.weights
    }

    /// `B̂`, the feedback used inside the alignment term.
    pub fn alignment_feedback(&self) -> &[f32] {
        &self.alignment_feedback
    }

    pub fn shape(&self) -> LayerShape {
        self.shape
    }

    /// Applies `ΔW̃_l[k]` for step `k` (signals as in [`StepSignals`]; `bias` is
    /// `b_l[k]`), then adds `A_l[k]` to `S_l`.
    pub fn step(&mut self, now: StepSignals, activation: Activation, eta: f32) -> Result<()> {
        let s = self.shape;
        signal_product(s, now.input, now.delta_next, now.n_b, &mut self.product)?;
        let mut update = initial_weights_term(
            s,
            activation,
            now.input,
            &self.initial_prev_weights,
            now.bias,
            now.delta_next,
            eta,
            now.n_b,
        )?;
        for (dst, &src) in self.sum_f32.iter_mut().zip(&self.running_sum) {
            *dst = src as f32;
        }
        // η² B̂ᵀ (S A[k]ᵀ): the sum over every order o = 1..k of eq. 5 at once.
        kernels::gemm_nt(s.n_next, s.n_prev, s.n_next, &self.sum_f32, &self.product, &mut self.m);
        let mut alignment = vec![0.0; s.weight_len()];
        kernels::gemm_tn(s.n_layer, s.n_next, s.n_next, eta * eta, &self.alignment_feedback, &self.m, &mut alignment);
        for ((w, u), a) in self.weights.iter_mut().zip(&mut update).zip(&alignment) {
            *u += a;
            *w += *u;
        }
        for (acc, &a) in self.running_sum.iter_mut().zip(&self.product) {
            *acc += a as f64;
        }
        Ok(())
    }

    /// `∠(W̃_l, B̂ᵀ)` in degrees.
    pub fn angle_to_alignment_feedback_deg(&self) -> f64 {
        angle_transposed_deg(&self.weights, &self.alignment_feedback, self.shape.n_layer, self.shape.n_next)
    }
}

/// Which feedback the disturbed copy puts inside its alignment terms.
pub enum DisturbedFeedback<'a> {
    /// The network's own `B_l` (Fig. 4a).
    Same,
    /// A fresh `B_new` per hidden layer, drawn like the network's `B_l`
    /// (`N(0, 0.1²)`, rows normalised to `γ` under WN) from this stream (Fig. 4b).
    Fresh(&'a mut Rng),
}

/// The angles of Fig. 4 for one hidden layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DisturbedAngles {
    /// `∠(W_l, B_lᵀ)` of the real network.
    pub real_deg: f64,
    /// `∠(W̃_l, B_lᵀ)`.
    pub disturbed_deg: f64,
    /// `∠(W̃_l, B_newᵀ)` when the copy uses a fresh `B_new`, else `None`.
    pub disturbed_to_new_deg: Option<f64>,
}

/// Eq. 8's disturbed copy of every hidden layer of an FA network.
#[derive(Debug, Clone)]
pub struct DisturbedCopy {
    layers: Vec<DisturbedLayer>,
    fresh: bool,
    /// Biases the next step will use (`b_l`, entry `l − 1`).
    upcoming_biases: Vec<Vec<f32>>,
    counter: StepCounter,
}

impl DisturbedCopy {
    /// Starts `W̃_l = W_l` from the network as it is now, which becomes
    /// "iteration 0" of eq. 8 (create it before training). The copy follows the
    /// update formula only: it gets no weight normalisation.
    pub fn new(net: &Network, feedback: DisturbedFeedback) -> Result<Self> {
        let sizes = net.sizes();
        let mut rng = match feedback {
            DisturbedFeedback::Same => None,
            DisturbedFeedback::Fresh(rng) => Some(rng),
        };
        let fresh = rng.is_some();
        let mut layers = Vec::new();
        for l in hidden_layers(net) {
            let shape = LayerShape::of(sizes, l)?;
            let b = fa_feedback(net, l)?;
            let alignment_feedback = match rng.as_mut() {
                None => b.to_vec(),
                Some(rng) => {
                    let mut b_new = vec![0.0; b.len()];
                    rng.fill_normal(INIT_STD, &mut b_new);
                    if let Some(gamma) = net.config().weight_norm {
                        normalize_rows(&mut b_new, shape.n_next, shape.n_layer, gamma);
                    }
                    b_new
                }
            };
            layers.push(DisturbedLayer::new(shape, net.weights(l), net.weights(l - 1), &alignment_feedback)?);
        }
        let upcoming_biases = hidden_layers(net).map(|l| net.bias(l - 1).to_vec()).collect();
        Ok(DisturbedCopy { layers, fresh, upcoming_biases, counter: StepCounter::new(net) })
    }

    /// The copy of hidden layer `l`.
    pub fn layer(&self, l: usize) -> &DisturbedLayer {
        &self.layers[l - 1]
    }

    /// Applies eq. 8 for the step the network just took.
    pub fn observe(&mut self, net: &Network) -> Result<()> {
        self.counter.advance(net)?;
        let activation = net.config().activation;
        for (i, layer) in self.layers.iter_mut().enumerate() {
            let l = i + 1;
            let now = StepSignals {
                input: net.layer_output(l - 1),
                delta_next: net.delta(l + 1),
                bias: &self.upcoming_biases[i],
                n_b: net.batch_rows(),
            };
            layer.step(now, activation, net.eta())?;
        }
        for (i, l) in hidden_layers(net).enumerate() {
            self.upcoming_biases[i].copy_from_slice(net.bias(l - 1));
        }
        Ok(())
    }

    /// Fig. 4's angles, entry `l − 1` for hidden layer `l`.
    pub fn angles(&self, net: &Network) -> Result<Vec<DisturbedAngles>> {
        self.layers
            .iter()
            .enumerate()
            .map(|(i, layer)| {
                let l = i + 1;
                let s = layer.shape;
                let b = fa_feedback(net, l)?;
                Ok(DisturbedAngles {
                    real_deg: angle_transposed_deg(net.weights(l), b, s.n_layer, s.n_next),
                    disturbed_deg: angle_transposed_deg(&layer.weights, b, s.n_layer, s.n_next),
                    disturbed_to_new_deg: self.fresh.then(|| layer.angle_to_alignment_feedback_deg()),
                })
            })
            .collect()
    }
}
