//! The paper figures for the page: presets, runs (`ExperimentRun`, in a worker), aggregation, drawing and exports.

use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

use crate::describe::{self, Table};
use crate::experiments::{self, ExperimentId, Params, Preset, RunSpec, RunState};
use crate::export;
use crate::figure::{FigureData, Panel, RunResult};
use crate::link;
use crate::plot;
use crate::provenance::Provenance;

use super::data::Lab;
use super::{ExportOptions, canvas_area, export_text, from_value, style_from, to_js, to_value};

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

pub(super) fn figure_panel<'a>(figure: &'a FigureData, key: &str) -> Result<&'a Panel, JsError> {
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
    export::png_with_text(png, provenance::PNG_KEYWORD, &prov.to_json()).map_err(to_js)
}
