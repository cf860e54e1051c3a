//! The figure data model: what a run records ([`RunResult`]) and what a figure
//! draws ([`FigureData`]: panels of series, mean ± sd and `n` at every x, or
//! the PCA landscape), with the footnotes a panel carries and the one CSV
//! schema that the page's panel export and `fa-lab figure` both write.
//!
//! The experiments fill it ([`crate::experiments::aggregate`]); the drawing,
//! the descriptions, the exports and the stored results read it, and none of
//! them needs to know which figure it came from: a panel says its
//! [`PanelKind`].

use serde::{Deserialize, Serialize};

use crate::experiments::{ExperimentId, Params};

/// What a panel draws.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PanelKind {
    /// Mean lines with ±1 sd bands over x.
    #[default]
    Lines,
    /// A loss landscape on two principal components with parameter paths (Fig. 6e).
    Pca,
}

impl PanelKind {
    fn is_lines(&self) -> bool {
        *self == PanelKind::Lines
    }
}

/// One curve of one run: `y` at `x` (non-finite points are dropped). `key` is
/// a [`crate::experiments::keys::SeriesKey`] in its text form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    pub key: String,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
}

/// The loss landscape and paths of Fig. 6e.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PcaData {
    /// Grid coordinates along pc1 and pc2, ascending.
    pub a: Vec<f64>,
    pub b: Vec<f64>,
    /// `loss[j * a.len() + i]` at `(a[i], b[j])`: mean per-sample training loss.
    pub loss: Vec<f64>,
    pub paths: Vec<PcaPath>,
    /// Share of the variance of all snapshots on pc1 and pc2.
    pub explained: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PcaPath {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// What a run produced. `failure` is set (and the curves are partial) when the
/// network died or diverged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub run: usize,
    pub condition: usize,
    pub condition_name: String,
    pub seed: u64,
    pub steps: u64,
    pub curves: Vec<Curve>,
    pub pca: Option<PcaData>,
    pub failure: Option<String>,
    /// The step at which `failure` ended the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<u64>,
    /// The first step whose batch was dead, for a run that went on through it
    /// ([`crate::experiments::TrainSetup::keep_dead`]); its curves are complete and in the means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub died_at: Option<u64>,
    /// For a run that died and went on: the first step whose batch was alive
    /// again after its last dead one (`None`: dead to the end). A label of the
    /// run's numbers rather than one of them, so the fingerprint leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revived_at: Option<u64>,
}

/// A series of a panel: mean and sample standard deviation across runs at each x.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub key: String,
    /// Legend text (says which weights the line is).
    pub label: String,
    /// Colour index into the plot palette.
    pub colour: usize,
    pub dashed: bool,
    pub x: Vec<f64>,
    pub mean: Vec<f64>,
    pub sd: Vec<f64>,
    /// Runs that contributed to each point.
    pub n: Vec<usize>,
}

/// One panel: labels, scale and its series (or the PCA landscape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Panel {
    /// Paper panel letter or a short name (`"a"`, `"b-early"`, `"accuracy"`): a
    /// [`crate::experiments::keys::PanelKey`].
    pub key: String,
    /// What the panel draws, so no drawer has to know its figure.
    #[serde(default, skip_serializing_if = "PanelKind::is_lines")]
    pub kind: PanelKind,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub log_y: bool,
    /// Draw markers at the points (few x values, e.g. orders or fractions).
    pub markers: bool,
    pub series: Vec<Series>,
    pub pca: Option<PcaData>,
    /// Runs of this panel's conditions that died or diverged, per condition.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<FailureCount>,
    /// Runs of this panel's conditions that stalled far below their condition.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stalled: Vec<StalledRun>,
    /// Footnotes, e.g. a condition that trains with its own `η`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// How many finished runs of one condition died or diverged, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureCount {
    pub condition: String,
    /// The condition as a legend names it (`"FA+WN"`, `"p = 1"`, `"T = 4"`).
    pub label: String,
    /// Finished runs of the condition.
    pub runs: usize,
    /// Runs whose network died, went on stepping
    /// ([`crate::experiments::TrainSetup::keep_dead`]) and was still dead at
    /// the end: in the means with every metric a dead network still has.
    pub died: usize,
    /// Runs whose outputs were all zero for a while but that were alive again
    /// at the end: in the means like `died`.
    #[serde(default)]
    pub revived: usize,
    /// Median step from which the `revived` runs were alive again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revived_median_step: Option<f64>,
    /// Runs that ended at a failure: in the means up to it ([`crate::experiments::TrainSetup::keep_dead`])
    /// or left out entirely (link version 1).
    pub diverged: usize,
    /// Median step at which they died or diverged.
    pub median_step: f64,
    /// Whether the failed runs are in the means (see `died`, `diverged`).
    pub in_means: bool,
    /// Of the failed runs in the means, those that have no value in this
    /// panel (a metric a dead network does not have, e.g. Fig. 5a's final
    /// alignment): this panel's means leave them out.
    #[serde(default)]
    pub left_out: usize,
}

