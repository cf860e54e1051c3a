//! Every drawing FA Lab makes, each a function generic over plotters'
//! `DrawingBackend`: the page passes a canvas backend, the CLI an SVG one.
//! Text layout needs a font: in the browser plotters measures with the
//! canvas, natively the SVG backend writes `<text>` elements.
//!
//! A [`Style`] says how: light or dark colours (the page follows the
//! system's), and a scale from layout pixels to the backend's pixels, so a
//! canvas whose backing store is `devicePixelRatio` times its CSS size is
//! drawn sharp with text and lines of the same apparent size.

use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{N_CLASSES, SIDE, Split};
use crate::{Error, Result};

/// Light or dark: the colours of the page the drawing sits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    Light,
    Dark,
}

impl std::str::FromStr for Theme {
    type Err = Error;
    fn from_str(s: &str) -> Result<Theme> {
        match s {
            "light" => Ok(Theme::Light),
            "dark" => Ok(Theme::Dark),
            _ => Err(Error::InvalidParam(format!("theme must be \"light\" or \"dark\", got {s:?}"))),
        }
    }
}

/// How to draw: a theme, and backend pixels per layout pixel (the page's `devicePixelRatio`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    pub theme: Theme,
    pub scale: f64,
}

impl Style {
    /// Light, one backend pixel per layout pixel (the CLI's SVGs).
    pub const LIGHT: Style = Style { theme: Theme::Light, scale: 1.0 };

    /// A checked style: `scale` must lie in 0.25 ..= 8.
    pub fn new(theme: Theme, scale: f64) -> Result<Style> {
        if !(0.25..=8.0).contains(&scale) {
            return Err(Error::InvalidParam(format!("the drawing scale must be between 0.25 and 8, got {scale}")));
        }
        Ok(Style { theme, scale })
    }

    /// `v` layout pixels in backend pixels.
    pub fn px(&self, v: f64) -> i32 {
        (v * self.scale).round() as i32
    }

    fn upx(&self, v: f64) -> u32 {
        self.px(v).max(1) as u32
    }

    /// The theme's colours.
    pub fn colours(&self) -> &'static Colours {
        match self.theme {
            Theme::Light => &LIGHT,
            Theme::Dark => &DARK,
        }
    }

    fn font(&self, size: f64) -> TextStyle<'static> {
        ("sans-serif", size * self.scale).into_font().color(&self.colours().ink)
    }
}

/// A theme's colours. Series colours are the Okabe–Ito palette (told apart
/// with any of the common colour-vision deficiencies), ordered and adjusted
/// so that each keeps contrast with the background.
#[derive(Debug)]
pub struct Colours {
    pub background: RGBColor,
    pub ink: RGBColor,
    pub muted: RGBColor,
    /// A faint fill behind bars (the full scale of a prediction's outputs).
    pub faint: RGBColor,
    /// A right and a wrong answer.
    pub right: RGBColor,
    pub wrong: RGBColor,
    pub series: [RGBColor; 8],
}

const LIGHT: Colours = Colours {
    background: RGBColor(0xff, 0xff, 0xff),
    ink: RGBColor(0x22, 0x22, 0x22),
    muted: RGBColor(0x5b, 0x64, 0x70),
    faint: RGBColor(0xf1, 0xf3, 0xf5),
    right: RGBColor(0x1a, 0x7f, 0x37),
    wrong: RGBColor(0xb4, 0x23, 0x18),
    series: [
        RGBColor(0x00, 0x72, 0xb2), // blue
        RGBColor(0xd5, 0x5e, 0x00), // vermillion
        RGBColor(0x00, 0x9e, 0x73), // bluish green
        RGBColor(0xcc, 0x79, 0xa7), // reddish purple
        RGBColor(0xe6, 0x9f, 0x00), // orange
        RGBColor(0x56, 0xb4, 0xe9), // sky blue
        RGBColor(0x22, 0x22, 0x22), // black
        RGBColor(0x88, 0x88, 0x88), // grey
    ],
};

