// The Read view (#/read, and the landing): the review's argument one step a
// section. The words and equations are in index.html; each section's figures
// come from the core's list of readings (src/read.rs, `engine.readings()`),
// each a wasm `Figure` opened from its stored result (www/stored/) and drawn
// by the figures view's own path (`drawPanel`, through PanelFrame), before
// the data set has downloaded. Beside each: the one control that matters (it
// chooses the conditions shown), the paper's claim and what FA Lab finds —
// sentences whose numbers the core computes from the stored figure — a link
// to the figure in the figures view, a link to the section and embed code.
// Section 1 steps a training run (a wasm `Run`) once the data has loaded;
// a reading whose quick preset needs no data (fig2b) can be computed here.
// Glue only: no number, label or list is made here.

import { $, copyText, embedCode, errorText, fetchOk, fillSelect, nextTask, say } from './ui.js';
import { PanelFrame, drawInFrame, panelSource } from './panels.js';
import { ReadoutGroup } from './readout.js';
import { announce } from './a11y.js';

const LIVE_BUDGET_MS = 25;      // live computing per animation frame
const TEST_ROWS = 2000;         // test images counted per call at an epoch's end
const NARROW_PX = 500;           // a panel narrower than this (CSS px) is drawn taller than wide
const NEAR_VIEW = '600px 0px';  // panels this close to the screen are drawn first
const nextFrame = () => new Promise((ok) => requestAnimationFrame(ok));

export class ReadView {
  constructor(app) {
    this.app = app;
    this.engine = app.engine;
    this.readings = this.engine.readings();
    this.blocks = [];
    this.files = new Map();        // stored file → Promise of its bytes (fetched once)
    this.turns = [];               // readings' work waiting its turn (inTurn)
    this.turning = false;
    this.queue = [];               // frames waiting to be drawn, nearest first
    this.drawing = false;
    this.built = false;
    this.trick = { run: null, frames: [], busy: false };
    const layers = this.engine.readTrickLayers();
    fillSelect($('read-layer'), Array.from(layers, (l) => ({ value: String(l), label: String(l) })));
    $('read-layer').value = String(layers[layers.length - 2] || layers[0]);
    $('read-layer').addEventListener('change', () => { if (this.trick.run) { this.trickFrames(); this.showTrick(); } });
    this.near = new IntersectionObserver((entries) => {
      for (const e of entries) if (e.isIntersecting) this.enqueue(e.target.readFrame, true);
    }, { rootMargin: NEAR_VIEW });
  }

  /** Shows the view; `s=<section>` in the address scrolls to that section. */
  show(query) {
    if (!this.built) this.build();
    if (query === this.shownQuery) return; // routed again (the data has loaded): stay where the reader is
    this.shownQuery = query;
    const section = new URLSearchParams(query).get('s');
    const target = section && $(`read-${section}`);
    if (target) {
      requestAnimationFrame(() => {
        target.scrollIntoView({ block: 'start' });
        const heading = target.querySelector('h3');
        heading.tabIndex = -1;
        heading.focus({ preventScroll: true });
      });
    }
  }

  /**
   * Builds every reading's block and fetches the stored results at once (the
   * first one's was preloaded by index.html while the engine compiled). The
   * first reading is read (parsed in wasm, its findings computed) as soon as
   * its file is here; the others after it, in the order they arrive, one a
   * frame, so the first figure waits for no other reading.
   */
  build() {
    performance.mark('fa:build');
    this.built = true;
    let first = null;
    for (const reading of this.readings) {
      const container = document.querySelector(`[data-readings="${reading.section}"]`);
      if (!container) continue;
      const block = new ReadingBlock(this, reading);
      container.append(block.root);
      this.blocks.push(block);
      const bytes = this.bytes(reading.file);
      const opened = (first ? Promise.all([bytes, first]).then(([b]) => b) : bytes)
        .then((b) => this.inTurn(() => block.open(b)), (e) => block.failed(e));
      first ||= opened.catch(() => {});
    }
    document.body.dataset.read = 'built';
  }

  /**
   * Runs `work` after the work queued before it (`soon`: before any work still
   * waiting), one piece a frame: the next piece starts once the frame after
   * this one has painted, so no frame waits for two.
   */
  inTurn(work, soon = false) {
    if (soon) this.turns.unshift(work); else this.turns.push(work);
    if (!this.turning) {
      this.turning = true;
      this.turn();
    }
  }

  turn() {
    const work = this.turns.shift();
    if (!work) {
      this.turning = false;
      return;
    }
    work();
    requestAnimationFrame(() => nextTask().then(() => this.turn()));
  }