/// A run that finished far below its condition: its final test accuracy is
/// more than [`STALL_POINTS`] percentage points under the median of its
/// condition's runs (and its network never died: those are counted apart).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StalledRun {
    pub run: usize,
    pub condition_name: String,
    /// The condition as a legend names it.
    pub label: String,
    pub seed: u64,
    /// Its final test accuracy (%).
    pub accuracy: f64,
    /// The median final test accuracy of its condition's runs (%).
    pub median: f64,
}

/// How far under its condition's median final accuracy a run has stalled.
pub const STALL_POINTS: f64 = 20.0;

impl StalledRun {
    /// The stalled runs of one condition (all of the same `label` and
    /// `median`, in run order) as one footnote line, named by their seeds.
    pub fn text(runs: &[&StalledRun]) -> String {
        let Some(first) = runs.first() else { return String::new() };
        let list = |items: Vec<String>| match items.as_slice() {
            [one] => one.clone(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
            [] => String::new(),
        };
        let seeds = list(runs.iter().map(|r| r.seed.to_string()).collect());
        let accuracies = list(runs.iter().map(|r| format!("{:.1}", r.accuracy)).collect());
        let (noun, verb) = if runs.len() == 1 { ("the run of seed", "stalls") } else { ("the runs of seeds", "stall") };
        format!(
            "{}: {noun} {seeds} {verb} at {accuracies} % test accuracy, far under the condition's median {:.1} %",
            first.label, first.median
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedRun {
    pub run: usize,
    pub condition_name: String,
    pub seed: u64,
    pub reason: String,
    /// The step at which the network died or diverged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u64>,
    /// True for a network that died and went on stepping (its curves are complete).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub kept: bool,
    /// For a kept run: the step from which it was alive again ([`RunResult::revived_at`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revived_at: Option<u64>,
}

/// Everything needed to draw a figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FigureData {
    pub experiment: ExperimentId,
    pub title: String,
    pub params: Params,
    pub runs_total: usize,
    pub runs_done: usize,
    pub failed: Vec<FailedRun>,
    /// Runs that finished far below their condition ([`StalledRun`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stalled: Vec<StalledRun>,
    pub panels: Vec<Panel>,
}

/// A panel's series at one x: what a readout shows ([`Panel::values_at`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValuesAt {
    pub x: f64,
    pub points: Vec<PointAt>,
}

/// One series' point: its label and colour index, its x (the readout's, unless
/// the series has no point there), mean, sd and the runs behind them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PointAt {
    pub label: String,
    pub colour: usize,
    pub x: f64,
    pub mean: f64,
    pub sd: f64,
    pub n: usize,
}

/// The value of sorted `xs` nearest to `x` (the lower on a tie); `None` when empty.
fn nearest(xs: &[f64], x: f64) -> Option<f64> {
    let i = xs.partition_point(|&v| v < x);
    match (i.checked_sub(1).map(|j| xs[j]), xs.get(i).copied()) {
        (Some(lo), Some(hi)) => Some(if x - lo <= hi - x { lo } else { hi }),
        (lo, hi) => lo.or(hi),
    }
}

impl Panel {
    /// A line panel with nothing but its series: no markers, log scale, PCA,
    /// failed or stalled runs or notes (the train view's live panels).
    pub fn lines(key: &str, title: &str, x_label: &str, y_label: &str, series: Vec<Series>) -> Panel {
        Panel {
            key: key.to_string(),
            kind: PanelKind::Lines,
            title: title.to_string(),
            x_label: x_label.to_string(),
            y_label: y_label.to_string(),
            log_y: false,
            markers: false,
            series,
            pca: None,
            failures: Vec::new(),
            stalled: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Every x at which some series has a finite point, ascending and without
    /// repeats: the places a readout can stop at.
    pub fn x_values(&self) -> Vec<f64> {
        let mut xs: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| (0..s.x.len()).filter(|&i| s.x[i].is_finite() && s.mean[i].is_finite()).map(|i| s.x[i]))
            .collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        xs
    }

    /// Each series' point at the x nearest to `x` (of the panel's
    /// [`x_values`](Panel::x_values)): what a readout at `x` shows. `None` for a
    /// panel with no point (a PCA panel, or before any run).
    pub fn values_at(&self, x: f64) -> Option<ValuesAt> {
        let at = nearest(&self.x_values(), x)?;
        let points = self
            .series
            .iter()
            .filter_map(|s| {
                // A series without a point at `at` (another x grid) shows its own nearest one.
                let i = (0..s.x.len())
                    .filter(|&i| s.x[i].is_finite() && s.mean[i].is_finite())
                    .min_by(|&i, &j| (s.x[i] - at).abs().total_cmp(&(s.x[j] - at).abs()))?;
                Some(PointAt {
                    label: s.label.clone(),
                    colour: s.colour,
                    x: s.x[i],
                    mean: s.mean[i],
                    sd: s.sd[i],
                    n: s.n.get(i).copied().unwrap_or(1),
                })
            })
            .collect();
        Some(ValuesAt { x: at, points })
    }

    /// The x `steps` places after `x` among the panel's x values (before it
    /// when negative), stopping at the ends: where an arrow key moves a readout.
    pub fn step_x(&self, x: f64, steps: i64) -> Option<f64> {
        let xs = self.x_values();
        let at = nearest(&xs, x)?;
        let i = xs.iter().position(|&v| v == at)? as i64;
        Some(xs[(i + steps).clamp(0, xs.len() as i64 - 1) as usize])
    }

    /// The panel's footnotes: its conditions' failed and stalled runs, then its own notes.
    pub fn footnotes(&self) -> Vec<String> {
        let failures = self.failures.iter().map(FailureCount::text);
        let mut stalled: Vec<Vec<&StalledRun>> = Vec::new();
        for s in &self.stalled {
            match stalled.iter_mut().find(|group| group[0].condition_name == s.condition_name) {
                Some(group) => group.push(s),
                None => stalled.push(vec![s]),
            }
        }
        let stalled = stalled.into_iter().map(|group| StalledRun::text(&group));
        failures.chain(stalled).chain(self.notes.iter().cloned()).collect()
    }

    /// The panel alone as CSV ([`CSV_HEADER`]): its footnotes as `# note:`
    /// lines, then its rows. The page exports a panel as this.
    pub fn to_csv(&self) -> String {
        let mut s: String = self.footnotes().iter().map(|line| format!("# note: {}\n", one_line(line))).collect();
        s.push_str(CSV_HEADER);
        self.csv_rows(&mut s);
        s
    }

    /// Rows in [`CSV_HEADER`]'s columns: a series' points, then a PCA panel's
    /// grid (`loss` rows: x = pc1, mean = the loss) and paths (`path` rows:
    /// x = pc1, mean = pc2).
    fn csv_rows(&self, s: &mut String) {
        let key = csv_field(&self.key);
        for ser in &self.series {
            let (series, label) = (csv_field(&ser.key), csv_field(&ser.label));
            for i in 0..ser.x.len() {
                s.push_str(&format!(
                    "{key},{series},{label},{},{},{},{}\n",
                    ser.x[i], ser.mean[i], ser.sd[i], ser.n[i]
                ));
            }
        }
        if let Some(pca) = &self.pca {
            for (j, b) in pca.b.iter().enumerate() {
                let label = csv_field(&format!("loss at pc2 = {b}"));
                for (i, a) in pca.a.iter().enumerate() {
                    s.push_str(&format!("{key},loss,{label},{a},{},0,1\n", pca.loss[j * pca.a.len() + i]));
                }
            }
            for path in &pca.paths {
                let label = csv_field(&path.label);
                for (a, b) in &path.points {
                    s.push_str(&format!("{key},path,{label},{a},{b},0,1\n"));
                }
            }
        }
    }
}

impl FailureCount {
    /// One condition's failed runs as a footnote says them.
    pub fn text(&self) -> String {
        let n = self.died + self.revived + self.diverged;
        let when =
            if self.median_step.is_finite() { format!(" (median step {})", self.median_step) } else { String::new() };
        if !self.in_means {
            return format!("{}: {n} of {} runs dead or diverged{when}, left out of the means", self.label, self.runs);
        }
        let kept = self.died + self.revived;
        let mut parts = Vec::new();
        if kept > 0 {
            let from = if self.median_step.is_finite() {
                format!("a median step {}", self.median_step)
            } else {
                "some step".into()
            };
            let back =
                self.revived_median_step.map_or(String::new(), |r| format!(" (alive again from a median step {r})"));
            parts.push(match (self.died, self.revived) {
                (_, 0) => format!("{kept} had all outputs zero from {from} and stayed dead"),
                (0, _) => format!("{kept} had all outputs zero from {from} and recovered{back}"),
                (died, revived) => {
                    format!("{kept} had all outputs zero from {from}: {died} stayed dead, {revived} recovered{back}")
                }
            });
        }
        if self.diverged > 0 {
            let at = if kept == 0 { when } else { String::new() };
            parts.push(format!("{} diverged{at} (in the means up to it)", self.diverged));
        }
        let mut text = format!("{}: of {} runs, {}", self.label, self.runs, parts.join("; "));
        if kept > 0 {
            text.push_str(&match self.left_out {
                0 => "; kept in the means".to_string(),
                k if k == kept => "; left out of this panel's means (a dead network has no value here)".to_string(),
                k => format!("; kept in the means but for {k} with no value here"),
            });
        }
        text
    }
}

/// The columns of every FA Lab CSV of plotted data, a panel's or a whole figure's.
pub const CSV_HEADER: &str = "panel,series,label,x,mean,sd,n\n";

impl FigureData {
    pub fn panel(&self, key: &str) -> Option<&Panel> {
        self.panels.iter().find(|p| p.key == key)
    }

