//! Evaluating a [`Network`] without training it: the loss on a batch, the
//! outputs, predicted classes and accuracy, in chunks of [`EVAL_CHUNK`] rows.

use std::ops::Range;

use super::{EVAL_CHUNK, Network, forward, half_sq, pixel_input};
use crate::codes::NHotCodes;
use crate::data::{N_PIXELS, Split};
use crate::{Error, Result};

impl Network {
    /// `½ Σ (Y − Y*)²` on a batch, without changing anything.
    pub fn loss_on(&self, x: &[f32], targets: &[f32], n_b: usize) -> Result<f64> {
        self.check_batch(x, targets, n_b)?;
        let n_out = self.cfg.sizes[self.depth()];
        let mut loss = 0.0;
        self.for_each_output_chunk(x, n_b, |row0, rows, out| {
            let t = &targets[row0 * n_out..(row0 + rows) * n_out];
            loss += out.iter().zip(t).map(|(&y, &t)| half_sq(y - t)).sum::<f64>();
        });
        Ok(loss)
    }

    /// The network's outputs `L_d` (`n_b × n_d`) for inputs `x` (`n_b × n_0`).
    pub fn outputs(&self, x: &[f32], n_b: usize) -> Result<Vec<f32>> {
        self.check_inputs(x, n_b)?;
        let mut all = Vec::with_capacity(n_b * self.cfg.sizes[self.depth()]);
        self.for_each_output_chunk(x, n_b, |_, _, out| all.extend_from_slice(out));
        Ok(all)
    }

    /// The class `codes` reads from each output row, for inputs `x` (`n_b × n_0`).
    pub fn predict(&self, x: &[f32], n_b: usize, codes: &NHotCodes) -> Result<Vec<usize>> {
        self.check_codes(codes)?;
        let outputs = self.outputs(x, n_b)?;
        Ok(outputs.chunks_exact(codes.n_outputs()).map(|row| codes.predict(row)).collect())
    }

    /// Fraction of `split` classified correctly, reading outputs through `codes`.
    ///
    /// The pixels are turned into inputs a chunk of rows at a time, so no f32
    /// copy of the whole split is made (9 MB for the test set); rows are
    /// independent, so the count is the one [`Network::accuracy_on`] gives.
    pub fn accuracy(&self, split: &Split, codes: &NHotCodes) -> Result<f64> {
        self.check_codes(codes)?;
        if split.is_empty() {
            return Err(Error::InvalidParam("accuracy on an empty split".into()));
        }
        Ok(self.count_correct_rows(split, codes, 0..split.len())? as f64 / split.len() as f64)
    }

    /// Images `rows` of `split` classified correctly, counted [`EVAL_CHUNK`]
    /// rows at a time from `rows.start`: counts over ranges that tile the
    /// split add up to the count [`Network::accuracy`] divides (rows are
    /// independent), which is how the page measures an epoch's test accuracy
    /// a part per frame.
    pub fn count_correct_rows(&self, split: &Split, codes: &NHotCodes, rows: Range<usize>) -> Result<usize> {
        self.check_codes(codes)?;
        if rows.start > rows.end || rows.end > split.len() {
            return Err(Error::InvalidParam(format!("rows {rows:?} of a split of {}", split.len())));
        }
        let mut correct = 0usize;
        let mut inputs = Vec::with_capacity(EVAL_CHUNK.min(rows.len()) * N_PIXELS);
        for row0 in rows.clone().step_by(EVAL_CHUNK) {
            let labels = &split.labels[row0..(row0 + EVAL_CHUNK).min(rows.end)];
            inputs.clear();
            inputs.extend(
                split.pixels[row0 * N_PIXELS..(row0 + labels.len()) * N_PIXELS].iter().map(|&p| pixel_input(p)),
            );
            self.check_inputs(&inputs, labels.len())?;
            correct += self.count_correct(&inputs, labels, codes);
        }
        Ok(correct)
    }

    /// Fraction of rows of `x` (`labels.len() × n_0` inputs) whose output `codes`
    /// reads as the label.
    pub fn accuracy_on(&self, x: &[f32], labels: &[u8], codes: &NHotCodes) -> Result<f64> {
        self.check_codes(codes)?;
        self.check_inputs(x, labels.len())?;
        Ok(self.count_correct(x, labels, codes) as f64 / labels.len() as f64)
    }

    /// Rows of `x` whose output `codes` reads as their label (shapes checked by the caller).
    pub(super) fn count_correct(&self, x: &[f32], labels: &[u8], codes: &NHotCodes) -> usize {
        let n_out = codes.n_outputs();
        let mut correct = 0usize;
        self.for_each_output_chunk(x, labels.len(), |row0, _, out| {
            for (i, row) in out.chunks_exact(n_out).enumerate() {
                correct += usize::from(codes.predict(row) == labels[row0 + i] as usize);
            }
        });
        correct
    }

    pub(super) fn check_codes(&self, codes: &NHotCodes) -> Result<()> {
        let n_out = self.cfg.sizes[self.depth()];
        if codes.n_outputs() != n_out {
            return Err(Error::InvalidParam(format!(
                "codes over {} outputs do not fit a net with {n_out} outputs",
                codes.n_outputs()
            )));
        }
        Ok(())
    }

    /// Runs the forward pass chunk by chunk on scratch buffers: `f(first_row, rows, L_d)`.
    pub(super) fn for_each_output_chunk(&self, x: &[f32], n_b: usize, mut f: impl FnMut(usize, usize, &[f32])) {
        let sizes = &self.cfg.sizes;
        let d = self.depth();
        let mut bufs: Vec<Vec<f32>> = (1..=d).map(|l| Vec::with_capacity(EVAL_CHUNK * sizes[l])).collect();
        let mut row0 = 0;
        while row0 < n_b {
            let rows = EVAL_CHUNK.min(n_b - row0);
            for (l, b) in bufs.iter_mut().enumerate() {
                b.resize(rows * sizes[l + 1], 0.0);
            }
            let input = &x[row0 * sizes[0]..(row0 + rows) * sizes[0]];
            forward(&self.cfg, &self.weights, &self.biases, input, rows, &mut bufs);
            f(row0, rows, &bufs[d - 1]);
            row0 += rows;
        }
    }
}
