//! The paper's fully connected network and its learning rules (docs/math.md §1–§3).
//!
//! Row-vector convention: a batch is `n_b` rows, `L_0 = X`, `Z_{l+1} = L_l W_l + b`,
//! `L_{l+1} = f(Z_{l+1})` with `f(z) = tanh(max(z, 0))`; `W_l` is `n_l × n_{l+1}`.
//! The loss is `½ Σ (Y − Y*)²` summed over the batch, and every update is a
//! descent step `ΔW_l = η L_lᵀ δ_{l+1}`, `Δb = η 1ᵀ δ`, applied by plain SGD.
//!
//! Indexing: `weights(l)` is `W_l` (`l = 0..d`), and `bias(l)` is the bias that
//! is added after `W_l`, i.e. docs/math.md's `b_{l+1}` (length `n_{l+1}`), so one index
//! names one connection. `feedback(l)` is the matrix that sends `δ` back into
//! layer `l` (`l = 1..d`): FA's and KP's `B_l` (`n_{l+1} × n_l`), DFA's `D_l`
//! (`n_d × n_l`), sign-symmetry's scaled `sign(W_l)ᵀ`.
//!
//! Files: this one (settings, the network, forward pass, parameters, WN),
//! `rules.rs` (the learning rules: [`Rule`], feedback matrices, backward
//! passes, updates) and `eval.rs` (loss, outputs and accuracy without training).
//!
//! Every product goes through [`crate::kernels`] (fixed summation order, own
//! tanh), so a seed gives the same bits natively and in wasm. Activations and
//! deltas live in buffers that are reused from step to step.
//!
//! Choices docs/math.md §8 lists as open, made here:
//! - **WN at initialisation.** With a `γ`, `W`'s columns are normalised at
//!   creation as well as after every update, so "every column has norm γ" holds
//!   in every state a caller can see. FA's `B_l` and DFA's `D_l` rows are
//!   normalised once, at creation (docs/math.md §3). A zero column is left as it is.
//! - **Sign-symmetry scale.** `δ_l = (δ_{l+1} s_l sign(W_l)ᵀ) ⊙ f'(Z_l)` with
//!   `s_l = mean |W_l|` (recomputed each step): raw `±1` entries are ~10× larger
//!   than `W`'s ~0.1 and kill the network at step sizes where BP trains (docs/math.md §8);
//!   with `s_l` the feedback has `W_l`'s typical entry size as `W_l` grows.
//!   `sign(0) = 0`. WN does not rescale this matrix: it follows `W_l`.
//! - **Kolen–Pollack** (Akrout et al. 2019): `B_l` starts random like FA's and
//!   receives `ΔB_l = ΔW_lᵀ`; both `W_l` and `B_l` (`l = 1..d`) decay by the factor
//!   `1 − λ` each step before the update, so `B_l − W_lᵀ` shrinks by `1 − λ` per
//!   step. `W_0` has no `B` and is not decayed: only the transported pairs are.
//!   With WN, `B_l`'s rows are renormalised after every update as `W_l`'s columns are.
//! - **Divergence.** A non-finite loss or parameter, or a dead network, is
//!   [`Error::Diverged`] naming the iteration; after it the network's state is
//!   unspecified (start a new one). "Dead" (docs/math.md §8) is tested as `δ_d = 0` on
//!   the whole batch while the loss is not 0: with tanh∘ReLU every output is 0
//!   (no ReLU passes) or saturated at exactly 1 (`f' = 0`), so no rule can
//!   change any parameter from that batch again. Large step sizes on the
//!   summed loss end there rather than in NaN, because tanh bounds the outputs.

use serde::{Deserialize, Serialize};

use crate::checked::Checked;
use crate::kernels;
use crate::rng::{Purpose, Rng};
use crate::{Error, Result};

mod eval;
mod rules;
mod signals;

use rules::FeedbackKind;
pub use rules::{DEFAULT_KP_DECAY, Rule};
pub use signals::{ErrorSignals, LayerSignals};

