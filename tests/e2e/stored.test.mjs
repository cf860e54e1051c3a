// Stored results (www/stored/, `fa-lab store`): a paper-preset figure or embed
// link draws the stored figure at once, before the data is loaded and without
// a worker, labelled with where it came from; "Recompute this run here"
// recomputes a stored run in a worker and finds its stored fingerprint;
// exports carry the stored runs' fingerprints; a damaged stored file falls
// back to computing, with a message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIST, inkedPixels, openPage, shot, useLab } from './harness.mjs';

const lab = useLab();
const figureState = (page, state, timeout = 60_000) =>
  page.waitForFunction((s) => document.body.dataset.figure === s, state, { timeout });
const stored = (id) => JSON.parse(readFileSync(join(DIST, 'stored', `${id}.json`), 'utf8'));

test('a paper-preset figure link draws its stored result at once, before the data is loaded', async () => {
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}#/figures?v=2&fig=fig6&preset=paper`);
  await figureState(page, 'stored');
  const timing = await page.evaluate(() => ({
    drawn: Number(document.body.dataset.storedAt),
    state: document.body.dataset.state,
    pool: window.faLab.app.views.figures.pool,
  }));
  // Drawn while the data is still loading (or within a second of it being ready), with no worker.
  console.log(`fig6 stored result drawn ${timing.drawn} ms after navigation; page state then: ${timing.state}`);
  assert.equal(timing.pool, null, 'no worker was started');
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
  const readyAt = await page.evaluate(() => performance.now());
  assert.ok(timing.drawn < readyAt + 1000, `drawn at ${timing.drawn} ms, data ready by ${readyAt} ms`);

  const file = stored('fig6');
  const origin = await page.textContent('#figure-stored-origin');
  assert.match(origin, /^Stored result: 30 runs per condition \(121 in all\), computed natively/);
  assert.ok(origin.includes(file.commit) && origin.includes('link version 2'), origin);
  const panels = await page.$$eval('#figure-panels canvas', (cs) => cs.map((c) => c.dataset.panel));
  assert.deepEqual(panels, file.figure.panels.map((p) => p.key));
  for (const key of panels) {
    const inked = await inkedPixels(page, `#figure-panels canvas[data-panel="${key}"]`);
    assert.ok(inked > 5000, `panel ${key} is drawn (${inked} inked pixels)`);
  }
  // The page's figure is the stored one, number for number.
  const shown = await page.evaluate(() => JSON.parse(JSON.stringify(window.faLab.app.views.figures.figureData())));
  assert.deepEqual(shown.panels.map((p) => p.series.map((s) => s.mean)), file.figure.panels.map((p) => p.series.map((s) => s.mean)));
  // Every run is offered for recomputing, labelled as stored.
  const options = await page.$$eval('#figure-stored-run option', (os) => os.map((o) => o.textContent));
  assert.equal(options.length, file.runs.length);
  assert.equal(options[0], `${file.runs[0].label} (seed ${file.runs[0].seed})`);
  // The address is the full link, unchanged in meaning.
  assert.ok(page.url().endsWith('#/figures?v=2&fig=fig6&preset=paper&runs=30&seed=0'), page.url());

  // An export says where the numbers came from: the stored commit and every run's fingerprint.
  const json = JSON.parse(await page.evaluate(() => window.faLab.app.views.figures.state.figure.exportPanel('b', { format: 'json' })));
  assert.equal(json.provenance.commit, file.commit);
  assert.deepEqual(json.provenance.runs.map((r) => r.fingerprint), file.runs.map((r) => r.fingerprint));
  assert.match(json.provenance.computed, /^stored result, computed natively/);
  assert.equal(json.provenance.link, `#/${'figures'}?${file.link}`);
  await shot(page, 'figures-stored-fig6-1280', 1280);
  await shot(page, 'figures-stored-fig6-375', 375);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a stored run recomputed in the browser gives its stored fingerprint', async () => {
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}#/figures?v=2&fig=fig3&preset=paper`);
  await figureState(page, 'stored');
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
  const file = stored('fig3');
  // A run other than the first: fig3's "shuffled" condition of run 1.
  const k = file.runs.findIndex((r) => r.label === 'shuffled run 1');
  assert.ok(k > 0);
  await page.selectOption('#figure-stored-run', String(k));
  await page.click('#figure-stored-check');
  await page.waitForFunction(() => ['equal', 'differs', 'failed'].includes(document.body.dataset.check), null, { timeout: 240_000 });
  const said = await page.textContent('#figure-stored-result');
  console.log(said);
  assert.equal(await page.evaluate(() => document.body.dataset.check), 'equal', said);
  assert.ok(said.includes(file.runs[k].fingerprint) && said.includes('equals the stored one'), said);
  // The stored figure is still the one shown; the recomputation changed nothing.
  assert.equal(await page.evaluate(() => document.body.dataset.figure), 'stored');
  await shot(page, 'figures-stored-fig3-checked-1280', 1280);
  assert.deepEqual(errors, []);
  await page.close();
});

