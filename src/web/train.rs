//! A training run for the page: `Run`, with live panels, progress, test-digit answers and exports.

use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

use crate::data::Split;
use crate::describe;
use crate::export;
use crate::figure::Panel;
use crate::history::History;
use crate::link;
use crate::live;
use crate::plot;
use crate::provenance::{Provenance, RunRecord};
use crate::train::{TrainConfig, Trainer};

use super::data::Lab;
use super::{
    ExportOptions, canvas_area, export_svg, export_text, from_value, style_from, to_js, to_value, unknown_format,
};

/// One training run, stepped by the page in frame-sized chunks.
#[wasm_bindgen]
pub struct Run {
    inner: Trainer,
    history: History,
    /// The test images, for [`Run::predictions`] (shared pixels, not a copy).
    test: Split,
}

#[wasm_bindgen]
impl Run {
    /// `config` is a `TrainConfig` as JSON-like object (the `config` of `fa-lab train`'s summary.json).
    #[wasm_bindgen(constructor)]
    pub fn new(lab: &Lab, config: JsValue) -> Result<Run, JsError> {
        let cfg: TrainConfig = from_value(config, "the run's settings")?;
        Ok(Run {
            inner: Trainer::new(cfg.validate().map_err(to_js)?, &lab.data).map_err(to_js)?,
            history: History::new(),
            test: lab.data.test.clone(),
        })
    }

