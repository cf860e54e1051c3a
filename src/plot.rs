//! Every drawing FA Lab makes, each a function generic over plotters'
//! `DrawingBackend`: the page passes a canvas backend, the CLI an SVG one.
//! Text layout needs a font: in the browser plotters measures with the
//! canvas, natively the SVG backend writes `<text>` elements.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::data::{N_CLASSES, SIDE, Split};
use crate::{Error, Result};

/// Colours shared by every figure, so a series keeps its colour across panels.
pub mod palette {
    use plotters::style::RGBColor;
    pub const TRAIN: RGBColor = RGBColor(0x2b, 0x6c, 0xb0);
    pub const TEST: RGBColor = RGBColor(0xe0, 0x7a, 0x1f);
    pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
}

fn plot_err<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> Error {
    Error::Plot(e.to_string())
}

/// Draws `indices` of `split` as a grid of upscaled digits, `cols` per row,
/// each with its label underneath (white strokes on black, as MNIST is stored).
pub fn draw_digit_grid<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    split: &Split,
    indices: &[usize],
    cols: usize,
) -> Result<()> {
    if cols == 0 {
        return Err(Error::InvalidParam("a digit grid needs at least one column".into()));
    }
    if let Some(&bad) = indices.iter().find(|&&i| i >= split.len()) {
        return Err(Error::InvalidParam(format!("digit index {bad} is past the {} images", split.len())));
    }
    area.fill(&WHITE).map_err(plot_err)?;
    let rows = indices.len().div_ceil(cols).max(1);
    let cells = area.split_evenly((rows, cols));
    for (cell, &idx) in cells.iter().zip(indices) {
        let (w, h) = cell.dim_in_pixel();
        let label_h = (h as f64 * 0.22).round() as i32;
        let side_px = (w as i32 - 4).min(h as i32 - label_h - 4).max(SIDE as i32);
        let scale = side_px as f64 / SIDE as f64;
        let x0 = (w as i32 - side_px) / 2;
        let y0 = 2;
        let image = split.image(idx);
        for (p, &v) in image.iter().enumerate() {
            let (r, c) = ((p / SIDE) as f64, (p % SIDE) as f64);
            let top_left = (x0 + (c * scale).round() as i32, y0 + (r * scale).round() as i32);
            let bottom_right = (x0 + ((c + 1.0) * scale).round() as i32, y0 + ((r + 1.0) * scale).round() as i32);
            cell.draw(&Rectangle::new([top_left, bottom_right], RGBColor(v, v, v).filled())).map_err(plot_err)?;
        }
        let font = ("sans-serif", (label_h as f64 * 0.9).max(10.0)).into_font().color(&palette::INK);
        let text = format!("{}", split.labels[idx]);
        let style = font.pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Top,
        ));
        cell.draw_text(&text, &style, (w as i32 / 2, y0 + side_px + 2)).map_err(plot_err)?;
    }
    area.present().map_err(plot_err)
}

