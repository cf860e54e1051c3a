//! Lines with ±1 sd bands: every panel but the PCA landscape.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::parts::{
    Entry, Outside, a_corner_is_clear, caption_font, draw_legend, draw_note, draw_outside_legend, draw_sample,
    draw_waiting, outside_place, outside_room, split_foot, themed_mesh,
};
use super::readout::PlotFrame;
use super::{Stroke, Style, plot_err, series_colour, series_stroke};
use crate::Result;
use crate::figure::Panel;

// The chart's margins and label areas, in layout pixels.
const MARGIN: f64 = 8.0;
const MARGIN_RIGHT: f64 = 18.0;
const X_LABELS: f64 = 38.0;
const Y_LABELS: f64 = 58.0;
/// About the height a caption takes (15 px text and its gap).
const CAPTION: f64 = 28.0;

/// Mean lines with ±1 sd bands, one per series, legend, labelled axes; a log-10
/// y axis when `panel.log_y` (values are drawn as `log10`, ticks labelled in the
/// original units). The legend sits in the corner of the plot where it covers
/// no data, or beside or below the plot when every corner would (whichever
/// leaves the plot more room; a small panel whose legend fits inside keeps
/// it in the corner that covers least). Returns where
/// the data sits on the drawing (`None` while the panel has none), for a readout.
pub fn draw_line_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    note: &str,
    style: &Style,
) -> Result<Option<PlotFrame>> {
    area.fill(&style.colours().background).map_err(plot_err)?;
    let series: Vec<_> = panel.series.iter().filter(|s| !s.x.is_empty()).collect();
    if series.is_empty() {
        return draw_waiting(area, panel, note, style).map(|()| None);
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
        return draw_waiting(area, panel, note, style).map(|()| None);
    }
    if x1 <= x0 {
        (x0, x1) = (x0 - 0.5, x1 + 0.5);
    }
    let pad = ((y1 - y0) * 0.06).max(if log { 0.05 } else { 1e-6_f64.max(y1.abs() * 0.01) });
    let (y0, y1) = (y0 - pad, y1 + pad);
    let (body, foot) = split_foot(area, note, style);
    // What the legend must keep clear of: the lines and bands, sampled densely
    // enough that no segment crosses a box between two samples, in the unit square.
    let unit = |x: f64, y: f64| ((x - x0) / (x1 - x0), (y - y0) / (y1 - y0));
    let drawn: Vec<(f64, f64)> = lines
        .iter()
        .flat_map(|pts| {
            let one = pts.len() == 1;
            pts.windows(2).chain(one.then_some(&pts[..])).flat_map(move |w| {
                let (a, b) = (w[0], w[w.len() - 1]);
                (0..=8).flat_map(move |k| {
                    let t = k as f64 / 8.0;
                    let at = |p: f64, q: f64| p + t * (q - p);
                    let (x, lo, hi) = (at(a.0, b.0), at(a.2, b.2), at(a.3, b.3));
                    (0..=4).map(move |j| unit(x, lo + j as f64 / 4.0 * (hi - lo))).chain([unit(x, at(a.1, b.1))])
                })
            })
        })
        .collect();
    let labels: Vec<&str> = series.iter().map(|s| s.label.as_str()).collect();
    let (bw, bh) = body.dim_in_pixel();
    let plot = (
        (bw as f64 - style.scale * (MARGIN + MARGIN_RIGHT + Y_LABELS)).max(1.0) as u32,
        (bh as f64 - style.scale * (2.0 * MARGIN + X_LABELS + CAPTION)).max(1.0) as u32,
    );
    let outside =
        if a_corner_is_clear(&drawn, &labels, plot, style) { None } else { outside_place(&labels, plot, bw, style) };
    let (body, legend_area) = match outside {
        Some(place @ Outside::Beside) => {
            let (left, right) = body.split_horizontally(bw.saturating_sub(outside_room(&labels, place, bw, style)));
            (left, Some(right))
        }
        Some(place @ Outside::Below) => {
            let (upper, lower) = body.split_vertically(bh.saturating_sub(outside_room(&labels, place, bw, style)));
            (upper, Some(lower))
        }
        None => (body, None),
    };
    let mut chart = ChartBuilder::on(&body)
        .caption(&panel.title, caption_font(&panel.title, area.dim_in_pixel().0, style))
        .margin(style.px(MARGIN))
        .margin_right(style.px(MARGIN_RIGHT))
        .x_label_area_size(style.px(X_LABELS))
        .y_label_area_size(style.px(Y_LABELS))
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
        // A tick at zero computed as a rounding residue (−8.8e-17) is 0.
        if a <= (y1 - y0).abs() * 1e-9 {
            "0".to_string()
        } else if !(1e-3..1e5).contains(&a) {
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
    let mut entries = Vec::new();
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
        entries.push(Entry { label: &s.label, colour, stroke });
        let line: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.1)).collect();
        let pen = colour.stroke_width(style.upx(2.0));
        match stroke {
            Stroke::Dashed(dash, gap) => chart
                .draw_series(DashedLineSeries::new(line.clone(), style.px(dash), style.px(gap), pen))
                .map_err(plot_err)?,
            Stroke::Solid => chart.draw_series(LineSeries::new(line.clone(), pen)).map_err(plot_err)?,
        };
        if panel.markers || line.len() <= 12 {
            let r = style.upx(2.5);
            chart.draw_series(line.iter().map(|&p| Circle::new(p, r, colour.filled()))).map_err(plot_err)?;
        }
    }
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    let (ox, oy) = area.get_base_pixel();
    let px = |v: i32, o: i32| (v - o) as f64 / style.scale;
    let frame = PlotFrame {
        left: px(xs.start, ox),
        right: px(xs.end - 1, ox),
        top: px(ys.start, oy),
        bottom: px(ys.end - 1, oy),
        x0,
        x1,
        y0,
        y1,
        log_y: log,
        theme: style.theme,
        x_label: panel.x_label.clone(),
    };
    match (outside, legend_area) {
        (Some(place), Some(room)) => {
            let top = if place == Outside::Beside { frame.top } else { 0.0 };
            draw_outside_legend(&room, &entries, place, top, style)?;
        }
        _ => {
            let data: Vec<(f64, f64)> = drawn.iter().map(|&(u, v)| (x0 + u * (x1 - x0), y0 + v * (y1 - y0))).collect();
            draw_legend(&chart, style, &data, &labels, |area, i, at| draw_sample(area, &entries[i], at, style))?;
        }
    }
    draw_note(&foot, note, style)?;
    area.present().map_err(plot_err)?;
    Ok(Some(frame))
}