    /// Runs up to `max_steps` minibatches (fewer at the end of training),
    /// keeps their records for the plots and returns the last one (or
    /// `undefined`); test accuracy is measured at each epoch's end.
    pub fn advance(&mut self, max_steps: u32) -> Result<JsValue, JsError> {
        let records = self.inner.advance(max_steps as usize).map_err(to_js)?;
        records.iter().for_each(|r| self.history.push(r));
        match records.last() {
            Some(last) => to_value(last),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// Draws one of the run's live panels: `loss`, `alignment`, `accuracy`, `norms`, `updates`.
    /// `style` as for `Lab.drawDigits`.
    #[wasm_bindgen(js_name = drawPanel)]
    pub fn draw_panel(&self, canvas: HtmlCanvasElement, key: &str, style: JsValue) -> Result<(), JsError> {
        let (panel, note) = self.live_panel(key)?;
        plot::draw_line_panel(&canvas_area(canvas)?, &panel, &note, &style_from(style)?).map_err(to_js)
    }

    /// Panel `key` in words, with its latest values (the canvas's accessible name).
    #[wasm_bindgen(js_name = describePanel)]
    pub fn describe_panel(&self, key: &str) -> Result<String, JsError> {
        let (panel, _) = self.live_panel(key)?;
        Ok(describe::describe_panel(&panel, self.empty_reason(key)))
    }

    /// Panel `key`'s numbers as `{caption, columns, rows, note}` (at most `max_rows` rows).
    #[wasm_bindgen(js_name = panelTable)]
    pub fn panel_table(&self, key: &str, max_rows: usize) -> Result<JsValue, JsError> {
        let (panel, _) = self.live_panel(key)?;
        to_value(&describe::panel_table(&panel, max_rows))
    }

    /// Panel `key` as an `svg`, `csv` or `json` file carrying its provenance;
    /// `options` is `{format, address, theme, width, height}`.
    #[wasm_bindgen(js_name = exportPanel)]
    pub fn export_panel(&self, key: &str, options: JsValue) -> Result<String, JsError> {
        let options: ExportOptions = from_value(options, "the export options")?;
        let (panel, note) = self.live_panel(key)?;
        let prov = self.provenance(&panel.key, &panel.title, &options);
        export_text(&panel, self.empty_reason(key), &prov, &options, |area, style| {
            plot::draw_line_panel(area, &panel, &note, style)
        })
    }

    /// `png` (the canvas's pixels) with the provenance of panel `key` in an `iTXt` chunk.
    #[wasm_bindgen(js_name = exportPanelPng)]
    pub fn export_panel_png(&self, key: &str, png: &[u8], options: JsValue) -> Result<Vec<u8>, JsError> {
        let options: ExportOptions = from_value(options, "the export options")?;
        let (panel, _) = self.live_panel(key)?;
        export::png_with_text(
            png,
            provenance::PNG_KEYWORD,
            &self.provenance(&panel.key, &panel.title, &options).to_json(),
        )
        .map_err(to_js)
    }

    /// The run's settings as a link query (see `link`).
    pub fn link(&self) -> String {
        link::train_config_to_query(self.inner.config())
    }

    #[wasm_bindgen(js_name = isDone)]
    pub fn is_done(&self) -> bool {
        self.inner.is_done()
    }

    pub fn iteration(&self) -> u32 {
        self.inner.iteration() as u32
    }

    #[wasm_bindgen(js_name = totalSteps)]
    pub fn total_steps(&self) -> u32 {
        (self.inner.steps_per_epoch() * self.inner.config().epochs) as u32
    }

    /// Steps until the current epoch ends; the last of them also measures
    /// test accuracy, the longest call, so the page gives it a frame of its own.
    #[wasm_bindgen(js_name = stepsToEpochEnd)]
    pub fn steps_to_epoch_end(&self) -> u32 {
        let per_epoch = self.inner.steps_per_epoch() as u64;
        (per_epoch - self.inner.iteration() % per_epoch) as u32
    }

    /// Test accuracy after each finished epoch.
    #[wasm_bindgen(js_name = testAccuracies)]
    pub fn test_accuracies(&self) -> Vec<f64> {
        self.inner.test_accuracies().to_vec()
    }

    /// The run's fingerprint as 16 hex digits, the same as `fa-lab train` prints.
    pub fn fingerprint(&self) -> String {
        format!("{:016x}", self.inner.fingerprint())
    }

    /// How far the run is after `busy_ms` of stepping: `{epoch, epochs,
    /// iteration, total, fraction, seconds_left, text}` (see `live::progress`).
    pub fn progress(&self, busy_ms: f64) -> Result<JsValue, JsError> {
        let cfg = self.inner.config();
        let per_epoch = self.inner.steps_per_epoch() as u64;
        to_value(&live::progress(
            self.inner.iteration(),
            per_epoch * cfg.epochs as u64,
            per_epoch,
            cfg.epochs,
            busy_ms / 1e3,
        ))
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
        plot::draw_predictions(&canvas_area(canvas)?, &self.test, &predictions, cols, &style_from(style)?)
            .map_err(to_js)
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
        let prov = self.provenance(PREDICTIONS_KEY, PREDICTIONS_TITLE, &options);
        match options.format.as_str() {
            "svg" => export_svg(
                PREDICTIONS_TITLE,
                &describe::describe_predictions(&predictions),
                &prov,
                &options,
                |area, style| plot::draw_predictions(area, &self.test, &predictions, cols, style),
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
        let prov = self.provenance(PREDICTIONS_KEY, PREDICTIONS_TITLE, &options);
        export::png_with_text(png, provenance::PNG_KEYWORD, &prov.to_json()).map_err(to_js)
    }
}

/// The predictions panel's key and title in its provenance.
const PREDICTIONS_KEY: &str = "predictions";
const PREDICTIONS_TITLE: &str = "What the network says about test digits";

impl Run {
    fn predict(&self, first: usize, count: usize) -> Result<Vec<live::Prediction>, JsError> {
        let indices: Vec<usize> = (first..first.saturating_add(count)).collect();
        let net = self.inner.network();
        live::predictions(net, self.inner.codes(), &self.test, &indices).map_err(to_js)
    }
}

impl Run {
    /// Live panel `key` and its footnote.
    fn live_panel(&self, key: &str) -> Result<(Panel, String), JsError> {
        let panel = self.history.panel(key).ok_or_else(|| JsError::new(&format!("no panel {key:?}")))?;
        let cfg = self.inner.config();
        let mut note = format!("{} · seed {} · iteration {}", cfg.net.rule, cfg.seed, self.inner.iteration());
        if let Some(why) = self.empty_reason(key) {
            note = format!("{why} ({note})");
        }
        Ok((panel, note))
    }

    fn empty_reason(&self, key: &str) -> Option<&'static str> {
        let cfg = self.inner.config();
        History::empty_reason(key, cfg.net.rule, cfg.update_angles)
    }

    /// The run's link (`options.link`, the page's, when it holds this run's
    /// settings), this build, and the run's fingerprint at its current iteration.
    fn provenance(&self, key: &str, title: &str, options: &ExportOptions) -> Provenance {
        let cfg = self.inner.config();
        let run = RunRecord {
            label: format!("{} seed {}", cfg.net.rule, cfg.seed),
            seed: cfg.seed,
            steps: self.inner.iteration(),
            fingerprint: self.fingerprint(),
            failure: None,
        };
        // The page's link when it is this run's settings (an opened link keeps
        // its own version), else the run's own current-version link.
        let same_run = |q: &String| crate::link::train_config_from_query(q).is_ok_and(|c| *c == *cfg);
        let query = options.link.clone().filter(same_run).unwrap_or_else(|| self.link());
        Provenance::new(
            format!("#/train?{query}"),
            options.address.clone(),
            format!("training run panel {key}"),
            title.to_string(),
            vec![run],
        )
    }
}
