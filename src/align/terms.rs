//! The alignment terms of one hidden layer: linear (eq. 5) in
//! [`AlignmentWindow`], nonlinear (eq. 4) in [`NonlinearWindow`], and the
//! initial-weights term of the expansion (docs/math.md §5).

use super::{LayerShape, Ring, check_batch, check_len, check_window, signal_product};
use crate::Result;
use crate::kernels;
use crate::metrics::angle_transposed_deg;
use crate::net::Activation;

/// Linear alignment terms (eq. 5) of one hidden layer `l`, orders `1..=capacity`.
#[derive(Debug, Clone)]
pub struct AlignmentWindow {
    shape: LayerShape,
    /// `A_l[j] = δ_{l+1}[j]ᵀ L_{l−1}[j]`, `n_next × n_prev`.
    products: Ring,
}

impl AlignmentWindow {
    /// A window for orders `1..=capacity` (`capacity ≥ 1`).
    pub fn new(shape: LayerShape, capacity: usize) -> Result<Self> {
        check_window(capacity)?;
        Ok(AlignmentWindow { shape, products: Ring::new(shape.n_next * shape.n_prev, capacity) })
    }

    /// Bytes a window of this shape and capacity holds: `(capacity + 1) · n_{l+1} · n_{l−1} · 4`.
    pub fn bytes_for(shape: LayerShape, capacity: usize) -> usize {
        (capacity + 1) * shape.n_next * shape.n_prev * std::mem::size_of::<f32>()
    }

    pub fn bytes(&self) -> usize {
        self.products.bytes()
    }

    pub fn shape(&self) -> LayerShape {
        self.shape
    }

    pub fn capacity(&self) -> usize {
        self.products.capacity
    }

    /// Steps pushed so far; the newest is step `k = steps − 1`.
    pub fn steps(&self) -> u64 {
        self.products.steps
    }

    /// Highest order available for the newest step: `min(capacity, k)`.
    pub fn max_order(&self) -> usize {
        self.products.max_order()
    }

    /// Records step `k`: `input` is `L_{l−1}[k]` (`n_b × n_{l−1}`), `delta_next`
    /// is `δ_{l+1}[k]` (`n_b × n_{l+1}`), both row-major.
    pub fn push(&mut self, input: &[f32], delta_next: &[f32], n_b: usize) -> Result<()> {
        // Validate before taking the slot, so a rejected push leaves the window as it was.
        check_batch(n_b)?;
        check_len("L_{l-1} (n_b × n_{l-1})", input.len(), n_b * self.shape.n_prev)?;
        check_len("δ_{l+1} (n_b × n_{l+1})", delta_next.len(), n_b * self.shape.n_next)?;
        let shape = self.shape;
        signal_product(shape, input, delta_next, n_b, self.products.next_slot())
    }

    /// `A_l[k − age]` (`n_{l+1} × n_{l−1}`), if still in the window.
    pub fn product(&self, age: usize) -> Option<&[f32]> {
        self.products.aged(age)
    }

    /// `T^o_l[k] = η² B_lᵀ (A_l[k−o] A_l[k]ᵀ)` for the newest step `k`, shaped like
    /// `W_l` (`n_l × n_{l+1}`). `feedback` is `B_l` (`n_{l+1} × n_l`).
    pub fn linear_term(&self, order: usize, feedback: &[f32], eta: f32) -> Result<Vec<f32>> {
        let mut scratch = vec![0.0; self.shape.n_next * self.shape.n_next];
        let mut term = vec![0.0; self.shape.weight_len()];
        self.linear_term_into(order, feedback, eta, &mut scratch, &mut term)?;
        Ok(term)
    }

    fn linear_term_into(
        &self,
        order: usize,
        feedback: &[f32],
        eta: f32,
        m: &mut [f32],
        term: &mut [f32],
    ) -> Result<()> {
        self.products.check_order(order)?;
        let s = self.shape;
        check_len("B_l (n_{l+1} × n_l)", feedback.len(), s.weight_len())?;
        let (Some(past), Some(now)) = (self.products.aged(order), self.products.aged(0)) else {
            unreachable!("check_order guarantees both entries");
        };
        // M = A[k−o] A[k]ᵀ first: n_{l+1}² n_{l−1} + n_l n_{l+1}² beats the other
        // association (B_lᵀ A[k−o]) A[k]ᵀ when n_{l−1} is the input layer's 225.
        kernels::gemm_nt(s.n_next, s.n_prev, s.n_next, past, now, m);
        kernels::gemm_tn(s.n_layer, s.n_next, s.n_next, eta * eta, feedback, m, term);
        Ok(())
    }