/// Draws what a network says about test digits, one column each: the digit,
/// "says c" (green when right, red when wrong, the true label after it), and
/// per class the mean output over that class's code units — the bar of the
/// class read out is filled, the others outlined.
pub fn draw_predictions<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    split: &Split,
    predictions: &[crate::live::Prediction],
    cols: usize,
) -> Result<()> {
    if cols == 0 {
        return Err(Error::InvalidParam("a prediction grid needs at least one column".into()));
    }
    area.fill(&WHITE).map_err(plot_err)?;
    let rows = predictions.len().div_ceil(cols).max(1);
    let right = RGBColor(0x1a, 0x7f, 0x37);
    let wrong = RGBColor(0xb4, 0x23, 0x18);
    for (cell, p) in area.split_evenly((rows, cols)).iter().zip(predictions) {
        if p.index >= split.len() {
            return Err(Error::InvalidParam(format!("digit index {} is past the {} images", p.index, split.len())));
        }
        let (w, h) = cell.dim_in_pixel();
        let (w, h) = (w as i32, h as i32);
        // Top 45 %: the digit; then a line of text; the rest: ten bars.
        let side = ((h as f64 * 0.45) as i32).min(w - 8).max(SIDE as i32);
        let scale = side as f64 / SIDE as f64;
        let x0 = (w - side) / 2;
        for (i, &v) in split.image(p.index).iter().enumerate() {
            let (r, c) = ((i / SIDE) as f64, (i % SIDE) as f64);
            let a = (x0 + (c * scale).round() as i32, 2 + (r * scale).round() as i32);
            let b = (x0 + ((c + 1.0) * scale).round() as i32, 2 + ((r + 1.0) * scale).round() as i32);
            cell.draw(&Rectangle::new([a, b], RGBColor(v, v, v).filled())).map_err(plot_err)?;
        }
        let ok = p.predicted == p.label as usize;
        let colour = if ok { right } else { wrong };
        let text_h = ((w as f64 * 0.13).min(h as f64 * 0.09) as i32).max(10);
        let centre = plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Top,
        );
        let says = if ok { format!("says {}", p.predicted) } else { format!("says {} ({})", p.predicted, p.label) };
        let font = ("sans-serif", text_h as f64).into_font().color(&colour).pos(centre);
        cell.draw_text(&says, &font, (w / 2, side + 5)).map_err(plot_err)?;
        let bars_top = side + 8 + text_h;
        let digit_h = ((w as f64 * 0.09).min(h as f64 * 0.07) as i32).max(8);
        let bars_bottom = h - digit_h - 3;
        let n = p.code_match.len().max(1) as i32;
        let bar_w = ((w - 8) / n).max(2);
        let left = (w - bar_w * n) / 2;
        let small = ("sans-serif", digit_h as f64).into_font().color(&palette::INK).pos(centre);
        // The bars' full height is an output of 1 (every code unit on): a light box shows the scale.
        let scale_box = [(left, bars_top), (left + bar_w * n, bars_bottom)];
        cell.draw(&Rectangle::new(scale_box, RGBColor(0xf1, 0xf3, 0xf5).filled())).map_err(plot_err)?;
        for (c, &m) in p.code_match.iter().enumerate() {
            let x = left + c as i32 * bar_w;
            let height = ((bars_bottom - bars_top) as f64 * m.clamp(0.0, 1.0)).round() as i32;
            let bar = [(x + 1, bars_bottom - height), (x + bar_w - 1, bars_bottom)];
            let style = if c == p.predicted { colour.filled() } else { palette::TRAIN.stroke_width(1) };
            cell.draw(&Rectangle::new(bar, style)).map_err(plot_err)?;
            cell.draw_text(&c.to_string(), &small, (x + bar_w / 2, bars_bottom + 2)).map_err(plot_err)?;
        }
        let axis = [(left, bars_bottom), (left + bar_w * n, bars_bottom)];
        cell.draw(&PathElement::new(axis, palette::INK.stroke_width(1))).map_err(plot_err)?;
    }
    area.present().map_err(plot_err)
}

/// Draws the class histogram of the training and test splits side by side,
/// as the fraction of each split in each class.
pub fn draw_class_histogram<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    train: &Split,
    test: &Split,
) -> Result<()> {
    area.fill(&WHITE).map_err(plot_err)?;
    let frac = |s: &Split| -> Vec<f64> {
        let n = s.len().max(1) as f64;
        s.class_histogram().iter().map(|&c| c as f64 / n).collect()
    };
    let (tr, te) = (frac(train), frac(test));
    let y_max = tr.iter().chain(&te).cloned().fold(0.0, f64::max) * 1.4;
    let mut chart = ChartBuilder::on(area)
        .caption("Class histogram", ("sans-serif", 18))
        .margin(8)
        .x_label_area_size(34)
        .y_label_area_size(48)
        .build_cartesian_2d(-0.5f64..(N_CLASSES as f64 - 0.5), 0.0..y_max.max(0.01))
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(N_CLASSES)
        .x_label_formatter(&|x| format!("{}", x.round() as i64))
        .y_label_formatter(&|y| format!("{:.0}%", y * 100.0))
        .x_desc("digit")
        .y_desc("share of split")
        .draw()
        .map_err(plot_err)?;
    for (values, colour, offset, name) in
        [(&tr, palette::TRAIN, -0.2, "train (60,000)"), (&te, palette::TEST, 0.2, "test (10,000)")]
    {
        chart
            .draw_series(values.iter().enumerate().map(|(c, &v)| {
                let x = c as f64 + offset;
                Rectangle::new([(x - 0.18, 0.0), (x + 0.18, v)], colour.filled())
            }))
            .map_err(plot_err)?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(plot_err)?;
    area.present().map_err(plot_err)
}

// ---------------------------------------------------------------------------
// Experiment figures (docs/math.md §7; data from `crate::experiments`)
//
// A panel's `FigureData` carries its title, axis labels, log flag and series,
// so two drawers cover every panel of every figure: lines with ±1 sd bands
// ([`draw_line_panel`]) and the PCA landscape ([`draw_pca_panel`]).
// [`draw_figure`] picks one by panel key; the page and the CLI call only it.

use crate::experiments::{FigureData, Panel, PcaData};

/// Series colours, indexed by `Series::colour` (layer index or condition index).
const SERIES_COLOURS: [RGBColor; 8] = [
    palette::TRAIN,
    palette::TEST,
    RGBColor(0x2e, 0x8b, 0x57),
    RGBColor(0xc0, 0x39, 0x2b),
    RGBColor(0x7d, 0x3c, 0x98),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xd6, 0x4f, 0x9a),
    RGBColor(0x5f, 0x6b, 0x6d),
];

