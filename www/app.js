// FA Lab page glue: load the wasm engine and the data, route between views,
// read controls into link queries, step training in animation frames, hand
// experiment runs to Web Workers and canvases to Rust. No math here: every
// number, every check of a setting and every plot comes from the Rust core.

const DATA_URL = 'data/mnist15.bin';
const DIGITS_PER_PAGE = 24;
const HEADER_BYTES = 32;
const FRAME_BUDGET_MS = 24;   // training time per animation frame
const REDRAW_MS = 250;        // live plots redraw at most this often

// A minimal module using one simd128 instruction: validates only where SIMD is supported.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0,
  10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

const $ = (id) => document.getElementById(id);
const errorText = (e) => (e && e.message) || String(e);

function setState(state) {
  document.body.dataset.state = state;
}

function showStatus(text, fraction) {
  $('status').hidden = false;
  $('status-text').textContent = text;
  const bar = $('progress');
  if (fraction === undefined) bar.removeAttribute('value');
  else bar.value = fraction;
}

function fail(message, retry) {
  setState('error');
  $('status').hidden = true;
  $('error').hidden = false;
  $('error-text').textContent = message;
  const button = $('retry');
  button.hidden = !retry;
  button.onclick = () => {
    $('error').hidden = true;
    retry();
  };
}

/** A message inside a view (a bad link, a diverged run): the view stays usable. */
function say(id, text, bad = false) {
  const el = $(id);
  el.textContent = text || '';
  el.classList.toggle('bad', bad);
}

// ---------------------------------------------------------------- loading

// Downloads the asset, reporting progress from its own header (the first 32
// bytes announce the full size) or from Content-Length.
async function fetchAsset(engine, onProgress) {
  const response = await fetch(DATA_URL, { cache: 'no-cache' });
  if (!response.ok) throw new Error(`the server answered ${response.status} ${response.statusText} for ${DATA_URL}`);
  const reader = response.body.getReader();
  let total = Number(response.headers.get('Content-Length')) || 0;
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    if (!total && received >= HEADER_BYTES) {
      try { total = engine.assetExpectedBytes(concat(chunks, received).subarray(0, HEADER_BYTES)); } catch { total = 0; }
    }
    onProgress(received, total);
  }
  return concat(chunks, received);
}

function concat(chunks, length) {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const c of chunks) { out.set(c, offset); offset += c.length; }
  return out;
}

const mib = (bytes) => (bytes / (1 << 20)).toFixed(1);

async function boot() {
  setState('loading');
  showStatus('Loading the engine…');
  if (typeof WebAssembly !== 'object' || !WebAssembly.validate(SIMD_PROBE)) {
    fail('This browser cannot run FA Lab: it needs WebAssembly with SIMD (Chrome/Edge 91+, Firefox 89+, Safari 16.4+).', null);
    return;
  }
  let engine;
  try {
    engine = await import('./fa-lab.js');
    await engine.default();
  } catch (e) {
    fail(`The lab's engine (WebAssembly) did not load: ${errorText(e)}`, boot);
    return;
  }
  $('simd-badge').textContent = engine.simdEnabled() ? 'with SIMD (simd128)' : 'without SIMD';

  let bytes;
  try {
    bytes = await fetchAsset(engine, (got, total) => showStatus(
      total ? `Downloading MNIST: ${mib(got)} of ${mib(total)} MB` : `Downloading MNIST: ${mib(got)} MB`,
      total ? Math.min(got / total, 1) : undefined));
  } catch (e) {
    fail(`Could not download the data (${DATA_URL}): ${errorText(e)}`, boot);
    return;
  }

  showStatus('Decoding…');
  let lab;
  try {
    lab = new engine.Lab(bytes);
  } catch (e) {
    fail(`The data file is damaged or incomplete — ${errorText(e)}. Retrying downloads it again.`, boot);
    return;
  }
  // For the console and the end-to-end tests: the engine and the loaded data.
  window.faLab = { engine, lab };
  $('status').hidden = true;
  const app = new App(engine, lab, bytes);
  window.faLab.app = app;
  window.addEventListener('hashchange', () => app.route());
  app.route();
  setState('ready');
}

// ---------------------------------------------------------------- the app

/** `#/view?query` → { view, query } */
function parseHash() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [view, ...rest] = hash.split('?');
  return { view: view || 'train', query: rest.join('?') };
}

