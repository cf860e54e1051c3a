//! Every drawing FA Lab makes, each a function generic over plotters'
//! `DrawingBackend`: the page passes a canvas backend, the CLI an SVG one.
//! Text layout needs a font: in the browser plotters measures with the
//! canvas, natively the SVG backend writes `<text>` elements.
//!
//! A [`Style`] says how: light or dark colours (the page follows the
//! system's), and a scale from layout pixels to the backend's pixels, so a
//! canvas whose backing store is `devicePixelRatio` times its CSS size is
//! drawn sharp with text and lines of the same apparent size.
//!
//! Here: [`Style`], its colours and strokes. `data.rs`: the data set's
//! pictures (digits, class histogram, test-digit answers). `figure.rs`: a
//! figure's panel by key, with its footnote. `lines.rs`: lines with ±1 sd
//! bands; `pca.rs`: the PCA landscape; `parts.rs`: what every chart shares
//! (caption, mesh, legend and its place, footnote, the empty state);
//! `readout.rs`: a line panel read at a pixel or an x (the page's cursor).

use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use crate::figure::{Panel, Series};
use crate::{Error, Result};

mod data;
mod figure;
mod lines;
mod parts;
mod pca;
mod readout;

pub use data::{draw_class_histogram, draw_digit_grid, draw_predictions};
pub use figure::{draw_figure, draw_figure_grid, draw_figure_styled};
pub use lines::draw_line_panel;
pub use pca::draw_pca_panel;
pub use readout::{PlotFrame, ReadAt, Readout, ReadoutPoint, readout};

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

