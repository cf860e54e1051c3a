//! A panel in words and as a table, for people who do not see the plot: the
//! page sets [`describe_panel`] as the canvas's accessible name and shows
//! [`panel_table`] behind its "data" toggle; exported SVGs carry the
//! description in `<desc>`. The numbers are the plotted ones.

use serde::{Deserialize, Serialize};

use crate::data::Split;
use crate::figure::{Panel, PointAt, Series, ValuesAt};
use crate::live::Prediction;

/// A panel's numbers as rows of text, ready for an HTML table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub caption: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Says when rows were thinned out (and where the rest is).
    pub note: String,
}

/// Formats `v` with about three significant digits and the y axis's unit.
fn value(v: f64, y_label: &str) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let a = v.abs();
    let text = if a != 0.0 && !(1e-3..1e5).contains(&a) {
        format!("{v:.2e}")
    } else {
        let decimals = if a == 0.0 { 0 } else { (2 - a.log10().floor() as i32).clamp(0, 4) as usize };
        format!("{v:.decimals$}")
    };
    format!("{text}{}", unit(y_label))
}

fn unit(y_label: &str) -> &'static str {
    if y_label.contains("degrees") {
        "°"
    } else if y_label.contains("(%)") {
        " %"
    } else {
        ""
    }
}

fn x_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{}", (x * 1000.0).round() / 1000.0)
    }
}

/// Where along the x axis: "after 300 iterations", "at order 3".
fn position(x_label: &str, x: f64) -> String {
    match x_label {
        "iteration" | "epoch" => {
            let plural = if x == 1.0 { "" } else { "s" };
            format!("after {} {x_label}{plural}", x_text(x))
        }
        _ => format!("at {x_label} {}", x_text(x)),
    }
}

fn mean_sd(s: &Series, i: usize, y_label: &str) -> String {
    let m = value(s.mean[i], y_label);
    if s.sd[i] > 0.0 { format!("{m} ± {}", value(s.sd[i], y_label)) } else { m }
}

/// A point of a readout at `x`: `70.0° ± 0.500° (n = 3)`, no `n` for a
/// single run, and where the point is when it is not at `x` (a series on
/// another grid): `… (after 50 iterations)`.
pub fn point_text(panel: &Panel, p: &PointAt, x: f64) -> String {
    let m = value(p.mean, &panel.y_label);
    let mut s = if p.sd > 0.0 { format!("{m} ± {}", value(p.sd, &panel.y_label)) } else { m };
    if p.n > 1 {
        s.push_str(&format!(" (n = {})", p.n));
    }
    if p.x != x {
        s.push_str(&format!(" ({})", position(&panel.x_label, p.x)));
    }
    s
}

/// Where a readout is: "iteration 600".
pub fn readout_heading(panel: &Panel, x: f64) -> String {
    format!("{} {}", panel.x_label, x_text(x))
}

/// A readout in one sentence: "iteration 600: W_1 vs B_1ᵀ 45.2° ± 3.10° (n = 5), …".
pub fn describe_values_at(panel: &Panel, values: &ValuesAt) -> String {
    let parts: Vec<String> =
        values.points.iter().map(|p| format!("{} {}", p.label, point_text(panel, p, values.x))).collect();
    format!("{}: {}.", readout_heading(panel, values.x), parts.join(", "))
}