/// Standard deviation of every initial weight, bias and feedback entry (docs/math.md §1).
pub const INIT_STD: f32 = 0.1;
/// Largest accepted learning rate; far beyond anything that trains on the summed loss.
pub const MAX_ETA: f32 = 10.0;
/// Largest accepted layer width.
pub const MAX_WIDTH: usize = 4096;
/// Largest accepted number of layers (entries of `sizes`).
pub const MAX_LAYERS: usize = 32;
/// Largest accepted WN norm `γ`.
pub const MAX_GAMMA: f32 = 1000.0;
/// Rows evaluated at a time by [`Network::loss_on`], [`Network::outputs`] and [`Network::accuracy`].
pub(super) const EVAL_CHUNK: usize = 1000;

/// The neuron nonlinearity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Activation {
    /// `f(z) = tanh(max(z, 0))`, the paper's choice (docs/math.md §1).
    #[serde(rename = "tanh_relu")]
    TanhRelu,
    /// `f(z) = z` (the linear network of docs/math.md §5's analysis).
    #[serde(rename = "linear")]
    Linear,
}

/// Everything that defines a network and how it learns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetConfig {
    /// Layer widths `n_0..n_d` (input first).
    pub sizes: Vec<usize>,
    pub rule: Rule,
    /// Learning rate `η` (the loss is summed over the batch).
    pub eta: f32,
    /// WN's `γ` (docs/math.md §3), or `None` for no weight normalisation.
    pub weight_norm: Option<f32>,
    pub activation: Activation,
    /// Whether layers have biases (the paper's do).
    pub use_bias: bool,
}

impl NetConfig {
    /// The paper's net, 225-50-50-50-50-50, tanh∘ReLU, biases, no WN, the rule's default `η`.
    pub fn paper(rule: Rule) -> NetConfig {
        NetConfig {
            sizes: vec![225, 50, 50, 50, 50, 50],
            rule,
            eta: rule.default_eta(),
            weight_norm: None,
            activation: Activation::TanhRelu,
            use_bias: true,
        }
    }

    /// Checks every field once, so the math after it cannot fail on parameters.
    pub fn validate(self) -> Result<Checked<NetConfig>> {
        self.check()?;
        Ok(Checked::assume_checked(self))
    }

    /// The checks of [`NetConfig::validate`].
    pub(crate) fn check(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidParam(m));
        if self.sizes.len() < 2 || self.sizes.len() > MAX_LAYERS {
            return bad(format!(
                "sizes: need 2 to {MAX_LAYERS} layer widths (input … output), got {}",
                self.sizes.len()
            ));
        }
        if let Some(&w) = self.sizes.iter().find(|&&w| w == 0 || w > MAX_WIDTH) {
            return bad(format!("sizes: every width must be in 1..={MAX_WIDTH}, got {w}"));
        }
        if !(self.eta.is_finite() && self.eta > 0.0 && self.eta <= MAX_ETA) {
            return bad(format!("learning rate must be in (0, {MAX_ETA}], got {}", self.eta));
        }
        if let Some(gamma) = self.weight_norm
            && !(gamma.is_finite() && gamma > 0.0 && gamma <= MAX_GAMMA)
        {
            return bad(format!("WN gamma must be in (0, {MAX_GAMMA}], got {gamma}"));
        }
        if let Some(decay) = self.rule.kp_decay()
            && !(decay.is_finite() && (0.0..1.0).contains(&decay))
        {
            return bad(format!("Kolen–Pollack decay must be in [0, 1), got {decay}"));
        }
        Ok(())
    }
}

/// What one training step reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepStats {
    /// `½ Σ E²` over the batch, before the update.
    pub loss: f64,
    /// Index of this step (0 for the first step of the network).
    pub iteration: u64,
    /// Rows in the batch.
    pub n_b: usize,
}