  /** A stored result's bytes (the engine reads them as they are: no string to encode). */
  bytes(file) {
    if (!this.files.has(file)) {
      this.files.set(file, fetchOk(file).then(async (response) => new Uint8Array(await response.arrayBuffer())));
    }
    return this.files.get(file);
  }

  /** Once the data set is loaded: section 1 can train. */
  dataReady() {
    for (const id of ['read-step', 'read-step10', 'read-step60', 'read-reset']) $(id).disabled = false;
    $('read-step').onclick = () => this.step(1);
    $('read-step10').onclick = () => this.step(10);
    $('read-step60').onclick = () => this.step(60);
    $('read-reset').onclick = () => this.resetTrick();
    say('read-trick-status', 'Press Step: the network takes one minibatch of 1000 images.');
  }

  // ------------------------------------------------------------- drawing

  /**
   * Draws a panel's frame soon, a few per animation frame: every panel in
   * page order, those near the screen (`near`) first.
   */
  enqueue(frame, near = false) {
    if (!frame || !frame.readSource || frame.readDrawn) return;
    this.queue = this.queue.filter((f) => f !== frame);
    if (near) this.queue.unshift(frame); else this.queue.push(frame);
    if (!this.drawing) {
      this.drawing = true;
      requestAnimationFrame(() => this.drawStep());
    }
  }

  drawStep() {
    performance.mark('fa:drawStep');
    const drawn = drawInFrame(this.queue, (frame) => {
      try {
        frame.draw(frame.readSource);
        frame.readDrawn = true;
      } catch (e) {
        frame.canvas.closest('.reading')?.querySelector('.reading-message')?.append(`Drawing failed: ${errorText(e)} `);
      }
    });
    if (!this.first && drawn) {
      this.first = performance.now();
      document.body.dataset.readFirstFigure = String(Math.round(this.first));
    }
    if (this.queue.length) requestAnimationFrame(() => this.drawStep());
    else this.drawing = false;
  }

  /** A canvas in a <figure> appended to `box`, drawn from `source` soon (sooner when near the screen). */
  frame(box, source, label, key = null, group = null) {
    const figure = document.createElement('figure');
    const canvas = Object.assign(document.createElement('canvas'), { width: 560, height: 380 });
    canvas.setAttribute('aria-label', `${label}: drawing…`);
    figure.append(canvas);
    box.append(figure);
    // On a phone a panel is taller than wide: its footnotes (failed runs, notes) keep room for the plot.
    const wide = canvas.height / canvas.width;
    const frame = new PanelFrame(canvas, { aspect: (css) => (css < NARROW_PX ? 1.2 : wide), group });
    frame.readSource = source;
    frame.readKey = key;
    canvas.readFrame = frame;
    this.near.observe(canvas);
    this.enqueue(frame);
    return frame;
  }

  dropFrame(frame) {
    this.near.unobserve(frame.canvas);
    this.queue = this.queue.filter((f) => f !== frame);
    frame.dispose();
  }

  // ------------------------------------------------------- section 1, live

  async step(count) {
    if (this.trick.busy || !this.app.lab) return;
    this.trick.busy = true;
    try {
      if (!this.trick.run) this.startTrick();
      const run = this.trick.run;
      // A step of the paper's net takes a frame's worth of time: one or two a frame.
      // An epoch's test accuracy is counted TEST_ROWS images a call after its last step.
      const due = (left) => (left > 0 || run.isMeasuring()) && !run.isDone();
      for (let left = count; due(left);) {
        const t0 = performance.now();
        while (due(left) && (performance.now() - t0 < LIVE_BUDGET_MS)) {
          if (!run.isMeasuring()) left--;
          run.advanceWithin(1, TEST_ROWS);
        }
        this.showTrick();
        if (due(left)) await nextFrame();
      }
      this.showTrick();
      announce($('read-trick-status').textContent, { now: true });
    } catch (e) {
      say('read-trick-status', `The run stopped: ${errorText(e)}`, true);
    } finally {
      this.trick.busy = false;
    }
  }

  startTrick() {
    this.trick.run = new this.engine.Run(this.app.lab, this.engine.readTrickLink());
    this.trickFrames();
  }

  /** Section 1's panels: the chosen layer's error signals, their angle at every step, ∠(W_l, B_lᵀ). */
  trickFrames() {
    const run = this.trick.run;
    this.trick.frames.forEach((f) => this.dropFrame(f));
    const box = $('read-trick-panels');
    box.replaceChildren();
    // The angle panels share the step axis, so a readout on one follows on the other (readout.js).
    const group = new ReadoutGroup();
    this.trick.frames = [`delta/${$('read-layer').value}`, 'signals', 'alignment'].filter((key) => run.showsPanel(key))
      .map((key) => this.frame(box, panelSource(run, key, `fa-lab-read-${key.replace('/', '')}`), key, key, group));
  }

