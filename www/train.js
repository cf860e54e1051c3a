// The train view: a form whose fields are a link's settings (the core fills
// it from a link and makes the link from it), a run stepped in animation
// frames with play/pause, single step, reset and a speed, the live panels,
// progress with time left, and what the network says about a few test digits.

import { $, FieldForm, applyHidden, copyText, errorText, fillSelect, say, showOlderLink } from './ui.js';
import { PanelFrame, drawInFrame, panelSource, predictionsSource } from './panels.js';
import { ReadoutGroup } from './readout.js';
import { announce, reducedMotion } from './a11y.js';
import { Chunk } from './chunk.js';

const FRAME_BUDGET_MS = 24;   // training time per animation frame
const REDRAW_MS = reducedMotion() ? 2000 : 250; // live plots redraw at most this often
const MAX_GAP_MS = 1000;      // a longer gap between frames (a hidden tab) does not count as run time
const DIGITS = 8;             // test digits shown with the network's answer
const ROW_ASPECT = 230 / 880; // a row of eight test digits: height / width
/** Test digits per row: two rows of four on a narrow screen, one row of eight otherwise. */
const digitColumns = (cssWidth) => (cssWidth < 560 ? DIGITS / 2 : DIGITS);
/** Iterations per frame, slow to fast; 'auto' fills the frame budget. Every choice stays within it. */
const SPEEDS = ['1', '4', '16', '64', 'auto'];