/// The network: parameters, feedback matrices and the last step's signals.
#[derive(Debug, Clone)]
pub struct Network {
    cfg: NetConfig,
    seed: u64,
    /// `W_l`, `n_l × n_{l+1}`, row-major.
    weights: Vec<Vec<f32>>,
    /// Bias after `W_l` (docs/math.md's `b_{l+1}`); zeros and never updated without biases.
    biases: Vec<Vec<f32>>,
    /// Index `l = 0..d`; empty where the rule has no matrix (always at `l = 0`).
    feedback: Vec<Vec<f32>>,
    /// Which kind of matrices `feedback` holds (their shapes differ).
    feedback_kind: FeedbackKind,
    iteration: u64,
    /// Rows of the last step's batch.
    n_b: usize,
    /// `L_l`, `l = 0..=d` (`L_0` is a copy of the input).
    acts: Vec<Vec<f32>>,
    /// `δ_l`, `l = 0..=d`; `δ_0` is unused.
    deltas: Vec<Vec<f32>>,
    /// `ΔW_l` and `Δb` of the last step (the rule's, before WN).
    updates: Vec<Vec<f32>>,
    bias_updates: Vec<Vec<f32>>,
    /// When set, each step also computes true backprop's `δ` and `ΔW` from the same state.
    track_bp: bool,
    /// Step on through dead batches instead of returning `Diverged` (Fig. 7).
    allow_dead: bool,
    /// BP holds FA's `B_l` as a control that is never used ([`Network::hold_control_feedback`]).
    control: bool,
    bp_deltas: Vec<Vec<f32>>,
    bp_updates: Vec<Vec<f32>>,
}

impl Network {
    /// A freshly initialised network (docs/math.md §1): every `W`, `b` and feedback entry
    /// from `N(0, 0.1²)`. Weights come from the seed's `Weights` stream (all `W_l`
    /// in order, then all biases), feedback from its `Feedback` stream, so runs
    /// that differ only in the rule start from the same weights.
    pub fn new(cfg: NetConfig, seed: u64) -> Result<Network> {
        Ok(Network::from_checked(cfg.validate()?, seed))
    }

    /// [`Network::new`] of settings already checked.
    pub fn from_checked(cfg: Checked<NetConfig>, seed: u64) -> Network {
        let cfg = cfg.into_inner();
        let d = cfg.sizes.len() - 1;
        let sizes = cfg.sizes.clone();
        let mut rng = Rng::new(seed, Purpose::Weights);
        let mut weights: Vec<Vec<f32>> = (0..d).map(|l| vec![0.0; sizes[l] * sizes[l + 1]]).collect();
        for w in &mut weights {
            rng.fill_normal(INIT_STD, w);
        }
        let mut biases: Vec<Vec<f32>> = (0..d).map(|l| vec![0.0; sizes[l + 1]]).collect();
        if cfg.use_bias {
            for b in &mut biases {
                rng.fill_normal(INIT_STD, b);
            }
        }
        let empty = |n: usize| (0..n).map(|_| Vec::new()).collect::<Vec<Vec<f32>>>();
        let mut net = Network {
            seed,
            weights,
            biases,
            feedback: empty(d),
            feedback_kind: FeedbackKind::None,
            iteration: 0,
            n_b: 0,
            acts: empty(d + 1),
            deltas: empty(d + 1),
            updates: (0..d).map(|l| vec![0.0; sizes[l] * sizes[l + 1]]).collect(),
            bias_updates: (0..d).map(|l| vec![0.0; sizes[l + 1]]).collect(),
            track_bp: false,
            allow_dead: false,
            control: false,
            bp_deltas: empty(d + 1),
            bp_updates: empty(d),
            cfg,
        };
        if let Some(gamma) = net.cfg.weight_norm {
            for l in 0..d {
                normalize_columns(&mut net.weights[l], sizes[l], sizes[l + 1], gamma);
            }
        }
        net.prepare_feedback();
        net
    }

    /// Switches the learning rule mid-run (e.g. FA then BP, docs/math.md §7 `fig7`). Weights
    /// are kept; feedback matrices are drawn (from the same `Feedback` stream a new
    /// network would use) if the new rule needs a kind the network does not hold.
    pub fn set_rule(&mut self, rule: Rule) -> Result<()> {
        let cfg = NetConfig { rule, ..self.cfg.clone() };
        cfg.check()?;
        self.cfg = cfg;
        self.prepare_feedback();
        Ok(())
    }

