//! Reading a line panel at a point: where its data sits on the drawing
//! ([`PlotFrame`], returned by [`super::draw_line_panel`]) and what a cursor
//! at a pixel or an x shows ([`readout`]) — each series' mean ± sd and runs
//! at the nearest x ([`Panel::values_at`]), placed in the drawing's pixels.
//! The page draws the cursor from this; it computes no position or value.

use serde::{Deserialize, Serialize};

use super::{Style, Theme, series_colour};
use crate::describe;
use crate::figure::Panel;

/// A line panel's plotting area in layout (CSS) pixels from the drawing's top
/// left, the data range it shows (y in drawn units: `log10` on a log axis)
/// the theme it was drawn in and the x axis's name (panels of one figure
/// with the same x axis move their readouts together).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlotFrame {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
    pub x0: f64,
    pub x1: f64,
    pub y0: f64,
    pub y1: f64,
    pub log_y: bool,
    pub theme: Theme,
    pub x_label: String,
}

impl PlotFrame {
    /// The data x under layout pixel `px` (clamped to the plotted range).
    pub fn x_at(&self, px: f64) -> f64 {
        let t = ((px - self.left) / (self.right - self.left).max(1e-9)).clamp(0.0, 1.0);
        self.x0 + t * (self.x1 - self.x0)
    }

    /// The layout pixel of data x.
    pub fn px_of(&self, x: f64) -> f64 {
        self.left + (x - self.x0) / (self.x1 - self.x0) * (self.right - self.left)
    }

    /// The layout pixel of a value (in the panel's units), or `None` when it
    /// is not finite or falls outside the plotted range.
    pub fn py_of(&self, y: f64) -> Option<f64> {
        let y = if self.log_y { y.max(1e-12).log10() } else { y };
        let t = (y - self.y0) / (self.y1 - self.y0);
        (t.is_finite() && (-1e-9..=1.0 + 1e-9).contains(&t)).then_some(self.bottom - t * (self.bottom - self.top))
    }
}

/// Where to read: at layout pixel `px`, at data `x`, or `steps` x values on
/// from `x` (an arrow key). Exactly one of `px` and `x` is needed.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct ReadAt {
    #[serde(default)]
    pub px: Option<f64>,
    #[serde(default)]
    pub x: Option<f64>,
    #[serde(default)]
    pub steps: Option<i64>,
}

/// What a readout shows: the cursor's x and layout pixel, and each series' point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Readout {
    pub x: f64,
    pub cursor: f64,
    pub top: f64,
    pub bottom: f64,
    pub left: f64,
    pub right: f64,
    pub points: Vec<ReadoutPoint>,
    /// Where it reads: "iteration 600".
    pub heading: String,
    /// The readout in a sentence (what a screen reader hears).
    pub text: String,
}

/// One series at the readout's x.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadoutPoint {
    pub label: String,
    /// The series' colour in the frame's theme, `#rrggbb`.
    pub colour: String,
    pub x: f64,
    pub mean: f64,
    pub sd: f64,
    pub n: usize,
    /// The mean's layout pixel (`None`: outside the plotted range).
    pub y: Option<f64>,
    /// `mean ± sd (n = …)` with the axis's unit (and the point's x when it is not the readout's).
    pub text: String,
}

