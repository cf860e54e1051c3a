//! The JavaScript face of FA Lab: the only Rust that knows wasm-bindgen,
//! web-sys or js-sys. Each exported type wraps a core type; errors cross as
//! `JsError` with the core's message; arrays cross as typed arrays.
//!
//! Here: start-up, the build's identity and what every export shares (the
//! export options, SVG and text files, the drawing style, value conversion).
//! `data.rs`: the data set; `train.rs`: a training run; `links.rs`: links,
//! forms and versions; `figures.rs`: the paper figures (live or stored) and
//! their runs; `bench.rs`: the speed view.

use plotters::coord::Shift;
use plotters::prelude::*;
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

use crate::data::AssetHeader;
use crate::describe;
use crate::export;
use crate::figure::Panel;
use crate::plot::{Style, Theme};
use crate::provenance::{self, Provenance};

mod bench;
mod canvas;
mod data;
mod figures;
mod links;
mod train;

// Rust callers (tests/web.rs) see the JS API as one module, as JS does.
pub use bench::*;
pub use data::*;
pub use figures::*;
pub use links::*;
pub use train::*;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// True when this module was compiled with simd128 (the page shows it).
#[wasm_bindgen(js_name = simdEnabled)]
pub fn simd_enabled() -> bool {
    cfg!(target_feature = "simd128")
}

/// This build: FA Lab's version and git commit, `0.1.0+1a2b3c4d5e6f` (the offline cache is keyed by it).
#[wasm_bindgen(js_name = buildId)]
pub fn build_id() -> String {
    provenance::build_id()
}

/// Draws part `part` of a small sample panel (`plot::sample_panel`) on
/// `canvas` with `style`: 0, its frame and words (the panel without data);
/// 1, the whole panel. The page draws them once while idle, a task each, so
/// that its first real panel does not also wait for the drawing code to
/// compile and the fonts to load, and no one task does all of that (38 ms
/// on the CPU measured in one). Returns whether a part follows.
#[wasm_bindgen(js_name = primeDrawing)]
pub fn prime_drawing(canvas: HtmlCanvasElement, style: JsValue, part: u32) -> Result<bool, JsError> {
    let mut panel = crate::plot::sample_panel();
    if part == 0 {
        panel.series.clear();
    }
    crate::plot::draw_line_panel(&canvas_area(canvas)?, &panel, "sample", &style_from(style)?).map_err(to_js)?;
    Ok(part == 0)
}

/// Reads only the 32-byte header of the data asset, so the page can check
/// the announced size before (or while) downloading the rest.
#[wasm_bindgen(js_name = assetExpectedBytes)]
pub fn asset_expected_bytes(header: &[u8]) -> Result<usize, JsError> {
    let h = AssetHeader::parse(header).map_err(to_js)?;
    Ok(32 + h.compressed_len)
}

/// What the page asks of an export. `width` × `height` is the SVG's size in
/// CSS pixels; `address` is the page's. The link an export cites is the
/// run's or the figure's own (the one it was opened from).
#[derive(Deserialize)]
struct ExportOptions {
    format: String,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    theme: Option<Theme>,
    #[serde(default)]
    width: Option<u32>,
    #[serde(default)]
    height: Option<u32>,
}

/// An `svg`, `csv` or `json` export of `panel`; `draw` draws it for the SVG.
fn export_text(
    panel: &Panel,
    empty_reason: Option<&str>,
    prov: &Provenance,
    options: &ExportOptions,
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>, &Style) -> crate::Result<()>,
) -> Result<String, JsError> {
    match options.format.as_str() {
        "svg" => export_svg(&panel.title, &describe::describe_panel(panel, empty_reason), prov, options, draw),
        "csv" => Ok(export::panel_csv(panel, prov)),
        "json" => Ok(export::panel_json(panel, prov)),
        other => Err(unknown_format(other)),
    }
}

/// An SVG drawn by `draw` at the export's size and theme, with `title`, `description` and `prov` inside.
fn export_svg(
    title: &str,
    description: &str,
    prov: &Provenance,
    options: &ExportOptions,
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>, &Style) -> crate::Result<()>,
) -> Result<String, JsError> {
    let size = (options.width.unwrap_or(560).clamp(200, 4000), options.height.unwrap_or(340).clamp(150, 4000));
    let style = Style::new(options.theme.unwrap_or(Theme::Light), 1.0).map_err(to_js)?;
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&area, &style).map_err(to_js)?;
    }
    export::svg_with_metadata(&svg, title, description, prov).map_err(to_js)
}

fn unknown_format(format: &str) -> JsError {
    JsError::new(&format!("unknown export format {format:?} (svg, csv or json; PNG has its own call)"))
}

/// `{theme, scale}` from the page (either may be absent: light, 1).
#[derive(Deserialize, Default)]
struct StyleSpec {
    #[serde(default)]
    theme: Option<Theme>,
    #[serde(default)]
    scale: Option<f64>,
}

fn style_from(value: JsValue) -> Result<Style, JsError> {
    let spec: StyleSpec = if value.is_undefined() || value.is_null() {
        StyleSpec::default()
    } else {
        from_value(value, "the drawing style")?
    };
    Style::new(spec.theme.unwrap_or(Theme::Light), spec.scale.unwrap_or(1.0)).map_err(to_js)
}

/// `panel` read at `at` (`{px}`, `{x}`, `{x, steps}`) on a drawing whose
/// frame is `frame` (what drawing it returned): the `Readout`, or `null`.
fn read_panel(panel: &Panel, frame: JsValue, at: JsValue) -> Result<JsValue, JsError> {
    if frame.is_null() || frame.is_undefined() {
        return Ok(JsValue::NULL);
    }
    let frame: crate::plot::PlotFrame = from_value(frame, "the plot's frame")?;
    let at: crate::plot::ReadAt = from_value(at, "the readout's place")?;
    match crate::plot::readout(panel, &frame, at) {
        Some(r) => to_value(&r),
        None => Ok(JsValue::NULL),
    }
}

fn from_value<T: serde::de::DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsError> {
    serde_wasm_bindgen::from_value(value)
        .map_err(|e| JsError::new(&format!("invalid parameter: {what} do not parse: {e}")))
}

fn to_value<T: serde::Serialize + ?Sized>(value: &T) -> Result<JsValue, JsError> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| JsError::new(&e.to_string()))
}

fn canvas_area(canvas: HtmlCanvasElement) -> Result<DrawingArea<canvas::Canvas, Shift>, JsError> {
    canvas::Canvas::new(canvas)
        .map(|b| b.into_drawing_area())
        .ok_or_else(|| JsError::new("this canvas has no 2D context"))
}

fn to_js(e: crate::Error) -> JsError {
    JsError::new(&e.to_string())
}

/// Current size of the module's linear memory in bytes (it only grows).
#[wasm_bindgen(js_name = wasmMemoryBytes)]
pub fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}
