//! The page's drawing backend: plotters' `CanvasBackend`, with text measured
//! by the canvas's own `measureText`. plotters measures text in the browser
//! by putting a span in the document and reading its size back, which makes
//! the browser lay the page out again for every caption and label measured
//! (about a millisecond each on the Read view's long page, tens per link).
//!
//! Lines and paths are stroked in batches: consecutive ones of one colour and
//! width become one path, stroked once when anything else is drawn or the
//! drawing is presented. A dashed series is hundreds of separate dashes, and
//! stroking each alone (with its colour parsed again from a string) made the
//! browser's canvas work most of a panel's drawing. The one visible
//! difference: where two lines of one batch cross, a translucent colour is
//! laid once, not twice. Everything else is drawn by `CanvasBackend`.

use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind};
use plotters_canvas::CanvasBackend;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

pub(super) struct Canvas {
    inner: CanvasBackend,
    context: CanvasRenderingContext2d,
    /// The open batch of lines: its colour (r, g, b, alpha) and width.
    stroke: Option<((u8, u8, u8), f64, u32)>,
}

impl Canvas {
    /// `None` when the canvas has no 2D context.
    pub(super) fn new(canvas: HtmlCanvasElement) -> Option<Self> {
        let context = canvas.get_context("2d").ok()??.dyn_into().ok()?;
        Some(Canvas { inner: CanvasBackend::with_canvas_object(canvas)?, context, stroke: None })
    }

    /// Continues the open batch of lines if it has `style`'s colour and width, or strokes it and opens another.
    fn stroke_with(&mut self, style: &impl BackendStyle) {
        let BackendColor { rgb: (r, g, b), alpha } = style.color();
        let key = ((r, g, b), alpha, style.stroke_width());
        if self.stroke != Some(key) {
            self.flush();
            self.context.begin_path();
            // As `CanvasBackend` writes a colour, so it means the same to the canvas.
            self.context.set_stroke_style_str(&format!("rgba({r},{g},{b},{alpha})"));
            self.context.set_line_width(f64::from(key.2));
            self.stroke = Some(key);
        }
    }

    /// Strokes the open batch of lines, if any: before anything else is drawn over them.
    fn flush(&mut self) {
        if self.stroke.take().is_some() {
            self.context.stroke();
        }
    }
}

impl Drop for Canvas {
    fn drop(&mut self) {
        self.flush();
    }
}

/// The CSS font `CanvasBackend::draw_text` sets for `style`, so that a text
/// is measured in the font it is drawn in.
fn css_font(style: &impl BackendTextStyle) -> String {
    format!("{} {}px {}", style.style().as_str(), style.size(), style.family().as_str())
}

type Error = <CanvasBackend as DrawingBackend>::ErrorType;
type Drawn = Result<(), DrawingErrorKind<Error>>;

impl DrawingBackend for Canvas {
    type ErrorType = Error;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Drawn {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Drawn {
        self.flush();
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Drawn {
        self.flush();
        self.inner.draw_pixel(point, color)
    }

    /// As `CanvasBackend` draws a line (a horizontal or vertical one moved
    /// half a pixel, onto the pixels' centres), into the open batch.
    fn draw_line<S: BackendStyle>(&mut self, from: BackendCoord, to: BackendCoord, style: &S) -> Drawn {
        if style.color().alpha == 0.0 {
            return Ok(());
        }
        let (mut x0, mut y0, mut x1, mut y1) = (f64::from(from.0), f64::from(from.1), f64::from(to.0), f64::from(to.1));
        if from.0 == to.0 {
            (x0, x1) = (x0 - 0.5, x1 - 0.5);
        }
        if from.1 == to.1 {
            (y0, y1) = (y0 - 0.5, y1 - 0.5);
        }
        self.stroke_with(style);
        self.context.move_to(x0, y0);
        self.context.line_to(x1, y1);
        Ok(())
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Drawn {
        self.flush();
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    /// As `CanvasBackend` draws a path, into the open batch.
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(&mut self, path: I, style: &S) -> Drawn {
        if style.color().alpha == 0.0 {
            return Ok(());
        }
        let mut path = path.into_iter();
        if let Some((x, y)) = path.next() {
            self.stroke_with(style);
            self.context.move_to(f64::from(x), f64::from(y));
            for (x, y) in path {
                self.context.line_to(f64::from(x), f64::from(y));
            }
        }
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(&mut self, center: BackendCoord, radius: u32, style: &S, fill: bool) -> Drawn {
        self.flush();
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(&mut self, vert: I, style: &S) -> Drawn {
        self.flush();
        self.inner.fill_polygon(vert, style)
    }

    fn draw_text<S: BackendTextStyle>(&mut self, text: &str, style: &S, pos: BackendCoord) -> Drawn {
        self.flush();
        self.inner.draw_text(text, style, pos)
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Drawn {
        self.flush();
        self.inner.blit_bitmap(pos, size, src)
    }

    /// The text's advance width and its font's height (ascent and descent),
    /// rounded: the box the canvas draws it in, as the CLI's ttf measure
    /// gives it (plotters' span took the page's line height instead).
    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Error>> {
        self.context.set_font(&css_font(style));
        let metrics = self
            .context
            .measure_text(text)
            .map_err(|e| DrawingErrorKind::FontError(format!("the canvas could not measure a text: {e:?}").into()))?;
        let height = metrics.font_bounding_box_ascent() + metrics.font_bounding_box_descent();
        Ok((metrics.width().round() as u32, height.round() as u32))
    }
}
