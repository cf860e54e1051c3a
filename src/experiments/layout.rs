//! What a figure draws before the runs are in ([`PanelDef`]s of
//! [`SeriesDef`]s), and [`aggregate`], which fills them from run results.

use super::keys::{PanelKey, SeriesKey};
use super::{FailedRun, FailureCount, FigureData, Panel, Params, RunResult, Series};
use crate::Result;
use crate::checked::Checked;
use crate::net::Rule;

/// A panel of a figure, before the runs are in.
pub(crate) struct PanelDef {
    pub key: PanelKey,
    pub title: String,
    pub x_label: &'static str,
    pub y_label: &'static str,
    pub log_y: bool,
    /// Markers at the points (few x values, e.g. orders or fractions).
    pub markers: bool,
    pub series: Vec<SeriesDef>,
    /// The PCA landscape of the first run that has one.
    pub pca: bool,
}

impl PanelDef {
    pub(crate) fn new(
        key: PanelKey,
        title: impl Into<String>,
        x_label: &'static str,
        y_label: &'static str,
        series: Vec<SeriesDef>,
    ) -> PanelDef {
        PanelDef { key, title: title.into(), x_label, y_label, log_y: false, markers: false, series, pca: false }
    }

    pub(crate) fn log_y(mut self) -> PanelDef {
        self.log_y = true;
        self
    }

    pub(crate) fn markers(mut self) -> PanelDef {
        self.markers = true;
        self
    }
}

/// A series of a panel: the key its runs record under, legend, colour, dash.
pub(crate) struct SeriesDef {
    pub key: SeriesKey,
    pub label: String,
    pub colour: usize,
    pub dashed: bool,
}

pub(crate) fn line(key: SeriesKey, label: impl Into<String>, colour: usize) -> SeriesDef {
    SeriesDef { key, label: label.into(), colour, dashed: false }
}

pub(crate) fn dashed(key: SeriesKey, label: impl Into<String>, colour: usize) -> SeriesDef {
    SeriesDef { key, label: label.into(), colour, dashed: true }
}

pub(crate) const ITER: &str = "iteration";
pub(crate) const ANGLE: &str = "angle (degrees)";
pub(crate) const EPOCH: &str = "epoch";
pub(crate) const ACCURACY: &str = "test accuracy (%)";
pub(crate) const LOSS_TITLE: &str = "training loss (batch, ½ΣE²)";
/// Hidden weight layers of the paper net (those with a `B_l`).
pub(crate) const HIDDEN: [usize; 4] = [1, 2, 3, 4];
/// Every weight layer of the paper net.
pub(crate) const ALL_LAYERS: [usize; 5] = [0, 1, 2, 3, 4];

/// The conditions a panel draws: those its series come from; every condition
/// for series that gather one point from each (fig5a); the once-only
/// condition for the PCA panel.
fn panel_conditions(params: &Params, def: &PanelDef) -> Vec<String> {
    let all = params.conditions();
    let once = |i: usize| params.experiment().once_only(i);
    if def.pca {
        return all.iter().enumerate().filter(|&(i, _)| once(i)).map(|(_, c)| c.clone()).collect();
    }
    let mut named: Vec<String> = Vec::new();
    for c in def.series.iter().filter_map(|s| s.key.condition.as_ref()) {
        if !named.contains(c) {
            named.push(c.clone());
        }
    }
    if named.is_empty() {
        named = all.iter().enumerate().filter(|&(i, _)| !once(i)).map(|(_, c)| c.clone()).collect();
    }
    named
}

/// A condition's name as legends and footnotes show it: a rule's label for a
/// rule's name.
fn condition_label(name: &str) -> String {
    if let Some(rule) = Rule::ALL.iter().find(|r| r.name() == name) {
        return rule.label().to_string();
    }
    if name == "fa_wn" {
        return "FA+WN".into();
    }
    if let Some(p) = name.strip_prefix('p').filter(|p| p.parse::<f64>().is_ok()) {
        return format!("p = {p}");
    }
    if let Some(t) = name.strip_prefix('T').filter(|t| t.parse::<usize>().is_ok()) {
        return format!("T = {t}");
    }
    name.to_string()
}

