// How long the figures view takes to draw (not a *.test.mjs, so the test
// runner leaves it alone). Two measures, in the built page (dist/, or --dist
// DIR for another build) in headless Chromium:
//   1. a stored figure (default: fig6's paper preset, 30 runs a condition):
//      when it is first drawn after navigation (body[data-stored-at]), then
//      --repeat redraws of every panel, each timed from the call to the last
//      panel drawn (wall time, frames included) and as main-thread time
//      spent drawing;
//   2. a live figure (--live LINK, default fig2b quick with 30 runs, 120 in
//      all): from the last run's result to every panel redrawn
//      (body[data-figure="done"]), and the main-thread time of all redraws
//      over the whole figure (what grows with re-sending every result).
// Prints a JSON summary.
//
// Usage: node tests/e2e/figure-draw-times.mjs [--dist DIR] [--stored LINK] [--live LINK] [--repeat N]
import { resolve } from 'node:path';
import { DIST, launch, openPage, serve } from './harness.mjs';

const argv = process.argv.slice(2);
const option = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const dist = resolve(option('--dist', DIST));
const STORED = option('--stored', 'v=3&fig=fig6&preset=paper');
const LIVE = option('--live', 'v=3&fig=fig2b&preset=quick&runs=30&seed=0');
const REPEAT = Number(option('--repeat', 5));
const log = (...a) => console.error('figure-draw-times:', ...a);

/** Counts the main-thread time of the view's panel drawing and redraw steps (the same method names before and after). */
function instrument() {
  const view = window.faLab.app.views.figures;
  const busy = { draw: 0, steps: 0, panels: 0 };
  for (const [name, key] of [['drawPanel', 'draw'], ['redrawStep', 'steps']]) {
    const original = view[name].bind(view);
    view[name] = (...args) => {
      const t0 = performance.now();
      try { return original(...args); } finally { busy[key] += performance.now() - t0; if (key === 'draw') busy.panels++; }
    };
  }
  window.figureBusy = busy;
}

const server = await serve(dist);
const browser = await launch();
const out = { dist, stored: null, live: null };
try {
  // 1. The stored figure.
  {
    const { page, errors } = await openPage(browser, `${server.url}#/figures?${STORED}`);
    await page.waitForFunction(() => document.body.dataset.figure === 'stored', null, { timeout: 120_000 });
    const firstDrawnMs = await page.evaluate(() => Number(document.body.dataset.storedAt));
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
    await page.evaluate(instrument);
    const redraws = [];
    for (let i = 0; i < REPEAT; i++) {
      redraws.push(await page.evaluate(async () => {
        const busy = window.figureBusy;
        Object.assign(busy, { draw: 0, steps: 0, panels: 0 });
        const t0 = performance.now();
        await window.faLab.app.views.figures.redraw();
        return { wallMs: performance.now() - t0, drawMs: busy.draw, panels: busy.panels };
      }));
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    out.stored = {
      link: STORED, firstDrawnMs,
      redrawWallMs: median(redraws.map((r) => r.wallMs)), redrawDrawMs: median(redraws.map((r) => r.drawMs)),
      panels: redraws[0].panels, redraws, errors,
    };
    log(`stored ${STORED}: first drawn ${firstDrawnMs} ms after navigation; a redraw of ${out.stored.panels} panels: ` +
      `${out.stored.redrawWallMs.toFixed(0)} ms wall, ${out.stored.redrawDrawMs.toFixed(0)} ms drawing (median of ${REPEAT})`);
    await page.close();
  }
  // 2. The live figure.
  {
    const { page, errors } = await openPage(browser, `${server.url}#/train`);
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
    await page.evaluate(instrument);
    await page.evaluate(() => {
      const view = window.faLab.app.views.figures;
      const pool = view.workers();
      const runAll = pool.runAll.bind(pool);
      window.liveTimes = { results: 0, lastResultAt: 0, doneAt: 0, started: 0 };
      pool.runAll = (specs, handlers, ...rest) => runAll(specs, {
        ...handlers,
        onResult: (i, result) => { window.liveTimes.results++; window.liveTimes.lastResultAt = performance.now(); handlers.onResult(i, result); },
      }, ...rest);
      new MutationObserver(() => {
        const state = document.body.dataset.figure;
        if (state === 'running' && !window.liveTimes.started) window.liveTimes.started = performance.now();
        if (state === 'done') window.liveTimes.doneAt = performance.now();
      }).observe(document.body, { attributes: true, attributeFilter: ['data-figure'] });
    });
    await page.evaluate((q) => { location.hash = `#/figures?${q}`; }, LIVE);
    await page.waitForFunction(() => document.body.dataset.figure === 'done', null, { timeout: 30 * 60_000, polling: 250 });
    const t = await page.evaluate(() => ({ ...window.liveTimes, busy: window.figureBusy, status: document.getElementById('figure-status').textContent }));
    out.live = {
      link: LIVE, results: t.results, status: t.status,
      lastResultToDrawnMs: t.doneAt - t.lastResultAt, totalSeconds: (t.doneAt - t.started) / 1e3,
      redrawStepsMs: t.busy.steps, panelDrawMs: t.busy.draw, panelsDrawn: t.busy.panels, errors,
    };
    log(`live ${LIVE}: ${t.results} results; last result → panels drawn ${out.live.lastResultToDrawnMs.toFixed(0)} ms; ` +
      `main thread in redraws ${t.busy.steps.toFixed(0)} ms over the figure (${t.busy.panels} panel draws); ${t.status}`);
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
}
console.log(JSON.stringify(out, null, 2));
