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
            cell.draw(&Rectangle::new([top_left, bottom_right], RGBColor(v, v, v).filled()))
                .map_err(plot_err)?;
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

/// Draws the class histogram of the training and test splits side by side,
/// as the fraction of each split in each class.
pub fn draw_class_histogram<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, train: &Split, test: &Split) -> Result<()> {
    area.fill(&WHITE).map_err(plot_err)?;
    let frac = |s: &Split| -> Vec<f64> {
        let n = s.len().max(1) as f64;
        s.class_histogram().iter().map(|&c| c as f64 / n).collect()
    };
    let (tr, te) = (frac(train), frac(test));
    let y_max = tr.iter().chain(&te).cloned().fold(0.0, f64::max) * 1.15;
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
    for (values, colour, offset, name) in [(&tr, palette::TRAIN, -0.2, "train (60,000)"), (&te, palette::TEST, 0.2, "test (10,000)")] {
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
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(plot_err)?;
    area.present().map_err(plot_err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::N_PIXELS;

    fn split() -> Split {
        Split { pixels: (0..4 * N_PIXELS).map(|i| (i % 256) as u8).collect(), labels: vec![3, 1, 4, 1] }
    }

    #[test]
    fn svg_digit_grid_shows_every_label_and_pixel() {
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (200, 120)).into_drawing_area();
            draw_digit_grid(&area, &split(), &[0, 2, 3], 3).unwrap();
        }
        // One text element per digit, carrying its label, in order.
        let labels: Vec<&str> = svg.split("<text").skip(1).map(|t| t.split('>').nth(1).unwrap().split('<').next().unwrap().trim()).collect();
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
}