/// One sentence: what the panel shows and its current values, e.g.
/// "Weight alignment ∠(W_l, B_lᵀ) after 300 iterations: W_1 vs B_1ᵀ 81.2°, W_2 vs B_2ᵀ 80.1°."
/// Series with few points (orders, fractions) list every point.
pub fn describe_panel(panel: &Panel, empty_reason: Option<&str>) -> String {
    if let Some(pca) = &panel.pca {
        let finite = pca.loss.iter().copied().filter(|v| v.is_finite());
        let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let mut s = format!(
            "{}: training loss over the plane of the top two principal components, from {} to {}",
            panel.title,
            value(lo, ""),
            value(hi, "")
        );
        for path in &pca.paths {
            if let (Some(a), Some(b)) = (path.points.first(), path.points.last()) {
                s.push_str(&format!(
                    "; {} moves from ({}, {}) to ({}, {})",
                    path.label,
                    value(a.0, ""),
                    value(a.1, ""),
                    value(b.0, ""),
                    value(b.1, "")
                ));
            }
        }
        return s + ".";
    }
    let series: Vec<&Series> = panel.series.iter().filter(|s| !s.x.is_empty()).collect();
    if series.is_empty() {
        return format!("{}: no data yet{}.", panel.title, empty_reason.map(|r| format!(" ({r})")).unwrap_or_default());
    }
    let last_x = series.iter().map(|s| s.x[s.x.len() - 1]).fold(f64::NEG_INFINITY, f64::max);
    let few = series.iter().all(|s| s.x.len() <= 6);
    let parts: Vec<String> = series
        .iter()
        .map(|s| {
            if few {
                let points: Vec<String> =
                    (0..s.x.len()).map(|i| format!("{} {}", x_text(s.x[i]), mean_sd(s, i, &panel.y_label))).collect();
                format!("{} at {} {}", s.label, panel.x_label, points.join(", "))
            } else {
                let i = s.x.len() - 1;
                let at =
                    if s.x[i] == last_x { String::new() } else { format!(" ({})", position(&panel.x_label, s.x[i])) };
                format!("{} {}{at}", s.label, mean_sd(s, i, &panel.y_label))
            }
        })
        .collect();
    let runs = series.iter().filter_map(|s| s.n.last().copied()).max().unwrap_or(1);
    let over = if runs > 1 { format!(" (mean ± sd of {runs} runs)") } else { String::new() };
    if few {
        format!("{}{over}: {}.", panel.title, parts.join("; "))
    } else {
        format!("{} {}{over}: {}.", panel.title, position(&panel.x_label, last_x), parts.join(", "))
    }
}

/// The panel's numbers as a table with one row per x value (at most
/// `max_rows`, evenly thinned, always with the first and the last) and one
/// column per series ("mean ± sd" where runs differ).
pub fn panel_table(panel: &Panel, max_rows: usize) -> Table {
    let caption = format!("Data of “{}”", panel.title);
    if let Some(pca) = &panel.pca {
        let mut rows = Vec::new();
        for path in &pca.paths {
            for (k, p) in thin(path.points.len(), max_rows.max(2) / pca.paths.len().max(1))
                .into_iter()
                .map(|i| (i, path.points[i]))
            {
                rows.push(vec![path.label.clone(), format!("{}", k + 1), value(p.0, ""), value(p.1, "")]);
            }
        }
        return Table {
            caption,
            columns: vec!["path".into(), "snapshot".into(), panel.x_label.clone(), panel.y_label.clone()],
            rows,
            note: "The loss grid itself is in the CSV and JSON exports.".into(),
        };
    }
    let series: Vec<&Series> = panel.series.iter().filter(|s| !s.x.is_empty()).collect();
    let mut xs: Vec<f64> = series.iter().flat_map(|s| s.x.iter().copied()).filter(|x| x.is_finite()).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let keep = thin(xs.len(), max_rows.max(2));
    let rows = keep
        .iter()
        .map(|&k| {
            let x = xs[k];
            let mut row = vec![x_text(x)];
            row.extend(series.iter().map(|s| match s.x.iter().position(|&v| v == x) {
                Some(i) => mean_sd(s, i, &panel.y_label),
                None => String::new(),
            }));
            row
        })
        .collect();
    let note = if keep.len() < xs.len() {
        format!(
            "{} of {} {} values shown, evenly spaced; every value is in the CSV and JSON exports.",
            keep.len(),
            xs.len(),
            panel.x_label
        )
    } else {
        String::new()
    };
    let mut columns = vec![panel.x_label.clone()];
    columns.extend(series.iter().map(|s| format!("{} ({})", s.label, panel.y_label)));
    Table { caption, columns, rows, note }
}

