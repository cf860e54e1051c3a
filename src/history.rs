//! The curves of one training run as it goes, for the page's live view: every
//! [`IterRecord`] of a [`crate::train::Trainer`] folded into panels (loss, weight
//! alignment, test accuracy, weight norms, update angles, error-signal angles) that
//! [`crate::plot::draw_line_panel`] draws like any figure panel.

use crate::figure::{Panel, Series};
use crate::metrics::moving_average;
use crate::train::IterRecord;

/// Window of the trailing moving average on update angles (as the paper's Fig. 6c).
pub const UPDATE_ANGLE_WINDOW: usize = 60;

/// The panels a run can show, by key.
pub const PANEL_KEYS: &[&str] = &["loss", "alignment", "accuracy", "norms", "updates", "signals"];

#[derive(Debug, Clone, Default)]
pub struct History {
    iteration: Vec<f64>,
    loss: Vec<f64>,
    /// Per layer `l = 0..d`: values per iteration (NaN where a layer has none).
    alignment: Vec<Vec<f64>>,
    norms: Vec<Vec<f64>>,
    updates: Vec<Vec<f64>>,
    /// Error-signal angles `∠(δ_l^rule, δ_l^BP)`, per layer like `alignment`.
    signals: Vec<Vec<f64>>,
    epoch_end: Vec<f64>,
    accuracy: Vec<f64>,
}

impl History {
    pub fn new() -> History {
        History::default()
    }

    pub fn len(&self) -> usize {
        self.iteration.len()
    }

    pub fn is_empty(&self) -> bool {
        self.iteration.is_empty()
    }

    pub fn push(&mut self, record: &IterRecord) {
        let x = record.iteration as f64 + 1.0;
        let m = &record.metrics;
        self.iteration.push(x);
        self.loss.push(m.loss);
        append(&mut self.alignment, &m.weight_alignment_deg);
        append(&mut self.norms, &m.weight_norm);
        if let Some(angles) = &m.update_angle_deg {
            append(&mut self.updates, angles);
        }
        if let Some(angles) = &m.signal_angle_deg {
            append(&mut self.signals, angles);
        }
        if let Some(acc) = record.test_accuracy {
            self.epoch_end.push(x);
            self.accuracy.push(100.0 * acc);
        }
    }

    /// Why panel `key` can have no line for a run of `rule`, if it can't.
    pub fn empty_reason(key: &str, rule: crate::net::Rule, update_angles: bool) -> Option<&'static str> {
        match key {
            "alignment" => rule.no_weight_alignment_reason(),
            "updates" | "signals" if !update_angles => Some("turn on update angles vs BP"),
            _ => None,
        }
    }

    /// Panel `key` (one of [`PANEL_KEYS`]); `None` for an unknown key.
    pub fn panel(&self, key: &str) -> Option<Panel> {
        let panel = |title: &str, y_label: &str, log_y: bool, series: Vec<Series>| Panel {
            log_y,
            ..Panel::lines(key, title, "iteration", y_label, series)
        };
        Some(match key {
            "loss" => panel(
                "Training loss (½ Σ E² over the batch)",
                "loss",
                true,
                vec![self.series("loss", "loss", 0, &self.iteration, &self.loss)],
            ),
            "alignment" => panel(
                "Weight alignment ∠(W_l, B_lᵀ)",
                "angle (degrees)",
                false,
                self.per_layer(&self.alignment, |l| format!("W_{l} vs B_{l}ᵀ"), None),
            ),
            "accuracy" => {
                let mut p = panel(
                    "Test accuracy after each epoch",
                    "accuracy (%)",
                    false,
                    vec![self.series("accuracy", "test accuracy", 0, &self.epoch_end, &self.accuracy)],
                );
                p.markers = true;
                p
            }
            "norms" => panel(
                "Weight norms ‖W_l‖_F",
                "Frobenius norm",
                false,
                self.per_layer(&self.norms, |l| format!("‖W_{l}‖"), None),
            ),
            "updates" => panel(
                "Update alignment ∠(ΔW_l, ΔW_l^BP), moving average of 60",
                "angle (degrees)",
                false,
                self.per_layer(&self.updates, |l| format!("ΔW_{l}"), Some(UPDATE_ANGLE_WINDOW)),
            ),
            "signals" => panel(
                "Error-signal alignment ∠(δ_l, δ_l^BP), moving average of 60",
                "angle (degrees)",
                false,
                self.per_layer(&self.signals, |l| format!("δ_{l}"), Some(UPDATE_ANGLE_WINDOW)),
            ),
            _ => return None,
        })
    }

    fn series(&self, key: &str, label: &str, colour: usize, x: &[f64], y: &[f64]) -> Series {
        let (x, mean): (Vec<f64>, Vec<f64>) =
            x.iter().zip(y).filter(|(_, y)| y.is_finite()).map(|(&x, &y)| (x, y)).unzip();
        Series {
            key: key.to_string(),
            label: label.to_string(),
            colour,
            dashed: false,
            sd: vec![0.0; x.len()],
            n: vec![1; x.len()],
            x,
            mean,
        }
    }

    fn per_layer(&self, values: &[Vec<f64>], label: impl Fn(usize) -> String, smooth: Option<usize>) -> Vec<Series> {
        values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.iter().any(|y| y.is_finite()))
            .map(|(l, v)| {
                let y = match smooth {
                    Some(w) => moving_average(v, w),
                    None => v.clone(),
                };
                self.series(&format!("layer{l}"), &label(l), l, &self.iteration[self.iteration.len() - y.len()..], &y)
            })
            .collect()
    }
}