    /// `∠(T^o_l[k], B_lᵀ)` in degrees for `o = 1..=max_order()` (entry `o − 1`):
    /// Fig. 3b,c. An order whose term is exactly zero gives NaN. `η²` does not
    /// change an angle, so none is asked for.
    pub fn linear_angles_deg(&self, feedback: &[f32]) -> Result<Vec<f64>> {
        let s = self.shape;
        check_len("B_l (n_{l+1} × n_l)", feedback.len(), s.weight_len())?;
        let mut m = vec![0.0; s.n_next * s.n_next];
        let mut term = vec![0.0; s.weight_len()];
        (1..=self.max_order())
            .map(|o| {
                self.linear_term_into(o, feedback, 1.0, &mut m, &mut term)?;
                Ok(angle_transposed_deg(&term, feedback, s.n_layer, s.n_next))
            })
            .collect()
    }
}

/// The activation of `L_{l−1}[k] W + b` into `out` (`n_b × n_l`): `f(ζ)` for the
/// disturbed copy's initial-weights term, and the source of `f'(ζ)` (read back
/// from `f(ζ)` as the network's backward pass does).
pub(super) fn activate(
    activation: Activation,
    input: &[f32],
    weights: &[f32],
    bias: &[f32],
    n_b: usize,
    n_in: usize,
    out: &mut [f32],
) {
    let n_out = bias.len();
    kernels::gemm_nn(n_b, n_in, n_out, input, weights, out);
    match activation {
        Activation::TanhRelu => kernels::bias_tanh_relu(out, bias),
        Activation::Linear => kernels::add_bias(out, bias),
    }
}

/// The initial-weights term of the expansion,
/// `η f(L_{l−1}[k] W_{l−1}[0] + b_l[k])ᵀ δ_{l+1}[k]` (`n_l × n_{l+1}`), into `out`.
/// `initial_weights` is `W_{l−1}[0]` (`n_{l−1} × n_l`), `bias` is `b_l[k]` (`n_l`; zeros
/// for a net without biases).
#[allow(clippy::too_many_arguments)]
pub fn initial_weights_term(
    shape: LayerShape,
    activation: Activation,
    input: &[f32],
    initial_weights: &[f32],
    bias: &[f32],
    delta_next: &[f32],
    eta: f32,
    n_b: usize,
) -> Result<Vec<f32>> {
    check_batch(n_b)?;
    check_len("L_{l-1} (n_b × n_{l-1})", input.len(), n_b * shape.n_prev)?;
    check_len("W_{l-1}[0] (n_{l-1} × n_l)", initial_weights.len(), shape.n_prev * shape.n_layer)?;
    check_len("b_l (n_l)", bias.len(), shape.n_layer)?;
    check_len("δ_{l+1} (n_b × n_{l+1})", delta_next.len(), n_b * shape.n_next)?;
    let mut act = vec![0.0; n_b * shape.n_layer];
    activate(activation, input, initial_weights, bias, n_b, shape.n_prev, &mut act);
    let mut out = vec![0.0; shape.weight_len()];
    kernels::gemm_tn(shape.n_layer, n_b, shape.n_next, eta, &act, delta_next, &mut out);
    Ok(out)
}

/// Nonlinear alignment terms (eq. 4) of one hidden layer `l`, orders `1..=capacity`.
#[derive(Debug, Clone)]
pub struct NonlinearWindow {
    shape: LayerShape,
    /// `D_l[j] = L_{l−1}[j]ᵀ δ_l[j]` (`n_{l−1} × n_l`).
    updates: Ring,
    /// `W_{l−1}[j]` as step `j`'s forward pass used it (`n_{l−1} × n_l`).
    weights: Ring,
}

/// The signals of the newest step `k` that a nonlinear evaluation needs.
#[derive(Debug, Clone, Copy)]
pub struct StepSignals<'a> {
    /// `L_{l−1}[k]`, `n_b × n_{l−1}`.
    pub input: &'a [f32],
    /// `δ_{l+1}[k]`, `n_b × n_{l+1}`.
    pub delta_next: &'a [f32],
    /// `b_l[k]`, the bias step `k`'s forward pass added to `Z_l` (`n_l`; zeros without biases).
    pub bias: &'a [f32],
    pub n_b: usize,
}

impl NonlinearWindow {
    /// A window for orders `1..=capacity` (`capacity ≥ 1`).
    pub fn new(shape: LayerShape, capacity: usize) -> Result<Self> {
        check_window(capacity)?;
        let len = shape.n_prev * shape.n_layer;
        Ok(NonlinearWindow { shape, updates: Ring::new(len, capacity), weights: Ring::new(len, capacity) })
    }

    /// Bytes a window of this shape and capacity holds: `(capacity + 1) · 2 · n_{l−1} · n_l · 4`.
    pub fn bytes_for(shape: LayerShape, capacity: usize) -> usize {
        (capacity + 1) * 2 * shape.n_prev * shape.n_layer * std::mem::size_of::<f32>()
    }

    pub fn bytes(&self) -> usize {
        self.updates.bytes() + self.weights.bytes()
    }