test('an embed of a stored figure draws its panel without computing; "Run live" recomputes', async () => {
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}#/embed?v=2&fig=fig5&preset=paper&panel=b`,
    { viewport: { width: 600, height: 480 } });
  await figureState(page, 'stored');
  assert.deepEqual(await page.$$eval('#figure-panels canvas', (cs) => cs.map((c) => c.dataset.panel)), ['b']);
  assert.ok(await inkedPixels(page, '#figure-panels canvas[data-panel="b"]') > 5000);
  assert.equal(await page.evaluate(() => window.faLab.app.views.figures.pool), null, 'no worker was started');
  assert.ok(await page.isVisible('#figure-stored-origin'));
  assert.ok(!(await page.isVisible('#figure-stored-check')), 'an embed offers Run live only');
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
  // The embed stays an embed once the data is ready.
  assert.ok(page.url().includes('#/embed?'), page.url());
  assert.equal(await page.textContent('#figure-stored-all'), 'Run live');
  await shot(page, 'embed-stored-fig5', 600);
  await page.click('#figure-stored-all');
  await figureState(page, 'running');
  assert.ok(await page.isHidden('#figure-stored'));
  // (An embed has no Stop button: the next view stops the runs.)
  await page.evaluate(() => window.faLab.app.views.figures.stop());
  assert.deepEqual(errors, []);
  await page.close();
});

test('a damaged stored result is refused with a message, and the figure can still be computed', async () => {
  // No service worker: once one controls the page, its fetches bypass page.route.
  const { page, errors } = await openPage(lab.browser, null, { serviceWorkers: 'block' });
  await page.route('**/stored/fig4.json', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: '{"format":1,"link":' }));
  await page.goto(`${lab.server.url}#/figures?v=2&fig=fig4&preset=paper`);
  await figureState(page, 'waiting');
  const message = await page.textContent('#figure-message');
  assert.match(message, /The stored result of this figure could not be used \(.*not valid JSON.*\), so it has to be computed here/);
  assert.ok(await page.isVisible('#figure-gate-run'));
  assert.ok(await page.isHidden('#figure-stored'));
  // Other figures' stored results are unaffected; a missing file says so too.
  await page.route('**/stored/fig7.json', (route) => route.fulfill({ status: 404, body: 'not found' }));
  await page.goto('about:blank');
  await page.goto(`${lab.server.url}#/figures?v=2&fig=fig7&preset=paper`);
  await figureState(page, 'waiting');
  assert.match(await page.textContent('#figure-message'), /404/);
  assert.deepEqual(errors.filter((e) => !/404/.test(e)), []);
  await page.close();
});

test('links that are not a stored preset are computed live as before', async () => {
  const { page } = await openPage(lab.browser, `${lab.server.url}#/figures?v=2&fig=fig6&preset=paper&runs=2`);
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
  await figureState(page, 'waiting');
  assert.ok(await page.isHidden('#figure-stored'));
  assert.equal(await page.evaluate(() => window.faLab.engine.storedFileFor('v=2&fig=fig6&preset=paper&runs=2')), undefined);
  await page.close();
});

test('an older link says it shows what it showed, what changed, and opens today\'s stored figure', async () => {
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}#/figures?fig=fig6&preset=paper`);
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
  await figureState(page, 'waiting');
  const note = await page.textContent('#figure-older');
  assert.match(note, /made by an older FA Lab \(link version 1\), and it shows exactly what it showed then\. Since then: FA with weight normalisation/);
  const href = await page.getAttribute('#figure-older a', 'href');
  assert.equal(href, '#/figures?v=3&fig=fig6&preset=paper&runs=30&seed=0');
  // Version 1's paper preset is kept (FA+WN at FA's η): computed live, never the stored version-2 figure.
  assert.ok(await page.isHidden('#figure-stored'));
  await shot(page, 'figures-older-link-1280', 1280);
  await page.click('#figure-older a');
  await figureState(page, 'stored');
  assert.ok(await page.isHidden('#figure-older'));
  // The train view says the same of an older training link.
  await page.goto(`${lab.server.url}#/train?rule=fa&gamma=1&epochs=1`);
  await page.waitForFunction(() => !document.getElementById('train-older').hidden, null, { timeout: 30_000 });
  assert.match(await page.getAttribute('#train-older a', 'href'), /^#\/train\?v=3&/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('"Recompute all" recomputes a stored figure in the workers and finds every stored fingerprint', async () => {
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}#/figures?v=2&fig=fig2b&preset=paper`);
  await figureState(page, 'stored');
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
  const stored = await page.evaluate(() => JSON.parse(JSON.stringify(window.faLab.app.views.figures.figureData())));
  await page.click('#figure-stored-all');
  await figureState(page, 'done', 300_000);
  assert.match(await page.textContent('#figure-message'), /^All 40 recomputed runs give the stored fingerprints/);
  // The figure computed here is the stored one, number for number.
  const live = await page.evaluate(() => JSON.parse(JSON.stringify(window.faLab.app.views.figures.figureData())));
  assert.deepEqual(live.panels, stored.panels);
  assert.deepEqual(errors, []);
  await page.close();
});
