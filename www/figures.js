// The figures view (and #/embed): a figure link opens its figure, a wasm
// `Figure` that holds the runs' results and draws its own panels; its runs go
// to the worker pool (pool.js) and the panels redraw as runs finish. Quick
// presets start at once, longer ones wait for the reader to press Run. A
// paper-preset link draws its stored result (computed natively, www/stored/)
// at once, without the data; any run of it can be recomputed here and its
// fingerprint compared, or the whole figure recomputed live.
//
// The view is in one state at a time (`this.state`, see `enter`); leaving a
// state cancels what it started, through its one AbortController.

import { $, FieldForm, applyHidden, copyText, embedCode, errorText, fetchOk, fillSelect, nextTask, say, showOlderLink } from './ui.js';
import { PanelFrame, drawInFrame, panelSource } from './panels.js';
import { ReadoutGroup } from './readout.js';
import { MAX_WORKERS, WorkerPool } from './pool.js';
import { announce } from './a11y.js';


/**
 * The view's modes. Every state is `{mode, figure, abort, …}`: `figure` is the
 * wasm `Figure` shown (none in 'none' and 'loading'), `abort` cancels what the
 * state started (a fetch, runs in the workers).
 */
const Mode = Object.freeze({
  NONE: 'none',               // no figure: a link that names none
  GATE: 'gate',               // a live figure whose runs wait for the reader's Run
  LOADING: 'loading',         // a stored result being fetched
  STORED: 'stored',           // a stored figure
  CHECKING: 'checking',       // a stored figure, one of its runs recomputing in a worker
  RUNNING: 'running',         // a live figure computing in the workers
  RECOMPUTING: 'recomputing', // a stored figure computed again here, each run compared with it
  DONE: 'done',               // a live figure whose runs are over (finished, failed or stopped)
});
const computing = (mode) => mode === Mode.RUNNING || mode === Mode.RECOMPUTING;

