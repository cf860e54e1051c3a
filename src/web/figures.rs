//! The paper figures for the page: `Figure` (a figure held in wasm: its runs,
//! the results as they come, its panels drawn, described, tabulated and
//! exported by key), `ExperimentRun` (one run, in a worker) and `figurePanels`.

use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

use crate::describe;
use crate::experiments::{RunSpec, RunState};
use crate::export;
use crate::figure::RunResult;
use crate::figure_runs::FigureRuns;
use crate::plot;
use crate::provenance;
use crate::read;
use crate::stored::StoredFigure;

use super::data::Lab;
use super::{ExportOptions, canvas_area, export_text, from_value, read_panel, style_from, to_js, to_value};

/// A figure opened from a link, live or stored. Results go in one at a time
/// (`addResult`); the figure never crosses back whole: its panels are drawn,
/// described, tabulated and exported here by key.
#[wasm_bindgen]
pub struct Figure {
    inner: FigureRuns,
}

#[wasm_bindgen]
impl Figure {
    /// The figure a figure (or embed) link describes, checked once, with no run finished.
    #[wasm_bindgen(constructor)]
    pub fn new(query: &str) -> Result<Figure, JsError> {
        Ok(Figure { inner: FigureRuns::from_link(query).map_err(to_js)? })
    }

    /// The stored result `bytes` (a `www/stored/<id>.json` as fetched) for the
    /// figure link `query`; throws, saying why, if the file is damaged or is another figure.
    #[wasm_bindgen(js_name = fromStored)]
    pub fn from_stored(bytes: &[u8], query: &str) -> Result<Figure, JsError> {
        let text = StoredFigure::text(bytes).map_err(to_js)?;
        Ok(Figure { inner: FigureRuns::from_stored(text, query).map_err(to_js)? })
    }

    /// The same figure with no run finished, to compute here; a stored
    /// figure's runs are compared with their stored fingerprints as they finish.
    pub fn recompute(&self) -> Figure {
        Figure { inner: self.inner.recompute() }
    }

    /// The experiment's name (`fig6`).
    pub fn id(&self) -> String {
        self.inner.params().id().name().to_string()
    }

    /// A stored figure's origin in a sentence (`undefined` for a live one).
    pub fn origin(&self) -> Option<String> {
        self.inner.origin()
    }

    /// Every run as a `RunSpec` for `ExperimentRun`, in run order (the index `addResult` takes).
    pub fn specs(&self) -> Result<JsValue, JsError> {
        to_value(self.inner.specs())
    }

    /// Run `index`'s `RunSpec` (one run, e.g. to recompute and check).
    pub fn spec(&self, index: usize) -> Result<JsValue, JsError> {
        to_value(self.inner.spec(index).map_err(to_js)?)
    }

    /// The runs as `[{value, label}]` for a `<select>` (`FA run 3 (seed 3)`).
    #[wasm_bindgen(js_name = runChoices)]
    pub fn run_choices(&self) -> Result<JsValue, JsError> {
        to_value(&self.inner.run_choices())
    }

    #[wasm_bindgen(js_name = runsTotal)]
    pub fn runs_total(&self) -> usize {
        self.inner.specs().len()
    }

    #[wasm_bindgen(js_name = runsDone)]
    pub fn runs_done(&self) -> usize {
        self.inner.runs_done()
    }