    /// Changes `η` for the following steps.
    pub fn set_eta(&mut self, eta: f32) -> Result<()> {
        let cfg = NetConfig { eta, ..self.cfg.clone() };
        cfg.check()?;
        self.cfg = cfg;
        Ok(())
    }

    /// When on, a dead batch (docs/math.md §8: `δ_d = 0` while the loss is not 0) is not
    /// an error: the step goes on and changes nothing, since every `δ_l`, and so
    /// every update, is then 0. Fig. 7 needs this to show BP *stuck* at a
    /// zero-gradient point after FA, rather than end the run there.
    pub fn set_allow_dead(&mut self, on: bool) {
        self.allow_dead = on;
    }

    /// The control every alignment plot needs: a BP network draws the `B_l` an
    /// FA network with its seed would draw (same `Feedback` stream, same WN
    /// row norms) and never uses them, so `∠(W_l, B_lᵀ)` measures how far BP's
    /// weights move towards a matrix that plays no part in learning (it should
    /// stay near 90°). Metrics then measure BP's angles against this `B_l`
    /// ([`Network::control_feedback`]). Does nothing for rules with feedback
    /// of their own ([`Rule::takes_control_feedback`]).
    pub fn hold_control_feedback(&mut self) {
        if self.cfg.rule.takes_control_feedback() {
            self.draw_feedback(FeedbackKind::Layerwise);
            self.control = true;
        }
    }

    /// BP's control `B_l` (`n_{l+1} × n_l`), if [`Network::hold_control_feedback`] drew it.
    pub fn control_feedback(&self, l: usize) -> Option<&[f32]> {
        match self.feedback.get(l) {
            Some(m) if self.control && !m.is_empty() && self.cfg.rule.takes_control_feedback() => Some(m),
            _ => None,
        }
    }

    /// True when the last step's batch was dead (docs/math.md §8): `δ_d = 0` on the
    /// whole batch while the loss was not 0, so no rule could change a
    /// parameter from it. Only tanh∘ReLU networks can be dead.
    pub fn last_batch_was_dead(&self, loss: f64) -> bool {
        let d = self.depth();
        self.cfg.activation == Activation::TanhRelu
            && loss > 0.0
            && !self.deltas[d].is_empty()
            && self.deltas[d].iter().all(|&v| v == 0.0)
    }

    /// When on, every step also computes true backprop's `δ` and `ΔW` from the same
    /// pre-update state and batch ([`Network::bp_update`]) — a second backward pass.
    pub fn set_track_bp_updates(&mut self, on: bool) {
        self.track_bp = on;
        if !on {
            self.bp_updates.iter_mut().for_each(Vec::clear);
        }
    }

    /// One SGD step on a batch: `x` is `n_b × n_0`, `targets` is `n_b × n_d`, row-major.
    pub fn step(&mut self, x: &[f32], targets: &[f32], n_b: usize) -> Result<StepStats> {
        let iteration = self.iteration;
        let d = self.depth();
        let loss = self.forward_pass(x, targets, n_b)?;
        if !self.allow_dead && self.last_batch_was_dead(loss) {
            let how = if self.acts[d].iter().all(|&v| v == 0.0) {
                "every output is 0"
            } else {
                "every output is 0 or saturated at 1"
            };
            return Err(Error::Diverged(format!(
                "dead network: {how} for the whole batch at iteration {iteration}, so no error \
                 flows back (rule {}, η = {}); a smaller learning rate may help",
                self.cfg.rule, self.cfg.eta
            )));
        }
        self.backward_passes();
        self.apply_updates();
        if let Some(bad) = self.first_non_finite_parameter() {
            return Err(Error::Diverged(format!(
                "{bad} became non-finite at iteration {iteration} (rule {}, η = {})",
                self.cfg.rule, self.cfg.eta
            )));
        }
        self.iteration += 1;
        Ok(StepStats { loss, iteration, n_b })
    }

