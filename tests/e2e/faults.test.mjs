// Faults handled in the page: a worker that throws or runs out of memory is
// reported and the other runs go on (the pool replaces it and lives on across
// runs); links without a figure give a message and a way on; a long preset
// waits for the reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIST, ROOT, inkedPixels, openPage, openReady as open, shot, useLab } from './harness.mjs';

const lab = useLab();
const openReady = (hash) => open(lab, hash);
const figureState = (page, state, timeout = 180_000) =>
  page.waitForFunction((s) => document.body.dataset.figure === s, state, { timeout });
// Runs again and waits for that run's end: with the workers loaded, these
// small runs can start and finish between two polls of the state, so the
// state is cleared first and only the new run can set it to 'done'.
const runAgain = async (page) => {
  await page.evaluate(() => { delete document.body.dataset.figure; });
  await page.click('#figure-start');
  await figureState(page, 'done');
};
// The shipped worker has no fault hook: tests/e2e/fault-worker.js, served in
// its place, is the shipped one plus a 'test-fault' message.
const FAULT_WORKER = readFileSync(join(ROOT, 'tests/e2e/fault-worker.js'), 'utf8');

test('a worker that throws or runs out of memory is reported; the other runs go on', async () => {
  assert.doesNotMatch(readFileSync(join(DIST, 'worker.js'), 'utf8'), /test-fault/, 'the shipped worker has no fault hook');
  // No service worker: once one controls the page, its fetches bypass page.route.
  const { page, errors } = await openPage(lab.browser, null, { serviceWorkers: 'block' });
  await page.route((url) => url.pathname.endsWith('/worker.js') && !url.search,
    (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body: FAULT_WORKER }));
  await page.goto(`${lab.server.url}#/figures`);
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
  // The next run of worker 0 throws, of worker 1 runs out of memory.
  const size = await page.evaluate(() => {
    const pool = window.faLab.app.views.figures.workers();
    pool.slots[0].worker.postMessage({ type: 'test-fault', kind: 'throw' });
    pool.slots[pool.slots.length > 1 ? 1 : 0].worker.postMessage({ type: 'test-fault', kind: 'oom' });
    return pool.slots.length;
  });
  await page.selectOption('#figure-form select[name=fig]', 'fig2b');
  await page.fill('#figure-form input[name=runs]', '2');
  await page.click('#figure-start');
  await figureState(page, 'done');
  const faulted = size > 1 ? 2 : 1;
  assert.match(await page.textContent('#figure-status'), new RegExp(`${8 - faulted} of 8 runs finished · ${faulted} failed`));
  const message = await page.textContent('#figure-message');
  assert.match(message, /Some runs failed; the panels show the others/);
  assert.match(message, /test fault: the worker threw/);
  if (size > 1) assert.match(message, /ran out of memory/);
  for (const key of await page.$$eval('#figure-panels canvas', (cs) => cs.map((c) => c.dataset.panel))) {
    assert.ok(await inkedPixels(page, `canvas[data-panel="${key}"]`) > 5000, `panel ${key} is drawn from the other runs`);
  }

  // The pool lives on: the crashed workers were replaced once, and two more
  // runs load nothing again (each worker loads the wasm and the data once).
  await runAgain(page);
  assert.match(await page.textContent('#figure-status'), /^8 of 8 runs finished/);
  await runAgain(page);
  assert.equal(await page.evaluate(() => window.faLab.app.views.figures.pool.loads), size + faulted);
  // The page itself logged nothing: the faults went to the message.
  assert.deepEqual(errors, []);
  await page.close();
});

test('links without a figure say so and offer a way on', async () => {
  for (const hash of ['#/embed', '#/embed?preset=quick', '#/figures?preset=quick']) {
    const { page, errors } = await openReady(hash);
    await page.waitForFunction(() => document.getElementById('figure-message').textContent !== '');
    const message = await page.textContent('#figure-message');
    assert.match(message, /names no figure|does not say which figure/, `${hash}: ${message}`);
    if (hash.startsWith('#/embed')) {
      assert.ok(await page.isVisible('#figure-way a[href$="#/figures"]'), `${hash}: a link to the figures`);
      await shot(page, 'embed-no-figure', 375);
    } else {
      assert.ok(await page.isVisible('#figure-form select[name=fig]'), 'the form is there to choose one');
    }
    assert.deepEqual(errors, [], hash);
    await page.close();
  }
});

test('a paper-preset link opens the figure and waits for Run', async () => {
  const { page, errors } = await openReady('#/figures?fig=fig6&preset=paper&runs=1&seed=0');
  await figureState(page, 'waiting', 30_000);
  assert.match(await page.textContent('#figure-gate'), /\d+ runs with the paper preset take hours/);
  assert.ok(await page.isVisible('#figure-gate-run'));
  assert.ok(await page.$$eval('#figure-panels canvas', (cs) => cs.length) >= 4, 'the empty panels are shown');
  assert.equal(await page.evaluate(() => window.faLab.app.views.figures.pool), null, 'no worker started');
  // The address holds the link as the form writes it: the same settings, its version (1) spelled out.
  assert.ok(page.url().endsWith('#/figures?v=1&fig=fig6&preset=paper&runs=1&seed=0'), page.url());
  await shot(page, 'figures-paper-waiting-1280', 1280);
  await shot(page, 'figures-paper-waiting-375', 375);
  assert.deepEqual(errors, []);
  await page.close();
});