/// What the network says about test digits, in words (the predictions canvas's name):
/// "Test images 0 to 7: the network is right on 6 of 8; image 3, a 5, it reads as 3; …".
pub fn describe_predictions(predictions: &[Prediction]) -> String {
    let (Some(first), Some(last)) = (predictions.first(), predictions.last()) else {
        return "Test digits: none shown.".into();
    };
    let right = predictions.iter().filter(|p| p.predicted == p.label as usize).count();
    let wrong: Vec<String> = predictions
        .iter()
        .filter(|p| p.predicted != p.label as usize)
        .map(|p| format!("image {}, a {}, it reads as {}", p.index, p.label, p.predicted))
        .collect();
    let mut text = format!(
        "Test images {} to {} with the network's answers: right on {right} of {}",
        first.index,
        last.index,
        predictions.len()
    );
    if !wrong.is_empty() {
        text.push_str(&format!("; wrong on {}", wrong.join("; ")));
    }
    text.push('.');
    text
}

/// The predictions as a table: one row per test image with its label, the
/// class read out, and per class the mean output over its code units.
pub fn predictions_table(predictions: &[Prediction]) -> Table {
    let n_classes = predictions.iter().map(|p| p.code_match.len()).max().unwrap_or(0);
    let mut columns: Vec<String> = vec!["test image".into(), "label".into(), "says".into()];
    columns.extend((0..n_classes).map(|c| format!("class {c}")));
    let rows = predictions
        .iter()
        .map(|p| {
            let mut row = vec![p.index.to_string(), p.label.to_string(), p.predicted.to_string()];
            row.extend(p.code_match.iter().map(|&m| value(m, "")));
            row
        })
        .collect();
    Table {
        caption: "What the network says about the test digits".into(),
        columns,
        rows,
        note: "Class c: the mean output over the output units of c's code; the largest match is the answer.".into(),
    }
}

/// Up to `max` indices of `0..n`, evenly spread, always with the first and last.
fn thin(n: usize, max: usize) -> Vec<usize> {
    if n <= max {
        return (0..n).collect();
    }
    let max = max.max(2);
    let mut out: Vec<usize> = (0..max).map(|k| (k * (n - 1) + (max - 1) / 2) / (max - 1)).collect();
    out.dedup();
    out
}

/// The data view's digit grid in words: which images, and their labels.
pub fn describe_digits(split: &Split, first: usize, count: usize) -> String {
    let end = first.saturating_add(count).min(split.len());
    let labels: Vec<String> = split.labels[first.min(end)..end].iter().map(|l| l.to_string()).collect();
    format!(
        "Training images {first} to {} at 15 × 15 pixels, white strokes on black, labelled {}.",
        end.saturating_sub(1),
        labels.join(" ")
    )
}

/// `n` with its thousands set apart by commas: `60,000`.
pub fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// The data view's count line: "60,000 training and 10,000 test images".
pub fn image_counts(train: &Split, test: &Split) -> String {
    format!("{} training and {} test images", grouped(train.len()), grouped(test.len()))
}

