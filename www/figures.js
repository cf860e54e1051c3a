// The figures view (and #/embed): a figure link opens its figure; its runs go
// to a pool of Web Workers that lives across runs (each worker loads the wasm
// and the data once); panels redraw as runs finish. Quick presets start at
// once, longer ones wait for the reader to press Run. A worker that throws or
// runs out of memory is replaced; its run is reported and the others go on.
// A paper-preset link draws its stored result (computed natively, www/stored/)
// at once, without the data; any run of it can be recomputed here and its
// fingerprint compared, or the whole figure recomputed live.

import { $, FieldForm, copyText, errorText, fillSelect, say, showOlderLink } from './ui.js';
import { PanelFrame, figureSource } from './panels.js';

const PANEL_BUDGET_MS = 40;   // panel drawing per animation frame (at least one panel a frame)
const MAX_WORKERS = 4;

/** Web Workers running `ExperimentRun`s (worker.js); created once, reused by every run. */
export class WorkerPool {
  constructor(bytes, size) {
    this.bytes = bytes;
    this.loads = 0;        // workers started (each loads the wasm and the data once)
    this.nextJob = 1;
    this.batch = null;
    this.slots = Array.from({ length: size }, () => this.spawn());
  }

  spawn() {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    const slot = { worker, job: null };
    worker.onmessage = ({ data }) => this.message(slot, data);
    worker.onerror = (e) => {
      e.preventDefault();
      this.replace(slot, `the worker failed: ${e.message || 'an uncaught error'}`);
    };
    worker.postMessage({ type: 'init', asset: this.bytes });
    this.loads++;
    return slot;
  }

  /** Runs every spec; calls back on progress, on each result and on each failed run. */
  runAll(specs, handlers) {
    this.cancel();
    return new Promise((resolve) => {
      this.batch = { queue: specs.map((spec, i) => ({ spec, i })), handlers, running: 0, resolve };
      this.dispatch();
    });
  }

  /** Stops the current runs; the workers stay, ready for the next. */
  cancel() {
    for (const slot of this.slots) {
      if (slot.job) { slot.worker.postMessage({ type: 'cancel' }); slot.job = null; }
    }
    this.batch = null;
  }

  dispatch() {
    const batch = this.batch;
    if (!batch) return;
    for (const slot of this.slots) {
      if (slot.job || !batch.queue.length) continue;
      const job = { ...batch.queue.shift(), id: this.nextJob++, batch };
      slot.job = job;
      batch.running++;
      slot.worker.postMessage({ type: 'run', id: job.id, spec: job.spec });
    }
    if (!batch.running && !batch.queue.length) { this.batch = null; batch.resolve(); }
  }

  /** The slot's job is over (finished or failed): free the slot, go on. */
  release(slot) {
    const job = slot.job;
    slot.job = null;
    if (job && job.batch === this.batch) job.batch.running--;
    this.dispatch();
  }

  message(slot, data) {
    const job = slot.job;
    if (data.type === 'fatal' && !job) { this.replace(slot, data.message); return; }
    if (!job || data.id !== job.id) return;   // a cancelled run's last words
    const h = job.batch.handlers;
    if (data.type === 'progress') h.onProgress(job.i, data.steps, data.total);
    else if (data.type === 'done') { h.onResult(job.i, data.result); this.release(slot); }
    else if (data.type === 'error') { h.onError(job.i, data.message); this.release(slot); }
    else if (data.type === 'fatal') this.replace(slot, data.message);
  }