class App {
  constructor(engine, lab, bytes) {
    this.engine = engine;
    this.lab = lab;
    this.bytes = bytes;
    this.views = {
      train: new TrainView(this),
      figures: new FigureView(this),
      data: new DataView(this),
      bench: new BenchView(this),
    };
  }

  route() {
    let { view, query } = parseHash();
    const embed = view === 'embed';
    document.body.classList.toggle('embed', embed);
    if (embed) view = 'figures';
    if (!this.views[view]) view = 'train';
    document.body.dataset.view = view;
    for (const name of ['train', 'figures', 'data', 'bench']) {
      $(`view-${name}`).hidden = name !== view;
      const link = document.querySelector(`[data-nav="${name}"]`);
      if (name === view) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
    }
    this.views[view].show(query, { embed });
  }

  /** Replaces the address's query for the current view without re-routing. */
  setQuery(view, query) {
    const hash = `#/${view}?${query}`;
    if (location.hash !== hash) history.replaceState(null, '', hash);
  }
}

async function copyText(text, messageId) {
  try {
    await navigator.clipboard.writeText(text);
    say(messageId, 'Link copied.');
  } catch {
    say(messageId, `Copy this link: ${text}`);
  }
}

// ---------------------------------------------------------------- train view

const TRAIN_PANELS = ['loss', 'alignment', 'accuracy', 'norms', 'updates'];