const DARK: Colours = Colours {
    background: RGBColor(0x1c, 0x1f, 0x24),
    ink: RGBColor(0xe6, 0xe8, 0xeb),
    muted: RGBColor(0xa9, 0xb1, 0xbb),
    faint: RGBColor(0x2c, 0x31, 0x38),
    right: RGBColor(0x4a, 0xc2, 0x6b),
    wrong: RGBColor(0xff, 0x85, 0x7a),
    series: [
        RGBColor(0x56, 0xb4, 0xe9), // sky blue
        RGBColor(0xe6, 0x9f, 0x00), // orange
        RGBColor(0x00, 0xb8, 0x86), // bluish green, lightened
        RGBColor(0xdd, 0x94, 0xbe), // reddish purple, lightened
        RGBColor(0xf0, 0xe4, 0x42), // yellow
        RGBColor(0xff, 0x7f, 0x2a), // vermillion, lightened
        RGBColor(0xee, 0xee, 0xee), // white
        RGBColor(0x9a, 0xa0, 0xa6), // grey
    ],
};

/// How a line is stroked: solid or dashes of `(dash, gap)` layout pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stroke {
    Solid,
    Dashed(f64, f64),
}

/// Dash patterns by series colour index, so lines differ in more than colour
/// (used where a panel does not already use dashes to mean something).
const STROKES: [Stroke; 5] = [
    Stroke::Solid,
    Stroke::Dashed(9.0, 4.0),
    Stroke::Dashed(2.0, 3.0),
    Stroke::Dashed(16.0, 4.0),
    Stroke::Dashed(5.0, 5.0),
];

/// The stroke of series colour index `i` in a panel whose series carry no dash meaning.
pub fn series_stroke(i: usize) -> Stroke {
    STROKES[i % STROKES.len()]
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
    style: &Style,
) -> Result<()> {
    if cols == 0 {
        return Err(Error::InvalidParam("a digit grid needs at least one column".into()));
    }
    if let Some(&bad) = indices.iter().find(|&&i| i >= split.len()) {
        return Err(Error::InvalidParam(format!("digit index {bad} is past the {} images", split.len())));
    }
    area.fill(&style.colours().background).map_err(plot_err)?;
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
        let font =
            ("sans-serif", (label_h as f64 * 0.9).max(10.0 * style.scale)).into_font().color(&style.colours().ink);
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
    style: &Style,
) -> Result<()> {
    if cols == 0 {
        return Err(Error::InvalidParam("a prediction grid needs at least one column".into()));
    }
    let colours = style.colours();
    area.fill(&colours.background).map_err(plot_err)?;
    let rows = predictions.len().div_ceil(cols).max(1);
    let line = style.upx(1.0);
    for (cell, p) in area.split_evenly((rows, cols)).iter().zip(predictions) {
        if p.index >= split.len() {
            return Err(Error::InvalidParam(format!("digit index {} is past the {} images", p.index, split.len())));
        }
        let (w, h) = cell.dim_in_pixel();
        let (w, h) = (w as i32, h as i32);
        // Top 45 %: the digit; then a line of text; the rest: ten bars.
        let side = ((h as f64 * 0.45) as i32).min(w - style.px(8.0)).max(SIDE as i32);
        let scale = side as f64 / SIDE as f64;
        let x0 = (w - side) / 2;
        let y0 = style.px(2.0);
        for (i, &v) in split.image(p.index).iter().enumerate() {
            let (r, c) = ((i / SIDE) as f64, (i % SIDE) as f64);
            let a = (x0 + (c * scale).round() as i32, y0 + (r * scale).round() as i32);
            let b = (x0 + ((c + 1.0) * scale).round() as i32, y0 + ((r + 1.0) * scale).round() as i32);
            cell.draw(&Rectangle::new([a, b], RGBColor(v, v, v).filled())).map_err(plot_err)?;
        }
        let ok = p.predicted == p.label as usize;
        let colour = if ok { colours.right } else { colours.wrong };
        let text_h = ((w as f64 * 0.13).min(h as f64 * 0.09) as i32).max(style.px(10.0));
        let centre = plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Top,
        );
        let says = if ok { format!("says {}", p.predicted) } else { format!("says {} ({})", p.predicted, p.label) };
        let font = ("sans-serif", text_h as f64).into_font().color(&colour).pos(centre);
        cell.draw_text(&says, &font, (w / 2, y0 + side + style.px(3.0))).map_err(plot_err)?;
        let bars_top = y0 + side + style.px(6.0) + text_h;
        let digit_h = ((w as f64 * 0.09).min(h as f64 * 0.07) as i32).max(style.px(8.0));
        let bars_bottom = h - digit_h - style.px(3.0);
        let n = p.code_match.len().max(1) as i32;
        let bar_w = ((w - style.px(8.0)) / n).max(2);
        let left = (w - bar_w * n) / 2;
        let small = ("sans-serif", digit_h as f64).into_font().color(&colours.ink).pos(centre);
        // The bars' full height is an output of 1 (every code unit on): a faint box shows the scale.
        let scale_box = [(left, bars_top), (left + bar_w * n, bars_bottom)];
        cell.draw(&Rectangle::new(scale_box, colours.faint.filled())).map_err(plot_err)?;
        for (c, &m) in p.code_match.iter().enumerate() {
            let x = left + c as i32 * bar_w;
            let height = ((bars_bottom - bars_top) as f64 * m.clamp(0.0, 1.0)).round() as i32;
            let bar = [(x + 1, bars_bottom - height), (x + bar_w - 1, bars_bottom)];
            let shape = if c == p.predicted { colour.filled() } else { colours.series[0].stroke_width(line) };
            cell.draw(&Rectangle::new(bar, shape)).map_err(plot_err)?;
            cell.draw_text(&c.to_string(), &small, (x + bar_w / 2, bars_bottom + style.px(2.0))).map_err(plot_err)?;
        }
        let axis = [(left, bars_bottom), (left + bar_w * n, bars_bottom)];
        cell.draw(&PathElement::new(axis, colours.ink.stroke_width(line))).map_err(plot_err)?;
    }
    area.present().map_err(plot_err)
}