export class FigureView {
  constructor(app) {
    this.app = app;
    this.engine = app.engine;
    this.form = $('figure-form');
    this.fields = new FieldForm(this.form, $('figure-kept'));
    const choices = this.engine.formChoices();
    this.presetNotes = Object.fromEntries(choices.presets.map((p) => [p.value, p.note]));
    this.presetTakes = Object.fromEntries(choices.presets.map((p) => [p.value, p.takes]));
    fillSelect(this.form.elements.fig, choices.figures);
    fillSelect(this.form.elements.preset, choices.presets);
    // A new link, of the current version (a link without `v` is version 1).
    this.fields.fill(this.engine.figureFieldsFromLink(`v=${this.engine.currentLinkVersion()}&fig=${choices.figures[0].value}`));
    // A new figure or preset brings its own number of runs (the core's preset).
    for (const name of ['fig', 'preset']) this.form.elements[name].addEventListener('change', () => this.presetChanged());
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this.runForm(); });
    $('figure-gate-run').onclick = () => this.start();
    $('figure-stored-check').onclick = () => this.checkStoredRun();
    $('figure-stored-all').onclick = () => this.recompute();
    $('figure-stop').onclick = () => this.stop('Stopped. The panels show the runs that finished.');
    $('figure-copy').onclick = () => {
      const q = this.link();
      if (q !== null) copyText(`${location.origin}${location.pathname}#/figures?${q}`, 'figure-message');
    };
    $('figure-embed').onclick = () => this.embedCode();
    this.shownQuery = null;
    this.embedPanel = null;
    this.pool = null;
    this.frames = new Map();
    this.readouts = new ReadoutGroup();
    this.panelQueue = [];
    this.state = { mode: Mode.NONE, figure: null, abort: new AbortController() };
    this.showPresetNote();
    this.showPanelChoices();
  }

  /** The pool, started on first use and kept for every later run (null until the data is loaded). */
  workers() {
    if (!this.app.bytes) return null;
    if (!this.pool) {
      const size = Math.max(1, Math.min(navigator.hardwareConcurrency || 2, MAX_WORKERS));
      this.pool = new WorkerPool(this.app.bytes, size);
    }
    return this.pool;
  }

  /** The figure shown, as data (`FigureData`), for the console and the tests. */
  figureData() {
    return this.state.figure?.data();
  }

  /**
   * Moves to a new state: whatever the current one started is cancelled, and
   * its figure is freed (its panels cleared) unless the new state shows it too.
   */
  enter(mode, { figure = null, ...rest } = {}) {
    const old = this.state;
    old.abort.abort();
    const state = { mode, figure, ...rest, abort: new AbortController() };
    this.state = state;
    if (figure !== old.figure) {
      this.clearPanels();
      old.figure?.free();
      if (figure) this.redraw();
    }
    $('figure-stop').disabled = !(computing(mode) || mode === Mode.CHECKING);
    $('figure-progress').hidden = !computing(mode);
    $('figure-gate').hidden = mode !== Mode.GATE;
    $('figure-stored').hidden = mode !== Mode.STORED && mode !== Mode.CHECKING;
    $('figure-way').hidden = true;
    return state;
  }

  link(extra = {}) {
    try {
      return this.engine.figureLinkFromFields({ ...this.fields.read(), ...extra });
    } catch (e) {
      say('figure-message', `Cannot run: ${errorText(e)}`, true);
      return null;
    }
  }

  presetChanged() {
    const fields = this.fields.read();
    delete fields.runs;
    try { this.fields.fill(this.engine.figureFieldsFromLink(this.engine.figureLinkFromFields(fields))); } catch { /* the form says why on Run */ }
    this.showPresetNote();
    this.showPanelChoices();
  }

  showPresetNote() {
    const preset = this.form.elements.preset.value;
    $('figure-preset-note').textContent = `${preset}: ${this.presetNotes[preset] || ''}`;
  }

  embedCode() {
    const panel = $('figure-embed-panel').value;
    const q = this.link(panel ? { panel } : {});
    if (q === null) return;
    const box = $('embed-code');
    box.hidden = false;
    box.value = embedCode(q, this.form.elements.fig.selectedOptions[0].textContent);
    box.select();
  }

  showPanelChoices() {
    const q = this.link();
    let panels = [];
    try { panels = this.engine.figurePanels(q); } catch { /* none */ }
    fillSelect($('figure-embed-panel'), [{ value: '', label: 'all panels' },
      ...panels.map(([key, title]) => ({ value: key, label: `${key} — ${title}` }))]);
  }

  /** Opens a figure or embed link: fills the form, then runs a quick preset, shows a stored one or waits. */
  show(query, { embed }) {
    if (query === this.shownQuery && embed === this.shownEmbed) return;
    this.shownQuery = query;
    this.shownEmbed = embed;
    $('figure-way').hidden = true;
    $('figure-older').hidden = true;
    if (!query) {
      if (embed) this.wayOn('This embed link names no figure (it needs fig=…, e.g. fig=fig6).');
      return;
    }
    let fields;
    try {
      fields = this.engine.figureFieldsFromLink(query);
    } catch (e) {
      this.stop();
      const text = `This link could not be read — ${errorText(e)}.`;
      if (embed) this.wayOn(text);
      else {
        say('figure-message', `${text} The form keeps its settings: choose a figure and press Run.`, true);
        this.form.elements.fig.focus();
      }
      return;
    }
    this.embedPanel = embed ? fields.panel || null : null;
    this.fields.fill(fields);
    try { applyHidden(this.form, $('figure-fixed'), this.engine.hiddenControls(fields.hide || '', true)); } catch { /* the link parser accepted it */ }
    try {
      const today = { ...fields, v: String(this.engine.currentLinkVersion()) };
      showOlderLink($('figure-older'), this.engine.olderLinkNote(query),
        `#/${embed ? 'embed' : 'figures'}?${this.engine.figureLinkFromFields(today)}`,
        embed ? this.engine.olderLinkSummary(query) : null);
    } catch { /* the form says why on Run */ }
    this.showPresetNote();
    this.showPanelChoices();
    if (fields.preset === 'quick') { this.start(); return; }
    const file = this.engine.storedFileFor(query);
    if (file) { this.showStored(file); return; }
    this.gate();
  }

  /** The form's Run: a figure that has a stored result shows it; any other is computed. */
  runForm() {
    const q = this.link();
    if (q === null) return;
    const file = this.engine.storedFileFor(q);
    if (file) this.showStored(file); else this.start();
  }

  /** The form's figure as a live `Figure`, its link put in the address; null (with a message) if refused. */
  openFigure() {
    const q = this.link();
    if (q === null) return null;
    let figure;
    try {
      figure = new this.engine.Figure(q);
    } catch (e) {
      say('figure-message', `Cannot run: ${errorText(e)}`, true);
      return null;
    }
    this.showQuery(q);
    return figure;
  }

  showQuery(q) {
    if (!this.shownEmbed) { this.shownQuery = q; this.app.setQuery('figures', q); }
  }

  /** A long computation starts only when the reader asks for it: the empty panels and a Run button. */
  gate(prefix = '') {
    const figure = this.openFigure();
    if (!figure) return;
    const state = this.enter(Mode.GATE, { figure });
    say('figure-message', prefix, Boolean(prefix));
    $('figure-status').textContent = '';
    const preset = this.form.elements.preset.value;
    $('figure-gate-text').textContent = `${figure.runsTotal()} runs with the ${preset} preset take ` +
      `${this.presetTakes[preset] || 'long'} to compute here. Press Run to start them; the panels fill in as runs finish.`;
    this.redraw().then(() => { if (this.state === state) document.body.dataset.figure = 'waiting'; });
  }

  /**
   * Draws the stored result of the form's figure (fetched from `file`), with
   * where it came from and the controls that recompute it here. A stored
   * result that cannot be fetched or read falls back to the Run gate.
   */
  async showStored(file) {
    const query = this.link();
    if (query === null) return;
    const loading = this.enter(Mode.LOADING);
    this.showQuery(query);
    say('figure-message', '');
    $('figure-status').textContent = '';
    document.body.dataset.figure = 'loading';
    let figure;
    try {
      const bytes = new Uint8Array(await (await fetchOk(file, { signal: loading.abort.signal })).arrayBuffer());
      // Parsing (the largest file, 0.4 MB, takes tens of ms) gets a task of its own,
      // apart from the download's last piece and from filling the view.
      await nextTask();
      if (this.state !== loading) return;
      figure = this.engine.Figure.fromStored(bytes, query);
    } catch (e) {
      if (this.state !== loading) return;
      this.gate(`The stored result of this figure could not be used (${errorText(e)}), so it has to be computed here.`);
      return;
    }
    await nextTask();
    if (this.state !== loading) { figure.free(); return; }
    const state = this.enter(Mode.STORED, { figure });
    $('figure-stored-origin').textContent = figure.origin();
    fillSelect($('figure-stored-run'), figure.runChoices());
    $('figure-stored-all').textContent = this.shownEmbed ? 'Run live' : 'Recompute all';
    $('figure-stored-result').textContent = '';
    delete $('figure-stored-result').dataset.check;
    this.storedReady();
    await this.redraw();
    if (this.state === state) { document.body.dataset.figure = 'stored'; document.body.dataset.storedAt = String(Math.round(performance.now())); }
  }

  /** Recomputing needs the data (workers load it): the buttons wait for it. */
  storedReady() {
    const ready = Boolean(this.app.bytes);
    for (const id of ['figure-stored-check', 'figure-stored-all']) {
      $(id).disabled = !ready;
      $(id).title = ready ? '' : 'Waiting for the data to load';
    }
  }

  /** Recomputes the chosen stored run in a worker and compares its fingerprint with the stored one. */
  checkStoredRun() {
    const { mode, figure } = this.state;
    const pool = this.workers();
    if (mode !== Mode.STORED || !pool) return;
    const k = Number($('figure-stored-run').value);
    const label = $('figure-stored-run').selectedOptions[0].textContent;
    const out = $('figure-stored-result');
    delete out.dataset.check;
    out.textContent = `Recomputing ${label} here…`;
    document.body.dataset.check = 'running';
    const started = performance.now();
    const state = this.enter(Mode.CHECKING, { figure });
    pool.runAll([figure.spec(k)], {
      onProgress: (i, steps, total) => { out.textContent = `Recomputing ${label} here… ${Math.floor((100 * steps) / total)} %`; },
      onResult: (i, result) => {
        try {
          const check = figure.checkRun(k, result);
          const seconds = ((performance.now() - started) / 1000).toFixed(1);
          out.textContent = `${check.equal ? '✓' : '✗'} ${check.text} (${seconds} s)`;
          out.dataset.check = check.equal ? 'equal' : 'differs';
        } catch (e) {
          out.textContent = `The recomputed run could not be compared: ${errorText(e)}`;
          out.dataset.check = 'failed';
        }
      },
      onError: (i, message) => { out.textContent = `Recomputing ${label} failed: ${message}`; out.dataset.check = 'failed'; },
    }, state.abort.signal).then(() => {
      if (this.state !== state) return;
      this.enter(Mode.STORED, { figure });
      document.body.dataset.check = out.dataset.check || 'stopped';
    });
  }

  /** A message with a way on, where a link names no figure. */
  wayOn(text) {
    this.enter(Mode.NONE);
    say('figure-message', text, true);
    const way = $('figure-way');
    way.hidden = false;
    const open = Object.assign(document.createElement('a'), { href: `${location.pathname}#/figures`, textContent: 'Open the paper figures' });
    open.target = '_top';
    way.replaceChildren(open, ' and choose one, or try ',
      Object.assign(document.createElement('a'), {
        href: `#/embed?${this.engine.figureLinkFromFields({ fig: 'fig6', preset: 'quick', runs: '2', seed: '0', panel: 'b' })}`,
        textContent: 'an example embed',
      }), '.');
    document.body.dataset.figure = 'no-figure';
  }

  /** Computes the form's figure in the workers (the gate's and the form's Run). */
  start() {
    if (!this.app.bytes) { say('figure-message', 'The data is still loading; press Run again in a moment.', true); return; }
    const figure = this.openFigure();
    if (figure) this.compute(Mode.RUNNING, figure);
  }

  /** Computes the stored figure shown here again, each run compared with its stored fingerprint as it finishes. */
  recompute() {
    const { mode, figure } = this.state;
    if (mode !== Mode.STORED || !this.app.bytes) return;
    this.compute(Mode.RECOMPUTING, figure.recompute());
  }

  compute(mode, figure) {
    const specs = figure.specs();
    const state = this.enter(mode, {
      figure, started: performance.now(), failures: [], progress: specs.map(() => 0), totals: specs.map(() => 1),
    });
    say('figure-message', '');
    document.body.dataset.figure = 'running';
    this.status();
    this.workers().runAll(specs, {
      onProgress: (i, steps, total) => { state.progress[i] = steps; state.totals[i] = total; this.status(); },
      onResult: (i, result) => {
        state.progress[i] = state.totals[i];
        try { figure.addResult(i, result); } catch (e) { state.failures.push(`run ${i + 1}: ${errorText(e)}`); }
        this.redraw();
        this.status();
      },
      onError: (i, message) => { state.failures.push(`run ${i + 1}: ${message}`); this.status(); },
    }, state.abort.signal).then(() => this.redraw()).then(() => {
      if (this.state !== state) return;
      this.enter(Mode.DONE, { figure });
      document.body.dataset.figure = 'done';
      const comparison = figure.comparison();
      if (state.failures.length) say('figure-message', `Some runs failed; the panels show the others. ${state.failures.join('; ')}`, true);
      else if (comparison) say('figure-message', comparison.text, comparison.differ > 0);
      announce($('figure-status').textContent, { now: true });
    });
  }

  /** Stops the runs under way: a figure keeps the runs that finished; a stored run's check is dropped. */
  stop(message) {
    const { mode, figure } = this.state;
    if (mode === Mode.CHECKING) {
      this.enter(Mode.STORED, { figure });
      $('figure-stored-result').textContent = 'Stopped before the run was recomputed.';
      document.body.dataset.check = 'stopped';
    } else if (computing(mode)) {
      this.enter(Mode.DONE, { figure });
      if (message) { say('figure-message', message); document.body.dataset.figure = 'stopped'; }
    }
  }

  status() {
    const { figure, progress, totals, failures, started } = this.state;
    const done = progress.reduce((a, b) => a + b, 0);
    const total = totals.reduce((a, b) => a + b, 0);
    $('figure-progress').value = total ? done / total : 0;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const failed = failures.length ? ` · ${failures.length} failed` : '';
    $('figure-status').textContent = `${figure.runsDone()} of ${figure.runsTotal()} runs finished${failed} · ${seconds} s`;
  }

  /**
   * Redraws the figure's panels, a few per animation frame (a panel takes
   * ~20 ms), so opening or finishing a figure never blocks the page for long.
   * The figure aggregates its runs in wasm when first drawn after a result.
   * Resolves once every panel shows the latest runs.
   */
  redraw() {
    this.redrawWanted = true;
    if (!this.redrawing) {
      this.redrawing = new Promise((ok) => { this.redrawDone = ok; });
      requestAnimationFrame(() => this.redrawStep());
    }
    return this.redrawing;
  }

  redrawStep() {
    const figure = this.state.figure;
    if (this.redrawWanted) {
      this.redrawWanted = false;
      this.panelQueue = figure ? this.panelsToDraw(figure) : [];
      // New panels' boxes first, laid out in a frame of their own: the first panel drawn
      // then does not also pay for laying out the view.
      const fresh = this.panelQueue.filter((key) => !this.frames.has(key));
      if (fresh.length) {
        fresh.forEach((key) => this.panelFrame(key));
        requestAnimationFrame(() => this.redrawStep());
        return;
      }
    }
    drawInFrame(this.panelQueue, (key) => this.drawPanel(figure, key));
    if (this.panelQueue.length || this.redrawWanted) { requestAnimationFrame(() => this.redrawStep()); return; }
    const done = this.redrawDone;
    this.redrawing = null;
    done();
  }

  /** The panels to draw: all of them, or an embed's one. */
  panelsToDraw(figure) {
    const keys = figure.panelKeys();
    if (!this.embedPanel) return keys;
    if (!keys.includes(this.embedPanel)) say('figure-message', `This figure has no panel "${this.embedPanel}"; it has ${keys.join(', ')}.`, true);
    return keys.filter((key) => key === this.embedPanel);
  }

  /** Throws the panels away (their frames stop following theme and size). */
  clearPanels() {
    this.frames.forEach((frame) => frame.dispose());
    this.frames = new Map();
    this.readouts = new ReadoutGroup();
    this.panelQueue = [];
    $('figure-panels').replaceChildren();
  }

  /** Panel `key`'s frame, made (its box in the page, not drawn) when it has none. */
  panelFrame(key) {
    let frame = this.frames.get(key);
    if (!frame) {
      const box = document.createElement('figure');
      const canvas = Object.assign(document.createElement('canvas'), { width: 560, height: 380 });
      canvas.dataset.panel = key;
      const plot = Object.assign(document.createElement('div'), { className: 'plot-box' });
      plot.append(canvas);
      box.append(plot);
      $('figure-panels').append(box);
      frame = new PanelFrame(canvas, { group: this.readouts, fill: this.shownEmbed });
      this.frames.set(key, frame);
    }
    return frame;
  }

  drawPanel(figure, key) {
    const frame = this.panelFrame(key);
    try { frame.draw(panelSource(figure, key, `fa-lab-${figure.id()}-${key}`)); } catch (e) { say('figure-message', `Drawing failed: ${errorText(e)}`, true); }
  }
}