  showTrick() {
    const run = this.trick.run;
    for (const frame of this.trick.frames) {
      if (frame.readDrawn) frame.redraw(); else this.enqueue(frame);
    }
    say('read-trick-status', `Iteration ${run.iteration()}${run.isDone() ? ' — the run is over; Reset starts again.' : ''}`);
    // In words, the angles (each panel's name says its own values; a unit-by-unit signal is its table's).
    $('read-trick-says').textContent = this.trick.frames.filter((f) => !f.readKey.startsWith('delta/'))
      .map((f) => f.readSource.describe()).join(' ');
  }

  resetTrick() {
    if (this.trick.busy) return;
    this.trick.frames.forEach((f) => this.dropFrame(f));
    $('read-trick-panels').replaceChildren();
    this.trick.run?.free();
    this.trick = { run: null, frames: [], busy: false };
    $('read-trick-says').textContent = '';
    say('read-trick-status', 'Reset: press Step to start again from the same weights.');
  }
}

/** One reading: its control, its panels, claim and findings, and its links. */
class ReadingBlock {
  constructor(view, reading) {
    this.view = view;
    this.engine = view.engine;
    this.reading = reading;
    this.stored = null;    // the stored Figure
    this.live = null;      // the live Figure (a reading that computes live), once computed
    this.showing = null;   // the Figure drawn
    this.frames = [];
    this.root = document.createElement('div');
    this.root.className = 'reading';
    this.root.id = `reading-${reading.id}`;
    this.root.dataset.reading = reading.id;
    this.root.dataset.figure = reading.figure;
    this.root.setAttribute('aria-busy', 'true');

    const controls = document.createElement('div');
    controls.className = 'reading-controls';
    // A choice of one (a reading fixed on some conditions) needs no control.
    if (reading.choice?.options.length > 1) {
      const label = document.createElement('label');
      this.select = document.createElement('select');
      fillSelect(this.select, reading.choice.options.map((o, i) => ({ value: String(i), label: o.label })));
      this.select.addEventListener('change', () => this.choose());
      label.append(`${reading.choice.label} `, this.select);
      controls.append(label);
    }
    if (reading.live) {
      this.liveButton = Object.assign(document.createElement('button'), { type: 'button', className: 'secondary', textContent: 'Compute here' });
      this.liveButton.addEventListener('click', () => (this.showing === this.live && this.live ? this.showStored() : this.computeLive()));
      controls.append(this.liveButton);
    }
    this.origin = Object.assign(document.createElement('p'), { className: 'origin' });
    this.message = Object.assign(document.createElement('p'), { className: 'reading-message message' });
    this.message.setAttribute('role', 'status');
    this.panels = Object.assign(document.createElement('div'), { className: 'figures' });

    const claims = document.createElement('div');
    claims.className = 'claims';
    const claim = document.createElement('div');
    claim.className = 'claim';
    claim.append(Object.assign(document.createElement('h5'), { textContent: 'The paper claims' }),
      Object.assign(document.createElement('p'), { textContent: reading.claim }));
    this.finds = document.createElement('div');
    this.finds.className = 'finds';
    this.finds.append(Object.assign(document.createElement('h5'), { textContent: 'FA Lab finds' }),
      Object.assign(document.createElement('p'), { textContent: 'Reading the stored result…' }));
    claims.append(claim, this.finds);

    const links = document.createElement('p');
    links.className = 'reading-links';
    const open = Object.assign(document.createElement('a'), { href: `#/figures?${reading.query}`, textContent: `Open ${reading.figure} in the figures view` });
    const section = Object.assign(document.createElement('a'), { href: `#/read?s=${reading.section}`, textContent: 'Link to this section' });
    const embed = Object.assign(document.createElement('button'), { type: 'button', className: 'small secondary', textContent: 'Embed code' });
    embed.setAttribute('aria-expanded', 'false');
    this.embedBox = Object.assign(document.createElement('textarea'), { className: 'embed-code', readOnly: true, rows: 3, hidden: true });
    this.embedBox.setAttribute('aria-label', `Embed code for ${reading.figure}`);
    embed.addEventListener('click', () => this.embedCode(embed));
    const copy = Object.assign(document.createElement('button'), { type: 'button', className: 'small secondary', textContent: 'Copy link' });
    copy.addEventListener('click', () => copyText(`${location.origin}${location.pathname}#/read?s=${reading.section}`, this.message.id));
    this.message.id = `reading-${reading.id}-message`;
    links.append(open, section, copy, embed);
    const title = Object.assign(document.createElement('h4'), { className: 'reading-title', textContent: reading.title });
    this.root.append(title, controls, this.origin, this.message, this.panels, claims, links, this.embedBox);
  }