/// The class histogram in words: each digit's share of both splits.
pub fn describe_histogram(train: &Split, test: &Split) -> String {
    let shares = |s: &Split| -> String {
        let n = s.len().max(1) as f64;
        let h = s.class_histogram();
        h.iter().enumerate().map(|(c, &k)| format!("{c}: {:.1} %", 100.0 * k as f64 / n)).collect::<Vec<_>>().join(", ")
    };
    format!("Class histogram, share of each digit. Training set: {}. Test set: {}.", shares(train), shares(test))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(label: &str, x: &[f64], mean: &[f64], sd: f64, n: usize) -> Series {
        Series {
            key: label.into(),
            label: label.into(),
            colour: 0,
            dashed: false,
            x: x.to_vec(),
            mean: mean.to_vec(),
            sd: vec![sd; x.len()],
            n: vec![n; x.len()],
        }
    }

    fn panel(x_label: &str, y_label: &str, series: Vec<Series>) -> Panel {
        Panel::lines("alignment", "Weight alignment ∠(W_l, B_lᵀ)", x_label, y_label, series)
    }

    #[test]
    fn a_live_panel_says_its_last_values() {
        let xs: Vec<f64> = (1..=300).map(f64::from).collect();
        let w1: Vec<f64> = xs.iter().map(|x| 90.0 - x / 30.0).collect();
        let w2: Vec<f64> = xs.iter().map(|x| 80.0 + x / 1000.0).collect();
        let p = panel(
            "iteration",
            "angle (degrees)",
            vec![series("W_1", &xs, &w1, 0.0, 1), series("W_2", &xs, &w2, 0.0, 1)],
        );
        assert_eq!(
            describe_panel(&p, None),
            "Weight alignment ∠(W_l, B_lᵀ) after 300 iterations: W_1 80.0°, W_2 80.3°."
        );
    }

    #[test]
    fn figure_panels_give_mean_and_sd_and_few_points_in_full() {
        let p = panel("order", "term", vec![series("FA", &[1.0, 2.0], &[0.5, 0.25], 0.01, 3)]);
        assert_eq!(
            describe_panel(&p, None),
            "Weight alignment ∠(W_l, B_lᵀ) (mean ± sd of 3 runs): FA at order 1 0.500 ± 0.0100, 2 0.250 ± 0.0100."
        );
        let empty = panel("iteration", "loss", vec![]);
        assert_eq!(
            describe_panel(&empty, Some("turn it on")),
            "Weight alignment ∠(W_l, B_lᵀ): no data yet (turn it on)."
        );
    }

    #[test]
    fn tables_thin_rows_but_keep_both_ends() {
        let xs: Vec<f64> = (1..=1000).map(f64::from).collect();
        let acc: Vec<f64> = xs.iter().map(|x| x / 10.0).collect();
        let p = panel("iteration", "accuracy (%)", vec![series("test", &xs, &acc, 0.0, 1)]);
        let t = panel_table(&p, 50);
        assert_eq!(t.rows.len(), 50);
        assert_eq!(t.rows[0], ["1", "0.100 %"]);
        assert_eq!(t.rows[49], ["1000", "100 %"]);
        assert_eq!(t.columns, ["iteration", "test (accuracy (%))"]);
        assert!(t.note.starts_with("50 of 1000 iteration values"));
        // Rows are strictly increasing in x: no value repeated by the thinning.
        let x: Vec<i64> = t.rows.iter().map(|r| r[0].parse().unwrap()).collect();
        assert!(x.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(thin(5, 10), [0, 1, 2, 3, 4]);
    }

    #[test]
    fn data_view_descriptions_name_labels_and_shares() {
        let split = Split::new(vec![0; 4 * crate::data::N_PIXELS], vec![3, 1, 4, 1]);
        assert_eq!(
            describe_digits(&split, 1, 2),
            "Training images 1 to 2 at 15 × 15 pixels, white strokes on black, labelled 1 4."
        );
        let h = describe_histogram(&split, &split);
        assert!(h.contains("Training set: 0: 0.0 %, 1: 50.0 %, 2: 0.0 %, 3: 25.0 %, 4: 25.0 %"), "{h}");
        assert_eq!(image_counts(&split, &Split::new(vec![], vec![])), "4 training and 0 test images");
    }

    #[test]
    fn counts_group_their_thousands() {
        let cases = [(0, "0"), (999, "999"), (1000, "1,000"), (60_000, "60,000"), (1_234_567, "1,234,567")];
        for (n, text) in cases {
            assert_eq!(grouped(n), text);
        }
    }

    #[test]
    fn predictions_in_words_and_as_a_table() {
        let said = |index: usize, label: u8, predicted: usize| Prediction {
            index,
            label,
            predicted,
            code_match: (0..3).map(|c| if c == predicted { 0.75 } else { 0.0125 }).collect(),
            outputs: Vec::new(),
        };
        let preds = [said(4, 1, 1), said(5, 2, 0), said(6, 0, 0)];
        assert_eq!(
            describe_predictions(&preds),
            "Test images 4 to 6 with the network's answers: right on 2 of 3; wrong on image 5, a 2, it reads as 0."
        );
        assert_eq!(
            describe_predictions(&preds[..1]),
            "Test images 4 to 4 with the network's answers: right on 1 of 1."
        );
        assert_eq!(describe_predictions(&[]), "Test digits: none shown.");
        let t = predictions_table(&preds);
        assert_eq!(t.columns.len(), 3 + 3);
        assert_eq!(t.columns[3], "class 0");
        assert_eq!(t.rows[1], ["5", "2", "0", "0.750", "0.0125", "0.0125"]);
    }
}