  /**
   * A worker that crashed or ran out of memory: report its run, start a fresh
   * worker in its place — up to a limit, so workers that cannot start at all
   * (a missing file) end the runs with a message instead of respawning forever.
   */
  replace(slot, message) {
    const job = slot.job;
    slot.worker.terminate();
    this.replaced = (this.replaced || 0) + 1;
    const index = this.slots.indexOf(slot);
    if (this.replaced <= 4 * MAX_WORKERS) this.slots[index] = this.spawn();
    else this.slots.splice(index, 1);
    if (job && job.batch === this.batch) {
      job.batch.handlers.onError(job.i, message);
      job.batch.running--;
    }
    slot.job = null;
    if (!this.slots.length && this.batch) {
      const batch = this.batch;
      for (const queued of batch.queue.splice(0)) batch.handlers.onError(queued.i, `no worker left to run it (${message})`);
    }
    this.dispatch();
  }
}

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
    $('figure-stored-all').onclick = () => this.start();
    $('figure-stop').onclick = () => this.stop('Stopped. The panels show the runs that finished.');
    $('figure-copy').onclick = () => {
      const q = this.link();
      if (q !== null) copyText(`${location.origin}${location.pathname}#/figures?${q}`, 'figure-message');
    };
    $('figure-embed').onclick = () => this.embedCode();
    this.shownQuery = null;
    this.embedPanel = null;
    this.pool = null;
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
    const title = `FA Lab: ${this.form.elements.fig.selectedOptions[0].textContent}`.replace(/[<>&"]/g, '');
    box.value = `<iframe src="${location.origin}${location.pathname}#/embed?${q}" ` +
      `width="600" height="480" style="border:0;max-width:100%" title="${title}" ` +
      'sandbox="allow-scripts allow-same-origin allow-downloads" loading="lazy"></iframe>';
    box.select();
  }

  showPanelChoices() {
    const q = this.link();
    let panels = [];
    try { panels = this.engine.figurePanels(this.engine.figureParamsFromLink(q)); } catch { /* none */ }
    fillSelect($('figure-embed-panel'), [{ value: '', label: 'all panels' },
      ...panels.map(([key, title]) => ({ value: key, label: `${key} — ${title}` }))]);
  }

  /** Opens a figure or embed link: fills the form, draws the empty panels, and runs quick presets. */
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
    try {
      const today = { ...fields, v: String(this.engine.currentLinkVersion()) };
      showOlderLink($('figure-older'), this.engine.olderLinkNote(query),
        `#/${embed ? 'embed' : 'figures'}?${this.engine.figureLinkFromFields(today)}`);
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

  /** A long computation starts only when the reader asks for it. */
  gate(prefix = '') {
    this.stop();
    if (!this.open()) return;
    if (prefix) say('figure-message', prefix, true); else say('figure-message', '');
    const preset = this.form.elements.preset.value;
    $('figure-gate-text').textContent = `${this.specs.length} runs with the ${preset} preset take ` +
      `${this.presetTakes[preset] || 'long'} to compute here. Press Run to start them; the panels fill in as runs finish.`;
    $('figure-gate').hidden = false;
    this.redraw().then(() => { if (!this.token) document.body.dataset.figure = 'waiting'; });
  }

  /**
   * Draws the stored result of the form's figure (fetched from `file`), with
   * where it came from and the controls that recompute it here. A stored
   * result that cannot be fetched or read falls back to the Run gate.
   */
  async showStored(file) {
    this.stop();
    if (!this.open()) return;
    say('figure-message', '');
    document.body.dataset.figure = 'loading';
    const ticket = (this.storedTicket = {});
    let stored;
    try {
      const response = await fetch(file);
      if (!response.ok) throw new Error(`the server answered ${response.status} ${response.statusText} for ${file}`);
      stored = new this.engine.StoredResult(await response.text(), this.query);
    } catch (e) {
      if (ticket !== this.storedTicket) return;
      this.gate(`The stored result of this figure could not be used (${errorText(e)}), so it has to be computed here.`);
      return;
    }
    if (ticket !== this.storedTicket) { stored.free(); return; }
    this.stored = stored;
    this.storedFigure = stored.figure();
    $('figure-stored-origin').textContent = stored.origin();
    const runs = stored.runs();
    fillSelect($('figure-stored-run'), runs.map((r, i) => ({ value: String(i), label: `${r.label} (seed ${r.seed})` })));
    $('figure-stored-all').textContent = this.shownEmbed ? 'Run live' : 'Recompute all';
    $('figure-stored-result').textContent = '';
    delete $('figure-stored-result').dataset.check;
    this.storedReady();
    $('figure-stored').hidden = false;
    $('figure-status').textContent = '';
    await this.redraw();
    if (this.stored === stored) { document.body.dataset.figure = 'stored'; document.body.dataset.storedAt = String(Math.round(performance.now())); }
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
    const stored = this.stored;
    const pool = this.workers();
    if (!stored || !pool) return;
    this.stop();
    const k = Number($('figure-stored-run').value);
    const spec = this.specs[k];
    const out = $('figure-stored-result');
    const label = $('figure-stored-run').selectedOptions[0].textContent;
    delete out.dataset.check;
    out.textContent = `Recomputing ${label} here…`;
    document.body.dataset.check = 'running';
    const started = performance.now();
    const token = (this.token = {});
    this.checking = true;
    $('figure-stop').disabled = false;
    pool.runAll([spec], {
      onProgress: (i, steps, total) => { out.textContent = `Recomputing ${label} here… ${Math.floor((100 * steps) / total)} %`; },
      onResult: (i, result) => {
        if (this.stored !== stored) return;
        try {
          const check = stored.checkRun(k, result);
          const seconds = ((performance.now() - started) / 1000).toFixed(1);
          out.textContent = `${check.equal ? '✓' : '✗'} ${check.text} (${seconds} s)`;
          out.dataset.check = check.equal ? 'equal' : 'differs';
        } catch (e) {
          out.textContent = `The recomputed run could not be compared: ${errorText(e)}`;
          out.dataset.check = 'failed';
        }
      },
      onError: (i, message) => { out.textContent = `Recomputing ${label} failed: ${message}`; out.dataset.check = 'failed'; },
    }).then(() => {
      if (this.token !== token) return;
      this.token = null;
      this.checking = false;
      $('figure-stop').disabled = true;
      document.body.dataset.check = out.dataset.check || 'stopped';
    });
  }

  /** Forgets the stored result (a new figure, or recomputing it live). */
  dropStored() {
    this.storedTicket = null;
    this.stored?.free();
    this.stored = null;
    this.storedFigure = null;
    $('figure-stored').hidden = true;
  }

  /** A message with a way on, where a link names no figure. */
  wayOn(text) {
    this.stop();
    this.dropStored();
    this.clearPanels();
    say('figure-message', text, true);
    const way = $('figure-way');
    way.hidden = false;
    const open = Object.assign(document.createElement('a'), { href: `${location.pathname}#/figures`, textContent: 'Open the paper figures' });
    open.target = '_top';
    way.replaceChildren(open, ' and choose one, or try ',
      Object.assign(document.createElement('a'), { href: '#/embed?fig=fig6&preset=quick&runs=2&seed=0&panel=b', textContent: 'an example embed' }), '.');
    document.body.dataset.figure = 'no-figure';
  }

  /** Reads the form, lists its runs and draws the empty panels; false (with a message) if refused. */
  open() {
    const q = this.link();
    if (q === null) return false;
    try {
      this.params = this.engine.figureParamsFromLink(q);
      this.specs = this.engine.experimentRuns(this.params);
    } catch (e) {
      say('figure-message', `Cannot run: ${errorText(e)}`, true);
      return false;
    }
    this.dropStored();
    this.query = q;
    if (!this.shownEmbed) { this.shownQuery = q; this.app.setQuery('figures', q); }
    this.results = [];
    this.failures = [];
    this.clearPanels();
    this.redraw();
    return true;
  }

  start() {
    this.stop();
    if (!this.app.bytes) { say('figure-message', 'The data is still loading; press Run again in a moment.', true); return; }
    $('figure-gate').hidden = true;
    // Recomputing a stored figure: each run is compared with its stored fingerprint as it finishes.
    this.reference?.free();
    this.reference = this.stored;
    this.stored = null;
    this.storedFigure = null;
    if (!this.open()) return;
    const reference = this.reference;
    const compared = { equal: 0, differ: [] };
    say('figure-message', '');
    const specs = this.specs;
    this.progress = specs.map(() => 0);
    this.totals = specs.map(() => 1);
    $('figure-progress').hidden = false;
    $('figure-stop').disabled = false;
    document.body.dataset.figure = 'running';
    this.started = performance.now();
    this.status();
    const pool = this.workers();
    const token = (this.token = {});
    pool.runAll(specs, {
      onProgress: (i, steps, total) => { this.progress[i] = steps; this.totals[i] = total; this.status(); },
      onResult: (i, result) => {
        this.progress[i] = this.totals[i];
        this.results.push(result);
        if (reference) {
          try {
            const check = reference.checkRun(i, result);
            if (check.equal) compared.equal++; else compared.differ.push(check.text);
          } catch (e) { compared.differ.push(errorText(e)); }
        }
        this.redraw();
        this.status();
      },
      onError: (i, message) => { this.failures.push(`run ${i + 1}: ${message}`); this.status(); },
    }).then(() => this.redraw()).then(() => {
      if (this.token !== token) return;
      this.token = null;
      this.stop();
      document.body.dataset.figure = 'done';
      if (this.failures.length) say('figure-message', `Some runs failed; the panels show the others. ${this.failures.join('; ')}`, true);
      else if (reference) {
        const n = compared.equal + compared.differ.length;
        say('figure-message', compared.differ.length
          ? `${compared.differ.length} of ${n} recomputed runs differ from the stored ones: ${compared.differ.join(' ')}`
          : `All ${n} recomputed runs give the stored fingerprints: this figure is the stored one, bit for bit.`, compared.differ.length > 0);
      }
    });
  }

  stop(message) {
    if (this.token) { this.token = null; this.pool?.cancel(); }
    if (this.checking) {
      this.checking = false;
      $('figure-stored-result').textContent = 'Stopped before the run was recomputed.';
      document.body.dataset.check = 'stopped';
    }
    $('figure-stop').disabled = true;
    $('figure-progress').hidden = true;
    if (message) { say('figure-message', message); document.body.dataset.figure = 'stopped'; }
  }

  status() {
    const done = this.progress.reduce((a, b) => a + b, 0);
    const total = this.totals.reduce((a, b) => a + b, 0);
    $('figure-progress').value = total ? done / total : 0;
    const seconds = ((performance.now() - this.started) / 1000).toFixed(1);
    const failed = this.failures.length ? ` · ${this.failures.length} failed` : '';
    $('figure-status').textContent = `${this.results.length} of ${this.specs.length} runs finished${failed} · ${seconds} s`;
  }

  /**
   * Aggregates the runs so far and redraws the panels, a few per animation
   * frame (a panel takes ~20 ms), so opening or finishing a figure never
   * blocks the page for long. Resolves once every panel shows the latest runs.
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
    const t0 = performance.now();
    if (this.redrawWanted) {
      this.redrawWanted = false;
      this.panelQueue = [];
      try {
        this.figure = this.storedFigure || this.engine.aggregateRuns(this.params, this.results);
        this.panelQueue = this.figure.panels.map((p) => p.key).filter((key) => !this.embedPanel || key === this.embedPanel);
        const keys = this.figure.panels.map((p) => p.key);
        if (this.embedPanel && !keys.includes(this.embedPanel)) {
          say('figure-message', `This figure has no panel "${this.embedPanel}"; it has ${keys.join(', ')}.`, true);
        }
      } catch (e) {
        say('figure-message', `Aggregating the runs failed: ${errorText(e)}`, true);
      }
    }
    let drawn = 0;
    while (this.panelQueue.length && (drawn++ === 0 || performance.now() - t0 < PANEL_BUDGET_MS)) this.drawPanel(this.panelQueue.shift());
    if (this.panelQueue.length || this.redrawWanted) { requestAnimationFrame(() => this.redrawStep()); return; }
    const done = this.redrawDone;
    this.redrawing = null;
    done();
  }

  /** Throws the panels away (their frames stop following theme and size). */
  clearPanels() {
    this.frames?.forEach((frame) => frame.dispose());
    this.frames = new Map();
    $('figure-panels').replaceChildren();
  }

  drawPanel(key) {
    let frame = this.frames.get(key);
    if (!frame) {
      const figure = document.createElement('figure');
      const canvas = Object.assign(document.createElement('canvas'), { width: 560, height: 380 });
      canvas.dataset.panel = key;
      figure.append(canvas);
      $('figure-panels').append(figure);
      frame = new PanelFrame(canvas);
      this.frames.set(key, frame);
    }
    const [figure, results, link, stored] = [this.figure, this.results, this.query, this.stored];
    const source = figureSource(this.engine, figure, key, stored ? {
      text: (options) => stored.exportPanel(key, options),
      png: (bytes, options) => stored.exportPanelPng(key, bytes, options),
    } : {
      text: (options) => this.engine.exportFigurePanel(figure, results, key, { ...options, link }),
      png: (bytes, options) => this.engine.exportFigurePanelPng(figure, results, key, bytes, { ...options, link }),
    });
    try { frame.draw(source); } catch (e) { say('figure-message', `Drawing failed: ${errorText(e)}`, true); }
  }
}