    /// Takes the result of run `index`; returns its comparison with the
    /// stored run (`{label, stored, recomputed, equal, text}`) when the figure
    /// recomputes a stored one, else `undefined`.
    #[wasm_bindgen(js_name = addResult)]
    pub fn add_result(&mut self, index: usize, result: JsValue) -> Result<JsValue, JsError> {
        let result: RunResult = from_value(result, "the run's result")?;
        match self.inner.add_result(index, result).map_err(to_js)? {
            Some(check) => to_value(&check),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// Run `index` recomputed here against its stored record, the figure unchanged:
    /// `{label, stored, recomputed, equal, text}`.
    #[wasm_bindgen(js_name = checkRun)]
    pub fn check_run(&self, index: usize, result: JsValue) -> Result<JsValue, JsError> {
        let result: RunResult = from_value(result, "the recomputed run")?;
        to_value(&self.inner.check_run(index, &result).map_err(to_js)?)
    }

    /// What recomputing a stored figure found so far: `{compared, differ, text}`, or `undefined`.
    pub fn comparison(&self) -> Result<JsValue, JsError> {
        match self.inner.comparison() {
            Some(c) => to_value(&c),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// The panels' keys, in the order they are drawn.
    #[wasm_bindgen(js_name = panelKeys)]
    pub fn panel_keys(&self) -> Vec<String> {
        self.inner.panel_choices().into_iter().map(|(key, _)| key).collect()
    }

    /// Draws panel `key` onto a canvas (`style` as for `Lab.drawDigits`);
    /// returns where a line panel's data sits on it (a `PlotFrame` for
    /// `readout`), `null` for a PCA panel or one without data.
    #[wasm_bindgen(js_name = drawPanel)]
    pub fn draw_panel(&self, canvas: HtmlCanvasElement, key: &str, style: JsValue) -> Result<JsValue, JsError> {
        let area = canvas_area(canvas)?;
        let frame = plot::draw_figure_styled(&area, self.inner.figure(), key, &style_from(style)?).map_err(to_js)?;
        to_value(&frame)
    }

    /// Panel `key` read at `at` (`{px}`, `{x}` or `{x, steps}`) on a drawing
    /// whose frame `drawPanel` returned: `{x, cursor, top, bottom, left, right,
    /// points: [{label, colour, x, mean, sd, n, y, text}], text}`, or `null`.
    pub fn readout(&self, key: &str, frame: JsValue, at: JsValue) -> Result<JsValue, JsError> {
        read_panel(self.inner.panel(key).map_err(to_js)?, frame, at)
    }

    /// Panel `key` in words (the canvas's accessible name).
    #[wasm_bindgen(js_name = describePanel)]
    pub fn describe_panel(&self, key: &str) -> Result<String, JsError> {
        Ok(describe::describe_panel(self.inner.panel(key).map_err(to_js)?, None))
    }

    /// Panel `key` as `{caption, columns, rows, note}` (at most `max_rows` rows).
    #[wasm_bindgen(js_name = panelTable)]
    pub fn panel_table(&self, key: &str, max_rows: usize) -> Result<JsValue, JsError> {
        to_value(&describe::panel_table(self.inner.panel(key).map_err(to_js)?, max_rows))
    }

    /// Panel `key` as an `svg`, `csv` or `json` file with its provenance (the
    /// figure's link and runs, or the stored ones); `options` is `{format, address, theme, width, height}`.
    #[wasm_bindgen(js_name = exportPanel)]
    pub fn export_panel(&self, key: &str, options: JsValue) -> Result<String, JsError> {
        let options: ExportOptions = from_value(options, "the export options")?;
        let panel = self.inner.panel(key).map_err(to_js)?;
        let prov = self.inner.provenance(key, options.address.clone()).map_err(to_js)?;
        let figure = self.inner.figure();
        export_text(panel, None, &prov, &options, |area, style| {
            plot::draw_figure_styled(area, figure, key, style).map(|_| ())
        })
    }

    /// `png` (the canvas's pixels) with the provenance of panel `key` in an `iTXt` chunk.
    #[wasm_bindgen(js_name = exportPanelPng)]
    pub fn export_panel_png(&self, key: &str, png: &[u8], options: JsValue) -> Result<Vec<u8>, JsError> {
        let options: ExportOptions = from_value(options, "the export options")?;
        let prov = self.inner.provenance(key, options.address).map_err(to_js)?;
        export::png_with_text(png, provenance::PNG_KEYWORD, &prov.to_json()).map_err(to_js)
    }

    /// The whole figure as data (`FigureData`: what `fa-lab figure` writes as JSON), for the console and tests.
    pub fn data(&self) -> Result<JsValue, JsError> {
        to_value(self.inner.figure())
    }

    /// Shows only the named conditions (`undefined`: all): the panels drawn,
    /// described, tabulated and exported leave the others out, and a panel
    /// left empty is no longer among `panelKeys`.
    #[wasm_bindgen(js_name = showConditions)]
    pub fn show_conditions(&mut self, conditions: Option<Vec<String>>) -> Result<(), JsError> {
        self.inner.show_conditions(conditions).map_err(to_js)
    }

    /// What FA Lab finds in this figure for the Read view's reading `id`,
    /// over all its conditions: `[{parts: [text | {value, shown, decimals, source}]}]`.
    pub fn findings(&self, id: &str) -> Result<JsValue, JsError> {
        let reading = read::reading(id).map_err(to_js)?;
        to_value(&reading.findings(self.inner.full_figure()).map_err(to_js)?)
    }
}

/// The panels a figure link's figure has: `[[key, title]]` (before any run).
#[wasm_bindgen(js_name = figurePanels)]
pub fn figure_panels(query: &str) -> Result<JsValue, JsError> {
    to_value(&FigureRuns::from_link(query).map_err(to_js)?.panel_choices())
}

/// One run of an experiment, stepped in chunks (inside a Web Worker).
#[wasm_bindgen]
pub struct ExperimentRun {
    inner: RunState,
}

#[wasm_bindgen]
impl ExperimentRun {
    /// `spec` is one of `Figure.specs()`.
    #[wasm_bindgen(constructor)]
    pub fn new(lab: &Lab, spec: JsValue) -> Result<ExperimentRun, JsError> {
        let spec: RunSpec = from_value(spec, "the run")?;
        Ok(ExperimentRun { inner: RunState::new(&spec, &lab.data).map_err(to_js)? })
    }

    /// A run that needs no data (`fig2b`), before the data set has loaded; throws for any other.
    #[wasm_bindgen(js_name = withoutData)]
    pub fn without_data(spec: JsValue) -> Result<ExperimentRun, JsError> {
        let spec: RunSpec = from_value(spec, "the run")?;
        Ok(ExperimentRun { inner: RunState::without_data(&spec).map_err(to_js)? })
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

/// The Read view's figures, in page order: `[{id, section, figure, title, query, file, panels, claim, choice}]`.
#[wasm_bindgen]
pub fn readings() -> Result<JsValue, JsError> {
    to_value(&read::READINGS.iter().map(read::Reading::info).collect::<Vec<_>>())
}

/// The train link of the Read view's first section (FA, stepped by the reader).
#[wasm_bindgen(js_name = readTrickLink)]
pub fn read_trick_link() -> String {
    read::TRICK_LINK.to_string()
}

/// The hidden layers whose error signals section 1 shows (`[1, 2, 3, 4]`).
#[wasm_bindgen(js_name = readTrickLayers)]
pub fn read_trick_layers() -> Vec<usize> {
    read::trick_layers()
}

/// The stored result's file (relative to the page) that would serve a figure
/// link, or `undefined` when the link is computed live.
#[wasm_bindgen(js_name = storedFileFor)]
pub fn stored_file_for(query: &str) -> Option<String> {
    crate::stored::file_for(query)
}
