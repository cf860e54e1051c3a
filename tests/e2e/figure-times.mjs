// How long each quick figure takes in the page (scripts/figure-times.sh runs
// it; not a *.test.mjs, so the test runner leaves it alone). For each figure
// it opens the built page (dist/, served on 127.0.0.1, headless Chromium) at
// `#/figures?v=<current>&fig=<id>&preset=quick`, which starts the figure in
// the page's worker pool (min(cores, 4) Web Workers; --workers N makes the
// page see N cores), and times it from the run's start until every run has
// finished (body[data-figure="done"]), as the page's own status line counts
// it. Prints one line per figure and a JSON summary.
//
// --dist DIR serves another build instead of dist/ (e.g. a copy of an older
// build, to time before and after a change under the same conditions).
//
// Usage: node tests/e2e/figure-times.mjs [--workers N] [--figures fig6,fig7] [--preset quick|paper] [--dist DIR]
import { resolve } from 'node:path';
import { DIST, launch, openPage, serve } from './harness.mjs';

const argv = process.argv.slice(2);
const option = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const WORKERS = Number(option('--workers', 0));
const FIGURES = option('--figures', 'fig2b,fig3,fig4,fig5,fig6,fig7,rules,feedback').split(',');
const PRESET = option('--preset', 'quick');
const log = (...a) => console.error('figure-times:', ...a);

const server = await serve(resolve(option('--dist', DIST)));
const browser = await launch();
const rows = [];
try {
  for (const fig of FIGURES) {
    const { page, errors } = await openPage(browser);
    if (WORKERS > 0) {
      await page.addInitScript((n) => Object.defineProperty(navigator, 'hardwareConcurrency', { get: () => n }), WORKERS);
    }
    await page.goto(`${server.url}#/train`);
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
    // The page's own engine says which link version it makes.
    const version = await page.evaluate(() => window.faLab.engine.currentLinkVersion());
    const started = Date.now();
    await page.evaluate((q) => { location.hash = `#/figures?${q}`; }, `v=${version}&fig=${fig}&preset=${PRESET}`);
    await page.waitForFunction(() => document.body.dataset.figure === 'running', null, { timeout: 60_000 });
    const running = Date.now();
    await page.waitForFunction(() => document.body.dataset.figure === 'done', null, { timeout: 30 * 60_000, polling: 250 });
    const done = Date.now();
    const status = await page.$eval('#figure-status', (e) => e.textContent);
    const address = await page.evaluate(() => location.hash);
    const workers = await page.evaluate(() => Math.min(navigator.hardwareConcurrency || 2, 4));
    const row = { fig, preset: PRESET, seconds: (done - running) / 1000, from_link: (done - started) / 1000, workers, status, address, errors };
    rows.push(row);
    log(`${fig} ${PRESET}: ${row.seconds.toFixed(1)} s in the page with ${workers} workers (${status}) ${address}`);
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
}
console.log(JSON.stringify(rows, null, 2));
