// The page's plots as figures a course can use: each canvas is drawn by Rust
// at the screen's pixel ratio in the system's light or dark theme, carries an
// accessible name (Rust's sentence with the current values), a "Data" toggle
// showing the numbers as a table, and exports (PNG, SVG, CSV, JSON) that
// record where they came from. Glue only: every word, number and file
// comes from the wasm engine through a panel's *source*:
//   { draw(canvas, style), describe(), table(maxRows), text(options), png(bytes, options), name, read(frame, at) }
// (text, png and name only for exportable panels). A source with `read` is a
// line panel: `draw` returns where its data sits (a plot frame) and the
// canvas gets a readout (readout.js) that asks `read` what is at a point.

import { announce } from './a11y.js';
import { Readout } from './readout.js';

const TABLE_ROWS = 40;
const frames = new Set();
let nextId = 0;

const darkQuery = matchMedia('(prefers-color-scheme: dark)');

/** The system's colour scheme: 'light' or 'dark'. */
export const currentTheme = () => (darkQuery.matches ? 'dark' : 'light');

function pixelRatio() {
  return Math.min(Math.max(window.devicePixelRatio || 1, 0.25), 8);
}

function redrawAll() {
  for (const frame of frames) frame.quietRedraw();
}

// A change of theme or of pixel ratio (zoom, a move to another screen) redraws every panel.
darkQuery.addEventListener('change', redrawAll);
function watchPixelRatio() {
  const query = matchMedia(`(resolution: ${pixelRatio()}dppx)`);
  query.addEventListener('change', () => { redrawAll(); watchPixelRatio(); }, { once: true });
}
watchPixelRatio();

function button(text, hiddenText, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'small secondary';
  b.append(text);
  if (hiddenText) {
    const span = document.createElement('span');
    span.className = 'visually-hidden';
    span.textContent = hiddenText;
    b.append(span);
  }
  b.addEventListener('click', onClick);
  return b;
}

function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Makes `canvas` one the CPU draws (a 2D context asked for with
 * willReadFrequently; later getContext('2d') calls, plotters' among them,
 * get this one). The plots are small; with a canvas drawn by the GPU process,
 * traces under load showed panel tasks waiting, and opening links gave fewer
 * long tasks this way (responsiveness.mjs --base, one interleaved run).
 */
export function drawnByCpu(canvas) {
  canvas.getContext('2d', { willReadFrequently: true });
  return canvas;
}

const MIME = { svg: 'image/svg+xml', csv: 'text/csv;charset=utf-8', json: 'application/json' };

// Panel drawing in one animation frame. In wall time: on a loaded machine a
// panel's 10–25 ms on the CPU can take 2–3× that, so a frame of 16 ms mostly
// holds one panel there (30 ms gave longer tasks: responsiveness.mjs --base).
const FRAME_BUDGET_MS = 16;

/**
 * Takes panels from `queue` and draws each with `draw(item)`, as many as fit
 * in one frame's budget: the first always; another only when the slowest
 * drawn so far would still end inside the budget. Returns how many it drew.
 */
export function drawInFrame(queue, draw) {
  const t0 = performance.now();
  let slowest = 0;
  let drawn = 0;
  while (queue.length && (drawn === 0 || performance.now() - t0 + slowest <= FRAME_BUDGET_MS)) {
    const t = performance.now();
    draw(queue.shift());
    slowest = Math.max(slowest, performance.now() - t);
    drawn++;
  }
  return drawn;
}