class TrainView {
  constructor(app) {
    this.app = app;
    this.form = $('train-form');
    this.run = null;
    this.running = false;
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this.start(); });
    $('train-pause').onclick = () => this.togglePause();
    $('train-copy').onclick = () => {
      const q = this.queryFromForm();
      copyText(`${location.origin}${location.pathname}#/train?${q}`, 'train-message');
    };
    this.form.elements.rule.addEventListener('change', () => this.showDefaultEta());
    this.form.elements.wn.addEventListener('change', () => this.showDefaultEta());
    this.shownQuery = null;
    // The link version the form's defaults come from: an opened link's own (so
    // an old link keeps its defaults), else the current one.
    this.version = app.engine.currentLinkVersion();
  }

  show(query) {
    if (query === this.shownQuery) return;
    this.shownQuery = query;
    if (!query) { this.showDefaultEta(); return; }
    try {
      const cfg = this.app.engine.trainConfigFromLink(query);
      this.version = this.app.engine.linkVersion(query);
      this.fillForm(cfg, query);
      say('train-message', 'Settings from the link. Press Train to run them.');
    } catch (e) {
      say('train-message', `This link could not be read — ${errorText(e)}. The form keeps its settings.`, true);
    }
  }

  showDefaultEta() {
    const f = this.form.elements;
    // f32 → JS number: show the value as written (7e-4, not 0.000699999975…).
    try {
      const eta = this.app.engine.defaultEtaIn(f.rule.value, f.wn.checked, this.version);
      f.eta.placeholder = `default ${+eta.toPrecision(6)}`;
    } catch { /* kept */ }
  }

  fillForm(cfg, query) {
    const f = this.form.elements;
    const params = new URLSearchParams(query);
    f.rule.value = String(params.get('rule') || 'fa').split(':')[0];
    f.eta.value = params.get('eta') || '';
    f.epochs.value = cfg.epochs;
    f.seed.value = cfg.seed;
    f.n.value = cfg.n_train ?? 60000;
    f.batch.value = cfg.batch;
    f.wn.checked = cfg.net.weight_norm != null;
    if (cfg.net.weight_norm != null) f.gamma.value = params.get('gamma');
    f.shuffle.checked = cfg.shuffle;
    f.p.value = params.get('p') || 0;
    f.angles.checked = cfg.update_angles;
    this.showDefaultEta();
  }

  /** The form as a link query; Rust parses and checks it. */
  queryFromForm() {
    const f = this.form.elements;
    const q = [`v=${this.version}`, `rule=${f.rule.value}`];
    if (f.eta.value !== '') q.push(`eta=${f.eta.value}`);
    q.push(`epochs=${f.epochs.value}`, `seed=${f.seed.value}`);
    if (f.wn.checked) q.push(`gamma=${f.gamma.value}`);
    if (f.shuffle.checked) q.push('shuffle=1');
    if (Number(f.p.value) !== 0 || f.p.value === '') q.push(`p=${f.p.value}`);
    if (f.angles.checked) q.push('angles=1');
    if (Number(f.n.value) !== 60000) q.push(`n=${f.n.value}`);
    if (Number(f.batch.value) !== 1000) q.push(`batch=${f.batch.value}`);
    return q.join('&');
  }

  start() {
    let cfg;
    try {
      cfg = this.app.engine.trainConfigFromLink(this.queryFromForm());
      this.run?.free();
      this.run = new this.app.engine.Run(this.app.lab, cfg);
    } catch (e) {
      say('train-message', `Cannot start: ${errorText(e)}`, true);
      return;
    }
    const link = this.run.link();
    this.shownQuery = link;
    this.app.setQuery('train', link);
    say('train-message', '');
    $('train-reproduce').hidden = true;
    document.querySelector('#train-panels [data-needs="angles"]').hidden = !cfg.update_angles;
    this.last = null;
    this.started = performance.now();
    this.lastDraw = 0;
    this.stepsPerCall = 1;
    this.running = true;
    $('train-pause').disabled = false;
    $('train-pause').textContent = 'Pause';
    this.draw();
    // A new run retires the previous run's frame loop.
    this.generation = (this.generation || 0) + 1;
    const generation = this.generation;
    requestAnimationFrame(() => this.frame(generation));
  }

  togglePause() {
    if (!this.run || this.run.isDone()) return;
    this.running = !this.running;
    $('train-pause').textContent = this.running ? 'Pause' : 'Resume';
    if (this.running) {
      const generation = this.generation;
      requestAnimationFrame(() => this.frame(generation));
    }
  }

  frame(generation) {
    if (!this.running || !this.run || generation !== this.generation) return;
    const run = this.run;
    const t0 = performance.now();
    try {
      // Grow the chunk while a call stays well inside the frame budget.
      while (performance.now() - t0 < FRAME_BUDGET_MS && !run.isDone()) {
        const c0 = performance.now();
        const record = run.advance(this.stepsPerCall);
        if (record) this.last = record;
        const ms = performance.now() - c0;
        if (ms < FRAME_BUDGET_MS / 4) this.stepsPerCall = Math.min(this.stepsPerCall * 2, 64);
        else if (ms > FRAME_BUDGET_MS && this.stepsPerCall > 1) this.stepsPerCall >>= 1;
      }
    } catch (e) {
      this.running = false;
      $('train-pause').disabled = true;
      this.draw();
      say('train-message', `The run stopped at iteration ${run.iteration()}: ${errorText(e)}. ` +
        'Try a smaller η, or turn on WN. The plots show the run up to that point.', true);
      return;
    }
    const now = performance.now();
    if (run.isDone() || now - this.lastDraw > REDRAW_MS) this.draw();
    if (run.isDone()) {
      this.running = false;
      $('train-pause').disabled = true;
      this.finish();
      return;
    }
    requestAnimationFrame(() => this.frame(generation));
  }

  draw() {
    const run = this.run;
    this.lastDraw = performance.now();
    for (const canvas of document.querySelectorAll('#train-panels canvas')) {
      if (canvas.closest('figure').hidden) continue;
      try { run.drawPanel(canvas, canvas.dataset.panel); } catch (e) { say('train-message', `Drawing failed: ${errorText(e)}`, true); }
    }
    const it = run.iteration();
    const total = run.totalSteps();
    const seconds = (performance.now() - this.started) / 1000;
    const acc = run.testAccuracies();
    const parts = [`iteration ${it} / ${total}`];
    if (this.last) parts.push(`epoch ${this.last.epoch + 1}`, `loss ${this.last.metrics.loss.toFixed(2)}`);
    if (acc.length) parts.push(`test accuracy ${(100 * acc[acc.length - 1]).toFixed(2)} %`);
    parts.push(`${(it / Math.max(seconds, 1e-3)).toFixed(0)} it/s`);
    $('train-status').textContent = parts.join(' · ');
  }

  finish() {
    const link = this.run.link();
    const el = $('train-reproduce');
    el.hidden = false;
    el.innerHTML = '';
    el.append('Fingerprint ', Object.assign(document.createElement('code'), { id: 'train-fingerprint', textContent: this.run.fingerprint() }),
      '. The same numbers natively: ',
      Object.assign(document.createElement('code'), { textContent: `fa-lab train --link '${link}' --out run` }));
  }
}

