// FA Lab page glue: load the wasm engine and the data, route between views.
// The train view lives in train.js, the figures view in figures.js (its
// worker pool in pool.js). No math here: every number, every check of a
// setting, every link and every plot comes from the Rust core.

import { $, errorText, fetchOk, nextTask } from './ui.js';
import { TrainView } from './train.js';
import { FigureView } from './figures.js';
import { ReadView } from './read.js';
import { PanelFrame, currentTheme, drawnByCpu } from './panels.js';
import { announceChanges } from './a11y.js';
import { Chunk } from './chunk.js';
import { keepOffline } from './offline.js';

const DATA_URL = 'data/mnist15.bin';
const DIGITS_PER_PAGE = 24;
const HEADER_BYTES = 32;

// A minimal module using one simd128 instruction: validates only where SIMD is supported.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0,
  10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

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

// ---------------------------------------------------------------- loading

// Downloads the asset, reporting progress from its own header (the first 32
// bytes announce the full size) or from Content-Length.
async function fetchAsset(engine, onProgress) {
  const response = await fetchOk(DATA_URL, { cache: 'no-cache' });
  const reader = response.body.getReader();
  let total = Number(response.headers.get('Content-Length')) || 0;
  let sizeAsked = total > 0; // the header is read once, even when it cannot say
  const bytes = new Received(total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes.push(value);
    if (!sizeAsked && bytes.length >= HEADER_BYTES) {
      sizeAsked = true;
      try { total = engine.assetExpectedBytes(bytes.all().subarray(0, HEADER_BYTES)); } catch { total = 0; }
      bytes.reserve(total);
    }
    onProgress(bytes.length, total);
  }
  return bytes.all();
}

/**
 * A download's bytes. Once the size is known each piece is copied into one
 * buffer as it arrives, so no task has to join megabytes at the end (traces
 * showed that join as a long task); a size that proves wrong (a compressed
 * Content-Length, say) falls back to joining.
 */
class Received {
  constructor(size) {
    this.parts = [];
    this.buffer = null;
    this.length = 0;
    this.reserve(size);
  }

  reserve(size) {
    if (this.buffer || !(size > this.length)) return;
    this.buffer = joined(this.parts, size);
    this.parts = [];
  }

  push(piece) {
    if (this.buffer && this.length + piece.length > this.buffer.length) {
      this.parts = [this.buffer.subarray(0, this.length)];
      this.buffer = null;
    }
    if (this.buffer) this.buffer.set(piece, this.length); else this.parts.push(piece);
    this.length += piece.length;
  }

  /** Every byte received, in one array. */
  all() {
    if (this.buffer) return this.buffer.subarray(0, this.length);
    if (this.parts.length !== 1) this.parts = [joined(this.parts, this.length)];
    return this.parts[0];
  }
}

/** `parts` one after another at the start of a new array of `size` bytes. */
function joined(parts, size) {
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

const mib = (bytes) => (bytes / (1 << 20)).toFixed(1);
const DECODE_MS = 20;         // decoding per task, so the page stays responsive
const COPY_BYTES = 1 << 20;   // the file's bytes copied into the engine per task

/**
 * Copies the asset into the engine a MiB per task, then decodes it in slices
 * of a task each (the core checks it as it goes): tasks, not animation
 * frames, so a slice never shares a frame with drawing.
 */
async function decode(engine, bytes) {
  await nextTask(); // not in the task that joined the download's pieces
  const loader = new engine.LabLoader(bytes.length);
  try {
    for (let at = 0; at < bytes.length; at += COPY_BYTES) {
      loader.append(bytes.subarray(at, at + COPY_BYTES));
      await nextTask();
    }
  } catch (e) {
    loader.free();
    throw e;
  }
  const slice = new Chunk(1 << 18, { growMs: DECODE_MS / 2, shrinkMs: DECODE_MS, min: 1 << 14 });
  try {
    for (;;) {
      if (slice.time((bytesPerCall) => loader.step(bytesPerCall))) break;
      showStatus('Decoding the images…', loader.fraction());
      await nextTask();
    }
  } catch (e) {
    loader.free();
    throw e;
  }
  return loader.finish();
}

async function boot() {
  setState('loading');
  showStatus('Loading the engine…');
  if (typeof WebAssembly !== 'object' || !WebAssembly.validate(SIMD_PROBE)) {
    fail('This browser cannot run FA Lab: it needs WebAssembly with SIMD (Chrome/Edge 91+, Firefox 89+, Safari 16.4+).', null);
    return;
  }
  // The landing's words show, and are laid out, while the engine loads (route() shows the same view).
  if (parseHash().view === 'read') $('view-read').hidden = false;
  let engine;
  try {
    engine = await import('./fa-lab.js');
    await engine.default();
    performance.mark('fa:engine');
  } catch (e) {
    fail(`The lab's engine (WebAssembly) did not load: ${errorText(e)}`, boot);
    return;
  }
  $('simd-badge').textContent = engine.simdEnabled() ? 'with SIMD (simd128)' : 'without SIMD';
  // For the console and the end-to-end tests: the engine, the app and (once loaded) the data.
  // The drawing code and the fonts load now, on a scratch canvas, in tasks of their own:
  // the first panel a view draws then costs what any panel costs.
  await nextTask();
  try {
    const scratch = drawnByCpu(document.createElement('canvas'));
    for (let part = 0; engine.primeDrawing(scratch, { theme: currentTheme(), scale: 1 }, part); part++) await nextTask();
  } catch { /* only a head start */ }
  await nextTask();
  const app = await App.create(engine);
  performance.mark('fa:app');
  window.faLab = { engine, app };
  // The Read view and a figure link with a stored result draw now, while the data downloads;
  // any other view waits for the data (route() leaves it to the status line until then).
  window.onhashchange = () => app.route();
  await nextTask();
  app.route();

  let bytes;
  try {
    bytes = await fetchAsset(engine, (got, total) => showStatus(
      total ? `Downloading MNIST: ${mib(got)} of ${mib(total)} MB` : `Downloading MNIST: ${mib(got)} MB`,
      total ? Math.min(got / total, 1) : undefined));
  } catch (e) {
    fail(`Could not download the data (${DATA_URL}): ${errorText(e)}`, boot);
    return;
  }

  let lab;
  try {
    lab = await decode(engine, bytes);
  } catch (e) {
    fail(`The data file is damaged or incomplete — ${errorText(e)}. Retrying downloads it again.`, boot);
    return;
  }
  window.faLab.lab = lab;
  $('status').hidden = true;
  app.dataReady(lab, bytes);
  app.route();
  setState('ready');
  keepOffline(engine.buildId()).then((ok) => {
    if (ok) { document.body.dataset.offline = 'ready'; $('offline-note').hidden = false; }
  });
}

// ---------------------------------------------------------------- the app

/** `#/view?query` → { view, query } */
function parseHash() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [view, ...rest] = hash.split('?');
  return { view: view || 'read', query: rest.join('?') };
}

