//! Alignment terms by order and the disturbed-weights copy (docs/math.md §5; paper
//! eqs. 3–5 and 8, Figs. 3b,c, 4 and 5c).
//!
//! Expanding FA's update `ΔW_l[k] = η L_l[k]ᵀ δ_{l+1}[k]` over the earlier
//! updates of `W_{l−1}` writes it as a sum of *alignment terms* of order
//! `o = 1..k` plus a term that only involves the initial weights. Everything
//! here is about hidden weight layers `l = 1..d−1` (those with a `B_l`), with
//! the indices of docs/math.md: `L_{l−1}` is the input of `W_{l−1}`, `δ_{l+1}` the error
//! arriving at `W_l`'s output.
//!
//! - [`AlignmentWindow`]: the linear terms (eq. 5)
//!   `T^o_l[k] = η² B_lᵀ A_l[k−o] A_l[k]ᵀ`, `A_l[j] = δ_{l+1}[j]ᵀ L_{l−1}[j]`,
//!   from a ring buffer of the last `O + 1` matrices `A_l` (`n_{l+1} × n_{l−1}`).
//!   [`AlignmentWindow::linear_angles_deg`] gives `∠(T^o_l[k], B_lᵀ)` per order,
//!   the quantity plotted in Fig. 3b,c.
//! - [`NonlinearWindow`]: the terms of eq. 4, which keep the `f'` masks,
//!   `T^o_l[k] = η² (f'(ζ^o_l[k])ᵀ ⊙ (δ_l[k−o]ᵀ L_{l−1}[k−o] L_{l−1}[k]ᵀ)) δ_{l+1}[k]`,
//!   `ζ^o_l[k] = L_{l−1}[k] W_{l−1}[k−o] + b_l[k]`. It keeps, per past step,
//!   `D_l[j] = L_{l−1}[j]ᵀ δ_l[j]` (that is `ΔW_{l−1}[j] / η`) and the
//!   `W_{l−1}[j]` that step's forward pass used.
//! - [`DisturbedLayer`]: eq. 8's second copy `W̃_l`, moved by
//!   `ΔW̃_l[k] = η² B̂ᵀ S_l[k] A_l[k]ᵀ + η f(L_{l−1}[k] W_{l−1}[0] + b_l[k])ᵀ δ_{l+1}[k]`,
//!   `S_l[k] = Σ_{j<k} A_l[j]` — every order at once, linearised — where `B̂` is
//!   `B_l` (Fig. 4a) or a fresh random `B_new` (Fig. 4b).
//!
//! For a linear network, with or without biases, trained by FA
//! (`δ_l = δ_{l+1} B_l` exactly), the expansion is exact:
//! `Σ_{o=1..k} T^o_l[k] + η (L_{l−1}[k] W_{l−1}[0] + b_l[k])ᵀ δ_{l+1}[k] = ΔW_l[k]`
//! and `W̃_l = W_l` at every step, because `W_{l−1}[k] = W_{l−1}[0] + η Σ_{j<k} L_{l−1}[j]ᵀ δ_{l+1}[j] B_l`.
//! `tests/analysis.rs` checks both against the real [`Network`].
//!
//! The windows and the copy work on plain row-major `f32` slices and sizes;
//! [`AlignmentTracker`], [`NonlinearTracker`] and [`DisturbedCopy`] are thin
//! adapters that read a [`Network`] after each of its steps. They must see
//! every step (they check the network's iteration counter), because the orders
//! count consecutive steps and the nonlinear terms need the weights a step
//! *used*, which the network has already overwritten when the step returns.
//!
//! Memory (paper net, `n = [225, 50, 50, 50, 50, 50]`, `f32` storage):
//! - linear window: `(O + 1) · n_{l+1} · n_{l−1} · 4` bytes per layer. With
//!   `O = 180`: layer 1 (`n_0 = 225` inputs) 8.1 MB, layers 2–4 1.8 MB each,
//!   13.6 MB in all.
//! - nonlinear window: `(O + 1) · 2 · n_{l−1} · n_l · 4` bytes per layer. With
//!   the default [`DEFAULT_NONLINEAR_ORDERS`]` = 60`: layer 1 5.5 MB, layers
//!   2–4 1.2 MB each, 9.2 MB in all; plus `3 · n_b · n_l · 4` bytes of scratch
//!   while evaluating (0.6 MB at `n_b = 1000`).
//! - disturbed copy: `W̃_l`, `B̂`, `W_{l−1}[0]` in `f32` and `S_l` in `f64`,
//!   under 0.2 MB per layer.
//!
//! Cost: pushing `A_l` is one `n_{l+1} × n_b × n_{l−1}` product per layer and
//! step; the nonlinear push one `n_{l−1} × n_b × n_l` product; the disturbed
//! copy two batch-sized products and one `A_l`. A linear evaluation is two
//! small products per order (`n_{l+1}² n_{l−1} + n_l n_{l+1}²`); a nonlinear one
//! three batch-sized products per order, so it is the expensive one and gets
//! the smaller window. Measured on the paper net (`n_b = 1000`, release build,
//! two busy cores): a training step 7.4 ms; per step, the linear push 2.9 ms,
//! the nonlinear push 2.4 ms, the disturbed copy 6.4 ms; evaluating all 4
//! layers, 180 linear orders 0.06 s, 60 nonlinear orders 0.37 s. A tracker
//! need not run all along: to evaluate orders `1..=O` at step `k`, create it
//! just before step `k − O` and observe steps `k − O..=k`. All products go through [`crate::kernels`] (fixed summation
//! order, so the same bits on every target); angles accumulate in `f64`
//! ([`crate::metrics`]).