/// `panel` read at `at` on a drawing whose frame is `frame`; `None` when the
/// panel has no point or `at` names neither a pixel nor an x.
pub fn readout(panel: &Panel, frame: &PlotFrame, at: ReadAt) -> Option<Readout> {
    let x = match (at.px, at.x) {
        (Some(px), _) if px.is_finite() => frame.x_at(px),
        (_, Some(x)) if x.is_finite() => x,
        _ => return None,
    };
    let x = match at.steps {
        Some(steps) => panel.step_x(x, steps)?,
        None => x,
    };
    let values = panel.values_at(x)?;
    let style = Style { theme: frame.theme, scale: 1.0 };
    let points = values
        .points
        .iter()
        .map(|p| {
            let c = series_colour(p.colour, &style);
            ReadoutPoint {
                label: p.label.clone(),
                colour: format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2),
                x: p.x,
                mean: p.mean,
                sd: p.sd,
                n: p.n,
                y: frame.py_of(p.mean),
                text: describe::point_text(panel, p, values.x),
            }
        })
        .collect();
    Some(Readout {
        x: values.x,
        cursor: frame.px_of(values.x),
        top: frame.top,
        bottom: frame.bottom,
        left: frame.left,
        right: frame.right,
        points,
        heading: describe::readout_heading(panel, values.x),
        text: describe::describe_values_at(panel, &values),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figure::Series;

    fn series(label: &str, x: &[f64], mean: &[f64], colour: usize) -> Series {
        Series {
            key: label.into(),
            label: label.into(),
            colour,
            dashed: false,
            x: x.to_vec(),
            mean: mean.to_vec(),
            sd: vec![0.5; x.len()],
            n: vec![3; x.len()],
        }
    }

    fn frame() -> PlotFrame {
        PlotFrame {
            left: 60.0,
            top: 20.0,
            right: 460.0,
            bottom: 220.0,
            x0: 0.0,
            x1: 100.0,
            y0: 0.0,
            y1: 90.0,
            log_y: false,
            theme: Theme::Light,
            x_label: "iteration".into(),
        }
    }

    /// A pixel maps to the nearest x any series has; each series reports its
    /// own point there, placed where the drawing put it.
    #[test]
    fn a_readout_reads_the_nearest_point_of_every_series() {
        let panel = Panel::lines(
            "b",
            "Alignment",
            "iteration",
            "angle (degrees)",
            vec![
                series("W_1", &[0.0, 40.0, 100.0], &[80.0, 40.0, 20.0], 0),
                series("W_2", &[0.0, 25.0, 50.0, 75.0, 100.0], &[85.0, 70.0, 60.0, 50.0, 45.0], 1),
            ],
        );
        let f = frame();
        // Pixel 170 is x = 27.5: the nearest x of the union is 25.
        let r = readout(&panel, &f, ReadAt { px: Some(170.0), ..Default::default() }).unwrap();
        assert_eq!(r.x, 25.0);
        assert_eq!(r.cursor, 160.0);
        assert_eq!((r.points[0].x, r.points[0].mean), (40.0, 40.0), "W_1 has no point at 25: its nearest");
        assert_eq!((r.points[1].x, r.points[1].mean, r.points[1].n), (25.0, 70.0, 3));
        assert_eq!(r.points[1].y, Some(220.0 - 70.0 / 90.0 * 200.0));
        assert_eq!(r.points[0].colour, "#0072b2");
        assert!(r.text.starts_with("iteration 25:"), "{}", r.text);
        assert!(r.text.contains("W_2 70.0° ± 0.500° (n = 3)"), "{}", r.text);
        assert!(r.text.contains("W_1 40.0° ± 0.500° (n = 3) (after 40 iterations)"), "{}", r.text);
        assert_eq!(r.heading, "iteration 25");
        // Arrow keys step through the union of x values and stop at the ends.
        let step = |x: f64, steps: i64| readout(&panel, &f, ReadAt { x: Some(x), steps: Some(steps), px: None });
        assert_eq!(step(25.0, 1).unwrap().x, 40.0);
        assert_eq!(step(25.0, -5).unwrap().x, 0.0);
        assert_eq!(step(100.0, 3).unwrap().x, 100.0);
        // Off the left edge: the first x.
        assert_eq!(readout(&panel, &f, ReadAt { px: Some(-40.0), ..Default::default() }).unwrap().x, 0.0);
        assert!(readout(&panel, &f, ReadAt::default()).is_none());
        let empty = Panel::lines("a", "Loss", "iteration", "loss", vec![]);
        assert!(readout(&empty, &f, ReadAt { px: Some(100.0), ..Default::default() }).is_none());
    }

    #[test]
    fn a_log_axis_places_values_by_their_logarithm() {
        let f = PlotFrame { y0: -2.0, y1: 2.0, log_y: true, ..frame() };
        assert_eq!(f.py_of(1.0), Some(120.0));
        assert_eq!(f.py_of(100.0), Some(20.0));
        assert_eq!(f.py_of(1e3), None, "above the plotted range");
        assert_eq!(f.py_of(f64::NAN), None);
    }
}
