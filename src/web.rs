//! The JavaScript face of FA Lab: the only Rust that knows wasm-bindgen,
//! web-sys or js-sys. Each exported type wraps a core type; errors cross as
//! `JsError` with the core's message; arrays cross as typed arrays.

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

use crate::data::{AssetHeader, Mnist15};
use crate::plot;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// True when this module was compiled with simd128 (the page shows it).
#[wasm_bindgen(js_name = simdEnabled)]
pub fn simd_enabled() -> bool {
    cfg!(target_feature = "simd128")
}

/// Reads only the 32-byte header of the data asset, so the page can check
/// the announced size before (or while) downloading the rest.
#[wasm_bindgen(js_name = assetExpectedBytes)]
pub fn asset_expected_bytes(header: &[u8]) -> Result<usize, JsError> {
    let h = AssetHeader::parse(header).map_err(to_js)?;
    Ok(32 + h.compressed_len)
}

/// The lab's loaded data set and what the page asks of it.
#[wasm_bindgen]
pub struct Lab {
    data: Mnist15,
}

#[wasm_bindgen]
impl Lab {
    /// Decodes and verifies the asset (magic, version, sizes, checksum).
    #[wasm_bindgen(constructor)]
    pub fn new(asset: &[u8]) -> Result<Lab, JsError> {
        Ok(Lab { data: Mnist15::from_asset(asset).map_err(to_js)? })
    }

    #[wasm_bindgen(js_name = nTrain)]
    pub fn n_train(&self) -> usize {
        self.data.train.len()
    }

    #[wasm_bindgen(js_name = nTest)]
    pub fn n_test(&self) -> usize {
        self.data.test.len()
    }

    /// Training labels of the images `first .. first + count`.
    #[wasm_bindgen(js_name = trainLabels)]
    pub fn train_labels(&self, first: usize, count: usize) -> Result<Vec<u8>, JsError> {
        let end = first.checked_add(count).filter(|&e| e <= self.data.train.len());
        let end = end.ok_or_else(|| JsError::new(&format!("images {first}..+{count} are past the training set")))?;
        Ok(self.data.train.labels[first..end].to_vec())
    }

    /// Training images per class, 0..9.
    #[wasm_bindgen(js_name = trainHistogram)]
    pub fn train_histogram(&self) -> Vec<u32> {
        self.data.train.class_histogram().iter().map(|&c| c as u32).collect()
    }

    /// Draws training images `first .. first + count` with their labels, `cols` per row.
    #[wasm_bindgen(js_name = drawDigits)]
    pub fn draw_digits(&self, canvas: HtmlCanvasElement, first: usize, count: usize, cols: usize) -> Result<(), JsError> {
        let indices: Vec<usize> = (first..first.saturating_add(count)).collect();
        plot::draw_digit_grid(&canvas_area(canvas)?, &self.data.train, &indices, cols).map_err(to_js)
    }

    /// Draws the class histogram of both splits.
    #[wasm_bindgen(js_name = drawHistogram)]
    pub fn draw_histogram(&self, canvas: HtmlCanvasElement) -> Result<(), JsError> {
        plot::draw_class_histogram(&canvas_area(canvas)?, &self.data.train, &self.data.test).map_err(to_js)
    }
}

fn canvas_area(canvas: HtmlCanvasElement) -> Result<DrawingArea<CanvasBackend, plotters::coord::Shift>, JsError> {
    CanvasBackend::with_canvas_object(canvas)
        .map(|b| b.into_drawing_area())
        .ok_or_else(|| JsError::new("this canvas has no 2D context"))
}

fn to_js(e: crate::Error) -> JsError {
    JsError::new(&e.to_string())
}

// --- benchmark exports ---
// The page's bench view (www/bench.js) times these with performance.now();
// `fa-lab bench` times the same core code (crate::bench) with Instant.

/// The benchmark workload: the paper net trained by FA on fixed synthetic data
/// (`crate::bench::FaBench`). `extra` is `step`, `metrics`, `update-angles` or `alignment`.
#[wasm_bindgen]
pub struct FaBench {
    inner: crate::bench::FaBench,
}

#[wasm_bindgen]
impl FaBench {
    #[wasm_bindgen(constructor)]
    pub fn new(extra: &str) -> Result<FaBench, JsError> {
        let extra: crate::bench::Extra = extra.parse().map_err(to_js)?;
        Ok(FaBench { inner: crate::bench::FaBench::new(extra).map_err(to_js)? })
    }

    /// Runs the rest of the current epoch (60 steps from a fresh bench); returns the last loss.
    pub fn epoch(&mut self) -> Result<f64, JsError> {
        self.inner.epoch().map_err(to_js)
    }

    /// Runs `n` steps; returns the last loss.
    pub fn steps(&mut self, n: u32) -> Result<f64, JsError> {
        self.inner.steps(n as usize).map_err(to_js)
    }

    /// FNV-1a of the parameters' bits (the same as `fa-lab bench` prints after as many steps).
    pub fn checksum(&self) -> String {
        self.inner.checksum()
    }

    pub fn iteration(&self) -> f64 {
        self.inner.iteration() as f64
    }
}

/// FLOPs of one benchmark epoch, counted as numpy_step.py does.
#[wasm_bindgen(js_name = benchEpochFlops)]
pub fn bench_epoch_flops() -> f64 {
    crate::bench::epoch_flops()
}

/// Steps per benchmark epoch.
#[wasm_bindgen(js_name = benchStepsPerEpoch)]
pub fn bench_steps_per_epoch() -> u32 {
    crate::bench::STEPS as u32
}

/// Current size of the module's linear memory in bytes (it only grows).
#[wasm_bindgen(js_name = wasmMemoryBytes)]
pub fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory().unchecked_into::<js_sys::WebAssembly::Memory>().buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length() as f64
}