use crate::kernels;
use crate::metrics::angle_transposed_deg;
use crate::net::{Activation, INIT_STD, Network, Rule, normalize_rows};
use crate::rng::Rng;
use crate::{Error, Result};

/// Orders kept by [`NonlinearTracker`] when the caller has no reason to choose:
/// one epoch of the paper's 60 minibatches, so the lag-60 autocorrelation shows.
pub const DEFAULT_NONLINEAR_ORDERS: usize = 60;

/// Widths around hidden weight layer `l`: `W_{l−1}` is `n_prev × n_layer`,
/// `W_l` is `n_layer × n_next`, `B_l` is `n_next × n_layer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerShape {
    /// `n_{l−1}`.
    pub n_prev: usize,
    /// `n_l`.
    pub n_layer: usize,
    /// `n_{l+1}`.
    pub n_next: usize,
}

impl LayerShape {
    /// The shape around weight layer `l` of a network with widths `sizes`
    /// (`n_0..n_d`); needs `1 ≤ l ≤ d − 1`.
    pub fn of(sizes: &[usize], l: usize) -> Result<LayerShape> {
        if l == 0 || l + 1 >= sizes.len() {
            return Err(Error::InvalidParam(format!(
                "alignment terms exist for weight layers 1..={} of a {}-layer net, not {l}",
                sizes.len().saturating_sub(2),
                sizes.len()
            )));
        }
        LayerShape::new(sizes[l - 1], sizes[l], sizes[l + 1])
    }

    pub fn new(n_prev: usize, n_layer: usize, n_next: usize) -> Result<LayerShape> {
        if n_prev == 0 || n_layer == 0 || n_next == 0 {
            return Err(Error::InvalidParam(format!(
                "layer widths must be positive, got {n_prev}, {n_layer}, {n_next}"
            )));
        }
        Ok(LayerShape { n_prev, n_layer, n_next })
    }

    /// Entries of `W_l` (and of `B_l`, and of every `T^o_l`).
    pub fn weight_len(&self) -> usize {
        self.n_layer * self.n_next
    }
}

fn check_len(what: &str, got: usize, want: usize) -> Result<()> {
    if got != want {
        return Err(Error::InvalidParam(format!("{what}: expected {want} values, got {got}")));
    }
    Ok(())
}