/** One canvas with its name, data table and exports. */
export class PanelFrame {
  /**
   * @param canvas  a canvas inside a <figure>; its width/height attributes give the aspect ratio.
   * @param tools   whether to add the Data toggle and export buttons.
   * @param minHeight  CSS pixels a narrow plot keeps in height (0: always the aspect ratio).
   * @param aspect   height / width for a CSS width (default: the canvas attributes' ratio).
   * @param group    a readout.js ReadoutGroup: the panels whose readouts follow each other.
   * @param fill     take the canvas's CSS height as it is laid out (an embed fills its frame).
   */
  constructor(canvas, { tools = true, minHeight = 280, aspect = null, group = null, fill = false } = {}) {
    this.canvas = canvas;
    this.group = group;
    this.fill = fill;
    this.readout = null;
    this.minHeight = minHeight;
    const ratio = canvas.height / canvas.width;
    this.aspect = aspect || (() => ratio);
    this.source = null;
    this.cssWidth = 0;
    this.cssHeight = 0;
    drawnByCpu(canvas);
    canvas.setAttribute('role', 'img');
    if (!canvas.getAttribute('aria-label')) canvas.setAttribute('aria-label', 'Plot: not drawn yet.');
    const figure = canvas.closest('figure');
    if (tools && figure) this.addTools(figure);
    frames.add(this);
    this.resizeObserver = new ResizeObserver(() => {
      const { clientWidth, clientHeight } = this.canvas;
      const taller = this.fill && Math.abs(clientHeight - this.cssHeight) >= 1;
      if (clientWidth && (Math.abs(clientWidth - this.cssWidth) >= 1 || taller)) this.quietRedraw();
    });
    this.resizeObserver.observe(canvas);
  }

  addTools(figure) {
    const id = `panel-data-${nextId++}`;
    const bar = document.createElement('div');
    bar.className = 'panel-tools';
    this.dataButton = button('Data', null, () => this.toggleTable());
    this.dataButton.setAttribute('aria-expanded', 'false');
    this.dataButton.setAttribute('aria-controls', id);
    const exports = document.createElement('span');
    exports.className = 'exports';
    exports.setAttribute('role', 'group');
    exports.setAttribute('aria-label', 'Save this panel');
    exports.append('Save');
    for (const format of ['png', 'svg', 'csv', 'json']) {
      const b = button(format.toUpperCase(), ` of this panel`, () => this.export(format));
      b.dataset.export = format;
      exports.append(b);
    }
    bar.append(this.dataButton, exports);
    this.tableBox = Object.assign(document.createElement('div'), { id, className: 'panel-data', hidden: true });
    figure.append(bar, this.tableBox);
  }

  /** Removes the frame (its figure is being thrown away). */
  dispose() {
    this.readout?.dispose();
    this.resizeObserver.disconnect();
    frames.delete(this);
  }

  /** Draws `source` now (and again whenever the size, theme or pixel ratio changes). */
  draw(source) {
    this.source = source;
    this.redraw();
  }

  /** Sizes the backing store to the CSS box × devicePixelRatio; returns the style Rust draws with. */
  fit() {
    const css = this.canvas.clientWidth;
    if (!css) return null; // not laid out (a hidden view): drawn when it shows
    const ratio = pixelRatio();
    const w = Math.round(css * ratio);
    // Narrow screens get relatively taller plots, so axes keep room for their labels.
    const h = this.fill && this.canvas.clientHeight
      ? Math.round(this.canvas.clientHeight * ratio)
      : Math.round(Math.max(css * this.aspect(css), Math.min(this.minHeight, css * 0.85)) * ratio);
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    this.cssWidth = css;
    this.cssHeight = this.canvas.clientHeight;
    return { theme: currentTheme(), scale: ratio };
  }

  redraw() {
    const source = this.source;
    if (!source || this.canvas.closest('[hidden]')) return;
    const style = this.fit();
    if (!style) return;
    const frame = source.draw(this.canvas, style);
    if (source.read && !this.readout) {
      this.readout = new Readout(this.canvas, { read: (f, at) => this.source?.read?.(f, at) ?? null, group: this.group });
    }
    this.readout?.update(source.read ? frame : null);
    this.canvas.setAttribute('aria-label', source.describe());
    if (this.tableBox && !this.tableBox.hidden) this.renderTable();
  }