/// Per condition of a panel: how many finished runs failed, and when (median step).
fn failure_counts(
    conditions: &[String],
    results: &[RunResult],
    failed: &[FailedRun],
    in_means: bool,
) -> Vec<FailureCount> {
    let mut out = Vec::new();
    for cond in conditions {
        let mine: Vec<&FailedRun> = failed.iter().filter(|f| &f.condition_name == cond).collect();
        if mine.is_empty() {
            continue;
        }
        let mut steps: Vec<f64> = mine.iter().filter_map(|f| f.step).map(|s| s as f64).collect();
        steps.sort_by(f64::total_cmp);
        let n = steps.len();
        let median_step = match n {
            0 => f64::NAN,
            _ if n % 2 == 1 => steps[n / 2],
            _ => (steps[n / 2 - 1] + steps[n / 2]) / 2.0,
        };
        out.push(FailureCount {
            condition: cond.clone(),
            label: condition_label(cond),
            runs: results.iter().filter(|r| &r.condition_name == cond).count(),
            died: mine.iter().filter(|f| f.kept).count(),
            diverged: mine.iter().filter(|f| !f.kept).count(),
            median_step,
            in_means,
        });
    }
    out
}

/// Mean and sample standard deviation (0 for one value).
fn mean_sd(ys: &[f64]) -> (f64, f64) {
    let n = ys.len() as f64;
    let mean = ys.iter().sum::<f64>() / n;
    if ys.len() < 2 {
        return (mean, 0.0);
    }
    let var = ys.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// Builds the figure from whatever runs have finished: means and standard
/// deviations over the runs that reached each x value. Failed runs are counted
/// per panel; with [`super::TrainSetup::keep_dead`] (link version 2) they stay
/// in the means — a dead network's curves are complete, a diverged run's go up
/// to its failure — otherwise (version 1) they are left out.
pub fn aggregate(params: &Params, results: &[RunResult]) -> Result<FigureData> {
    Ok(aggregate_checked(&params.validate()?, results))
}

/// [`aggregate`] of parameters validated already.
pub(crate) fn aggregate_checked(params: &Checked<Params>, results: &[RunResult]) -> FigureData {
    let runs_total = params.specs().len();
    let keep_failed = params.experiment().train().is_some_and(|t| t.keep_dead);
    let ok: Vec<&RunResult> = results.iter().filter(|r| keep_failed || r.failure.is_none()).collect();
    let failed: Vec<FailedRun> = results
        .iter()
        .filter_map(|r| {
            let (reason, step, kept) = match (&r.failure, r.died_at) {
                (Some(reason), _) => (reason.clone(), r.failed_at, false),
                (None, Some(step)) => (format!("dead network from step {step} on"), Some(step), true),
                (None, None) => return None,
            };
            Some(FailedRun { run: r.run, condition_name: r.condition_name.clone(), seed: r.seed, reason, step, kept })
        })
        .collect();
    let mut panels = Vec::new();
    for def in params.experiment().panels() {
        let conditions = panel_conditions(params, &def);
        let failures = failure_counts(&conditions, results, &failed, keep_failed);
        let notes = params.experiment().notes(&conditions);
        let mut series = Vec::new();
        for s in def.series {
            let key = s.key.to_string();
            let mut pts: Vec<(f64, f64)> = ok
                .iter()
                .flat_map(|r| r.curves.iter().filter(|c| c.key == key))
                .flat_map(|c| c.x.iter().copied().zip(c.y.iter().copied()))
                .collect();
            if pts.is_empty() {
                continue;
            }
            pts.sort_by(|p, q| p.0.total_cmp(&q.0));
            let mut out = Series {
                key,
                label: s.label,
                colour: s.colour,
                dashed: s.dashed,
                x: vec![],
                mean: vec![],
                sd: vec![],
                n: vec![],
            };
            for group in pts.chunk_by(|p, q| p.0 == q.0) {
                let ys: Vec<f64> = group.iter().map(|p| p.1).collect();
                let (m, sd) = mean_sd(&ys);
                out.x.push(group[0].0);
                out.mean.push(m);
                out.sd.push(sd);
                out.n.push(ys.len());
            }
            series.push(out);
        }
        let pca = if def.pca { ok.iter().find_map(|r| r.pca.clone()) } else { None };
        panels.push(Panel {
            key: def.key.as_str().to_string(),
            title: def.title,
            x_label: def.x_label.to_string(),
            y_label: def.y_label.to_string(),
            log_y: def.log_y,
            markers: def.markers,
            series,
            pca,
            failures,
            notes,
        });
    }
    FigureData {
        experiment: params.id(),
        title: params.id().title().to_string(),
        params: Params::clone(params),
        runs_total,
        runs_done: results.len(),
        failed,
        panels,
    }
}
