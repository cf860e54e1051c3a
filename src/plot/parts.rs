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

/// The legend's box as plotters lays it out (11 px text about 6.5 px a
/// character and 15 px a row as drawn, a 30 px sample area, 10 px margins),
/// measured from the corner, in backend pixels; a little large rather than
/// small, so a corner called clear is.
fn legend_box(labels: &[&str], style: &Style) -> (f64, f64) {
    let widest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64;
    (style.scale * (10.0 + 30.0 + 6.5 * widest + 12.0), style.scale * (10.0 + 15.0 * labels.len() as f64 + 12.0))
}

/// How many of `points` (in the plotting area's unit square, `(0, 0)` lower
/// left) a legend in `corner` covers on a plot of `plot` backend pixels.
fn covered(points: &[(f64, f64)], labels: &[&str], plot: (u32, u32), style: &Style, corner: Corner) -> usize {
    let (bw, bh) = legend_box(labels, style);
    let (w, h) = (bw / plot.0.max(1) as f64, bh / plot.1.max(1) as f64);
    let (right, upper) = match corner {
        Corner::UpperRight => (true, true),
        Corner::UpperLeft => (false, true),
        Corner::LowerRight => (true, false),
        Corner::LowerLeft => (false, false),
    };
    points
        .iter()
        .filter(|&&(x, y)| (if right { x >= 1.0 - w } else { x <= w }) && (if upper { y >= 1.0 - h } else { y <= h }))
        .count()
}

const CORNERS: [Corner; 4] = [Corner::UpperRight, Corner::UpperLeft, Corner::LowerRight, Corner::LowerLeft];

/// The corner whose legend box covers the fewest of `points` (each in the
/// plotting area's unit square, `(0, 0)` lower left); ties go to the upper
/// right, then upper left, lower right, lower left. `labels` are the
/// legend's entries; `plot` is the plotting area's size in backend pixels.
pub(super) fn legend_corner(points: &[(f64, f64)], labels: &[&str], plot: (u32, u32), style: &Style) -> Corner {
    CORNERS.into_iter().min_by_key(|&c| covered(points, labels, plot, style, c)).unwrap_or(Corner::UpperRight)
}

/// Whether some corner of the plot leaves every one of `points` clear.
pub(super) fn a_corner_is_clear(points: &[(f64, f64)], labels: &[&str], plot: (u32, u32), style: &Style) -> bool {
    CORNERS.into_iter().any(|c| covered(points, labels, plot, style, c) == 0)
}

/// Where a legend goes when no corner of the plot is clear: beside the plot
/// (a wide panel) or below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outside {
    Beside,
    Below,
}

/// One entry of a legend drawn outside the plot: label, colour and stroke.
pub(super) struct Entry<'a> {
    pub label: &'a str,
    pub colour: RGBColor,
    pub stroke: Stroke,
}

const ROW: f64 = 16.0;
const SAMPLE: f64 = 24.0;

/// An entry's width in layout pixels (sample, gap, about 6.2 px a character, gap).
fn entry_width(label: &str) -> f64 {
    SAMPLE + 6.0 + 6.2 * label.chars().count() as f64 + 14.0
}

/// Where a legend goes when no corner of a plot of `plot` backend pixels
/// (in a body `width` pixels wide) is clear: beside or below, whichever leaves
/// the plot more area. `None` (the corner that covers least) when that would
/// leave the plot less than 45 % of its width or height and the legend's box
/// fits inside it: a small panel keeps room for its data.
pub(super) fn outside_place(labels: &[&str], plot: (u32, u32), width: u32, style: &Style) -> Option<Outside> {
    let (w, h) = (plot.0 as f64, plot.1 as f64);
    let beside = w - outside_room(labels, Outside::Beside, width, style) as f64;
    let below = h - outside_room(labels, Outside::Below, width, style) as f64;
    let options = [(Outside::Beside, beside * h, beside / w), (Outside::Below, w * below, below / h)];
    let best = options.into_iter().max_by(|a, b| a.1.total_cmp(&b.1))?;
    let (bw, bh) = legend_box(labels, style);
    let fits = bw <= 0.9 * w && bh <= 0.9 * h;
    if best.2 < 0.45 && fits { None } else { Some(best.0) }
}

/// The room (backend pixels) a legend outside takes: its width beside the
/// plot, its height below a plot `width` pixels wide (entries flow in rows).
pub(super) fn outside_room(labels: &[&str], place: Outside, width: u32, style: &Style) -> u32 {
    match place {
        Outside::Beside => {
            let widest = labels.iter().map(|l| entry_width(l)).fold(0.0, f64::max);
            style.upx(widest + 8.0)
        }
        Outside::Below => style.upx(8.0 + ROW * below_rows(labels, width, style).len() as f64),
    }
}

/// The entries' (row, x in layout pixels) below a plot `width` backend pixels wide.
fn below_rows(labels: &[&str], width: u32, style: &Style) -> Vec<Vec<(usize, f64)>> {
    let (start, end) = (66.0, width as f64 / style.scale - 8.0);
    let mut rows: Vec<Vec<(usize, f64)>> = vec![Vec::new()];
    let mut x = start;
    for (i, label) in labels.iter().enumerate() {
        let w = entry_width(label);
        if x + w > end && x > start {
            rows.push(Vec::new());
            x = start;
        }
        if let Some(row) = rows.last_mut() {
            row.push((i, x));
        }
        x += w;
    }
    rows
}