/// Draws the class histogram of the training and test splits side by side,
/// as the fraction of each split in each class.
pub fn draw_class_histogram<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    train: &Split,
    test: &Split,
    style: &Style,
) -> Result<()> {
    let colours = style.colours();
    area.fill(&colours.background).map_err(plot_err)?;
    let frac = |s: &Split| -> Vec<f64> {
        let n = s.len().max(1) as f64;
        s.class_histogram().iter().map(|&c| c as f64 / n).collect()
    };
    let (tr, te) = (frac(train), frac(test));
    let y_max = tr.iter().chain(&te).cloned().fold(0.0, f64::max) * 1.4;
    let mut chart = ChartBuilder::on(area)
        .caption("Class histogram", style.font(18.0))
        .margin(style.px(8.0))
        .margin_right(style.px(18.0))
        .x_label_area_size(style.px(34.0))
        .y_label_area_size(style.px(48.0))
        .build_cartesian_2d(-0.5f64..(N_CLASSES as f64 - 0.5), 0.0..y_max.max(0.01))
        .map_err(plot_err)?;
    let mut mesh = chart.configure_mesh();
    themed_mesh(&mut mesh, style, area.dim_in_pixel());
    mesh.disable_x_mesh()
        .x_labels(N_CLASSES)
        .x_label_formatter(&|x| format!("{}", x.round() as i64))
        .y_label_formatter(&|y| format!("{:.0}%", y * 100.0))
        .x_desc("digit")
        .y_desc("share of split")
        .draw()
        .map_err(plot_err)?;
    for (values, colour, offset, name) in
        [(&tr, colours.series[0], -0.2, "train (60,000)"), (&te, colours.series[1], 0.2, "test (10,000)")]
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
    draw_legend(&mut chart, style)?;
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

/// The colour of series colour index `i` (layer or condition; cycles through eight).
pub fn series_colour(i: usize, style: &Style) -> RGBColor {
    let series = &style.colours().series;
    series[i % series.len()]
}

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

/// A footnote's lines, each wrapped at spaces to what fits in `width` pixels
/// (11 px sans-serif, about 6 px a character at the style's scale).
fn note_lines(note: &str, width: u32, style: &Style) -> Vec<String> {
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
fn split_foot<DB: DrawingBackend>(
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
fn draw_note<DB: DrawingBackend>(foot: &DrawingArea<DB, Shift>, note: &str, style: &Style) -> Result<()> {
    let font = ("sans-serif", 11.0 * style.scale).into_font().color(&style.colours().muted);
    for (i, line) in note_lines(note, foot.dim_in_pixel().0, style).iter().enumerate() {
        foot.draw_text(line, &font, (style.px(8.0), style.px(2.0 + 14.0 * i as f64))).map_err(plot_err)?;
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
    area.fill(&Style::LIGHT.colours().background).map_err(plot_err)?;
    for (cell, panel) in area.split_evenly((rows, cols)).iter().zip(&fig.panels) {
        draw_figure(cell, fig, &panel.key)?;
    }
    Ok(())
}

/// A panel title's font: 15 px, smaller when the title would not fit `width`
/// (backend pixels) — about 0.55 em a character in a sans-serif face.
fn caption_font(title: &str, width: u32, style: &Style) -> TextStyle<'static> {
    let fits = (width as f64 / style.scale - 16.0) / (0.55 * title.chars().count().max(1) as f64);
    style.font(fits.clamp(10.0, 15.0))
}

fn draw_waiting<DB: DrawingBackend>(
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
fn themed_mesh<DB: DrawingBackend, X: Ranged, Y: Ranged>(
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

/// Mean lines with ±1 sd bands, one per series, legend, labelled axes; a log-10
/// y axis when `panel.log_y` (values are drawn as `log10`, ticks labelled in the
/// original units).
pub fn draw_line_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    note: &str,
    style: &Style,
) -> Result<()> {
    area.fill(&style.colours().background).map_err(plot_err)?;
    let series: Vec<_> = panel.series.iter().filter(|s| !s.x.is_empty()).collect();
    if series.is_empty() {
        return draw_waiting(area, panel, note, style);
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
        return draw_waiting(area, panel, note, style);
    }
    if x1 <= x0 {
        (x0, x1) = (x0 - 0.5, x1 + 0.5);
    }
    let pad = ((y1 - y0) * 0.06).max(if log { 0.05 } else { 1e-6_f64.max(y1.abs() * 0.01) });
    let (y0, y1) = (y0 - pad, y1 + pad);
    let (body, foot) = split_foot(area, note, style);
    let mut chart = ChartBuilder::on(&body)
        .caption(&panel.title, caption_font(&panel.title, area.dim_in_pixel().0, style))
        .margin(style.px(8.0))
        .margin_right(style.px(18.0))
        .x_label_area_size(style.px(38.0))
        .y_label_area_size(style.px(58.0))
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
    themed_mesh(&mut mesh, style, area.dim_in_pixel());
    mesh.x_desc(&panel.x_label).y_desc(&y_desc).x_label_formatter(&x_fmt);
    if log {
        mesh.y_label_formatter(&log_fmt);
    } else {
        mesh.y_label_formatter(&lin_fmt);
    }
    mesh.draw().map_err(plot_err)?;
    // Dashes tell the series apart beyond colour, unless the panel already uses them for a meaning.
    let dashes_mean_something = series.iter().any(|s| s.dashed);
    for (s, pts) in series.iter().zip(&lines) {
        let colour = series_colour(s.colour, style);
        let stroke = match (dashes_mean_something, s.dashed) {
            (true, true) => Stroke::Dashed(6.0, 4.0),
            (true, false) => Stroke::Solid,
            (false, _) => series_stroke(s.colour),
        };
        if pts.iter().any(|p| p.3 > p.2) && pts.len() > 1 {
            let mut band: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.3)).collect();
            band.extend(pts.iter().rev().map(|p| (p.0, p.2)));
            chart.draw_series(std::iter::once(Polygon::new(band, colour.mix(0.15).filled()))).map_err(plot_err)?;
        } else if pts.len() == 1 || panel.markers {
            // Error bars where a band cannot show (single points).
            chart
                .draw_series(pts.iter().filter(|p| p.3 > p.2).map(|p| {
                    PathElement::new(vec![(p.0, p.2), (p.0, p.3)], colour.mix(0.6).stroke_width(style.upx(1.0)))
                }))
                .map_err(plot_err)?;
        }
        let line: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.1)).collect();
        let pen = colour.stroke_width(style.upx(2.0));
        let drawn = match stroke {
            Stroke::Dashed(dash, gap) => chart
                .draw_series(DashedLineSeries::new(line.clone(), style.px(dash), style.px(gap), pen))
                .map_err(plot_err)?,
            Stroke::Solid => chart.draw_series(LineSeries::new(line.clone(), pen)).map_err(plot_err)?,
        };
        let legend_w = style.px(24.0);
        let (dash, gap) = legend_dashes(stroke, legend_w, style);
        drawn.label(&s.label).legend(move |(x, y)| {
            EmptyElement::at((x, y))
                + plotters::element::DashedPathElement::new(vec![(0, 0), (legend_w, 0)], dash, gap, pen)
        });
        if panel.markers || line.len() <= 12 {
            let r = style.upx(2.5);
            chart.draw_series(line.iter().map(|&p| Circle::new(p, r, colour.filled()))).map_err(plot_err)?;
        }
    }
    draw_legend(&mut chart, style)?;
    draw_note(&foot, note, style)?;
    area.present().map_err(plot_err)
}