fn check_window(capacity: usize) -> Result<()> {
    if capacity == 0 {
        return Err(Error::InvalidParam("an alignment window needs at least one order".into()));
    }
    Ok(())
}

fn check_batch(n_b: usize) -> Result<()> {
    if n_b == 0 {
        return Err(Error::InvalidParam("a batch needs at least one row".into()));
    }
    Ok(())
}

/// `A = δ_{l+1}ᵀ L_{l−1}` (`n_next × n_prev`) into `out`.
fn signal_product(shape: LayerShape, input: &[f32], delta_next: &[f32], n_b: usize, out: &mut [f32]) -> Result<()> {
    check_batch(n_b)?;
    check_len("L_{l-1} (n_b × n_{l-1})", input.len(), n_b * shape.n_prev)?;
    check_len("δ_{l+1} (n_b × n_{l+1})", delta_next.len(), n_b * shape.n_next)?;
    kernels::gemm_tn(shape.n_next, n_b, shape.n_prev, 1.0, delta_next, input, out);
    Ok(())
}

/// The most recent `capacity + 1` steps' matrices of one size, in a ring:
/// step `j` lives in slot `j mod (capacity + 1)`.
#[derive(Debug, Clone)]
struct Ring {
    slot_len: usize,
    capacity: usize,
    data: Vec<f32>,
    /// Steps pushed so far; the newest is step `steps − 1`.
    steps: u64,
}

impl Ring {
    fn new(slot_len: usize, capacity: usize) -> Ring {
        Ring { slot_len, capacity, data: vec![0.0; (capacity + 1) * slot_len], steps: 0 }
    }

    fn slot_of(&self, step: u64) -> usize {
        (step % (self.capacity as u64 + 1)) as usize
    }

    /// The slot the next step will occupy, and count it as pushed.
    fn next_slot(&mut self) -> &mut [f32] {
        let s = self.slot_of(self.steps);
        self.steps += 1;
        &mut self.data[s * self.slot_len..(s + 1) * self.slot_len]
    }

    /// The entry of step `k − age`, `k` the newest.
    fn aged(&self, age: usize) -> Option<&[f32]> {
        if age > self.capacity || age as u64 >= self.steps {
            return None;
        }
        let s = self.slot_of(self.steps - 1 - age as u64);
        Some(&self.data[s * self.slot_len..(s + 1) * self.slot_len])
    }

    /// Orders that can be evaluated for the newest step: `min(capacity, k)`.
    fn max_order(&self) -> usize {
        (self.steps.saturating_sub(1)).min(self.capacity as u64) as usize
    }

    fn check_order(&self, order: usize) -> Result<()> {
        if order == 0 || order > self.max_order() {
            return Err(Error::InvalidParam(format!(
                "order {order} is not available: orders 1..={} after {} steps with a window of {}",
                self.max_order(),
                self.steps,
                self.capacity
            )));
        }
        Ok(())
    }

    fn bytes(&self) -> usize {
        self.data.len() * std::mem::size_of::<f32>()
    }
}

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
fn activate(
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

// ───────────────────────── adapters for a Network ─────────────────────────

/// `B_l` of an FA network, checked: the terms of docs/math.md §5 are defined for FA only.
fn fa_feedback(net: &Network, l: usize) -> Result<&[f32]> {
    if net.rule() != Rule::Feedback {
        return Err(Error::InvalidParam(format!(
            "alignment terms are defined for FA (docs/math.md §5), this network uses {}",
            net.rule()
        )));
    }
    net.feedback(l).ok_or_else(|| Error::InvalidParam(format!("the network has no B_{l}")))
}

/// Guards that an adapter sees every step: orders count consecutive steps.
#[derive(Debug, Clone)]
struct StepCounter {
    /// The network iteration the next observation must follow.
    next: u64,
}

impl StepCounter {
    fn new(net: &Network) -> Self {
        StepCounter { next: net.iteration() }
    }

    fn advance(&mut self, net: &Network) -> Result<()> {
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

fn hidden_layers(net: &Network) -> std::ops::Range<usize> {
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
struct PreStep {
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