/// A legend in the room beside or below the plot: a sample of each stroke and its label.
pub(super) fn draw_outside_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    place: Outside,
    top: f64,
    style: &Style,
) -> Result<()> {
    let labels: Vec<&str> = entries.iter().map(|e| e.label).collect();
    let spots: Vec<(usize, f64, f64)> = match place {
        Outside::Beside => (0..entries.len()).map(|i| (i, 4.0, top + ROW * i as f64)).collect(),
        Outside::Below => below_rows(&labels, area.dim_in_pixel().0, style)
            .into_iter()
            .enumerate()
            .flat_map(|(r, row)| row.into_iter().map(move |(i, x)| (i, x, 4.0 + ROW * r as f64)))
            .collect(),
    };
    let font = style.font(11.0);
    for (i, x, y) in spots {
        let e = &entries[i];
        draw_sample(area, e, (style.px(x), style.px(y + ROW / 2.0 - 1.0)), style)?;
        area.draw_text(e.label, &font, (style.px(x + SAMPLE + 6.0), style.px(y + 2.0))).map_err(plot_err)?;
    }
    Ok(())
}

/// A legend's sample of `entry`'s stroke, `SAMPLE` layout pixels long, from `(x, y)` to the right.
pub(super) fn draw_sample<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entry: &Entry,
    (x, y): (i32, i32),
    style: &Style,
) -> Result<()> {
    let pen = entry.colour.stroke_width(style.upx(2.0));
    let w = style.px(SAMPLE);
    let (dash, gap) = legend_dashes(entry.stroke, w, style);
    area.draw(&plotters::element::DashedPathElement::new(vec![(x, y), (x + w, y)], dash, gap, pen)).map_err(plot_err)
}

/// The dash and gap, in backend pixels, of a legend's `width`-long sample of a stroke (one dash when solid).
pub(super) fn legend_dashes(stroke: Stroke, width: i32, style: &Style) -> (i32, i32) {
    match stroke {
        Stroke::Solid => (width, 1),
        Stroke::Dashed(dash, gap) => (style.px(dash).max(1), style.px(gap).max(1)),
    }
}

/// The chart's legend: each of `labels` beside its series' sample (drawn by
/// `sample(area, i, at)`, `at` the middle of the sample's left end), in the
/// corner of the plotting area where it hides the fewest of `avoid` (points
/// in data coordinates: the lines, bands or paths drawn; none: the upper
/// right). Laid out as plotters' series labels are, but with each label
/// measured once, through the backend (in the page, the canvas measures it;
/// plotters' own legend asks the document, a layout of the page per label).
pub(super) fn draw_legend<'a, DB: DrawingBackend + 'a>(
    chart: &ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    style: &Style,
    avoid: &[(f64, f64)],
    labels: &[&str],
    sample: impl Fn(&DrawingArea<DB, Shift>, usize, (i32, i32)) -> Result<()>,
) -> Result<()> {
    let (xs, ys) = (chart.x_range(), chart.y_range());
    let unit: Vec<(f64, f64)> = avoid
        .iter()
        .map(|&(x, y)| ((x - xs.start) / (xs.end - xs.start), (y - ys.start) / (ys.end - ys.start)))
        .collect();
    let area = chart.plotting_area().strip_coord_spec();
    let corner = legend_corner(&unit, labels, area.dim_in_pixel(), style);
    let colours = style.colours();
    let font = style.font(11.0);
    let (sample_room, margin) = (style.px(30.0), style.px(10.0));
    // Rows 1.25 em apart; each label's box from the backend.
    let row = font.font.get_size() * 1.25;
    let mut rows = Vec::with_capacity(labels.len());
    for (i, label) in labels.iter().enumerate() {
        let (w, h) = area.estimate_text_size(label, &font).map_err(plot_err)?;
        rows.push(((i as f64 * row).round() as i32, w as i32, h as i32));
    }
    let w = rows.iter().map(|r| r.1).max().unwrap_or(0) + sample_room + 2 * margin;
    let h = rows.iter().map(|r| r.0 + r.2).max().unwrap_or(0) + 2 * margin;
    let (aw, ah) = area.dim_in_pixel();
    let (aw, ah) = (aw as i32, ah as i32);
    let (x, y) = match corner {
        Corner::UpperRight => (aw - w - 5, 5),
        Corner::UpperLeft => (5, 5),
        Corner::LowerRight => (aw - w - 5, ah - h - 5),
        Corner::LowerLeft => (5, ah - h - 5),
    };
    let frame = [(x, y), (x + w, y + h)];
    area.draw(&Rectangle::new(frame, colours.background.mix(0.85).filled())).map_err(plot_err)?;
    area.draw(&Rectangle::new(frame, colours.muted.mix(0.5))).map_err(plot_err)?;
    let (text_x, text_y) = (x + sample_room + margin, y + margin);
    for (label, &(dy, _, _)) in labels.iter().zip(&rows) {
        area.draw_text(label, &font, (text_x, text_y + dy)).map_err(plot_err)?;
    }
    for (i, &(dy, _, lh)) in rows.iter().enumerate() {
        sample(&area, i, (x + margin, (2 * (text_y + dy) + lh) / 2))?;
    }
    Ok(())
}