/// The dash and gap, in backend pixels, of a legend's `width`-long sample of a stroke (one dash when solid).
fn legend_dashes(stroke: Stroke, width: i32, style: &Style) -> (i32, i32) {
    match stroke {
        Stroke::Solid => (width, 1),
        Stroke::Dashed(dash, gap) => (style.px(dash).max(1), style.px(gap).max(1)),
    }
}

fn draw_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    style: &Style,
) -> Result<()> {
    let colours = style.colours();
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(style.font(11.0))
        .legend_area_size(style.px(30.0))
        .margin(style.px(10.0))
        .background_style(colours.background.mix(0.85))
        .border_style(colours.muted.mix(0.5))
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
pub fn draw_pca_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    note: &str,
    style: &Style,
) -> Result<()> {
    area.fill(&style.colours().background).map_err(plot_err)?;
    let Some(pca) = &panel.pca else {
        return draw_waiting(area, panel, note, style);
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
    let (body, foot) = split_foot(area, &note, style);
    let pc = |i: usize| explained.get(i).map(|v| format!(" ({:.0}% of variance)", 100.0 * v)).unwrap_or_default();
    let (x_desc, y_desc) = (format!("{}{}", panel.x_label, pc(0)), format!("{}{}", panel.y_label, pc(1)));
    let mut chart = ChartBuilder::on(&body)
        .caption(&panel.title, caption_font(&panel.title, area.dim_in_pixel().0, style))
        .margin(style.px(8.0))
        .margin_right(style.px(18.0))
        .x_label_area_size(style.px(38.0))
        .y_label_area_size(style.px(58.0))
        .build_cartesian_2d((a[0] - da)..(a[a.len() - 1] + da), (b[0] - db)..(b[b.len() - 1] + db))
        .map_err(plot_err)?;
    let mut mesh = chart.configure_mesh();
    themed_mesh(&mut mesh, style, area.dim_in_pixel());
    mesh.disable_mesh().x_desc(&x_desc).y_desc(&y_desc).draw().map_err(plot_err)?;
    let cells = (0..b.len()).flat_map(|j| (0..a.len()).map(move |i| (i, j))).map(|(i, j)| {
        let v = loss[j * a.len() + i];
        let t = if hi > lo { (v.max(1e-12).ln() - lo) / (hi - lo) } else { 0.5 };
        Rectangle::new([(a[i] - da, b[j] - db), (a[i] + da, b[j] + db)], heat_colour(t).filled())
    });
    chart.draw_series(cells).map_err(plot_err)?;
    let path_colours = [RGBColor(255, 255, 255), RGBColor(255, 80, 60), RGBColor(255, 170, 0)];
    let (legend_w, legend_pen) = (style.px(16.0), style.upx(3.0));
    for (k, path) in paths.iter().enumerate() {
        let colour = path_colours[k % path_colours.len()];
        let pts: Vec<(f64, f64)> = path.points.iter().copied().filter(|p| p.0.is_finite() && p.1.is_finite()).collect();
        if pts.is_empty() {
            continue;
        }
        chart
            .draw_series(LineSeries::new(pts.clone(), colour.stroke_width(style.upx(2.0))))
            .map_err(plot_err)?
            .label(&path.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + legend_w, y)], colour.stroke_width(legend_pen)));
        let (first, last) = (pts[0], pts[pts.len() - 1]);
        let r = style.px(5.0);
        chart.draw_series(std::iter::once(Circle::new(first, r as u32, colour.filled()))).map_err(plot_err)?;
        chart
            .draw_series(std::iter::once(EmptyElement::at(last) + Rectangle::new([(-r, -r), (r, r)], colour.filled())))
            .map_err(plot_err)?;
    }
    draw_legend(&mut chart, style)?;
    draw_note(&foot, &note, style)?;
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
            draw_digit_grid(&area, &split(), &[0, 2, 3], 3, &Style::LIGHT).unwrap();
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
        assert!(matches!(draw_digit_grid(&area, &split(), &[9], 3, &Style::LIGHT), Err(Error::InvalidParam(_))));
        assert!(matches!(draw_digit_grid(&area, &split(), &[0], 0, &Style::LIGHT), Err(Error::InvalidParam(_))));
    }

    #[test]
    fn dark_style_fills_dark_and_scale_doubles_text_and_lines() {
        let draw = |style: Style, size: (u32, u32)| {
            let mut svg = String::new();
            {
                let area = SVGBackend::with_string(&mut svg, size).into_drawing_area();
                draw_class_histogram(&area, &split(), &split(), &style).unwrap();
            }
            svg
        };
        let first_font = |svg: &str| -> f64 {
            svg.split("font-size=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap()
        };
        let light = draw(Style::LIGHT, (400, 300));
        let dark = draw(Style::new(Theme::Dark, 2.0).unwrap(), (800, 600));
        assert!(light.contains("fill=\"#FFFFFF\"") && !light.contains("#1C1F24"));
        assert!(dark.contains("fill=\"#1C1F24\"") && dark.contains("fill=\"#E6E8EB\""), "dark background and ink");
        assert!((first_font(&dark) / first_font(&light) - 2.0).abs() < 1e-9);
        assert!(Style::new(Theme::Light, 0.0).is_err() && Style::new(Theme::Light, f64::NAN).is_err());
        assert_eq!("dark".parse::<Theme>().unwrap(), Theme::Dark);
        assert!("sepia".parse::<Theme>().is_err());
    }

    #[test]
    fn svg_histogram_draws_two_bars_per_class() {
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (400, 300)).into_drawing_area();
            draw_class_histogram(&area, &split(), &split(), &Style::LIGHT).unwrap();
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
            draw_predictions(&area, &split(), &[said(0, 3, 3), said(2, 4, 7)], 2, &Style::LIGHT).unwrap();
        }
        assert!(svg.contains("says 3<") || svg.contains("says 3\n"), "a right answer: the class only");
        assert!(svg.contains("says 7 (4)"), "a wrong answer names the true label");
        // The background, then per digit its pixels, the scale box and ten bars.
        assert!(svg.matches("<rect").count() >= 2 * (N_PIXELS + 1 + N_CLASSES));
        let mut svg = String::new();
        let area = SVGBackend::with_string(&mut svg, (100, 100)).into_drawing_area();
        assert!(matches!(
            draw_predictions(&area, &split(), &[said(9, 1, 1)], 1, &Style::LIGHT),
            Err(Error::InvalidParam(_))
        ));
    }
}
