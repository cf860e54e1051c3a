//! The data set's pictures: digits, the class histogram, the test digits with the network's answers.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::parts::{draw_legend, themed_mesh};
use super::{Style, plot_err};
use crate::data::{N_CLASSES, SIDE, Split};
use crate::describe::grouped;
use crate::{Error, Result};

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
        draw_digit(cell, split.image(idx), (x0, y0), scale)?;
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

/// Draws one digit's pixels, `scale` pixels a side each, from `origin`: each
/// row's runs of equal grey are one rectangle (MNIST is mostly runs of black),
/// whose edges are the same rounded pixel edges as the single pixels' would be,
/// so the picture is the same with a fraction of the drawing calls.
fn draw_digit<DB: DrawingBackend>(
    cell: &DrawingArea<DB, Shift>,
    image: &[u8],
    (x0, y0): (i32, i32),
    scale: f64,
) -> Result<()> {
    let edge = |i: usize| (i as f64 * scale).round() as i32;
    for (r, row) in image.chunks_exact(SIDE).enumerate() {
        let mut c = 0;
        while c < SIDE {
            let v = row[c];
            let end = c + row[c..].iter().take_while(|&&w| w == v).count();
            let (a, b) = ((x0 + edge(c), y0 + edge(r)), (x0 + edge(end), y0 + edge(r + 1)));
            cell.draw(&Rectangle::new([a, b], RGBColor(v, v, v).filled())).map_err(plot_err)?;
            c = end;
        }
    }
    Ok(())
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
        draw_digit(cell, split.image(p.index), (x0, y0), scale)?;
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
    let count = |name: &str, s: &Split| format!("{name} ({})", grouped(s.len()));
    let splits =
        [(&tr, colours.series[0], -0.2, count("train", train)), (&te, colours.series[1], 0.2, count("test", test))];
    for &(values, colour, offset, _) in &splits {
        chart
            .draw_series(values.iter().enumerate().map(|(c, &v)| {
                let x = c as f64 + offset;
                Rectangle::new([(x - 0.18, 0.0), (x + 0.18, v)], colour.filled())
            }))
            .map_err(plot_err)?;
    }
    let labels = splits.each_ref().map(|s| s.3.as_str());
    draw_legend(&chart, style, &[], &labels, |area, i, (x, y)| {
        area.draw(&Rectangle::new([(x, y - 5), (x + 10, y + 5)], splits[i].1.filled())).map_err(plot_err)
    })?;
    area.present().map_err(plot_err)
}