    pub fn shape(&self) -> LayerShape {
        self.shape
    }

    /// Steps pushed so far; the newest is step `k = steps − 1`.
    pub fn steps(&self) -> u64 {
        self.updates.steps
    }

    /// Highest order available for the newest step: `min(capacity, k)`.
    pub fn max_order(&self) -> usize {
        self.updates.max_order()
    }

    /// Records step `k`: `input` is `L_{l−1}[k]` (`n_b × n_{l−1}`), `delta_layer` is
    /// `δ_l[k]` (`n_b × n_l`), `weights_used` is the `W_{l−1}[k]` of step `k`'s
    /// forward pass (before its update).
    pub fn push(&mut self, input: &[f32], delta_layer: &[f32], weights_used: &[f32], n_b: usize) -> Result<()> {
        let s = self.shape;
        check_batch(n_b)?;
        check_len("L_{l-1} (n_b × n_{l-1})", input.len(), n_b * s.n_prev)?;
        check_len("δ_l (n_b × n_l)", delta_layer.len(), n_b * s.n_layer)?;
        check_len("W_{l-1} (n_{l-1} × n_l)", weights_used.len(), s.n_prev * s.n_layer)?;
        kernels::gemm_tn(s.n_prev, n_b, s.n_layer, 1.0, input, delta_layer, self.updates.next_slot());
        self.weights.next_slot().copy_from_slice(weights_used);
        Ok(())
    }

    /// Eq. 4's `T^o_l[k]` for the newest step `k` (`n_l × n_{l+1}`), with `f` the
    /// network's `activation` (for [`Activation::Linear`], `f' ≡ 1` and this equals
    /// the linear term whenever `δ_l = δ_{l+1} B_l`).
    pub fn term(&self, order: usize, now: StepSignals, activation: Activation, eta: f32) -> Result<Vec<f32>> {
        let mut scratch = self.scratch(now)?;
        let mut term = vec![0.0; self.shape.weight_len()];
        self.term_into(order, now, activation, eta, &mut scratch, &mut term)?;
        Ok(term)
    }

    /// `∠(T^o_l[k], B_lᵀ)` in degrees for `o = 1..=max_order()` (entry `o − 1`);
    /// NaN for a term that is exactly zero. `feedback` is `B_l` (`n_{l+1} × n_l`).
    pub fn angles_deg(&self, now: StepSignals, activation: Activation, feedback: &[f32]) -> Result<Vec<f64>> {
        let s = self.shape;
        check_len("B_l (n_{l+1} × n_l)", feedback.len(), s.weight_len())?;
        let mut scratch = self.scratch(now)?;
        let mut term = vec![0.0; s.weight_len()];
        (1..=self.max_order())
            .map(|o| {
                self.term_into(o, now, activation, 1.0, &mut scratch, &mut term)?;
                Ok(angle_transposed_deg(&term, feedback, s.n_layer, s.n_next))
            })
            .collect()
    }

    /// Two `n_b × n_l` buffers: `f(ζ)` and the masked product.
    fn scratch(&self, now: StepSignals) -> Result<[Vec<f32>; 2]> {
        let s = self.shape;
        check_batch(now.n_b)?;
        check_len("L_{l-1}[k] (n_b × n_{l-1})", now.input.len(), now.n_b * s.n_prev)?;
        check_len("δ_{l+1}[k] (n_b × n_{l+1})", now.delta_next.len(), now.n_b * s.n_next)?;
        check_len("b_l[k] (n_l)", now.bias.len(), s.n_layer)?;
        Ok([vec![0.0; now.n_b * s.n_layer], vec![0.0; now.n_b * s.n_layer]])
    }

    fn term_into(
        &self,
        order: usize,
        now: StepSignals,
        activation: Activation,
        eta: f32,
        [act, masked]: &mut [Vec<f32>; 2],
        term: &mut [f32],
    ) -> Result<()> {
        self.updates.check_order(order)?;
        let s = self.shape;
        let (Some(update), Some(weights)) = (self.updates.aged(order), self.weights.aged(order)) else {
            unreachable!("check_order guarantees both entries");
        };
        // (δ_l[k−o]ᵀ L_{l−1}[k−o] L_{l−1}[k]ᵀ)ᵀ = L_{l−1}[k] D_l[k−o], n_b × n_l: kept in
        // the batch-major layout so the mask and the final product need no transpose.
        kernels::gemm_nn(now.n_b, s.n_prev, s.n_layer, now.input, update, masked);
        if activation == Activation::TanhRelu {
            activate(activation, now.input, weights, now.bias, now.n_b, s.n_prev, act);
            kernels::mul_tanh_relu_deriv(masked, act);
        }
        kernels::gemm_tn(s.n_layer, now.n_b, s.n_next, eta * eta, masked, now.delta_next, term);
        Ok(())
    }
}