  /** The stored result's file has come: the figure, its findings and its panels. */
  open(bytes) {
    performance.mark(`fa:open ${this.reading.id}`);
    try {
      this.stored = this.engine.Figure.fromStored(bytes, this.reading.query);
    } catch (e) {
      this.failed(e);
      return;
    }
    this.origin.textContent = this.stored.origin();
    this.showing = this.stored;
    this.choose();
    performance.mark(`fa:opened ${this.reading.id}`);
    // The findings once the panels near the screen have been drawn: the figure does not wait for them.
    this.view.inTurn(() => {
      this.showFindings();
      this.root.setAttribute('aria-busy', 'false');
    }, true);
  }

  failed(e) {
    this.root.setAttribute('aria-busy', 'false');
    say(this.message.id, `The stored result could not be read (${errorText(e)}); open the figure in the figures view to compute it.`, true);
    this.finds.lastElementChild.textContent = 'No stored result to read.';
  }

  showFindings() {
    let findings;
    try {
      findings = this.stored.findings(this.reading.id);
    } catch (e) {
      this.finds.lastElementChild.textContent = `The findings could not be read: ${errorText(e)}`;
      return;
    }
    const paragraphs = findings.map((finding) => {
      const p = document.createElement('p');
      for (const part of finding.parts) {
        if (typeof part === 'string') { p.append(part); continue; }
        const data = Object.assign(document.createElement('data'), { value: String(part.value), textContent: part.shown });
        data.dataset.source = JSON.stringify(part.source);
        data.dataset.decimals = String(part.decimals);
        p.append(data);
      }
      return p;
    });
    this.finds.replaceChildren(this.finds.firstElementChild, ...paragraphs);
  }

  /** The control's conditions on the figure shown, and its panels drawn anew. */
  choose() {
    const figure = this.showing;
    if (!figure) return;
    const option = this.reading.choice?.options[this.select ? Number(this.select.value) : 0];
    try {
      figure.showConditions(option ? option.conditions : undefined);
    } catch (e) {
      say(this.message.id, errorText(e), true);
    }
    this.frames.forEach((f) => this.view.dropFrame(f));
    this.panels.replaceChildren();
    const keys = figure.panelKeys();
    const shown = this.reading.panels.filter((key) => keys.includes(key));
    const name = `fa-lab-${this.reading.figure}`;
    // A reading's panels with the same x axis follow each other's readout, as in the figures view.
    const group = new ReadoutGroup();
    this.frames = shown.map((key) => this.view.frame(this.panels, panelSource(figure, key, `${name}-${key}`), `${this.reading.figure} ${key}`, key, group));
  }

  embedCode(button) {
    const key = this.frames[0]?.readKey || this.reading.panels[0];
    try {
      const fields = { ...this.engine.figureFieldsFromLink(this.reading.query), panel: key };
      this.embedBox.value = embedCode(this.engine.figureLinkFromFields(fields), `${this.reading.title} (${key})`);
      this.embedBox.hidden = false;
      button.setAttribute('aria-expanded', 'true');
      this.embedBox.select();
    } catch (e) {
      say(this.message.id, errorText(e), true);
    }
  }

  /** Computes the reading's quick preset here, run after run, in frame-sized chunks. */
  async computeLive() {
    if (this.computing) return;
    this.computing = true;
    this.liveButton.disabled = true;
    const started = performance.now();
    try {
      const figure = new this.engine.Figure(this.reading.live);
      const specs = figure.specs();
      for (let i = 0; i < specs.length; i++) {
        const run = this.engine.ExperimentRun.withoutData(specs[i]);
        try {
          let result;
          while (result === undefined) {
            const t0 = performance.now();
            while (result === undefined && performance.now() - t0 < LIVE_BUDGET_MS) result = run.advance(200);
            say(this.message.id, `Computing here: run ${i + 1} of ${specs.length}…`);
            if (result === undefined) await nextFrame();
          }
          figure.addResult(i, result);
        } finally {
          run.free();
        }
      }
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      this.live?.free();
      this.live = figure;
      this.showing = figure;
      this.origin.textContent = `Computed here in ${seconds} s: the quick preset, ${specs.length} runs (the findings below read the stored result).`;
      say(this.message.id, '');
      this.liveButton.textContent = 'Show the stored result';
      this.choose();
      announce(`Computed here in ${seconds} seconds.`, { now: true });
      this.root.dataset.live = 'done';
    } catch (e) {
      say(this.message.id, `Computing here failed: ${errorText(e)}`, true);
    } finally {
      this.computing = false;
      this.liveButton.disabled = false;
    }
  }

  showStored() {
    this.showing = this.stored;
    this.origin.textContent = this.stored.origin();
    this.liveButton.textContent = 'Compute here';
    this.choose();
  }
}
