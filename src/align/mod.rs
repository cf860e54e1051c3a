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
use crate::{Error, Result};

mod disturbed;
mod terms;
mod trackers;

pub use disturbed::{DisturbedAngles, DisturbedCopy, DisturbedFeedback, DisturbedLayer};
pub use terms::{AlignmentWindow, NonlinearWindow, StepSignals, initial_weights_term};
pub use trackers::{AlignmentTracker, NonlinearTracker};

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
