//! A training run for the page: `Run`, a [`LiveRun`] made from a train link,
//! with its live panels, progress, test-digit answers and exports.

use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

use crate::describe;
use crate::export;
use crate::live::{self, LiveRun};
use crate::plot;
use crate::provenance;

use super::data::Lab;
use super::{
    ExportOptions, canvas_area, export_svg, export_text, from_value, read_panel, style_from, to_js, to_value,
    unknown_format,
};

/// One training run, stepped by the page in frame-sized chunks.
#[wasm_bindgen]
pub struct Run {
    inner: LiveRun,
}

#[wasm_bindgen]
impl Run {
    /// The run a train link's query describes (parsed and checked once);
    /// throws, naming the setting, for a link that cannot be read.
    #[wasm_bindgen(constructor)]
    pub fn new(lab: &Lab, query: &str) -> Result<Run, JsError> {
        Ok(Run { inner: LiveRun::from_link(query, &lab.data).map_err(to_js)? })
    }

    /// Runs up to `max_steps` minibatches (fewer at the end of training),
    /// keeps their records for the plots and returns the last one (or
    /// `undefined`); test accuracy is measured at each epoch's end.
    pub fn advance(&mut self, max_steps: u32) -> Result<JsValue, JsError> {
        self.advance_within(max_steps, u32::MAX)
    }

