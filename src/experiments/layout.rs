//! What a figure draws before the runs are in ([`PanelDef`]s of
//! [`SeriesDef`]s), and [`aggregate`], which fills them from run results.

use super::keys::{PanelKey, SeriesKey};
use super::{FailedRun, FigureData, Panel, Params, RunResult, Series};
use crate::Result;
use crate::checked::Checked;

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
/// deviations over the runs that reached each x value; failed runs are listed,
/// not averaged.
pub fn aggregate(params: &Params, results: &[RunResult]) -> Result<FigureData> {
    Ok(aggregate_checked(&params.validate()?, results))
}

/// [`aggregate`] of parameters validated already.
pub(crate) fn aggregate_checked(params: &Checked<Params>, results: &[RunResult]) -> FigureData {
    let runs_total = params.specs().len();
    let ok: Vec<&RunResult> = results.iter().filter(|r| r.failure.is_none()).collect();
    let failed = results
        .iter()
        .filter_map(|r| {
            r.failure.as_ref().map(|reason| FailedRun {
                run: r.run,
                condition_name: r.condition_name.clone(),
                seed: r.seed,
                reason: reason.clone(),
            })
        })
        .collect();
    let mut panels = Vec::new();
    for def in params.experiment().panels() {
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