/// A small panel with every part a figure panel has (title, axis labels with
/// the symbols the lab's labels use, a band, a dashed line, a legend): the
/// page draws it once on a scratch canvas while idle, so the first real panel
/// does not also pay for loading the drawing code and the fonts.
pub fn sample_panel() -> Panel {
    let line = |key: &str, label: &str, colour: usize, dashed: bool| Series {
        key: key.into(),
        label: label.into(),
        colour,
        dashed,
        x: vec![0.0, 1.0, 2.0],
        mean: vec![90.0, 80.0 - colour as f64, 75.0],
        sd: vec![1.0, 2.0, 1.5],
        n: vec![2, 2, 2],
    };
    Panel {
        key: "sample".into(),
        kind: Default::default(),
        title: "∠(W̃_1, B_1ᵀ) ≈ ‖ΔW‖ / η".into(),
        x_label: "iteration".into(),
        y_label: "angle (degrees)".into(),
        log_y: false,
        markers: true,
        series: vec![line("a", "W_1", 0, false), line("b", "W̃_1 (B_new)", 1, true)],
        pca: None,
        failures: vec![],
        stalled: vec![],
        notes: vec!["sample: 2 of 2 runs".into()],
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

/// The colour of series colour index `i` (layer or condition; cycles through eight).
pub fn series_colour(i: usize, style: &Style) -> RGBColor {
    let series = &style.colours().series;
    series[i % series.len()]
}

#[cfg(test)]
mod tests {
    use super::parts::{Corner, legend_corner};
    use super::*;
    use crate::data::{N_CLASSES, N_PIXELS, SIDE, Split};

    #[test]
    fn the_legend_goes_to_the_emptiest_corner() {
        let labels = ["W_1 FA", "W_1 FA+WN"];
        let plot = (500, 300);
        let line = |f: fn(f64) -> f64| (0..=100).map(|i| i as f64 / 100.0).map(|x| (x, f(x))).collect::<Vec<_>>();
        // A curve falling from the upper left to the lower right (an angle aligning): the upper right is free.
        assert_eq!(legend_corner(&line(|x| 1.0 - x), &labels, plot, &Style::LIGHT), Corner::UpperRight);
        // Rising to the upper right (accuracy): the lower right is free, the upper left too; upper left wins the tie.
        assert_eq!(legend_corner(&line(|x| x), &labels, plot, &Style::LIGHT), Corner::UpperLeft);
        // Near the top everywhere (angles near 90°): a lower corner.
        assert_eq!(legend_corner(&line(|_| 0.95), &labels, plot, &Style::LIGHT), Corner::LowerRight);
        // High on the left, low on the right, but flat across the top right: lower left.
        let mut pts = line(|x| if x < 0.5 { 0.9 } else { 0.95 });
        pts.extend(line(|_| 0.05).into_iter().filter(|p| p.0 > 0.5));
        assert_eq!(legend_corner(&pts, &labels, plot, &Style::LIGHT), Corner::LowerLeft);
        // No points: the usual upper right.
        assert_eq!(legend_corner(&[], &labels, plot, &Style::LIGHT), Corner::UpperRight);
    }

    /// Where each legend label was drawn: `(label, x, y)` of the SVG's `<text>` elements named by `labels`.
    fn label_spots(svg: &str, labels: &[&str]) -> Vec<(String, f64, f64)> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                let text = t.split('>').nth(1)?.split('<').next()?.trim().to_string();
                let attr = |name: &str| -> Option<f64> {
                    t.split(&format!(" {name}=\"")).nth(1)?.split('"').next()?.parse().ok()
                };
                labels.contains(&text.as_str()).then_some((text, attr("x")?, attr("y")?))
            })
            .collect()
    }

    /// A legend goes in a clear corner; where bands fill every corner, beside
    /// a wide plot or below a narrow one, never over the data.
    #[test]
    fn a_legend_with_no_clear_corner_goes_beside_or_below() {
        let series = |label: &str, colour: usize, f: &dyn Fn(f64) -> f64, sd: f64| Series {
            key: label.into(),
            label: label.into(),
            colour,
            dashed: false,
            x: (0..=50).map(f64::from).collect(),
            mean: (0..=50).map(|i| f(i as f64 / 50.0)).collect(),
            sd: vec![sd; 51],
            n: vec![5; 51],
        };
        let labels: Vec<String> = (1..=8).map(|l| format!("W_{l} vs B_{l}ᵀ FA+WN")).collect();
        let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
        // Bands over the whole plot: no corner is clear.
        let crowded = Panel::lines(
            "b",
            "Crowded",
            "iteration",
            "angle (degrees)",
            labels.iter().enumerate().map(|(i, l)| series(l, i, &|x| 40.0 + 20.0 * x, 50.0)).collect(),
        );
        let draw = |panel: &Panel, size: (u32, u32)| {
            let mut svg = String::new();
            let frame = {
                let area = SVGBackend::with_string(&mut svg, size).into_drawing_area();
                draw_line_panel(&area, panel, "a note", &Style::LIGHT).unwrap().unwrap()
            };
            (svg, frame)
        };
        // Wide and short: beside leaves the plot more room than two rows below.
        let (svg, frame) = draw(&crowded, (1200, 300));
        let spots = label_spots(&svg, &labels);
        assert_eq!(spots.len(), 8, "{spots:?}");
        assert!(spots.iter().all(|s| s.1 > frame.right), "beside: {spots:?} vs {frame:?}");
        // Narrow and tall: below.
        let (svg, frame) = draw(&crowded, (360, 600));
        let spots = label_spots(&svg, &labels);
        assert_eq!(spots.len(), 8, "{spots:?}");
        assert!(spots.iter().all(|s| s.2 > frame.bottom), "below: {spots:?} vs {frame:?}");
        // Small, with a legend that fits inside: it stays in the plot rather than leave no room for the data.
        let few = Panel::lines("b", "Few", "iteration", "angle", crowded.series[..2].to_vec());
        let (svg, frame) = draw(&few, (280, 170));
        let spots = label_spots(&svg, &labels[..2]);
        assert_eq!(spots.len(), 2, "{spots:?}");
        assert!(spots.iter().all(|s| s.1 < frame.right && s.2 < frame.bottom), "{spots:?} vs {frame:?}");
        // One falling line leaves the upper right clear: the legend stays inside.
        let falling = Panel::lines("a", "Falling", "iteration", "loss", vec![series(labels[0], 0, &|x| 1.0 - x, 0.01)]);
        let (svg, frame) = draw(&falling, (600, 360));
        let spots = label_spots(&svg, &labels[..1]);
        assert_eq!(spots.len(), 1);
        let (_, x, y) = spots[0];
        assert!(
            x > (frame.left + frame.right) / 2.0 && x < frame.right && y < (frame.top + frame.bottom) / 2.0,
            "{spots:?}"
        );
    }

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

    /// The `<rect>`s of an SVG as (x, y, width, height, fill).
    fn rects(svg: &str) -> Vec<(i32, i32, i32, i32, String)> {
        let attr = |r: &str, name: &str| {
            r.split(&format!(" {name}=\"")).nth(1).unwrap().split('"').next().unwrap().to_string()
        };
        svg.split("<rect")
            .skip(1)
            .map(|r| {
                let n = |name| attr(r, name).parse().unwrap();
                (n("x"), n("y"), n("width"), n("height"), attr(r, "fill"))
            })
            .collect()
    }

    #[test]
    fn a_digits_runs_of_equal_grey_are_one_rectangle_each_and_cover_the_same_pixels() {
        // A digit whose rows are runs: black, then grey 200 from column 5 to 9, black again.
        let image: Vec<u8> =
            (0..N_PIXELS).map(|p| if (5..10).contains(&(p % SIDE)) && p / SIDE > 2 { 200 } else { 0 }).collect();
        let data = Split::new(image.clone(), vec![7]);
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (180, 120)).into_drawing_area();
            draw_digit_grid(&area, &data, &[0], 1, &Style::LIGHT).unwrap();
        }
        let cells = &rects(&svg)[1..]; // after the background
        assert_eq!(cells.len(), 3 + 3 * (SIDE - 3), "rows 0–2 one run, the others three");
        // Paint the rectangles into a grid and compare with the pixels drawn one by one.
        let (x0, y0) = (cells[0].0, cells[0].1);
        let side = cells.iter().map(|c| c.0 + c.2).max().unwrap() - x0;
        let scale = side as f64 / SIDE as f64;
        let mut painted = vec![None; (side * side) as usize];
        for (x, y, w, h, fill) in cells {
            for py in *y..y + h {
                for px in *x..x + w {
                    let at = ((py - y0) * side + (px - x0)) as usize;
                    assert!(painted[at].is_none(), "pixel ({px}, {py}) painted twice");
                    painted[at] = Some(fill.clone());
                }
            }
        }
        for (p, &v) in image.iter().enumerate() {
            let (r, c) = (p / SIDE, p % SIDE);
            let left = (c as f64 * scale).round() as i32;
            let top = (r as f64 * scale).round() as i32;
            let want = format!("#{v:02X}{v:02X}{v:02X}");
            assert_eq!(painted[(top * side + left) as usize].as_deref(), Some(want.as_str()), "pixel ({r}, {c})");
        }
        assert!(painted.iter().all(Option::is_some), "every pixel of the digit is painted");
    }

    #[test]
    fn the_sample_panel_draws_its_title_legend_and_both_lines() {
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (280, 190)).into_drawing_area();
            draw_line_panel(&area, &sample_panel(), "", &Style::LIGHT).unwrap();
        }
        for text in ["∠(W̃_1, B_1ᵀ)", "angle (degrees)", "W̃_1 (B_new)", "iteration"] {
            assert!(svg.contains(text), "{text} drawn");
        }
        assert!(svg.matches("<circle").count() >= 6, "the markers of both lines");
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
        // The legend counts each split's images (the caller's, not MNIST's).
        let n = split().len();
        assert!(svg.contains(&format!("train ({n})")) && svg.contains(&format!("test ({n})")), "{svg}");
        assert!(svg.contains("Class histogram"));
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
