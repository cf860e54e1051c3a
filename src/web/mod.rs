//! The JavaScript face of FA Lab: the only Rust that knows wasm-bindgen,
//! web-sys or js-sys. Each exported type wraps a core type; errors cross as
//! `JsError` with the core's message; arrays cross as typed arrays.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

use crate::data::{AssetDecoder, AssetHeader, Mnist15, Split};
use crate::describe::{self, Table};
use crate::experiments::{self, ExperimentId, FigureData, Panel, Params, Preset, RunResult, RunSpec, RunState};
use crate::form::{self, Fields};
use crate::history::History;
use crate::link;
use crate::live;
use crate::net::Rule;
use crate::plot::{self, Style, Theme};
use crate::provenance::{self, Provenance, RunRecord};
use crate::train::{TrainConfig, Trainer};

mod stored;

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
    /// `style` is `{theme: "light" | "dark", scale: devicePixelRatio}` (both optional).
    #[wasm_bindgen(js_name = drawDigits)]
    pub fn draw_digits(
        &self,
        canvas: HtmlCanvasElement,
        first: usize,
        count: usize,
        cols: usize,
        style: JsValue,
    ) -> Result<(), JsError> {
        let indices: Vec<usize> = (first..first.saturating_add(count)).collect();
        plot::draw_digit_grid(&canvas_area(canvas)?, &self.data.train, &indices, cols, &style_from(style)?)
            .map_err(to_js)
    }

    /// Draws the class histogram of both splits.
    #[wasm_bindgen(js_name = drawHistogram)]
    pub fn draw_histogram(&self, canvas: HtmlCanvasElement, style: JsValue) -> Result<(), JsError> {
        plot::draw_class_histogram(&canvas_area(canvas)?, &self.data.train, &self.data.test, &style_from(style)?)
            .map_err(to_js)
    }

    /// The digit grid in words (the canvas's accessible name).
    #[wasm_bindgen(js_name = describeDigits)]
    pub fn describe_digits(&self, first: usize, count: usize) -> String {
        describe::describe_digits(&self.data.train, first, count)
    }

    /// The class histogram in words.
    #[wasm_bindgen(js_name = describeHistogram)]
    pub fn describe_histogram(&self) -> String {
        describe::describe_histogram(&self.data.train, &self.data.test)
    }
}

/// Decodes the asset a slice at a time, so the page's main thread never
/// blocks for the whole of it: `step` as often as frames allow, then `finish`.
#[wasm_bindgen]
pub struct LabLoader {
    inner: AssetDecoder<Vec<u8>>,
}

#[wasm_bindgen]
impl LabLoader {
    /// Checks the header and the length (a truncated file fails here).
    #[wasm_bindgen(constructor)]
    pub fn new(asset: Vec<u8>) -> Result<LabLoader, JsError> {
        Ok(LabLoader { inner: AssetDecoder::new(asset).map_err(to_js)? })
    }

    /// Inflates up to `max_bytes` more; true once the payload is in and its checksum checked.
    pub fn step(&mut self, max_bytes: u32) -> Result<bool, JsError> {
        self.inner.step(max_bytes as usize).map_err(to_js)
    }

    /// Share decoded so far, in [0, 1].
    pub fn fraction(&self) -> f64 {
        self.inner.fraction()
    }

