// A readout on a plot: a pointer or a finger over a line panel, or the arrow
// keys on a focused one, show a cursor and each series' value at that x
// (mean ± sd and n where there are runs). Glue only: Rust says which x is
// nearest, the values there, where they sit on the drawing and the sentence
// a screen reader hears; this file places what it is told.
//
// API (any canvas a wasm owner draws, e.g. through panels.js's PanelFrame):
//   const r = new Readout(canvas, { read, group });
//     read(frame, at) → readout | null: the owner's `readout(key, frame, at)`,
//       `at` being {px} (a CSS pixel across the canvas), {x} or {x, steps};
//     group: a ReadoutGroup shared by a figure's panels (the cursor follows
//       on the others with the same x axis, at the same x), or none.
//   r.update(frame)  after each draw, with what `drawPanel` returned (null:
//                    nothing to read); a shown readout is read again there.
//   r.dispose()      when the canvas is thrown away.
// The overlay (`.readout`) carries data-x and, per series, data-label,
// data-mean, data-sd and data-n, so tests read what a person sees.

import { politeRegion } from './a11y.js';

const POINTER_REST_MS = 900; // a pointer that rests this long is announced
const KEY_SETTLE_MS = 250;   // keys held down announce where they stop

let announceTimer = 0;

// The readouts announce in their own polite live region (the page's status announcements keep theirs).
function announceLater(text, wait) {
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => { politeRegion('readout-announcer').textContent = text; }, wait);
}

/** The panels of one figure: a readout moved on one shows at the same x on the others. */
export class ReadoutGroup {
  constructor() { this.members = new Set(); }
  add(readout) { this.members.add(readout); }
  delete(readout) { this.members.delete(readout); }
  moved(from, x) {
    const axis = from.frame?.x_label;
    for (const r of this.members) if (r !== from && r.frame && r.frame.x_label === axis) r.show({ x }, { follow: true });
  }
  left(from) { for (const r of this.members) if (r !== from && r.following) r.hide(); }
}

const el = (tag, className) => Object.assign(document.createElement(tag), { className });

export class Readout {
  constructor(canvas, { read, group = null }) {
    this.canvas = canvas;
    this.read = read;
    this.group = group;
    this.frame = null;
    this.at = null;          // the x shown, or null when hidden
    this.following = false;  // shown because another panel of the group moved
    // The canvas and its overlay share a positioned box.
    let box = canvas.parentElement;
    if (!box || !box.classList.contains('plot-box')) {
      box = el('div', 'plot-box');
      canvas.replaceWith(box);
      box.append(canvas);
    }
    this.box = box;
    this.overlay = el('div', 'readout');
    this.overlay.hidden = true;
    this.overlay.setAttribute('aria-hidden', 'true'); // the live region speaks for it
    this.line = el('div', 'readout-line');
    this.dots = el('div', 'readout-dots');
    this.card = el('div', 'readout-card');
    this.overlay.append(this.line, this.dots, this.card);
    box.append(this.overlay);
    canvas.tabIndex = 0;
    canvas.classList.add('readable');
    this.listeners = [
      ['pointermove', (e) => this.pointer(e)],
      ['pointerdown', (e) => this.pointer(e)],
      ['pointerleave', (e) => { if (e.pointerType === 'mouse') this.leave(); }],
      ['keydown', (e) => this.key(e)],
      ['focus', () => { if (this.at === null) this.show({ px: 1e9 }, { say: true }); }],
      ['blur', () => this.leave()],
    ];
    for (const [type, fn] of this.listeners) canvas.addEventListener(type, fn);
    group?.add(this);
  }

  /** After a draw: the frame `drawPanel` returned; a shown readout is read again at its x. */
  update(frame) {
    this.frame = frame || null;
    this.canvas.classList.toggle('readable', Boolean(this.frame));
    if (this.at !== null) this.show({ x: this.at }, { follow: this.following });
  }

  pointer(e) {
    if (!this.frame) return;
    const rect = this.canvas.getBoundingClientRect();
    const r = this.show({ px: e.clientX - rect.left });
    if (r) announceLater(r.text, POINTER_REST_MS);
  }

  key(e) {
    if (!this.frame) return;
    const big = e.shiftKey ? 10 : 1;
    const at = this.at ?? Infinity;
    const moves = {
      ArrowRight: { x: at, steps: big }, ArrowLeft: { x: at, steps: -big },
      ArrowUp: { x: at, steps: big }, ArrowDown: { x: at, steps: -big },
      PageUp: { x: at, steps: 10 }, PageDown: { x: at, steps: -10 },
      Home: { px: -1e9 }, End: { px: 1e9 },
    };
    let where = moves[e.key];
    if (!where) { if (e.key === 'Escape') this.leave(); return; }
    e.preventDefault();
    if (where.x === Infinity) where = { px: 1e9 };
    this.show(where, { say: true });
  }

  /** Shows the readout at `at`; returns what Rust read (null: nothing there, the readout hides). */
  show(at, { follow = false, say = false } = {}) {
    const r = this.frame ? this.read(this.frame, at) : null;
    if (!r) { this.hide(); return null; }
    this.following = follow;
    this.at = r.x;
    this.place(r);
    if (say) announceLater(r.text, KEY_SETTLE_MS);
    if (!follow) this.group?.moved(this, r.x);
    return r;
  }

  place(r) {
    const o = this.overlay;
    o.hidden = false;
    o.dataset.x = String(r.x);
    o.classList.toggle('following', this.following);
    Object.assign(this.line.style, { left: `${r.cursor}px`, top: `${r.top}px`, height: `${r.bottom - r.top}px` });
    this.dots.replaceChildren(...r.points.filter((p) => p.y !== null && p.y !== undefined).map((p) => {
      const dot = el('span', 'readout-dot');
      Object.assign(dot.style, { left: `${r.cursor}px`, top: `${p.y}px`, background: p.colour });
      return dot;
    }));
    const head = el('div', 'readout-x');
    head.textContent = r.heading;
    const rows = r.points.map((p) => {
      const row = el('div', 'readout-row');
      Object.assign(row.dataset, { label: p.label, x: String(p.x), mean: String(p.mean), sd: String(p.sd), n: String(p.n) });
      const swatch = el('span', 'readout-swatch');
      swatch.style.background = p.colour;
      row.append(swatch, `${p.label} `, Object.assign(el('b', ''), { textContent: p.text }));
      return row;
    });
    this.card.replaceChildren(head, ...rows);
    // The card sits beside the cursor, on the side with more room, and never past the canvas's edges.
    const width = this.box.clientWidth;
    const card = this.card.offsetWidth;
    const want = r.cursor < (r.left + r.right) / 2 ? r.cursor + 10 : r.cursor - 10 - card;
    this.card.style.left = `${Math.max(0, Math.min(want, width - card))}px`;
    this.card.style.top = `${r.top + 4}px`;
  }

  hide() {
    this.at = null;
    this.following = false;
    this.overlay.hidden = true;
  }

  leave() {
    this.hide();
    this.group?.left(this);
  }

  dispose() {
    for (const [type, fn] of this.listeners) this.canvas.removeEventListener(type, fn);
    this.group?.delete(this);
    this.overlay.remove();
  }
}