  /** A redraw nobody waits for (resize, theme): a failure is announced, not thrown. */
  quietRedraw() {
    try {
      this.redraw();
    } catch (e) {
      announce(`Redrawing a plot failed: ${(e && e.message) || e}`, { now: true });
    }
  }

  toggleTable() {
    const open = this.tableBox.hidden;
    this.tableBox.hidden = !open;
    this.dataButton.setAttribute('aria-expanded', String(open));
    if (open) this.renderTable();
  }

  renderTable() {
    if (!this.source) { this.tableBox.textContent = 'No data yet.'; return; }
    const t = this.source.table(TABLE_ROWS);
    const table = document.createElement('table');
    table.createCaption().textContent = t.caption;
    const head = table.createTHead().insertRow();
    for (const c of t.columns) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = c;
      head.append(th);
    }
    const body = table.createTBody();
    for (const row of t.rows) {
      const tr = body.insertRow();
      row.forEach((cell, i) => {
        const td = i === 0 ? document.createElement('th') : document.createElement('td');
        if (i === 0) td.scope = 'row';
        td.textContent = cell;
        tr.append(td);
      });
    }
    const scroller = Object.assign(document.createElement('div'), { className: 'table-scroll', tabIndex: 0 });
    scroller.setAttribute('role', 'region');
    scroller.setAttribute('aria-label', t.caption);
    scroller.append(table);
    this.tableBox.replaceChildren(scroller);
    if (t.note) this.tableBox.append(Object.assign(document.createElement('p'), { className: 'note', textContent: t.note }));
  }

  async export(format) {
    const source = this.source;
    if (!source) { announce('Nothing to save yet: the panel has no data.', { now: true }); return; }
    const options = {
      format,
      address: location.href,
      theme: currentTheme(),
      width: Math.round(this.cssWidth || this.canvas.width),
      height: Math.round(this.canvas.height / (this.canvas.width / (this.cssWidth || this.canvas.width))),
    };
    const name = `${source.name}.${format}`;
    try {
      let blob;
      if (format === 'png') {
        this.redraw(); // the pixels and the provenance describe the same moment
        const png = await new Promise((ok, bad) => this.canvas.toBlob((b) => (b ? ok(b) : bad(new Error('the canvas gave no PNG'))), 'image/png'));
        const bytes = source.png(new Uint8Array(await png.arrayBuffer()), options);
        blob = new Blob([bytes], { type: 'image/png' });
      } else {
        blob = new Blob([source.text(options)], { type: MIME[format] });
      }
      download(blob, name);
      announce(`Saved ${name}.`, { now: true });
    } catch (e) {
      announce(`Could not save ${name}: ${(e && e.message) || e}`, { now: true });
    }
  }
}

/**
 * Panel `key` of `owner`, a wasm `Run` (a training run's live panels) or
 * `Figure` (a paper figure's): both draw, describe, tabulate and export their
 * panels by key, and their exports cite the link they were made from.
 */
export function panelSource(owner, key, name) {
  return {
    draw: (canvas, style) => owner.drawPanel(canvas, key, style),
    describe: () => owner.describePanel(key),
    table: (rows) => owner.panelTable(key, rows),
    text: (options) => owner.exportPanel(key, options),
    png: (bytes, options) => owner.exportPanelPng(key, bytes, options),
    read: (frame, at) => owner.readout(key, frame, at),
    name,
  };
}

/** Test digits `first ..` (`count` of them, `cols(cssWidth)` per row) with a training run's answers. */
export function predictionsSource(run, first, count, cols) {
  const columns = (canvas) => cols(canvas.clientWidth || canvas.width);
  let shownCols = count;
  return {
    draw: (canvas, style) => { shownCols = columns(canvas); run.drawPredictions(canvas, first, count, shownCols, style); },
    describe: () => run.describePredictions(first, count),
    table: () => run.predictionsTable(first, count),
    text: (options) => run.exportPredictions(first, count, shownCols, options),
    png: (bytes, options) => run.exportPredictionsPng(bytes, options),
    name: 'fa-lab-train-predictions',
  };
}
