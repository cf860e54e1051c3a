//! The page's face of [`crate::stored`]: a paper-preset figure link draws its
//! stored result at once; any of its runs can be recomputed in a Web Worker
//! and compared with the stored fingerprint.

use wasm_bindgen::prelude::*;

use super::figures::figure_panel;
use super::{ExportOptions, export_text, from_value, to_js, to_value};
use crate::export;
use crate::figure::RunResult;
use crate::plot;
use crate::provenance;
use crate::stored::{self, StoredFigure};

/// The stored result's file (relative to the page) that would serve a figure
/// link, or `undefined` when the link is computed live.
#[wasm_bindgen(js_name = storedFileFor)]
pub fn stored_file_for(query: &str) -> Option<String> {
    stored::file_for(query)
}

/// A stored result, read and checked, for the link it serves.
#[wasm_bindgen]
pub struct StoredResult {
    inner: StoredFigure,
}

#[wasm_bindgen]
impl StoredResult {
    /// Reads `text` (a `www/stored/<id>.json`) for the figure link `query`;
    /// throws, saying why, if the file is damaged or is not that figure.
    #[wasm_bindgen(constructor)]
    pub fn new(text: &str, query: &str) -> Result<StoredResult, JsError> {
        let inner = StoredFigure::parse(text).map_err(to_js)?;
        if !inner.serves(query) {
            return Err(JsError::new(&format!(
                "the stored result is for {:?}, not for this link's settings",
                inner.link
            )));
        }
        Ok(StoredResult { inner })
    }

    /// The aggregated figure (as `aggregateRuns` gives it).
    pub fn figure(&self) -> Result<JsValue, JsError> {
        to_value(&self.inner.figure)
    }

    /// The stored link's query (its own version).
    pub fn link(&self) -> String {
        self.inner.link.clone()
    }

    /// `[{label, seed, steps, fingerprint, failure?}]`, one per run, in the
    /// order of `experimentRuns(params)`.
    pub fn runs(&self) -> Result<JsValue, JsError> {
        to_value(&self.inner.runs)
    }

    /// Where the numbers came from, in a sentence.
    pub fn origin(&self) -> String {
        self.inner.origin()
    }

    /// Run `index` recomputed here against its record: `{label, stored, recomputed, equal, text}`.
    #[wasm_bindgen(js_name = checkRun)]
    pub fn check_run(&self, index: usize, result: JsValue) -> Result<JsValue, JsError> {
        let result: RunResult = from_value(result, "the recomputed run")?;
        to_value(&self.inner.check_run(index, &result).map_err(to_js)?)
    }

    /// Panel `key` as an `svg`, `csv` or `json` file whose provenance is the
    /// stored numbers' (options as for `exportFigurePanel`; its `link` is ignored).
    #[wasm_bindgen(js_name = exportPanel)]
    pub fn export_panel(&self, key: &str, options: JsValue) -> Result<String, JsError> {
        let options: ExportOptions = from_value(options, "the export options")?;
        let figure = &self.inner.figure;
        let panel = figure_panel(figure, key)?;
        let prov = self.inner.provenance(key, options.address.clone()).map_err(to_js)?;
        export_text(panel, None, &prov, &options, |area, style| plot::draw_figure_styled(area, figure, key, style))
    }

    /// `png` with the stored numbers' provenance in an `iTXt` chunk.
    #[wasm_bindgen(js_name = exportPanelPng)]
    pub fn export_panel_png(&self, key: &str, png: &[u8], options: JsValue) -> Result<Vec<u8>, JsError> {
        let options: ExportOptions = from_value(options, "the export options")?;
        let prov = self.inner.provenance(key, options.address).map_err(to_js)?;
        export::png_with_text(png, provenance::PNG_KEYWORD, &prov.to_json()).map_err(to_js)
    }
}
