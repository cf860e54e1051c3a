//! The PCA landscape: the training loss over the plane of the first two
//! principal components, with BP's and FA's parameter paths.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::parts::{caption_font, draw_legend, draw_note, draw_waiting, split_foot, themed_mesh};
use super::{Style, plot_err};
use crate::figure::{Panel, PcaData};
use crate::{Error, Result};

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
    let mut shown = Vec::new(); // (label, colour) of the paths drawn
    for (k, path) in paths.iter().enumerate() {
        let colour = path_colours[k % path_colours.len()];
        let pts: Vec<(f64, f64)> = path.points.iter().copied().filter(|p| p.0.is_finite() && p.1.is_finite()).collect();
        if pts.is_empty() {
            continue;
        }
        chart.draw_series(LineSeries::new(pts.clone(), colour.stroke_width(style.upx(2.0)))).map_err(plot_err)?;
        shown.push((path.label.as_str(), colour));
        let (first, last) = (pts[0], pts[pts.len() - 1]);
        let r = style.px(5.0);
        chart.draw_series(std::iter::once(Circle::new(first, r as u32, colour.filled()))).map_err(plot_err)?;
        chart
            .draw_series(std::iter::once(EmptyElement::at(last) + Rectangle::new([(-r, -r), (r, r)], colour.filled())))
            .map_err(plot_err)?;
    }
    // The legend keeps clear of the paths.
    let drawn: Vec<(f64, f64)> = paths.iter().flat_map(|p| p.points.iter().copied()).collect();
    let labels: Vec<&str> = shown.iter().map(|s| s.0).collect();
    draw_legend(&chart, style, &drawn, &labels, |area, i, (x, y)| {
        area.draw(&PathElement::new(vec![(x, y), (x + legend_w, y)], shown[i].1.stroke_width(legend_pen)))
            .map_err(plot_err)
    })?;
    draw_note(&foot, &note, style)?;
    area.present().map_err(plot_err)
}