// ---------------------------------------------------------------- figures

class WorkerPool {
  constructor(bytes, size) {
    this.workers = Array.from({ length: size }, () => {
      const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
      w.postMessage({ type: 'init', asset: bytes });
      return w;
    });
  }

  /** Runs every spec; calls back on progress, on each result and on failures. */
  runAll(specs, { onProgress, onResult, onError }) {
    const queue = specs.map((spec, i) => ({ spec, i }));
    let active = 0;
    return new Promise((resolve) => {
      const next = (w) => {
        const job = queue.shift();
        if (!job) { if (--active === 0) resolve(); return; }
        w.onmessage = ({ data }) => {
          if (data.type === 'progress') onProgress(job.i, data.steps, data.total);
          else if (data.type === 'done') { onResult(job.i, data.result); next(w); }
          else if (data.type === 'error') { onError(job.i, data.message); next(w); }
        };
        w.onerror = (e) => { onError(job.i, e.message || 'the worker failed'); next(w); };
        w.postMessage({ type: 'run', spec: job.spec });
      };
      for (const w of this.workers) { active++; next(w); }
    });
  }

  terminate() {
    this.workers.forEach((w) => w.terminate());
  }
}

class FigureView {
  constructor(app) {
    this.app = app;
    this.form = $('figure-form');
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this.start(); });
    $('figure-stop').onclick = () => this.stop('Stopped. The panels show the runs that finished.');
    $('figure-copy').onclick = () => copyText(`${location.origin}${location.pathname}#/figures?${this.query()}`, 'figure-message');
    $('figure-embed').onclick = () => {
      const box = $('embed-code');
      box.hidden = false;
      box.value = `<iframe src="${location.origin}${location.pathname}#/embed?${this.query()}" ` +
        'width="600" height="420" style="border:0" title="FA Lab figure"></iframe>';
      box.select();
    };
    this.shownQuery = null;
    this.embedPanel = null;
  }

  query() {
    const f = this.form.elements;
    // An opened link keeps its version (its presets); otherwise the current one.
    const q = [`v=${this.version ?? this.app.engine.currentLinkVersion()}`, `fig=${f.fig.value}`, `preset=${f.preset.value}`];
    if (f.runs.value !== '') q.push(`runs=${f.runs.value}`);
    q.push(`seed=${f.seed.value}`);
    return q.join('&');
  }

  show(query, { embed }) {
    const params = new URLSearchParams(query);
    this.embedPanel = embed ? params.get('panel') : null;
    if (embed) params.delete('panel');
    const q = params.toString();
    if (q === this.shownQuery) return;
    this.shownQuery = q;
    if (!q) return;
    let p;
    try {
      p = this.app.engine.figureParamsFromLink(q);
      this.version = this.app.engine.linkVersion(q);
    } catch (e) {
      say('figure-message', `This link could not be read — ${errorText(e)}. The form keeps its settings.`, true);
      return;
    }
    const f = this.form.elements;
    f.fig.value = p.experiment;
    f.preset.value = params.get('preset') || 'quick';
    f.runs.value = p.runs;
    f.seed.value = p.seed;
    this.start();
  }

  start() {
    this.stop();
    let params, specs;
    try {
      params = this.app.engine.figureParamsFromLink(this.query());
      specs = this.app.engine.experimentRuns(params);
    } catch (e) {
      say('figure-message', `Cannot run: ${errorText(e)}`, true);
      return;
    }
    this.shownQuery = this.query();
    if (!this.embedPanel) this.app.setQuery('figures', this.shownQuery);
    say('figure-message', '');
    this.params = params;
    this.results = [];
    this.failures = [];
    this.progress = specs.map(() => 0);
    this.totals = specs.map(() => 1);
    $('figure-panels').innerHTML = '';
    this.canvases = new Map();
    $('figure-progress').hidden = false;
    $('figure-stop').disabled = false;
    document.body.dataset.figure = 'running';
    const size = Math.max(1, Math.min(specs.length, navigator.hardwareConcurrency || 2, 4));
    this.pool = new WorkerPool(this.app.bytes, size);
    this.started = performance.now();
    this.redraw();
    const pool = this.pool;
    pool.runAll(specs, {
      onProgress: (i, steps, total) => { this.progress[i] = steps; this.totals[i] = total; this.status(specs.length); },
      onResult: (i, result) => { this.progress[i] = this.totals[i]; this.results.push(result); this.redraw(); this.status(specs.length); },
      onError: (i, message) => { this.failures.push(`run ${i + 1}: ${message}`); this.status(specs.length); },
    }).then(() => {
      if (this.pool !== pool) return;
      this.stop();
      document.body.dataset.figure = 'done';
      if (this.failures.length) say('figure-message', `Some runs failed: ${this.failures.join('; ')}`, true);
    });
  }

  stop(message) {
    if (this.pool) { this.pool.terminate(); this.pool = null; }
    $('figure-stop').disabled = true;
    $('figure-progress').hidden = true;
    if (message) { say('figure-message', message); document.body.dataset.figure = 'stopped'; }
  }

  status(n) {
    const done = this.progress.reduce((a, b) => a + b, 0);
    const total = this.totals.reduce((a, b) => a + b, 0);
    $('figure-progress').value = total ? done / total : 0;
    const seconds = ((performance.now() - this.started) / 1000).toFixed(1);
    $('figure-status').textContent = `${this.results.length} of ${n} runs finished · ${seconds} s`;
  }

  redraw() {
    let fig;
    try {
      fig = this.app.engine.aggregateRuns(this.params, this.results);
    } catch (e) {
      say('figure-message', `Aggregating the runs failed: ${errorText(e)}`, true);
      return;
    }
    this.figure = fig;
    for (const panel of fig.panels) {
      if (this.embedPanel && panel.key !== this.embedPanel) continue;
      let canvas = this.canvases.get(panel.key);
      if (!canvas) {
        const figure = document.createElement('figure');
        canvas = Object.assign(document.createElement('canvas'), { width: 560, height: 380 });
        canvas.dataset.panel = panel.key;
        figure.append(canvas);
        $('figure-panels').append(figure);
        this.canvases.set(panel.key, canvas);
      }
      try { this.app.engine.drawPanel(canvas, fig, panel.key); } catch (e) { say('figure-message', `Drawing failed: ${errorText(e)}`, true); }
    }
    if (this.embedPanel && !fig.panels.some((p) => p.key === this.embedPanel)) {
      say('figure-message', `This figure has no panel "${this.embedPanel}"; it has ${fig.panels.map((p) => p.key).join(', ')}.`, true);
    }
  }
}

