//! N-hot label codes (docs/math.md §6, paper §5.3).
//!
//! With `C` classes and `m` output units, `N = m / C`. For class `c = 0..C` in
//! turn, `N` units are drawn at random among those no earlier class uses and
//! set to 1, so the codes are disjoint. A network output is read as the class
//! whose code has the largest dot product with it.

use crate::rng::Rng;
use crate::{Error, Result};

/// The disjoint N-hot codes of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct NHotCodes {
    n_classes: usize,
    n_outputs: usize,
    n_hot: usize,
    /// `units[c]`: the `n_hot` output units set to 1 for class `c`, ascending.
    units: Vec<Vec<usize>>,
    /// Dense codes, `n_classes × n_outputs`, row-major.
    dense: Vec<f32>,
}

impl NHotCodes {
    /// Draws codes for `n_classes` classes over `n_outputs` units, `N = n_outputs / n_classes`
    /// (docs/math.md §6). `rng` should be the run's [`crate::rng::Purpose::Codes`] stream.
    pub fn new(n_classes: usize, n_outputs: usize, rng: &mut Rng) -> Result<NHotCodes> {
        if n_classes == 0 {
            return Err(Error::InvalidParam("N-hot codes need at least one class".into()));
        }
        Self::with_n_hot(n_classes, n_outputs, n_outputs / n_classes, rng)
    }

    /// Draws codes with an explicit `n_hot`; needs `1 ≤ n_hot` and `n_hot · n_classes ≤ n_outputs`.
    pub fn with_n_hot(n_classes: usize, n_outputs: usize, n_hot: usize, rng: &mut Rng) -> Result<NHotCodes> {
        if n_hot == 0 || n_classes == 0 {
            return Err(Error::InvalidParam(format!(
                "N-hot codes need N ≥ 1 unit per class and at least one class \
                 ({n_classes} classes over {n_outputs} outputs gives N = {n_hot})"
            )));
        }
        if n_hot.checked_mul(n_classes).is_none_or(|used| used > n_outputs) {
            return Err(Error::InvalidParam(format!(
                "N-hot codes: N·C = {n_hot}·{n_classes} exceeds the {n_outputs} output units"
            )));
        }
        let mut unused: Vec<usize> = (0..n_outputs).collect();
        let mut units = Vec::with_capacity(n_classes);
        for _ in 0..n_classes {
            // Partial Fisher–Yates: the first n_hot entries become a uniform draw without replacement.
            for j in 0..n_hot {
                let pick = j + rng.below(unused.len() - j);
                unused.swap(j, pick);
            }
            let mut chosen: Vec<usize> = unused.drain(..n_hot).collect();
            chosen.sort_unstable();
            units.push(chosen);
        }
        let mut dense = vec![0.0; n_classes * n_outputs];
        for (c, class_units) in units.iter().enumerate() {
            for &u in class_units {
                dense[c * n_outputs + u] = 1.0;
            }
        }
        Ok(NHotCodes { n_classes, n_outputs, n_hot, units, dense })
    }

    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    pub fn n_outputs(&self) -> usize {
        self.n_outputs
    }

    /// Units set per class (`N`).
    pub fn n_hot(&self) -> usize {
        self.n_hot
    }

    /// The code of class `class` as a dense 0/1 row of `n_outputs`.
    pub fn code(&self, class: usize) -> &[f32] {
        &self.dense[class * self.n_outputs..(class + 1) * self.n_outputs]
    }

    /// The units class `class` sets, ascending.
    pub fn units(&self, class: usize) -> &[usize] {
        &self.units[class]
    }

    /// Writes the code of each label as one row of `out` (`labels.len() × n_outputs`).
    pub fn encode_into(&self, labels: &[u8], out: &mut [f32]) -> Result<()> {
        if out.len() != labels.len() * self.n_outputs {
            return Err(Error::InvalidParam(format!(
                "encode: {} labels need {} target values, got {}",
                labels.len(),
                labels.len() * self.n_outputs,
                out.len()
            )));
        }
        for (&label, row) in labels.iter().zip(out.chunks_exact_mut(self.n_outputs)) {
            let class = label as usize;
            if class >= self.n_classes {
                return Err(Error::InvalidParam(format!("label {class} ≥ {} classes", self.n_classes)));
            }
            row.copy_from_slice(self.code(class));
        }
        Ok(())
    }

    /// The class whose code has the largest dot product with `output`
    /// (ties go to the lower class). `output` has `n_outputs` values.
    pub fn predict(&self, output: &[f32]) -> usize {
        debug_assert_eq!(output.len(), self.n_outputs);
        let mut best = (0, f64::NEG_INFINITY);
        for (class, class_units) in self.units.iter().enumerate() {
            // The code is 0/1, so the dot product is the sum over the code's units.
            let score: f64 = class_units.iter().map(|&u| output[u] as f64).sum();
            if score > best.1 {
                best = (class, score);
            }
        }
        best.0
    }
}