export class TrainView {
  constructor(app) {
    this.app = app;
    this.engine = app.engine;
    this.form = $('train-form');
    this.fields = new FieldForm(this.form, $('train-kept'));
    const f = this.form.elements;
    fillSelect(f.rule, this.engine.formChoices().rules);
    fillSelect($('train-speed'), SPEEDS.map((s) => ({ value: s, label: s === 'auto' ? 'as fast as frames allow' : `${s} per frame` })));
    $('train-speed').value = 'auto';
    // The form starts from the core's defaults, not from values copied into HTML.
    // A new link, of the current version (a link without `v` is version 1).
    this.fields.fill(this.engine.trainFieldsFromLink(`v=${this.engine.currentLinkVersion()}`));
    this.showDefaultEta();
    f.rule.addEventListener('change', () => this.showDefaultEta());
    f.wn.addEventListener('change', () => this.showDefaultEta());

    this.run = null;
    this.drawQueue = [];   // panels (and 'predictions') still to draw for the latest draw()
    this.running = false;
    this.generation = 0;
    this.firstDigit = 0;
    this.shownQuery = null;
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this.startFromForm(true); });
    $('train-pause').onclick = () => this.toggle();
    $('train-step').onclick = () => this.step();
    $('train-reset').onclick = () => this.reset();
    $('train-copy').onclick = () => {
      const query = this.linkFromForm();
      if (query !== null) copyText(`${location.origin}${location.pathname}#/train?${query}`, 'train-message');
    };
    $('train-next-digits').onclick = () => {
      this.firstDigit = (this.firstDigit + DIGITS) % (this.app.lab.nTest() - DIGITS);
      if (this.run) this.drawPredictions();
    };
    document.addEventListener('keydown', (e) => this.key(e));
    const readouts = new ReadoutGroup();
    this.frames = new Map([...document.querySelectorAll('#train-panels canvas')].map((c) => [c.dataset.panel, new PanelFrame(c, { group: readouts })]));
    // Digit cells keep their shape: a row of four is twice as tall as a row of eight, and there are two rows.
    this.predictionsFrame = new PanelFrame($('train-predictions'), {
      minHeight: 0,
      aspect: (css) => ROW_ASPECT * (DIGITS / digitColumns(css)) ** 2,
    });
  }

  show(query) {
    if (query === this.shownQuery) return;
    this.shownQuery = query;
    $('train-older').hidden = true;
    if (!query) { applyHidden(this.form, $('train-fixed'), null); return; }
    try {
      const fields = this.engine.trainFieldsFromLink(query);
      this.fields.fill(fields);
      applyHidden(this.form, $('train-fixed'), this.engine.hiddenControls(fields.hide || '', false));
      this.showDefaultEta();
      say('train-message', 'Settings from the link. Press Train to run them.');
      const today = { ...fields, v: String(this.engine.currentLinkVersion()) };
      showOlderLink($('train-older'), this.engine.olderLinkNote(query), `#/train?${this.engine.trainLinkFromFields(today)}`);
    } catch (e) {
      say('train-message', `This link could not be read — ${errorText(e)}. The form keeps its settings.`, true);
    }
  }

  showDefaultEta() {
    const f = this.form.elements;
    // f32 → JS number: show the value as written (7e-4, not 0.000699999975…).
    // The default of the form's link version (an opened link keeps its own).
    try { f.eta.placeholder = `default ${+this.engine.defaultEtaIn(f.rule.value, f.wn.checked, +f.v.value).toPrecision(6)}`; } catch { /* kept */ }
    // The rule's one setting (KP's decay, sparse's zeros, …), named by the core; none: the field is off.
    let setting;
    try { setting = this.engine.ruleSetting(f.rule.value); } catch { /* an unknown rule: no setting */ }
    $('train-setting-words').textContent = setting ? `${setting.words} (${f.rule.value})` : 'The rule has no setting';
    f.setting.placeholder = setting ? `default ${setting.default}` : '';
    // Read-only rather than disabled, so that filling the form from a link still reaches it.
    f.setting.readOnly = !setting;
    if (!setting) f.setting.value = '';
  }

  /** The form's link, made by the core; null (with a message) when a field is refused. */
  linkFromForm() {
    try {
      return this.engine.trainLinkFromFields(this.fields.read());
    } catch (e) {
      say('train-message', `Cannot start: ${errorText(e)}`, true);
      return null;
    }
  }

  // ---------------------------------------------------------- the run

  /** A new run from the form's settings; plays it when `play`. */
  startFromForm(play) {
    const query = this.linkFromForm();
    if (query === null) return false;
    if (!this.newRun(query)) return false;
    if (play) this.play();
    return true;
  }

  newRun(query) {
    let run;
    try {
      run = new this.engine.Run(this.app.lab, query);
    } catch (e) {
      say('train-message', `Cannot start: ${errorText(e)}`, true);
      return false;
    }
    this.pause();
    this.run?.free();
    this.run = run;
    this.generation++;
    // The form's link (made by the core in the link's own version): an opened
    // link keeps its version, and the run's exports cite it.
    this.shownQuery = run.link();
    this.app.setQuery('train', run.link());
    say('train-message', '');
    $('train-reproduce').hidden = true;
    $('train-empty').hidden = true;
    $('train-live').hidden = false;
    document.body.dataset.train = 'ready';
    for (const [key, frame] of this.frames) frame.canvas.closest('figure').hidden = !run.showsPanel(key);
    this.last = null;
    this.busyMs = 0;
    // Steps per call, grown while a call stays well inside the frame budget.
    this.chunk = new Chunk(1, { growMs: FRAME_BUDGET_MS / 4, shrinkMs: FRAME_BUDGET_MS, max: 64 });
    // Test images counted per frame at an epoch's end (whole chunks of 1,000 rows).
    this.testRows = new Chunk(1000, { growMs: FRAME_BUDGET_MS / 4, shrinkMs: FRAME_BUDGET_MS / 2, min: 1000, max: 10_000 });
    this.draw();
    return true;
  }

  play() {
    if (!this.run || this.run.isDone()) { this.startFromForm(true); return; }
    if (this.running) return;
    this.running = true;
    this.lastFrame = performance.now();
    document.body.dataset.train = 'running';
    this.showButtons();
    const generation = this.generation;
    requestAnimationFrame(() => this.frame(generation));
  }

  pause() {
    if (!this.running) return;
    this.running = false;
    document.body.dataset.train = 'paused';
    this.showButtons();
    if (this.run) this.draw();
  }

  toggle() {
    if (this.running) this.pause(); else this.play();
  }

  /** One iteration, paused (a new run from the form if there is none to go on with). */
  step() {
    this.pause();
    if ((!this.run || this.run.isDone()) && !this.startFromForm(false)) return;
    const t0 = performance.now();
    // Paused while an epoch's test accuracy was still being counted: the count
    // ends first (advance(0) takes no step), so that a step is one iteration.
    const counted = !this.run.isMeasuring() || this.advance(0);
    if (counted && (this.run.isDone() || this.advance(1))) {
      this.busyMs += performance.now() - t0;
      this.draw();
      if (this.run.isDone()) this.finish();
    }
  }

  /** Back to iteration 0 of the same settings, paused. */
  reset() {
    if (!this.run) return;
    this.newRun(this.run.link());
    document.body.dataset.train = 'reset';
  }

  showButtons() {
    const button = $('train-pause');
    button.textContent = this.running ? 'Pause' : (this.run && !this.run.isDone() && this.run.iteration() > 0 ? 'Resume' : 'Play');
    button.setAttribute('aria-pressed', String(this.running));
  }

  /**
   * Runs `n` steps (an epoch's test accuracy counted on at most `rows` images a call);
   * false (with the message) when the run stops on an error.
   */
  advance(n, rows = undefined) {
    const run = this.run;
    try {
      const record = rows === undefined ? run.advance(n) : run.advanceWithin(n, rows);
      if (record) this.last = record;
      return true;
    } catch (e) {
      this.running = false;
      document.body.dataset.train = 'failed';
      this.draw();
      say('train-message', `The run stopped at iteration ${run.iteration()}: ${errorText(e)}. ` +
        'Try a smaller η, or turn on WN. The plots show the run up to that point.', true);
      $('train-pause').disabled = true;
      $('train-step').disabled = true;
      return false;
    }
  }

  frame(generation) {
    if (!this.running || !this.run || generation !== this.generation) return;
    const run = this.run;
    const t0 = performance.now();
    this.busyMs += Math.min(t0 - this.lastFrame, MAX_GAP_MS);
    this.lastFrame = t0;
    if (this.drawQueue.length) {
      // Panels still to draw: this frame draws them and does not train.
      this.drawQueued();
      requestAnimationFrame(() => this.frame(generation));
      return;
    }
    if (run.isDone()) { this.finish(); return; }
    const speed = $('train-speed').value;
    const limit = speed === 'auto' ? Infinity : Number(speed);
    let done = 0;
    while (done < limit && performance.now() - t0 < FRAME_BUDGET_MS && !run.isDone()) {
      // An epoch's last step also measures test accuracy (10,000 images, tens
      // of ms): it runs alone, first in its frame, and the count goes on in
      // the frames after, as many images a frame as fit; the panels draw
      // once it is in (draw()).
      const toEpochEnd = run.stepsToEpochEnd();
      if (toEpochEnd === 1 || run.isMeasuring()) {
        const ok = done === 0 && this.testRows.time((rows) => this.advance(1, rows));
        // Drawn when a redraw is due (REDRAW_MS, longer with reduced motion) or the run is over.
        if (ok && !run.isMeasuring() && (run.isDone() || performance.now() - this.lastDraw > REDRAW_MS)) this.draw();
        break;
      }
      const n = Math.min(this.chunk.size, limit - done, toEpochEnd - 1);
      if (!this.chunk.time(() => this.advance(n))) return;
      done += n;
    }
    // Time to redraw: the panels draw in the frames after this one (draw()).
    if (performance.now() - this.lastDraw > REDRAW_MS) this.draw();
    requestAnimationFrame(() => this.frame(generation));
  }

  // ---------------------------------------------------------- drawing

  /**
   * Shows the run: its status at once, its panels (and the test digits) as
   * many as fit in this frame, the rest in the frames after.
   */
  draw() {
    const run = this.run;
    this.lastDraw = performance.now();
    this.drawQueue = [...this.frames].filter(([, frame]) => !frame.canvas.closest('figure').hidden).map(([key]) => key);
    this.drawQueue.push('predictions');
    if (!this.running) this.drawQueued();
    const progress = run.progress(this.busyMs);
    $('train-progress').value = progress.fraction;
    const parts = [progress.text];
    if (this.last) parts.push(`loss ${this.last.metrics.loss.toFixed(2)}`);
    const acc = run.testAccuracies();
    if (acc.length) parts.push(`test accuracy ${(100 * acc[acc.length - 1]).toFixed(2)} %`);
    $('train-status').textContent = parts.join(' · ');
    this.showButtons();
    const stopped = document.body.dataset.train === 'failed';
    $('train-pause').disabled = stopped;
    $('train-step').disabled = stopped || run.isDone();
  }

  /** Draws what fits of the queue in this frame; the rest in the next. */
  drawQueued() {
    const run = this.run;
    if (!run) { this.drawQueue = []; return; }
    drawInFrame(this.drawQueue, (key) => {
      if (key === 'predictions') { this.drawPredictions(); return; }
      try { this.frames.get(key).draw(panelSource(run, key, `fa-lab-train-${key}`)); } catch (e) { say('train-message', `Drawing failed: ${errorText(e)}`, true); }
    });
    // While the run plays, its frames draw what is left (frame()); paused, frames of their own.
    if (this.drawQueue.length && !this.running) requestAnimationFrame(() => { if (!this.running) this.drawQueued(); });
  }

  drawPredictions() {
    try {
      this.predictionsFrame.draw(predictionsSource(this.run, this.firstDigit, DIGITS, digitColumns));
      const said = this.run.predictions(this.firstDigit, DIGITS);
      $('train-says').textContent = said.map((p) =>
        `test image ${p.index}: a ${p.label}, the network says ${p.predicted}${p.predicted === p.label ? '' : ' (wrong)'}`).join('; ') + '.';
      $('train-digit-range').textContent = `${this.firstDigit}–${this.firstDigit + DIGITS - 1}`;
    } catch (e) {
      say('train-message', `Drawing the test digits failed: ${errorText(e)}`, true);
    }
  }

  finish() {
    this.running = false;
    if (this.drawQueue.length) this.drawQueued(); // the frames that would have drawn the rest have stopped
    document.body.dataset.train = 'done';
    this.showButtons();
    const link = this.run.link();
    const el = $('train-reproduce');
    el.hidden = false;
    el.replaceChildren('Fingerprint ', Object.assign(document.createElement('code'), { id: 'train-fingerprint', textContent: this.run.fingerprint() }),
      '. The same numbers natively: ',
      Object.assign(document.createElement('code'), { textContent: `fa-lab train --link '${link}' --out run` }));
    // A finished run is announced at once (the status line's other changes are throttled).
    announce($('train-status').textContent, { now: true });
  }

  // ---------------------------------------------------------- keys

  /** Shortcuts while the train view is shown, never while typing in a field. */
  key(e) {
    if (document.body.dataset.view !== 'train' || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target.closest?.('input, select, textarea, button, a, summary, [contenteditable]')) return;
    const speed = $('train-speed');
    const actions = {
      ' ': () => this.toggle(),
      k: () => this.toggle(),
      s: () => this.step(),
      '.': () => this.step(),
      r: () => this.reset(),
      '[': () => { speed.selectedIndex = Math.max(0, speed.selectedIndex - 1); },
      ']': () => { speed.selectedIndex = Math.min(speed.options.length - 1, speed.selectedIndex + 1); },
    };
    const action = actions[e.key.length === 1 ? e.key.toLowerCase() : e.key];
    if (!action) return;
    e.preventDefault();
    action();
  }
}