    /// The figure with only the conditions in `shown` of those in
    /// `conditions` (its experiment's names): a series, failure count or
    /// stalled run of another condition is left out, and so is a panel left
    /// with no series; a series that belongs to no condition (fig5a's, over
    /// the conditions) stays. A series' key starts with its condition
    /// (`p0.25/loss`).
    pub fn only_conditions(&self, conditions: &[String], shown: &[String]) -> FigureData {
        let hidden =
            |condition: &str| conditions.iter().any(|c| c == condition) && !shown.iter().any(|c| c == condition);
        let of_key = |key: &str| key.split('/').next().unwrap_or_default().to_string();
        let mut figure = self.clone();
        figure.panels.retain_mut(|panel| {
            let had_series = !panel.series.is_empty();
            panel.series.retain(|s| !hidden(&of_key(&s.key)));
            panel.failures.retain(|f| !hidden(&f.condition));
            panel.stalled.retain(|s| !hidden(&s.condition_name));
            !(had_series && panel.series.is_empty())
        });
        figure.stalled.retain(|s| !hidden(&s.condition_name));
        figure
    }

    /// The whole figure as CSV: every panel's footnotes as `# note: <panel>:`
    /// lines, then [`CSV_HEADER`] and every panel's rows ([`Panel::to_csv`]'s
    /// schema). `fa-lab figure` writes this.
    pub fn to_csv(&self) -> String {
        let mut s = String::new();
        for p in &self.panels {
            for line in p.footnotes() {
                s.push_str(&format!("# note: {}: {}\n", p.key, one_line(&line)));
            }
        }
        s.push_str(CSV_HEADER);
        self.panels.iter().for_each(|p| p.csv_rows(&mut s));
        s
    }
}

/// A CSV field, quoted when it holds a comma, quote or line break.
pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// Text on one line (for `#` comment lines).
pub(crate) fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}
