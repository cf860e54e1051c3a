//! A figure's panel by key (docs/math.md §7; data from `crate::figure`).
//!
//! A panel's `FigureData` carries its title, axis labels, log flag and series,
//! so two drawers cover every panel of every figure: lines with ±1 sd bands
//! ([`draw_line_panel`]) and the PCA landscape ([`draw_pca_panel`]).
//! [`draw_figure`] picks one by the panel's [`PanelKind`]; the page and the CLI call only it.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::lines::draw_line_panel;
use super::pca::draw_pca_panel;
use super::readout::PlotFrame;
use super::{Style, plot_err};
use crate::figure::{FigureData, PanelKind};
use crate::{Error, Result};

/// Draws panel `panel_key` of `fig` in the light style at one pixel per layout pixel.
pub fn draw_figure<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, fig: &FigureData, panel_key: &str) -> Result<()> {
    draw_figure_styled(area, fig, panel_key, &Style::LIGHT).map(|_| ())
}

/// Draws panel `panel_key` of `fig` (e.g. `"b"`, `"e"`, `"accuracy"`), with a
/// footnote saying how many runs it averages and which failed; returns where
/// a line panel's data sits on the drawing (for a readout; `None` for a PCA
/// panel or one with no data yet).
pub fn draw_figure_styled<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    fig: &FigureData,
    panel_key: &str,
    style: &Style,
) -> Result<Option<PlotFrame>> {
    let Some(panel) = fig.panel(panel_key) else {
        let keys: Vec<&str> = fig.panels.iter().map(|p| p.key.as_str()).collect();
        return Err(Error::InvalidParam(format!("{} has no panel {panel_key:?}; it has {keys:?}", fig.experiment)));
    };
    let mut note = format!("{} {}: {} of {} runs", fig.experiment, panel.key, fig.runs_done, fig.runs_total);
    if fig.runs_done == 0 {
        note = format!("no finished runs yet — {note}");
    }
    for line in panel.footnotes() {
        note.push('\n');
        note.push_str(&line);
    }
    match panel.kind {
        PanelKind::Lines => draw_line_panel(area, panel, &note, style),
        PanelKind::Pca => draw_pca_panel(area, panel, &note, style).map(|()| None),
    }
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