/// The colour of series colour index `i` (cycles through eight).
pub fn series_colour(i: usize) -> RGBColor {
    SERIES_COLOURS[i % SERIES_COLOURS.len()]
}

/// Draws panel `panel_key` of `fig` (e.g. `"b"`, `"e"`, `"accuracy"`), with a
/// footnote saying how many runs it averages and which failed.
pub fn draw_figure<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, fig: &FigureData, panel_key: &str) -> Result<()> {
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
        draw_pca_panel(area, panel, &note)
    } else {
        draw_line_panel(area, panel, &note)
    }
}

/// One condition's failed runs as a footnote says it.
fn failure_text(f: &crate::experiments::FailureCount) -> String {
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

/// A footnote's lines, each wrapped at spaces to what fits in `width` pixels
/// (11 px sans-serif, about 6 px a character).
fn note_lines(note: &str, width: u32) -> Vec<String> {
    let fits = ((width.saturating_sub(16)) / 6).max(20) as usize;
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
fn split_foot<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    note: &str,
) -> (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>) {
    let (width, height) = area.dim_in_pixel();
    let lines = note_lines(note, width).len().max(1) as u32;
    area.split_vertically(height.saturating_sub(2 + 14 * lines))
}

fn draw_note<DB: DrawingBackend>(foot: &DrawingArea<DB, Shift>, note: &str) -> Result<()> {
    for (i, line) in note_lines(note, foot.dim_in_pixel().0).iter().enumerate() {
        let (text, style) = small_text(line);
        foot.draw_text(&text, &style, (8, 2 + 14 * i as i32)).map_err(plot_err)?;
    }
    Ok(())
}

/// Every panel of `fig` in a grid of `cols` columns.
pub fn draw_figure_grid<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    fig: &FigureData,
    cols: usize,
) -> Result<()> {
    let cols = cols.max(1);
    let rows = fig.panels.len().div_ceil(cols).max(1);
    area.fill(&WHITE).map_err(plot_err)?;
    for (cell, panel) in area.split_evenly((rows, cols)).iter().zip(&fig.panels) {
        draw_figure(cell, fig, &panel.key)?;
    }
    Ok(())
}

fn small_text(area_note: &str) -> (String, TextStyle<'static>) {
    (area_note.to_string(), ("sans-serif", 11).into_font().color(&palette::INK))
}

fn draw_waiting<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, panel: &Panel, note: &str) -> Result<()> {
    let title = ("sans-serif", 15).into_font().color(&palette::INK);
    area.draw_text(&panel.title, &title, (10, 8)).map_err(plot_err)?;
    let (_, h) = area.dim_in_pixel();
    for (i, line) in note.lines().enumerate() {
        let (text, style) = small_text(line);
        area.draw_text(&text, &style, (10, h as i32 / 2 + 14 * i as i32)).map_err(plot_err)?;
    }
    area.present().map_err(plot_err)
}

