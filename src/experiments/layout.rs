//! What a figure draws before the runs are in ([`PanelDef`]s of
//! [`SeriesDef`]s), and [`aggregate`], which fills them from run results.

use super::Params;
use super::keys::{Measure, PanelKey, SeriesKey};
use crate::Result;
use crate::checked::Checked;
use crate::figure::{
    FailedRun, FailureCount, FigureData, Panel, PanelKind, RunResult, STALL_POINTS, Series, StalledRun,
};
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
    /// Lines, or the PCA landscape of the first run that has one.
    pub kind: PanelKind,
}

impl PanelDef {
    pub(crate) fn new(
        key: PanelKey,
        title: impl Into<String>,
        x_label: &'static str,
        y_label: &'static str,
        series: Vec<SeriesDef>,
    ) -> PanelDef {
        PanelDef {
            key,
            title: title.into(),
            x_label,
            y_label,
            log_y: false,
            markers: false,
            series,
            kind: PanelKind::Lines,
        }
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
    if def.kind == PanelKind::Pca {
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

/// Per condition of a panel: how many finished runs failed, and when (median
/// step); of those kept in the means, how many have no point in the panel's
/// series (`keys`).
fn failure_counts(
    conditions: &[String],
    results: &[RunResult],
    failed: &[FailedRun],
    in_means: bool,
    keys: &[String],
) -> Vec<FailureCount> {
    let has_value = |f: &FailedRun| {
        results.iter().any(|r| {
            r.run == f.run
                && r.condition_name == f.condition_name
                && r.curves.iter().any(|c| !c.x.is_empty() && keys.contains(&c.key))
        })
    };
    let mut out = Vec::new();
    for cond in conditions {
        let mine: Vec<&FailedRun> = failed.iter().filter(|f| &f.condition_name == cond).collect();
        if mine.is_empty() {
            continue;
        }
        let median_step = median(mine.iter().filter_map(|f| f.step).map(|s| s as f64).collect());
        out.push(FailureCount {
            condition: cond.clone(),
            label: condition_label(cond),
            runs: results.iter().filter(|r| &r.condition_name == cond).count(),
            died: mine.iter().filter(|f| f.kept && f.revived_at.is_none()).count(),
            revived: mine.iter().filter(|f| f.kept && f.revived_at.is_some()).count(),
            revived_median_step: Some(median(mine.iter().filter_map(|f| f.revived_at).map(|s| s as f64).collect()))
                .filter(|m| m.is_finite()),
            diverged: mine.iter().filter(|f| !f.kept).count(),
            median_step,
            in_means,
            left_out: if in_means { mine.iter().filter(|f| f.kept && !has_value(f)).count() } else { 0 },
        });
    }
    out
}

/// The median of `v` (NaN for none).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => v[n / 2],
        _ => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Runs whose network never died but whose final test accuracy is more than
/// [`STALL_POINTS`] under the median of their condition's finished runs (of
/// three or more), in run order.
fn stalled_runs(params: &Params, results: &[RunResult]) -> Vec<StalledRun> {
    let final_accuracy = |r: &RunResult| {
        let key = SeriesKey::of(&r.condition_name, Measure::Accuracy).to_string();
        r.curves.iter().find(|c| c.key == key).and_then(|c| c.y.last().copied())
    };
    let mut out = Vec::new();
    for cond in params.conditions() {
        let runs: Vec<(&RunResult, f64)> = results
            .iter()
            .filter(|r| r.condition_name == cond)
            .filter_map(|r| final_accuracy(r).map(|a| (r, a)))
            .collect();
        if runs.len() < 3 {
            continue;
        }
        let mid = median(runs.iter().map(|&(_, a)| a).collect());
        for (r, accuracy) in runs {
            if accuracy < mid - STALL_POINTS && r.failure.is_none() && r.died_at.is_none() {
                out.push(StalledRun {
                    run: r.run,
                    condition_name: cond.clone(),
                    label: condition_label(&cond),
                    seed: r.seed,
                    accuracy,
                    median: mid,
                });
            }
        }
    }
    out.sort_by_key(|s| (s.run, s.condition_name.clone()));
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
            let (reason, step, kept) = match (&r.failure, r.died_at, r.revived_at) {
                (Some(reason), _, _) => (reason.clone(), r.failed_at, false),
                (None, Some(step), None) => (format!("dead network from step {step} to the end"), Some(step), true),
                (None, Some(step), Some(back)) => {
                    (format!("all outputs zero at step {step}, alive again from step {back}"), Some(step), true)
                }
                (None, None, _) => return None,
            };
            let revived_at = r.revived_at.filter(|_| kept);
            Some(FailedRun {
                run: r.run,
                condition_name: r.condition_name.clone(),
                seed: r.seed,
                reason,
                step,
                kept,
                revived_at,
            })
        })
        .collect();
    let stalled = stalled_runs(params, results);
    let mut panels = Vec::new();
    for def in params.experiment().panels() {
        let conditions = panel_conditions(params, &def);
        let keys: Vec<String> = def.series.iter().map(|s| s.key.to_string()).collect();
        let failures = failure_counts(&conditions, results, &failed, keep_failed, &keys);
        let panel_stalled = stalled.iter().filter(|s| conditions.contains(&s.condition_name)).cloned().collect();
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
        let pca = if def.kind == PanelKind::Pca { ok.iter().find_map(|r| r.pca.clone()) } else { None };
        panels.push(Panel {
            key: def.key.name(),
            kind: def.kind,
            title: def.title,
            x_label: def.x_label.to_string(),
            y_label: def.y_label.to_string(),
            log_y: def.log_y,
            markers: def.markers,
            series,
            pca,
            failures,
            stalled: panel_stalled,
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
        stalled,
        panels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiments::{ExperimentId, Preset};
    use crate::figure::Curve;

    /// A fig5 run of fraction `p` that records `accuracy` at its last epoch
    /// and, unless its network is dead at the end, a final alignment.
    fn run(p: &str, run: usize, accuracy: f64, died_at: Option<u64>, revived_at: Option<u64>) -> RunResult {
        let mut curves = vec![Curve {
            key: SeriesKey::of(p, Measure::Accuracy).to_string(),
            x: vec![0.0, 1.0],
            y: vec![10.0, accuracy],
        }];
        if died_at.is_none() || revived_at.is_some() {
            let key = SeriesKey::across(Measure::FinalAlign(1)).to_string();
            curves.push(Curve { key, x: vec![0.0], y: vec![80.0] });
        }
        let condition = if p == "p0" { 0 } else { 4 };
        let (condition_name, seed, steps) = (p.to_string(), run as u64, 100);
        let (pca, failure, failed_at) = (None, None, None);
        RunResult { run, condition, condition_name, seed, steps, curves, pca, failure, failed_at, died_at, revived_at }
    }

    #[test]
    fn stalled_runs_and_revived_networks_are_named_and_panels_say_whom_their_means_hold() {
        let params = ExperimentId::Fig5.params_in(Preset::Quick, 2);
        let results = vec![
            run("p0", 0, 88.0, None, None),
            run("p0", 1, 87.0, None, None),
            run("p0", 2, 40.0, None, None),
            run("p0", 3, 89.0, None, None),
            run("p1", 0, 10.0, Some(30), None),
            run("p1", 1, 11.0, Some(12), Some(50)),
            run("p1", 2, 9.0, None, None),
        ];
        let fig = aggregate(&params, &results).unwrap();
        // Run 2 of p = 0 is 47.5 points under its condition's median (87.5 %); no p = 1 run is.
        assert_eq!(fig.stalled.len(), 1, "{:?}", fig.stalled);
        let s = &fig.stalled[0];
        assert_eq!((s.run, s.condition_name.as_str(), s.accuracy, s.median), (2, "p0", 40.0, 87.5));
        let text = StalledRun::text(&[s]);
        assert!(text.starts_with("p = 0: the run of seed 2 stalls at 40.0 % test accuracy"), "{text}");
        // The dead network and the one that came back are told apart.
        let reasons: Vec<&str> = fig.failed.iter().map(|f| f.reason.as_str()).collect();
        assert_eq!(
            reasons,
            ["dead network from step 30 to the end", "all outputs zero at step 12, alive again from step 50"]
        );
        // The accuracy panel holds both; the final-alignment panel has no value of the dead one.
        let d = fig.panel("d").unwrap();
        let (count, notes) = (&d.failures[0], d.footnotes());
        assert_eq!((count.died, count.revived, count.left_out), (1, 1, 0));
        assert!(notes.iter().any(|n| n == "p = 1: of 3 runs, 2 had all outputs zero from a median step 21: 1 stayed dead, 1 recovered (alive again from a median step 50); kept in the means"), "{notes:?}");
        assert!(notes.iter().any(|n| n.contains("seed 2 stalls")), "{notes:?}");
        let a = fig.panel("a").unwrap();
        assert_eq!(a.failures[0].left_out, 1);
        assert!(a.footnotes()[0].ends_with("kept in the means but for 1 with no value here"), "{:?}", a.footnotes());
    }
}
