//! What every chart shares: the caption's font, the themed mesh, the empty
//! state, the footnote under the chart, and the legend in its emptiest corner.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Stroke, Style, plot_err};
use crate::Result;
use crate::figure::Panel;

/// A footnote's lines, each wrapped at spaces to what fits in `width` pixels
/// (11 px sans-serif, about 6 px a character at the style's scale).
pub(super) fn note_lines(note: &str, width: u32, style: &Style) -> Vec<String> {
    let fits = ((width as f64 / style.scale - 16.0) / 6.0).max(20.0) as usize;
    let mut out = Vec::new();
    for line in note.lines() {
        let mut current = String::new();
        for word in line.split(' ') {
            if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > fits {
                out.push(std::mem::take(&mut current));
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
        out.push(current);
    }
    out
}

/// Splits a footnote's (wrapped) lines off the bottom of `area`.
pub(super) fn split_foot<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    note: &str,
    style: &Style,
) -> (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>) {
    let (width, height) = area.dim_in_pixel();
    let lines = note_lines(note, width, style).len().max(1) as f64;
    area.split_vertically(height.saturating_sub(style.upx(2.0 + 14.0 * lines)))
}

/// A panel's footnote (runs, failures, what the colours mean) under the chart,
/// wrapped to the panel's width.
pub(super) fn draw_note<DB: DrawingBackend>(foot: &DrawingArea<DB, Shift>, note: &str, style: &Style) -> Result<()> {
    let font = ("sans-serif", 11.0 * style.scale).into_font().color(&style.colours().muted);
    for (i, line) in note_lines(note, foot.dim_in_pixel().0, style).iter().enumerate() {
        foot.draw_text(line, &font, (style.px(8.0), style.px(2.0 + 14.0 * i as f64))).map_err(plot_err)?;
    }
    Ok(())
}

/// A panel title's font: 15 px, smaller when the title would not fit `width`
/// (backend pixels) — about 0.55 em a character in a sans-serif face.
pub(super) fn caption_font(title: &str, width: u32, style: &Style) -> TextStyle<'static> {
    let fits = (width as f64 / style.scale - 16.0) / (0.55 * title.chars().count().max(1) as f64);
    style.font(fits.clamp(10.0, 15.0))
}

pub(super) fn draw_waiting<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    note: &str,
    style: &Style,
) -> Result<()> {
    area.draw_text(&panel.title, &style.font(15.0), (style.px(10.0), style.px(8.0))).map_err(plot_err)?;
    let (_, h) = area.dim_in_pixel();
    let font = ("sans-serif", 11.0 * style.scale).into_font().color(&style.colours().ink);
    for (i, line) in note.lines().enumerate() {
        area.draw_text(line, &font, (style.px(10.0), h as i32 / 2 + style.px(14.0 * i as f64))).map_err(plot_err)?;
    }
    area.present().map_err(plot_err)
}

/// Axis, grid and label colours and sizes of the style; as many tick labels
/// as fit `size` (the area in backend pixels) without crowding.
pub(super) fn themed_mesh<DB: DrawingBackend, X: Ranged, Y: Ranged>(
    mesh: &mut plotters::chart::MeshStyle<'_, '_, X, Y, DB>,
    style: &Style,
    size: (u32, u32),
) {
    let (w, h) = (size.0 as f64 / style.scale, size.1 as f64 / style.scale);
    mesh.x_labels((w / 75.0).clamp(3.0, 10.0) as usize).y_labels((h / 32.0).clamp(3.0, 10.0) as usize);
    let ink = style.colours().ink;
    mesh.axis_style(ShapeStyle::from(&ink).stroke_width(style.upx(1.0)))
        .bold_line_style(ink.mix(0.12))
        .light_line_style(ink.mix(0.0))
        .label_style(style.font(12.0))
        .axis_desc_style(style.font(13.0))
        .set_all_tick_mark_size(style.px(5.0));
}

/// A corner of a chart's plotting area, where its legend goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Corner {
    UpperRight,
    UpperLeft,
    LowerRight,
    LowerLeft,
}

/// The corner whose legend box covers the fewest of `points` (each in the
/// plotting area's unit square, `(0, 0)` lower left); ties go to the upper
/// right, then upper left, lower right, lower left. `labels` are the
/// legend's entries; `plot` is the plotting area's size in backend pixels.
pub(super) fn legend_corner(points: &[(f64, f64)], labels: &[&str], plot: (u32, u32), style: &Style) -> Corner {
    // The legend's box as plotters lays it out (11 px text, a 30 px sample
    // area, 10 px margins), measured from the corner, as a fraction of the plot.
    let widest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64;
    let w = style.scale * (10.0 + 30.0 + 6.2 * widest + 10.0) / plot.0.max(1) as f64;
    let h = style.scale * (10.0 + 13.0 * labels.len() as f64 + 10.0) / plot.1.max(1) as f64;
    let inside = |corner: Corner| {
        let (right, upper) = match corner {
            Corner::UpperRight => (true, true),
            Corner::UpperLeft => (false, true),
            Corner::LowerRight => (true, false),
            Corner::LowerLeft => (false, false),
        };
        points
            .iter()
            .filter(|&&(x, y)| {
                (if right { x >= 1.0 - w } else { x <= w }) && (if upper { y >= 1.0 - h } else { y <= h })
            })
            .count()
    };
    [Corner::UpperRight, Corner::UpperLeft, Corner::LowerRight, Corner::LowerLeft]
        .into_iter()
        .min_by_key(|&c| inside(c))
        .unwrap_or(Corner::UpperRight)
}

/// The dash and gap, in backend pixels, of a legend's `width`-long sample of a stroke (one dash when solid).
pub(super) fn legend_dashes(stroke: Stroke, width: i32, style: &Style) -> (i32, i32) {
    match stroke {
        Stroke::Solid => (width, 1),
        Stroke::Dashed(dash, gap) => (style.px(dash).max(1), style.px(gap).max(1)),
    }
}

/// The chart's legend (its series' `labels`), in the corner of the plotting
/// area where it hides the fewest of `avoid` (points in data coordinates:
/// the lines, bands or paths drawn; none: the upper right).
pub(super) fn draw_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    style: &Style,
    avoid: &[(f64, f64)],
    labels: &[&str],
) -> Result<()> {
    let (xs, ys) = (chart.x_range(), chart.y_range());
    let unit: Vec<(f64, f64)> = avoid
        .iter()
        .map(|&(x, y)| ((x - xs.start) / (xs.end - xs.start), (y - ys.start) / (ys.end - ys.start)))
        .collect();
    let corner = legend_corner(&unit, labels, chart.plotting_area().dim_in_pixel(), style);
    let colours = style.colours();
    let position = match corner {
        Corner::UpperRight => SeriesLabelPosition::UpperRight,
        Corner::UpperLeft => SeriesLabelPosition::UpperLeft,
        Corner::LowerRight => SeriesLabelPosition::LowerRight,
        Corner::LowerLeft => SeriesLabelPosition::LowerLeft,
    };
    chart
        .configure_series_labels()
        .position(position)
        .label_font(style.font(11.0))
        .legend_area_size(style.px(30.0))
        .margin(style.px(10.0))
        .background_style(colours.background.mix(0.85))
        .border_style(colours.muted.mix(0.5))
        .draw()
        .map_err(plot_err)
}