    /// The forward pass on a batch and `δ_d` (docs/math.md §2); returns the loss,
    /// an error when it is not finite.
    fn forward_pass(&mut self, x: &[f32], targets: &[f32], n_b: usize) -> Result<f64> {
        self.check_batch(x, targets, n_b)?;
        let d = self.depth();
        self.resize_buffers(n_b);
        self.acts[0].copy_from_slice(x);
        {
            let (input, outputs) = self.acts.split_at_mut(1);
            forward(&self.cfg, &self.weights, &self.biases, &input[0], n_b, outputs);
        }
        let loss = output_delta(self.cfg.activation, &self.acts[d], targets, &mut self.deltas[d]);
        if !loss.is_finite() {
            return Err(Error::Diverged(format!(
                "the loss is not finite at iteration {} (rule {}, η = {})",
                self.iteration, self.cfg.rule, self.cfg.eta
            )));
        }
        Ok(loss)
    }

    /// The rule's `δ_l` after [`Network::forward_pass`] (feedback rebuilt from
    /// the weights first where the rule does that), and BP's when tracked.
    fn backward_passes(&mut self) {
        if self.cfg.rule.refreshes_feedback_each_step() {
            self.refresh_sign_feedback();
        }
        self.backward();
        if self.track_bp {
            self.backward_bp_reference();
        }
    }

    fn check_inputs(&self, x: &[f32], n_b: usize) -> Result<()> {
        let n_in = self.cfg.sizes[0];
        if n_b == 0 || x.len() != n_b * n_in {
            return Err(Error::InvalidParam(format!(
                "a batch of {n_b} rows needs {} inputs (and at least one row), got {}",
                n_b * n_in,
                x.len()
            )));
        }
        Ok(())
    }

    fn check_batch(&self, x: &[f32], targets: &[f32], n_b: usize) -> Result<()> {
        self.check_inputs(x, n_b)?;
        let n_out = self.cfg.sizes[self.depth()];
        if targets.len() != n_b * n_out {
            return Err(Error::InvalidParam(format!(
                "a batch of {n_b} rows needs {} targets, got {}",
                n_b * n_out,
                targets.len()
            )));
        }
        Ok(())
    }

    fn resize_buffers(&mut self, n_b: usize) {
        self.n_b = n_b;
        let d = self.depth();
        for l in 0..=d {
            let len = n_b * self.cfg.sizes[l];
            self.acts[l].resize(len, 0.0);
            if l > 0 {
                self.deltas[l].resize(len, 0.0);
                if self.track_bp {
                    self.bp_deltas[l].resize(len, 0.0);
                }
            }
        }
        if self.track_bp {
            for l in 0..d {
                self.bp_updates[l].resize(self.weights[l].len(), 0.0);
            }
        }
    }

    fn first_non_finite_parameter(&self) -> Option<String> {
        let bad = |m: &[Vec<f32>]| m.iter().position(|v| v.iter().any(|x| !x.is_finite()));
        if let Some(l) = bad(&self.weights) {
            return Some(format!("W_{l}"));
        }
        if let Some(l) = bad(&self.biases) {
            return Some(format!("the bias after W_{l}"));
        }
        bad(&self.feedback).map(|l| format!("B_{l}"))
    }

    /// Number of weight layers `d`.
    pub fn depth(&self) -> usize {
        self.cfg.sizes.len() - 1
    }

    pub fn sizes(&self) -> &[usize] {
        &self.cfg.sizes
    }

    pub fn config(&self) -> &NetConfig {
        &self.cfg
    }

    pub fn rule(&self) -> Rule {
        self.cfg.rule
    }