// ---------------------------------------------------------------- data, bench

class DataView {
  constructor(app) {
    this.app = app;
    this.first = 0;
    this.drawn = false;
  }

  show() {
    const lab = this.app.lab;
    $('data-counts').textContent =
      `${lab.nTrain().toLocaleString('en')} training and ${lab.nTest().toLocaleString('en')} test images`;
    $('next-digits').onclick = () => {
      this.first = (this.first + DIGITS_PER_PAGE) % (lab.nTrain() - DIGITS_PER_PAGE);
      this.drawPage();
    };
    if (!this.drawn) {
      this.drawPage();
      try { lab.drawHistogram($('histogram')); } catch (e) { fail(`Drawing the histogram failed: ${errorText(e)}`, null); }
      this.drawn = true;
    }
  }

  drawPage() {
    const lab = this.app.lab;
    try {
      lab.drawDigits($('digits'), this.first, DIGITS_PER_PAGE, 12);
      $('digit-range').textContent = `${this.first}–${this.first + DIGITS_PER_PAGE - 1}`;
      $('digit-labels').textContent = Array.from(lab.trainLabels(this.first, DIGITS_PER_PAGE)).join(' ');
    } catch (e) {
      fail(`Drawing the digits failed: ${errorText(e)}`, null);
    }
  }
}

class BenchView {
  constructor(app) {
    this.app = app;
    this.loaded = false;
  }

  async show() {
    if (this.loaded) return;
    this.loaded = true;
    const root = $('bench-root');
    try {
      const bench = await import('./bench.js');
      root.innerHTML = '';
      bench.renderBench(root, this.app.engine);
    } catch (e) {
      root.textContent = `The benchmark is not available in this build: ${errorText(e)}`;
    }
  }
}

boot();