fn append(columns: &mut Vec<Vec<f64>>, values: &[f64]) {
    if columns.len() < values.len() {
        columns.resize(values.len(), Vec::new());
    }
    for (column, &v) in columns.iter_mut().zip(values) {
        column.push(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::IterMetrics;

    fn record(i: u64, acc: Option<f64>) -> IterRecord {
        IterRecord {
            iteration: i,
            epoch: 0,
            metrics: IterMetrics {
                loss: 100.0 / (i + 1) as f64,
                weight_alignment_deg: vec![f64::NAN, 80.0 - i as f64, 85.0, f64::NAN],
                weight_norm: vec![1.0, 2.0, 3.0],
                feedback_update_angle_deg: vec![f64::NAN; 4],
                update_angle_deg: Some(vec![i as f64, 0.0, 0.0]),
                signal_angle_deg: Some(vec![f64::NAN, 2.0 * i as f64, 0.0]),
            },
            test_accuracy: acc,
        }
    }

    #[test]
    fn panels_hold_the_records() {
        let mut h = History::new();
        for i in 0..10 {
            h.push(&record(i, (i % 5 == 4).then_some(0.5)));
        }
        let loss = h.panel("loss").unwrap();
        assert!(loss.log_y);
        assert_eq!(loss.series[0].x, (1..=10).map(f64::from).collect::<Vec<_>>());
        let align = h.panel("alignment").unwrap();
        // Layers without a feedback matrix (NaN throughout) get no line.
        assert_eq!(align.series.iter().map(|s| s.label.as_str()).collect::<Vec<_>>(), ["W_1 vs B_1ᵀ", "W_2 vs B_2ᵀ"]);
        assert_eq!(align.series[0].mean[9], 71.0);
        let acc = h.panel("accuracy").unwrap();
        assert_eq!((acc.series[0].x.clone(), acc.series[0].mean.clone()), (vec![5.0, 10.0], vec![50.0, 50.0]));
        // Update angle of layer 0 is i: its trailing mean over ≤ 60 values at i = 9 is 4.5.
        assert_eq!(h.panel("updates").unwrap().series[0].mean[9], 4.5);
        // Error-signal angles: layer 0 has none (no line), layer 1's is 2i, its trailing mean at i = 9 is 9.
        let signals = h.panel("signals").unwrap();
        assert_eq!(signals.series.iter().map(|s| s.label.as_str()).collect::<Vec<_>>(), ["δ_1", "δ_2"]);
        assert_eq!(signals.series[0].mean[9], 9.0);
        assert!(h.panel("nope").is_none());
        for key in PANEL_KEYS {
            assert!(h.panel(key).is_some());
        }
    }

    #[test]
    fn empty_panels_say_why() {
        use crate::net::Rule;
        assert!(History::empty_reason("alignment", Rule::Direct, false).unwrap().contains("DFA"));
        assert!(History::empty_reason("alignment", Rule::Feedback, false).is_none());
        assert!(History::empty_reason("updates", Rule::Feedback, false).is_some());
        assert!(History::empty_reason("updates", Rule::Feedback, true).is_none());
        assert!(History::empty_reason("signals", Rule::Feedback, false).is_some());
    }
}