    pub fn eta(&self) -> f32 {
        self.cfg.eta
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Steps taken so far.
    pub fn iteration(&self) -> u64 {
        self.iteration
    }

    /// Rows of the last step's batch (0 before the first step).
    pub fn batch_rows(&self) -> usize {
        self.n_b
    }

    /// `L_l` of the last step (`n_b × n_l`, `l = 0..=d`; `L_0` is the input).
    pub fn layer_output(&self, l: usize) -> &[f32] {
        &self.acts[l]
    }

    /// `δ_l` of the last step (`n_b × n_l`, `l = 1..=d`), the descent-sign `δ` of
    /// docs/math.md §2 without `η`, as the rule computed it.
    pub fn delta(&self, l: usize) -> &[f32] {
        &self.deltas[l]
    }

    /// True backprop's `δ_l` from the last step's pre-update state and batch
    /// (`n_b × n_l`, `l = 1..=d`), when [`Network::set_track_bp_updates`] is on.
    pub fn bp_delta(&self, l: usize) -> Option<&[f32]> {
        self.bp_deltas.get(l).filter(|v| self.track_bp && !v.is_empty()).map(Vec::as_slice)
    }

    /// `W_l`, `n_l × n_{l+1}`, row-major (`l = 0..d`).
    pub fn weights(&self, l: usize) -> &[f32] {
        &self.weights[l]
    }

    /// The bias added after `W_l` (docs/math.md's `b_{l+1}`, length `n_{l+1}`).
    pub fn bias(&self, l: usize) -> &[f32] {
        &self.biases[l]
    }

    /// The matrix that sent `δ` into layer `l` (`l = 1..d`): `B_l` (`n_{l+1} × n_l`)
    /// for FA, KP and sign-symmetry (the last step's `s_l sign(W_l)ᵀ`), `D_l`
    /// (`n_d × n_l`) for DFA, `None` for BP (whose is `W_lᵀ`) and for `l = 0`.
    pub fn feedback(&self, l: usize) -> Option<&[f32]> {
        match self.feedback.get(l) {
            Some(m) if !m.is_empty() && !self.cfg.rule.is_backprop() => Some(m),
            _ => None,
        }
    }

    /// Replaces a feedback matrix (same shape as [`Network::feedback`]); for tests and
    /// experiments. Sign-symmetry overwrites it at its next step.
    pub fn set_feedback(&mut self, l: usize, values: &[f32]) -> Result<()> {
        match self.feedback.get_mut(l) {
            Some(m) if !m.is_empty() && m.len() == values.len() => {
                m.copy_from_slice(values);
                Ok(())
            }
            _ => Err(Error::InvalidParam(format!(
                "no feedback matrix of {} values at layer {l} for rule {}",
                values.len(),
                self.cfg.rule
            ))),
        }
    }

    /// `ΔW_l` of the last step as the rule computed it (`η L_lᵀ δ_{l+1}`, before WN
    /// and KP's decay).
    pub fn last_update(&self, l: usize) -> &[f32] {
        &self.updates[l]
    }

    /// `Δb` of the last step for the bias after `W_l` (zeros without biases).
    pub fn last_bias_update(&self, l: usize) -> &[f32] {
        &self.bias_updates[l]
    }

    /// True backprop's `ΔW_l` from the last step's pre-update state and batch, when
    /// [`Network::set_track_bp_updates`] is on.
    pub fn bp_update(&self, l: usize) -> Option<&[f32]> {
        self.bp_updates.get(l).filter(|u| self.track_bp && !u.is_empty()).map(Vec::as_slice)
    }

    /// Number of values in [`Network::params_flat`].
    pub fn n_params(&self) -> usize {
        let w: usize = self.weights.iter().map(Vec::len).sum();
        let b: usize = if self.cfg.use_bias { self.biases.iter().map(Vec::len).sum() } else { 0 };
        w + b
    }

    /// All learnable parameters: `W_0 … W_{d−1}` (each row-major), then the biases
    /// in the same layer order (omitted when the net has none).
    pub fn params_flat(&self) -> Vec<f32> {
        let mut p = Vec::with_capacity(self.n_params());
        self.weights.iter().for_each(|w| p.extend_from_slice(w));
        if self.cfg.use_bias {
            self.biases.iter().for_each(|b| p.extend_from_slice(b));
        }
        p
    }

    /// Sets every learnable parameter from the layout of [`Network::params_flat`].
    pub fn set_params_flat(&mut self, params: &[f32]) -> Result<()> {
        if params.len() != self.n_params() {
            return Err(Error::InvalidParam(format!("expected {} parameters, got {}", self.n_params(), params.len())));
        }
        let mut rest = params;
        let use_bias = self.cfg.use_bias;
        let biases = self.biases.iter_mut().filter(|_| use_bias);
        for m in self.weights.iter_mut().chain(biases) {
            let (head, tail) = rest.split_at(m.len());
            m.copy_from_slice(head);
            rest = tail;
        }
        Ok(())
    }
}

/// `L_{l+1} = f(L_l W_l + b)` for every layer; `outputs[l]` receives `L_{l+1}`.
pub(super) fn forward(
    cfg: &NetConfig,
    weights: &[Vec<f32>],
    biases: &[Vec<f32>],
    input: &[f32],
    n_b: usize,
    outputs: &mut [Vec<f32>],
) {
    let sizes = &cfg.sizes;
    for l in 0..weights.len() {
        let (done, rest) = outputs.split_at_mut(l);
        let x = if l == 0 { input } else { &done[l - 1] };
        let z = &mut rest[0];
        kernels::gemm_nn(n_b, sizes[l], sizes[l + 1], x, &weights[l], z);
        match cfg.activation {
            Activation::TanhRelu => kernels::bias_tanh_relu(z, &biases[l]),
            Activation::Linear => kernels::add_bias(z, &biases[l]),
        }
    }
}

/// `δ_d = −E ⊙ f'(Z_d)` into `delta`; returns `½ Σ E²` (accumulated in f64, row-major order).
fn output_delta(activation: Activation, out: &[f32], targets: &[f32], delta: &mut [f32]) -> f64 {
    let mut loss = 0.0;
    for ((dv, &y), &t) in delta.iter_mut().zip(out).zip(targets) {
        let e = y - t;
        loss += half_sq(e);
        *dv = -e;
    }
    if activation == Activation::TanhRelu {
        kernels::mul_tanh_relu_deriv(delta, out);
    }
    loss
}

pub(super) fn half_sq(e: f32) -> f64 {
    let e = e as f64;
    0.5 * e * e
}

/// Pixels (0..=255) to network inputs `pixel / 255` (docs/math.md §6).
pub fn pixels_to_inputs(pixels: &[u8]) -> Vec<f32> {
    pixels.iter().map(|&p| pixel_input(p)).collect()
}

/// One pixel (0..=255) as a network input, `pixel / 255`.
#[inline]
pub fn pixel_input(p: u8) -> f32 {
    p as f32 / 255.0
}

/// Rescales every column of a `rows × cols` matrix to Euclidean norm `gamma`
/// (norms accumulated in f64, in row order; a zero column stays zero).
pub fn normalize_columns(m: &mut [f32], rows: usize, cols: usize, gamma: f32) {
    for j in 0..cols {
        let sq: f64 = (0..rows)
            .map(|i| {
                let v = m[i * cols + j] as f64;
                v * v
            })
            .sum();
        if sq > 0.0 {
            let scale = gamma as f64 / sq.sqrt();
            for i in 0..rows {
                m[i * cols + j] = (m[i * cols + j] as f64 * scale) as f32;
            }
        }
    }
}

/// Rescales every row of a `rows × cols` matrix to norm `gamma` (see [`normalize_columns`]).
pub fn normalize_rows(m: &mut [f32], rows: usize, cols: usize, gamma: f32) {
    for row in m.chunks_exact_mut(cols).take(rows) {
        let sq: f64 = row.iter().map(|&v| v as f64 * v as f64).sum();
        if sq > 0.0 {
            let scale = gamma as f64 / sq.sqrt();
            row.iter_mut().for_each(|v| *v = (*v as f64 * scale) as f32);
        }
    }
}