    /// As `advance`, measuring an epoch's test accuracy on at most `max_rows`
    /// test images per call: the page spreads it over frames (`isMeasuring`
    /// says it is unfinished; nothing trains until it is done).
    #[wasm_bindgen(js_name = advanceWithin)]
    pub fn advance_within(&mut self, max_steps: u32, max_rows: u32) -> Result<JsValue, JsError> {
        match self.inner.advance_within(max_steps as usize, max_rows as usize).map_err(to_js)? {
            Some(last) => to_value(&last),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// Whether an epoch's test accuracy is being measured (`advanceWithin`).
    #[wasm_bindgen(js_name = isMeasuring)]
    pub fn is_measuring(&self) -> bool {
        self.inner.trainer().is_measuring()
    }

    /// The link the run was made from (its own version): what its exports cite.
    pub fn link(&self) -> String {
        self.inner.link().to_string()
    }

    /// The run's settings (`TrainConfig`, as the `config` of `fa-lab train`'s summary.json).
    pub fn config(&self) -> Result<JsValue, JsError> {
        to_value(self.inner.config())
    }

    /// Whether the view shows panel `key` for this run (update angles only when measured).
    #[wasm_bindgen(js_name = showsPanel)]
    pub fn shows_panel(&self, key: &str) -> bool {
        self.inner.shows_panel(key)
    }

    /// Draws one of the run's live panels: `loss`, `alignment`, `accuracy`, `norms`, `updates`.
    /// `style` as for `Lab.drawDigits`.
    /// Returns where the data sits on the canvas (for `readout`), `null` while there is none.
    #[wasm_bindgen(js_name = drawPanel)]
    pub fn draw_panel(&self, canvas: HtmlCanvasElement, key: &str, style: JsValue) -> Result<JsValue, JsError> {
        let live = self.inner.panel(key).map_err(to_js)?;
        let area = canvas_area(canvas)?;
        to_value(&plot::draw_line_panel(&area, &live.panel, &live.note, &style_from(style)?).map_err(to_js)?)
    }

    /// Panel `key` read at `at` on a drawing whose frame `drawPanel` returned (as `Figure.readout`).
    pub fn readout(&self, key: &str, frame: JsValue, at: JsValue) -> Result<JsValue, JsError> {
        read_panel(&self.inner.panel(key).map_err(to_js)?.panel, frame, at)
    }

    /// Panel `key` in words, with its latest values (the canvas's accessible name).
    #[wasm_bindgen(js_name = describePanel)]
    pub fn describe_panel(&self, key: &str) -> Result<String, JsError> {
        let live = self.inner.panel(key).map_err(to_js)?;
        Ok(describe::describe_panel(&live.panel, live.empty_reason))
    }

    /// Panel `key`'s numbers as `{caption, columns, rows, note}` (at most `max_rows` rows).
    #[wasm_bindgen(js_name = panelTable)]
    pub fn panel_table(&self, key: &str, max_rows: usize) -> Result<JsValue, JsError> {
        to_value(&describe::panel_table(&self.inner.panel(key).map_err(to_js)?.panel, max_rows))
    }

    /// Panel `key` as an `svg`, `csv` or `json` file carrying its provenance;
    /// `options` is `{format, address, theme, width, height}`.
    #[wasm_bindgen(js_name = exportPanel)]
    pub fn export_panel(&self, key: &str, options: JsValue) -> Result<String, JsError> {
        let options: ExportOptions = from_value(options, "the export options")?;
        let live = self.inner.panel(key).map_err(to_js)?;
        let prov = self.inner.provenance(&live.panel.key, &live.panel.title, options.address.clone());
        export_text(&live.panel, live.empty_reason, &prov, &options, |area, style| {
            plot::draw_line_panel(area, &live.panel, &live.note, style).map(|_| ())
        })
    }

    /// `png` (the canvas's pixels) with the provenance of panel `key` in an `iTXt` chunk.
    #[wasm_bindgen(js_name = exportPanelPng)]
    pub fn export_panel_png(&self, key: &str, png: &[u8], options: JsValue) -> Result<Vec<u8>, JsError> {
        let options: ExportOptions = from_value(options, "the export options")?;
        let live = self.inner.panel(key).map_err(to_js)?;
        let prov = self.inner.provenance(&live.panel.key, &live.panel.title, options.address);
        export::png_with_text(png, provenance::PNG_KEYWORD, &prov.to_json()).map_err(to_js)
    }

    #[wasm_bindgen(js_name = isDone)]
    pub fn is_done(&self) -> bool {
        self.inner.trainer().is_done()
    }

    pub fn iteration(&self) -> u32 {
        self.inner.trainer().iteration() as u32
    }

    /// Steps until the current epoch ends; the last of them also measures
    /// test accuracy, so the page gives it frames of its own (`advanceWithin`).
    #[wasm_bindgen(js_name = stepsToEpochEnd)]
    pub fn steps_to_epoch_end(&self) -> u32 {
        self.inner.steps_to_epoch_end() as u32
    }

    /// Test accuracy after each finished epoch.
    #[wasm_bindgen(js_name = testAccuracies)]
    pub fn test_accuracies(&self) -> Vec<f64> {
        self.inner.trainer().test_accuracies().to_vec()
    }

    /// The run's fingerprint as 16 hex digits, the same as `fa-lab train` prints.
    pub fn fingerprint(&self) -> String {
        self.inner.fingerprint()
    }

    /// How far the run is after `busy_ms` of stepping: `{epoch, epochs,
    /// iteration, total, fraction, seconds_left, text}` (see `live::progress`).
    pub fn progress(&self, busy_ms: f64) -> Result<JsValue, JsError> {
        to_value(&self.inner.progress(busy_ms / 1e3))
    }

    /// The network's answers on test images `first .. first + count` now:
    /// `[{index, label, predicted, code_match, outputs}]`.
    pub fn predictions(&self, first: usize, count: usize) -> Result<JsValue, JsError> {
        to_value(&self.predict(first, count)?)
    }

    /// Draws test images `first .. first + count` with what the network says, `cols` per row
    /// (`style` as for `Lab.drawDigits`).
    #[wasm_bindgen(js_name = drawPredictions)]
    pub fn draw_predictions(
        &self,
        canvas: HtmlCanvasElement,
        first: usize,
        count: usize,
        cols: usize,
        style: JsValue,
    ) -> Result<(), JsError> {
        let predictions = self.predict(first, count)?;
        let area = canvas_area(canvas)?;
        plot::draw_predictions(&area, self.inner.test_split(), &predictions, cols, &style_from(style)?).map_err(to_js)
    }

    /// The test digits' answers in words (the predictions canvas's accessible name).
    #[wasm_bindgen(js_name = describePredictions)]
    pub fn describe_predictions(&self, first: usize, count: usize) -> Result<String, JsError> {
        Ok(describe::describe_predictions(&self.predict(first, count)?))
    }

    /// The test digits' answers as `{caption, columns, rows, note}`.
    #[wasm_bindgen(js_name = predictionsTable)]
    pub fn predictions_table(&self, first: usize, count: usize) -> Result<JsValue, JsError> {
        to_value(&describe::predictions_table(&self.predict(first, count)?))
    }

    /// The test digits' answers as an `svg` (drawn `cols` per row), `csv` or
    /// `json` file carrying the run's provenance; `options` as for `exportPanel`.
    #[wasm_bindgen(js_name = exportPredictions)]
    pub fn export_predictions(
        &self,
        first: usize,
        count: usize,
        cols: usize,
        options: JsValue,
    ) -> Result<String, JsError> {
        let options: ExportOptions = from_value(options, "the export options")?;
        let predictions = self.predict(first, count)?;
        let prov = self.inner.provenance(PREDICTIONS_KEY, PREDICTIONS_TITLE, options.address.clone());
        match options.format.as_str() {
            "svg" => export_svg(
                PREDICTIONS_TITLE,
                &describe::describe_predictions(&predictions),
                &prov,
                &options,
                |area, style| plot::draw_predictions(area, self.inner.test_split(), &predictions, cols, style),
            ),
            "csv" => Ok(export::table_csv(&describe::predictions_table(&predictions), &prov)),
            "json" => Ok(export::json_with("predictions", &predictions, &prov)),
            other => Err(unknown_format(other)),
        }
    }

    /// `png` (the canvas's pixels) with the provenance of the test digits' answers in an `iTXt` chunk.
    #[wasm_bindgen(js_name = exportPredictionsPng)]
    pub fn export_predictions_png(&self, png: &[u8], options: JsValue) -> Result<Vec<u8>, JsError> {
        let options: ExportOptions = from_value(options, "the export options")?;
        let prov = self.inner.provenance(PREDICTIONS_KEY, PREDICTIONS_TITLE, options.address);
        export::png_with_text(png, provenance::PNG_KEYWORD, &prov.to_json()).map_err(to_js)
    }
}

/// The predictions panel's key and title in its provenance.
const PREDICTIONS_KEY: &str = "predictions";
const PREDICTIONS_TITLE: &str = "What the network says about test digits";

impl Run {
    fn predict(&self, first: usize, count: usize) -> Result<Vec<live::Prediction>, JsError> {
        self.inner.predictions(first, count).map_err(to_js)
    }
}