    /// The loaded lab (this loader is used up).
    pub fn finish(self) -> Result<Lab, JsError> {
        Ok(Lab { data: self.inner.finish().map_err(to_js)? })
    }
}

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
        provenance::png_with_text(
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
            "csv" => Ok(provenance::table_csv(&describe::predictions_table(&predictions), &prov)),
            "json" => Ok(provenance::json_with("predictions", &predictions, &prov)),
            other => Err(unknown_format(other)),
        }
    }

    /// `png` (the canvas's pixels) with the provenance of the test digits' answers in an `iTXt` chunk.
    #[wasm_bindgen(js_name = exportPredictionsPng)]
    pub fn export_predictions_png(&self, png: &[u8], options: JsValue) -> Result<Vec<u8>, JsError> {
        let options: ExportOptions = from_value(options, "the export options")?;
        let prov = self.provenance(PREDICTIONS_KEY, PREDICTIONS_TITLE, &options);
        provenance::png_with_text(png, provenance::PNG_KEYWORD, &prov.to_json()).map_err(to_js)
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

/// The option lists of the page's forms: `{rules, figures, presets}`, each `[{value, label, note}]`.
#[wasm_bindgen(js_name = formChoices)]
pub fn form_choices() -> Result<JsValue, JsError> {
    to_value(&form::choices())
}

/// The train form's fields (by link key) showing a link; an error names what is wrong.
#[wasm_bindgen(js_name = trainFieldsFromLink)]
pub fn train_fields_from_link(query: &str) -> Result<JsValue, JsError> {
    to_value(&form::train_fields_from_query(query).map_err(to_js)?)
}

/// The link the train form's fields make, written by the core's one serialiser.
#[wasm_bindgen(js_name = trainLinkFromFields)]
pub fn train_link_from_fields(fields: JsValue) -> Result<String, JsError> {
    let fields: Fields = from_value(fields, "the form's fields")?;
    form::train_query_from_fields(&fields).map_err(to_js)
}

/// The figure form's fields showing a figure (or embed) link.
#[wasm_bindgen(js_name = figureFieldsFromLink)]
pub fn figure_fields_from_link(query: &str) -> Result<JsValue, JsError> {
    to_value(&form::figure_fields_from_query(query).map_err(to_js)?)
}

/// The figure link the figure form's fields make (checked by the link parser).
#[wasm_bindgen(js_name = figureLinkFromFields)]
pub fn figure_link_from_fields(fields: JsValue) -> Result<String, JsError> {
    let fields: Fields = from_value(fields, "the form's fields")?;
    form::figure_query_from_fields(&fields).map_err(to_js)
}

/// The panels a figure will have: `[[key, title]]` (from its layout, before any run).
#[wasm_bindgen(js_name = figurePanels)]
pub fn figure_panels(params: JsValue) -> Result<JsValue, JsError> {
    let params: Params = from_value(params, "the experiment's parameters")?;
    let figure = experiments::aggregate(&params, &[]).map_err(to_js)?;
    let panels: Vec<(String, String)> = figure.panels.into_iter().map(|p| (p.key, p.title)).collect();
    to_value(&panels)
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

/// What the page asks of an export. `width` × `height` is the SVG's size in
/// CSS pixels; `link` is the figure's query (checked against its parameters).
#[derive(Deserialize)]
struct ExportOptions {
    format: String,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    link: Option<String>,
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
        "csv" => Ok(provenance::panel_csv(panel, prov)),
        "json" => Ok(provenance::panel_json(panel, prov)),
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
    provenance::svg_with_metadata(&svg, title, description, prov).map_err(to_js)
}

fn unknown_format(format: &str) -> JsError {
    JsError::new(&format!("unknown export format {format:?} (svg, csv or json; PNG has its own call)"))
}

/// The training settings a link's query describes (validated), or an error naming what is wrong.
#[wasm_bindgen(js_name = trainConfigFromLink)]
pub fn train_config_from_link(query: &str) -> Result<JsValue, JsError> {
    to_value(&link::train_config_from_query(query).map_err(to_js)?)
}

/// A rule's default learning rate, e.g. `defaultEta("fa")`.
#[wasm_bindgen(js_name = defaultEta)]
pub fn default_eta(rule: &str) -> Result<f32, JsError> {
    Ok(rule.parse::<Rule>().map_err(to_js)?.default_eta())
}

/// The default learning rate a link of `version` gives `rule`, with or
/// without weight normalisation (FA with WN has its own from version 2 on).
#[wasm_bindgen(js_name = defaultEtaIn)]
pub fn default_eta_in(rule: &str, weight_norm: bool, version: u32) -> Result<f32, JsError> {
    let rule: Rule = rule.parse().map_err(to_js)?;
    Ok(crate::versions::default_eta(rule, weight_norm.then_some(1.0), version))
}

/// The version of the links this FA Lab makes (`v=` in every link).
#[wasm_bindgen(js_name = currentLinkVersion)]
pub fn current_link_version() -> u32 {
    crate::versions::CURRENT
}

/// A link's version (1 when it has no `v`), or an error for a link made by a
/// newer FA Lab.
#[wasm_bindgen(js_name = linkVersion)]
pub fn link_version(query: &str) -> Result<u32, JsError> {
    link::link_version(query).map_err(to_js)
}

/// For a link of an older version (`v`, none = 1): that it shows what it
/// showed, and what changed since; `undefined` for a current or unreadable link.
#[wasm_bindgen(js_name = olderLinkNote)]
pub fn older_link_note(query: &str) -> Option<String> {
    crate::versions::older_link_note(link::link_version(query).ok()?)
}

/// The experiment parameters a figure link's query describes.
#[wasm_bindgen(js_name = figureParamsFromLink)]
pub fn figure_params_from_link(query: &str) -> Result<JsValue, JsError> {
    to_value(&link::figure_params_from_query(query).map_err(to_js)?)
}

/// The parameters of experiment `id` (`fig2b` … `fig7`, `rules`) in a
/// preset (`quick` or `paper`).
#[wasm_bindgen(js_name = experimentParams)]
pub fn experiment_params(id: &str, preset: &str) -> Result<JsValue, JsError> {
    let id: ExperimentId = id.parse().map_err(to_js)?;
    let preset: Preset = preset.parse().map_err(to_js)?;
    to_value(&id.params(preset))
}

/// Checks parameters (e.g. edited by a person or read from a link) and lists
/// the independent runs they ask for; each can go to its own Web Worker.
#[wasm_bindgen(js_name = experimentRuns)]
pub fn experiment_runs(params: JsValue) -> Result<JsValue, JsError> {
    let params: Params = from_value(params, "the experiment's parameters")?;
    to_value(&params.validate().map_err(to_js)?.specs())
}

/// Means and standard deviations over the runs finished so far.
#[wasm_bindgen(js_name = aggregateRuns)]
pub fn aggregate_runs(params: JsValue, results: JsValue) -> Result<JsValue, JsError> {
    let params: Params = from_value(params, "the experiment's parameters")?;
    let results: Vec<RunResult> = from_value(results, "the run results")?;
    to_value(&experiments::aggregate(&params, &results).map_err(to_js)?)
}

/// One run of an experiment, stepped in chunks (inside a Web Worker).
#[wasm_bindgen]
pub struct ExperimentRun {
    inner: RunState,
}

#[wasm_bindgen]
impl ExperimentRun {
    #[wasm_bindgen(constructor)]
    pub fn new(lab: &Lab, spec: JsValue) -> Result<ExperimentRun, JsError> {
        let spec: RunSpec = from_value(spec, "the run")?;
        Ok(ExperimentRun { inner: RunState::new(&spec, &lab.data).map_err(to_js)? })
    }

    /// Runs up to `max_steps`; returns the run's result once it is finished, else `undefined`.
    pub fn advance(&mut self, max_steps: u32) -> Result<JsValue, JsError> {
        match self.inner.advance(max_steps as usize).map_err(to_js)? {
            Some(result) => to_value(&result),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    pub fn steps(&self) -> f64 {
        self.inner.steps() as f64
    }

    #[wasm_bindgen(js_name = totalSteps)]
    pub fn total_steps(&self) -> f64 {
        self.inner.total_steps() as f64
    }
}

/// Draws panel `key` of a figure onto a canvas (`style` as for `Lab.drawDigits`).
#[wasm_bindgen(js_name = drawPanel)]
pub fn draw_panel(canvas: HtmlCanvasElement, figure: JsValue, key: &str, style: JsValue) -> Result<(), JsError> {
    let figure: FigureData = from_value(figure, "the figure's data")?;
    plot::draw_figure_styled(&canvas_area(canvas)?, &figure, key, &style_from(style)?).map_err(to_js)
}

fn figure_panel<'a>(figure: &'a FigureData, key: &str) -> Result<&'a Panel, JsError> {
    figure.panel(key).ok_or_else(|| JsError::new(&format!("{} has no panel {key:?}", figure.experiment)))
}

/// Panel `key` of a figure in words (the canvas's accessible name).
#[wasm_bindgen(js_name = describeFigurePanel)]
pub fn describe_figure_panel(figure: JsValue, key: &str) -> Result<String, JsError> {
    let figure: FigureData = from_value(figure, "the figure's data")?;
    Ok(describe::describe_panel(figure_panel(&figure, key)?, None))
}

/// Panel `key` of a figure as `{caption, columns, rows, note}`.
#[wasm_bindgen(js_name = figurePanelTable)]
pub fn figure_panel_table(figure: JsValue, key: &str, max_rows: usize) -> Result<JsValue, JsError> {
    let figure: FigureData = from_value(figure, "the figure's data")?;
    let table: Table = describe::panel_table(figure_panel(&figure, key)?, max_rows);
    to_value(&table)
}

/// The provenance of a figure's panel: its link (which must give the
/// figure's parameters), this build and the fingerprints of `results`.
fn figure_provenance(
    figure: &FigureData,
    results: &[RunResult],
    panel: &Panel,
    options: &ExportOptions,
) -> Result<Provenance, JsError> {
    let query = options.link.as_deref().ok_or_else(|| JsError::new("a figure export needs the figure's link"))?;
    let params = link::figure_params_from_query(query).map_err(to_js)?;
    if params != figure.params {
        return Err(JsError::new("the link does not give this figure's parameters"));
    }
    Ok(Provenance::new(
        format!("#/figures?{}", query.trim_start_matches('?')),
        options.address.clone(),
        format!("{} panel {}", figure.experiment, panel.key),
        panel.title.clone(),
        Provenance::figure_runs(results),
    ))
}

/// Panel `key` of a figure as an `svg`, `csv` or `json` file with its
/// provenance; `results` are the finished runs it aggregates; `options` is
/// `{format, link, address, theme, width, height}`.
#[wasm_bindgen(js_name = exportFigurePanel)]
pub fn export_figure_panel(figure: JsValue, results: JsValue, key: &str, options: JsValue) -> Result<String, JsError> {
    let figure: FigureData = from_value(figure, "the figure's data")?;
    let results: Vec<RunResult> = from_value(results, "the run results")?;
    let options: ExportOptions = from_value(options, "the export options")?;
    let panel = figure_panel(&figure, key)?;
    let prov = figure_provenance(&figure, &results, panel, &options)?;
    export_text(panel, None, &prov, &options, |area, style| plot::draw_figure_styled(area, &figure, key, style))
}

/// `png` (the canvas's pixels) with the provenance of a figure's panel in an `iTXt` chunk.
#[wasm_bindgen(js_name = exportFigurePanelPng)]
pub fn export_figure_panel_png(
    figure: JsValue,
    results: JsValue,
    key: &str,
    png: &[u8],
    options: JsValue,
) -> Result<Vec<u8>, JsError> {
    let figure: FigureData = from_value(figure, "the figure's data")?;
    let results: Vec<RunResult> = from_value(results, "the run results")?;
    let options: ExportOptions = from_value(options, "the export options")?;
    let prov = figure_provenance(&figure, &results, figure_panel(&figure, key)?, &options)?;
    provenance::png_with_text(png, provenance::PNG_KEYWORD, &prov.to_json()).map_err(to_js)
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

fn from_value<T: serde::de::DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsError> {
    serde_wasm_bindgen::from_value(value)
        .map_err(|e| JsError::new(&format!("invalid parameter: {what} do not parse: {e}")))
}

fn to_value<T: serde::Serialize>(value: &T) -> Result<JsValue, JsError> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| JsError::new(&e.to_string()))
}

fn canvas_area(canvas: HtmlCanvasElement) -> Result<DrawingArea<CanvasBackend, Shift>, JsError> {
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

/// Where an epoch of the FA step goes: `[{kind, seconds}]` per kind of kernel
/// (`crate::bench::breakdown`), timed call by call with `clock`, a JS function
/// returning milliseconds (`performance.now`). Takes two epochs (one warm-up).
#[wasm_bindgen(js_name = benchBreakdown)]
pub fn bench_breakdown(clock: &js_sys::Function) -> Result<JsValue, JsError> {
    let mut failed = None;
    let mut now = || match clock.call0(&JsValue::NULL).ok().and_then(|v| v.as_f64()) {
        Some(ms) => ms / 1e3,
        None => {
            failed.get_or_insert_with(|| JsError::new("benchBreakdown: the clock did not return a number"));
            0.0
        }
    };
    let acc = crate::bench::breakdown(&mut now);
    if let Some(e) = failed {
        return Err(e);
    }
    let rows: Vec<(&str, f64)> = crate::bench::KINDS.iter().copied().zip(acc).collect();
    serde_wasm_bindgen::to_value(&rows).map_err(|e| JsError::new(&e.to_string()))
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
