//! A figure's panel by key (docs/math.md §7; data from `crate::experiments`).
//!
//! A panel's `FigureData` carries its title, axis labels, log flag and series,
//! so two drawers cover every panel of every figure: lines with ±1 sd bands
//! ([`draw_line_panel`]) and the PCA landscape ([`draw_pca_panel`]).
//! [`draw_figure`] picks one by panel key; the page and the CLI call only it.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::lines::draw_line_panel;
use super::pca::draw_pca_panel;
use super::{Style, plot_err};
use crate::experiments::FigureData;
use crate::{Error, Result};

/// Draws panel `panel_key` of `fig` in the light style at one pixel per layout pixel.
pub fn draw_figure<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, fig: &FigureData, panel_key: &str) -> Result<()> {
    draw_figure_styled(area, fig, panel_key, &Style::LIGHT)
}

/// Draws panel `panel_key` of `fig` (e.g. `"b"`, `"e"`, `"accuracy"`), with a
/// footnote saying how many runs it averages and which failed.
pub fn draw_figure_styled<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    fig: &FigureData,
    panel_key: &str,
    style: &Style,
) -> Result<()> {
    let Some(panel) = fig.panel(panel_key) else {
        let keys: Vec<&str> = fig.panels.iter().map(|p| p.key.as_str()).collect();
        return Err(Error::InvalidParam(format!("{} has no panel {panel_key:?}; it has {keys:?}", fig.experiment)));
    };
    let mut note = format!("{} {}: {} of {} runs", fig.experiment, panel.key, fig.runs_done, fig.runs_total);
    if fig.runs_done == 0 {
        note = format!("no finished runs yet — {note}");
    }
    for line in panel.failures.iter().map(failure_text).chain(panel.notes.iter().cloned()) {
        note.push('\n');
        note.push_str(&line);
    }
    if panel.pca.is_some() || panel.key == "e" && fig.experiment == crate::experiments::ExperimentId::Fig6 {
        draw_pca_panel(area, panel, &note, style)
    } else {
        draw_line_panel(area, panel, &note, style)
    }
}

/// One condition's failed runs as a footnote says it.
pub(crate) fn failure_text(f: &crate::experiments::FailureCount) -> String {
    let n = f.died + f.diverged;
    let when = if f.median_step.is_finite() { format!(" (median step {})", f.median_step) } else { String::new() };
    if !f.in_means {
        return format!("{}: {n} of {} runs dead or diverged{when}, left out of the means", f.label, f.runs);
    }
    let mut parts = Vec::new();
    if f.died > 0 {
        parts.push(format!("{} of {} runs died{when}, kept in the means", f.died, f.runs));
    }
    if f.diverged > 0 {
        parts.push(format!("{} of {} runs diverged{when}, in the means up to it", f.diverged, f.runs));
    }
    format!("{}: {}", f.label, parts.join("; "))
}

/// Every panel of `fig` in a grid of `cols` columns.
pub fn draw_figure_grid<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    fig: &FigureData,
    cols: usize,
) -> Result<()> {
    let cols = cols.max(1);
    let rows = fig.panels.len().div_ceil(cols).max(1);
    area.fill(&Style::LIGHT.colours().background).map_err(plot_err)?;
    for (cell, panel) in area.split_evenly((rows, cols)).iter().zip(&fig.panels) {
        draw_figure(cell, fig, &panel.key)?;
    }
    Ok(())
}