/// Mean lines with ±1 sd bands, one per series, legend, labelled axes; a log-10
/// y axis when `panel.log_y` (values are drawn as `log10`, ticks labelled in the
/// original units).
pub fn draw_line_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, panel: &Panel, note: &str) -> Result<()> {
    area.fill(&WHITE).map_err(plot_err)?;
    let series: Vec<_> = panel.series.iter().filter(|s| !s.x.is_empty()).collect();
    if series.is_empty() {
        return draw_waiting(area, panel, note);
    }
    let log = panel.log_y;
    let ty = |y: f64| if log { y.max(1e-12).log10() } else { y };
    // Each series as (x, t(mean), t(mean − sd), t(mean + sd)).
    let lines: Vec<Vec<(f64, f64, f64, f64)>> = series
        .iter()
        .map(|s| {
            (0..s.x.len())
                .filter(|&i| s.x[i].is_finite() && s.mean[i].is_finite() && s.sd[i].is_finite())
                .map(|i| {
                    let (m, sd) = (s.mean[i], s.sd[i]);
                    let lo = if log { (m - sd).max(m / 10.0) } else { m - sd };
                    (s.x[i], ty(m), ty(lo), ty(m + sd))
                })
                .collect()
        })
        .collect();
    let all = lines.iter().flatten();
    let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for &(x, _, lo, hi) in all {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(lo);
        y1 = y1.max(hi);
    }
    if !(x0.is_finite() && y0.is_finite()) {
        return draw_waiting(area, panel, note);
    }
    if x1 <= x0 {
        (x0, x1) = (x0 - 0.5, x1 + 0.5);
    }
    let pad = ((y1 - y0) * 0.06).max(if log { 0.05 } else { 1e-6_f64.max(y1.abs() * 0.01) });
    let (y0, y1) = (y0 - pad, y1 + pad);
    let (body, foot) = split_foot(area, note);
    let mut chart = ChartBuilder::on(&body)
        .caption(&panel.title, ("sans-serif", 15))
        .margin(8)
        .x_label_area_size(38)
        .y_label_area_size(58)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(plot_err)?;
    let y_desc = if log { format!("{} (log scale)", panel.y_label) } else { panel.y_label.clone() };
    let log_fmt = |v: &f64| {
        let y = 10f64.powf(*v);
        if (1e-3..1e5).contains(&y) {
            // Three significant digits: 1318, 52.4, 0.0523.
            let decimals = (2 - y.log10().floor() as i32).max(0) as usize;
            format!("{y:.decimals$}")
        } else {
            format!("{y:.1e}")
        }
    };
    let lin_fmt = |v: &f64| {
        let a = v.abs();
        if a != 0.0 && !(1e-3..1e5).contains(&a) {
            format!("{v:.1e}")
        } else {
            format!("{}", (v * 1000.0).round() / 1000.0)
        }
    };
    let x_fmt = |v: &f64| {
        let a = v.abs();
        if a >= 1e5 { format!("{v:.1e}") } else { format!("{}", (v * 100.0).round() / 100.0) }
    };
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(&panel.x_label).y_desc(&y_desc).x_label_formatter(&x_fmt).light_line_style(WHITE.mix(0.0));
    if log {
        mesh.y_label_formatter(&log_fmt);
    } else {
        mesh.y_label_formatter(&lin_fmt);
    }
    mesh.draw().map_err(plot_err)?;
    for (s, pts) in series.iter().zip(&lines) {
        let colour = series_colour(s.colour);
        if pts.iter().any(|p| p.3 > p.2) && pts.len() > 1 {
            let mut band: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.3)).collect();
            band.extend(pts.iter().rev().map(|p| (p.0, p.2)));
            chart.draw_series(std::iter::once(Polygon::new(band, colour.mix(0.15).filled()))).map_err(plot_err)?;
        } else if pts.len() == 1 || panel.markers {
            // Error bars where a band cannot show (single points).
            chart
                .draw_series(
                    pts.iter()
                        .filter(|p| p.3 > p.2)
                        .map(|p| PathElement::new(vec![(p.0, p.2), (p.0, p.3)], colour.mix(0.6))),
                )
                .map_err(plot_err)?;
        }
        let line: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.1)).collect();
        let style = colour.stroke_width(2);
        let drawn = if s.dashed {
            chart.draw_series(DashedLineSeries::new(line.clone(), 6, 4, style)).map_err(plot_err)?
        } else {
            chart.draw_series(LineSeries::new(line.clone(), style)).map_err(plot_err)?
        };
        drawn.label(&s.label).legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2)));
        if panel.markers || line.len() <= 12 {
            chart.draw_series(line.iter().map(|&p| Circle::new(p, 2, colour.filled()))).map_err(plot_err)?;
        }
    }
    draw_legend(&mut chart)?;
    draw_note(&foot, note)?;
    area.present().map_err(plot_err)
}