class App {
  constructor(engine) {
    this.engine = engine;
    this.lab = null;     // the data, once downloaded and decoded (dataReady)
    this.bytes = null;
    this.views = {};
  }

  /** The app with its views, each made in a task of its own (no one task makes them all). */
  static async create(engine) {
    const app = new App(engine);
    for (const [name, View] of [['read', ReadView], ['train', TrainView], ['figures', FigureView], ['data', DataView], ['bench', BenchView]]) {
      app.views[name] = new View(app);
      await nextTask();
    }
    return app;
  }

  /** Whether the address is the Read view or a figure whose stored result draws before the data is loaded. */
  drawsWithoutData() {
    const { view, query } = parseHash();
    if (view === 'figures' || view === 'embed') return Boolean(this.engine.storedFileFor(query));
    return view === 'read' || !this.views[view];
  }

  dataReady(lab, bytes) {
    this.lab = lab;
    this.bytes = bytes;
    this.views.figures.storedReady();
    this.views.read.dataReady();
  }

  route() {
    let { view, query } = parseHash();
    const embed = view === 'embed';
    if (!this.lab && !this.drawsWithoutData()) {
      // This view needs the data: the status line says how the download goes, and it shows once loaded.
      for (const name of Object.keys(this.views)) $(`view-${name}`).hidden = true;
      return;
    }
    document.body.classList.toggle('embed', embed);
    if (embed) view = 'figures';
    if (!this.views[view]) view = 'read';
    document.body.dataset.view = view;
    for (const name of Object.keys(this.views)) {
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

// ---------------------------------------------------------------- data, bench

class DataView {
  constructor(app) {
    this.app = app;
    this.first = 0;
    this.drawn = false;
    this.digits = new PanelFrame($('digits'), { tools: false, minHeight: 0 });
    this.histogram = new PanelFrame($('histogram'), { tools: false });
  }

  show() {
    const lab = this.app.lab;
    // Rust's words: a first toLocaleString would load the locale data (40–70 ms here).
    $('data-counts').textContent = lab.imageCounts();
    $('next-digits').onclick = () => {
      this.first = (this.first + DIGITS_PER_PAGE) % (lab.nTrain() - DIGITS_PER_PAGE);
      this.drawPage();
    };
    if (!this.drawn) {
      this.drawPage();
      // The histogram in the next frame: the two drawings never share one long task.
      const histogram = { draw: (canvas, style) => lab.drawHistogram(canvas, style), describe: () => lab.describeHistogram() };
      requestAnimationFrame(() => {
        try { this.histogram.draw(histogram); } catch (e) { fail(`Drawing the histogram failed: ${errorText(e)}`, null); }
      });
      this.drawn = true;
    }
  }

  drawPage() {
    const lab = this.app.lab;
    try {
      const first = this.first;
      this.digits.draw({
        draw: (canvas, style) => lab.drawDigits(canvas, first, DIGITS_PER_PAGE, 12, style),
        describe: () => lab.describeDigits(first, DIGITS_PER_PAGE),
      });
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

// Status lines are announced politely, at most every few seconds; a run that
// ends is announced at once by its view (train.js, figures.js).
announceChanges(['status-text', 'train-status', 'figure-status']);
boot();
