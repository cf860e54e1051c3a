// Screenshots of every view at 375 and 1280 px, light and dark, into
// target/e2e/shots/ — for a person to look at (not a test):
//   node tests/e2e/screenshots.mjs
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, launch, openPage, serve } from './harness.mjs';

const OUT = join(ROOT, 'target/e2e/shots');
mkdirSync(OUT, { recursive: true });
/** Brings every Read view panel near the screen (they draw when near) and steps section 1. */
async function settleRead(page) {
  for (let y = 0; y < await page.evaluate(() => document.body.scrollHeight); y += 700) await page.evaluate((to) => window.scrollTo(0, to), y);
  await page.waitForFunction(() => [...document.querySelectorAll('[data-reading] canvas')].every((c) => c.readFrame.readDrawn), null, { timeout: 60_000 });
  await page.click('#read-step10');
  await page.waitForFunction(() => /^Iteration 10\b/.test(document.getElementById('read-trick-status').textContent), null, { timeout: 60_000 });
  await page.locator('[data-reading="fig5"] button', { hasText: 'Embed code' }).click();
  await page.evaluate(() => window.scrollTo(0, 0));
}

const VIEWS = [
  // The Read view: one picture per section (read-<section>-<width>-<scheme>.png) besides the whole page.
  ['read', '#/read', settleRead],
  ['train', '#/train?rule=fa&epochs=1&seed=1&n=3000&batch=100&angles=1', async (page) => {
    await page.click('#train-start');
    await page.waitForSelector('#train-fingerprint', { timeout: 120_000 });
    await page.click('figure:has(canvas[data-panel="accuracy"]) .panel-tools button[aria-expanded]');
  }],
  // During a run: the controls, progress, live panels and the test digits with their Data table.
  ['train-run', '#/train?rule=fa&epochs=3&seed=1&angles=1', async (page) => {
    await page.click('#train-start');
    await page.waitForFunction(() => document.querySelector('#train-progress').value > 0.05, null, { timeout: 120_000 });
    await page.click('figure.predict .panel-tools button[aria-expanded]');
    await page.waitForTimeout(300);
  }],
  ['train-empty', '#/train', (page) => page.waitForSelector('#train-empty')],
  ['figures', '#/figures?fig=fig6&preset=quick&runs=1&seed=0', (page) => page.waitForFunction(() => document.body.dataset.figure === 'done', null, { timeout: 300_000 })],
  ['figures-gate', '#/figures?fig=fig2b&preset=paper&runs=1&seed=0', (page) => page.waitForFunction(() => document.body.dataset.figure === 'waiting', null, { timeout: 60_000 })],
  ['figures-stored', '#/figures?v=3&fig=fig6&preset=paper', (page) => page.waitForFunction(() => document.body.dataset.figure === 'stored', null, { timeout: 60_000 })],
  ['figures-feedback', '#/figures?v=3&fig=feedback&preset=paper', (page) => page.waitForFunction(() => document.body.dataset.figure === 'stored', null, { timeout: 60_000 })],
  ['train-sparse', '#/train?v=3&rule=sparse:0.9&epochs=1&seed=1&angles=1&n=3000&batch=100', async (page) => {
    await page.click('#view-train details.advanced summary');
    await page.click('#train-start');
    await page.waitForSelector('#train-fingerprint', { timeout: 120_000 });
  }],
  ['figures-older', '#/figures?fig=fig6&preset=paper', (page) => page.waitForFunction(() => document.body.dataset.figure === 'waiting', null, { timeout: 60_000 })],
  ['embed-stored', '#/embed?v=3&fig=fig5&preset=paper&panel=b', (page) => page.waitForFunction(() => document.body.dataset.figure === 'stored', null, { timeout: 60_000 })],
  ['embed-way', '#/embed', (page) => page.waitForSelector('#figure-way:not([hidden])')],
  ['embed', '#/embed?fig=fig2b&preset=quick&runs=1&seed=0&panel=b', (page) => page.waitForFunction(() => document.body.dataset.figure === 'done', null, { timeout: 180_000 })],
  ['data', '#/data', (page) => page.waitForTimeout(500)],
  ['bench', '#/bench', (page) => page.waitForSelector('#bench-run')],
];
const only = process.argv[2];
const [server, browser] = await Promise.all([serve(), launch()]);
for (const [name, hash, settle] of VIEWS.filter(([n]) => !only || only.split(',').includes(n))) {
  for (const scheme of ['light', 'dark']) {
    for (const width of [375, 1280]) {
      const { page, errors } = await openPage(browser, undefined, { viewport: { width, height: 900 }, colorScheme: scheme, deviceScaleFactor: width < 500 ? 2 : 1 });
      await page.goto(`${server.url}${hash}`);
      await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
      await settle(page);
      // Sections off the screen are not painted until scrolled to (content-visibility): the whole-page
      // picture shows each as a reader scrolling there sees it.
      if (name === 'read') await page.addStyleTag({ content: '.read-section { content-visibility: visible; }' });
      const file = join(OUT, `${name}-${width}-${scheme}.png`);
      await page.screenshot({ path: file, fullPage: true });
      for (const section of name === 'read' ? await page.$$eval('.read-section', (ss) => ss.map((s) => s.id)) : []) {
        await page.locator(`#${section}`).screenshot({ path: join(OUT, `${section}-${width}-${scheme}.png`) });
      }
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
      console.log(file, overflow > 0 ? `SCROLLS SIDEWAYS ${overflow}px` : '', errors.join(' | '));
      await page.close();
    }
  }
}
await browser.close();
await server.close();