fn draw_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
) -> Result<()> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 11))
        .background_style(WHITE.mix(0.85))
        .border_style(palette::INK.mix(0.5))
        .draw()
        .map_err(plot_err)
}

/// Maps `t ∈ [0, 1]` to a dark-blue → teal → yellow ramp (low loss dark).
fn heat_colour(t: f64) -> RGBColor {
    const STOPS: [(f64, [f64; 3]); 4] = [
        (0.0, [38.0, 24.0, 96.0]),
        (0.35, [33.0, 120.0, 142.0]),
        (0.7, [94.0, 201.0, 98.0]),
        (1.0, [250.0, 231.0, 35.0]),
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 1.0 };
    let i = STOPS.iter().rposition(|s| s.0 <= t).unwrap_or(0).min(STOPS.len() - 2);
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let f = (t - a.0) / (b.0 - a.0);
    let c = |k: usize| (a.1[k] + f * (b.1[k] - a.1[k])).round() as u8;
    RGBColor(c(0), c(1), c(2))
}

/// The loss over the plane of the top two principal components as a filled
/// heat map (log-scaled colour), with BP's and FA's paths, ● at the start and
/// ■ at the end of each.
pub fn draw_pca_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, panel: &Panel, note: &str) -> Result<()> {
    area.fill(&WHITE).map_err(plot_err)?;
    let Some(pca) = &panel.pca else {
        return draw_waiting(area, panel, note);
    };
    let PcaData { a, b, loss, paths, explained } = pca;
    if a.len() < 2 || b.len() < 2 || loss.len() != a.len() * b.len() {
        return Err(Error::InvalidParam(format!("PCA grid {}×{} with {} loss values", a.len(), b.len(), loss.len())));
    }
    let finite: Vec<f64> = loss.iter().copied().filter(|v| v.is_finite() && *v > 0.0).collect();
    let lmin = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let lmax = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = (lmin.max(1e-12).ln(), lmax.max(1e-12).ln());
    let (da, db) = ((a[1] - a[0]) / 2.0, (b[1] - b[0]) / 2.0);
    let note = format!(
        "{note}\n● start, ■ end; colour: training loss per sample, log scale {lmin:.3} (dark) … {lmax:.3} (yellow)"
    );
    let (body, foot) = split_foot(area, &note);
    let pc = |i: usize| explained.get(i).map(|v| format!(" ({:.0}% of variance)", 100.0 * v)).unwrap_or_default();
    let (x_desc, y_desc) = (format!("{}{}", panel.x_label, pc(0)), format!("{}{}", panel.y_label, pc(1)));
    let mut chart = ChartBuilder::on(&body)
        .caption(&panel.title, ("sans-serif", 15))
        .margin(8)
        .x_label_area_size(38)
        .y_label_area_size(58)
        .build_cartesian_2d((a[0] - da)..(a[a.len() - 1] + da), (b[0] - db)..(b[b.len() - 1] + db))
        .map_err(plot_err)?;
    chart.configure_mesh().disable_mesh().x_desc(&x_desc).y_desc(&y_desc).draw().map_err(plot_err)?;
    let cells = (0..b.len()).flat_map(|j| (0..a.len()).map(move |i| (i, j))).map(|(i, j)| {
        let v = loss[j * a.len() + i];
        let t = if hi > lo { (v.max(1e-12).ln() - lo) / (hi - lo) } else { 0.5 };
        Rectangle::new([(a[i] - da, b[j] - db), (a[i] + da, b[j] + db)], heat_colour(t).filled())
    });
    chart.draw_series(cells).map_err(plot_err)?;
    let path_colours = [RGBColor(255, 255, 255), RGBColor(255, 80, 60), RGBColor(255, 170, 0)];
    for (k, path) in paths.iter().enumerate() {
        let colour = path_colours[k % path_colours.len()];
        let pts: Vec<(f64, f64)> = path.points.iter().copied().filter(|p| p.0.is_finite() && p.1.is_finite()).collect();
        if pts.is_empty() {
            continue;
        }
        chart
            .draw_series(LineSeries::new(pts.clone(), colour.stroke_width(2)))
            .map_err(plot_err)?
            .label(&path.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(3)));
        let (first, last) = (pts[0], pts[pts.len() - 1]);
        chart.draw_series(std::iter::once(Circle::new(first, 5, colour.filled()))).map_err(plot_err)?;
        chart
            .draw_series(std::iter::once(EmptyElement::at(last) + Rectangle::new([(-5, -5), (5, 5)], colour.filled())))
            .map_err(plot_err)?;
    }
    draw_legend(&mut chart)?;
    draw_note(&foot, &note)?;
    area.present().map_err(plot_err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::N_PIXELS;

    fn split() -> Split {
        Split::new((0..4 * N_PIXELS).map(|i| (i % 256) as u8).collect(), vec![3, 1, 4, 1])
    }

    #[test]
    fn svg_digit_grid_shows_every_label_and_pixel() {
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (200, 120)).into_drawing_area();
            draw_digit_grid(&area, &split(), &[0, 2, 3], 3).unwrap();
        }
        // One text element per digit, carrying its label, in order.
        let labels: Vec<&str> = svg
            .split("<text")
            .skip(1)
            .map(|t| t.split('>').nth(1).unwrap().split('<').next().unwrap().trim())
            .collect();
        assert_eq!(labels, ["3", "4", "1"]);
        assert_eq!(svg.matches("<rect").count(), 1 + 3 * N_PIXELS);
    }

    #[test]
    fn bad_grid_arguments_are_errors_not_panics() {
        let mut svg = String::new();
        let area = SVGBackend::with_string(&mut svg, (100, 100)).into_drawing_area();
        assert!(matches!(draw_digit_grid(&area, &split(), &[9], 3), Err(Error::InvalidParam(_))));
        assert!(matches!(draw_digit_grid(&area, &split(), &[0], 0), Err(Error::InvalidParam(_))));
    }

    #[test]
    fn svg_histogram_draws_two_bars_per_class() {
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (400, 300)).into_drawing_area();
            draw_class_histogram(&area, &split(), &split()).unwrap();
        }
        assert!(svg.contains("train (60,000)") && svg.contains("Class histogram"));
        // Classes absent from the split draw zero-height bars, still 20 in all.
        assert!(svg.matches("<rect").count() >= 2 * N_CLASSES);
    }
    #[test]
    fn svg_predictions_say_the_class_and_mark_mistakes() {
        let said = |index: usize, label: u8, predicted: usize| crate::live::Prediction {
            index,
            label,
            predicted,
            code_match: (0..N_CLASSES).map(|c| if c == predicted { 0.9 } else { 0.1 }).collect(),
            outputs: vec![0.0; 50],
        };
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (400, 200)).into_drawing_area();
            draw_predictions(&area, &split(), &[said(0, 3, 3), said(2, 4, 7)], 2).unwrap();
        }
        assert!(svg.contains("says 3<") || svg.contains("says 3\n"), "a right answer: the class only");
        assert!(svg.contains("says 7 (4)"), "a wrong answer names the true label");
        // The background, then per digit its pixels, the scale box and ten bars.
        assert!(svg.matches("<rect").count() >= 2 * (N_PIXELS + 1 + N_CLASSES));
        let mut svg = String::new();
        let area = SVGBackend::with_string(&mut svg, (100, 100)).into_drawing_area();
        assert!(matches!(draw_predictions(&area, &split(), &[said(9, 1, 1)], 1), Err(Error::InvalidParam(_))));
    }
}
