// A reader who asks for less motion (prefers-reduced-motion: reduce) gets live
// plots that redraw less often while training: counted as the loss panel's
// accessible name changes (every redraw writes its current values there).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openReady, useLab } from './harness.mjs';

const lab = useLab();
const WATCH_MS = 6000;

/** Redraws of the live loss panel during `WATCH_MS` of training, with or without reduced motion. */
async function redraws(reducedMotion) {
  const { page, errors } = await openReady(lab, '#/train?rule=fa&epochs=60&seed=1', { reducedMotion });
  await page.click('#train-start');
  await page.waitForFunction(() => document.querySelector('#train-progress').value > 0, null, { timeout: 60_000 });
  const count = await page.evaluate((ms) => new Promise((done) => {
    const canvas = document.querySelector('#train-panels canvas[data-panel="loss"]');
    let n = 0;
    const seen = new MutationObserver(() => { n++; });
    seen.observe(canvas, { attributes: true, attributeFilter: ['aria-label'] });
    setTimeout(() => { seen.disconnect(); done(n); }, ms);
  }), WATCH_MS);
  const stillRunning = await page.evaluate(() => document.querySelector('#train-progress').value < 1);
  assert.deepEqual(errors, []);
  await page.close();
  return { count, stillRunning };
}

test('live plots redraw less often when the reader asks for reduced motion', async () => {
  const normal = await redraws('no-preference');
  const reduced = await redraws('reduce');
  console.log(`redraws in ${WATCH_MS / 1000} s of training: ${normal.count} normally, ${reduced.count} with reduced motion`);
  assert.ok(normal.stillRunning && reduced.stillRunning, 'the run lasted the whole watch');
  // 250 ms between redraws normally, 2 s with reduced motion (www/train.js).
  assert.ok(reduced.count <= WATCH_MS / 2000 + 1, `reduced motion: ${reduced.count} redraws`);
  assert.ok(normal.count >= 3 * reduced.count && normal.count >= 8, `normal: ${normal.count} redraws`);
});
