// The train view, end to end: a link that uses every key survives the page
// (form → core → address → run) and gives the CLI's run; play/pause, step,
// reset, speed and their keys; the empty state; the test digits with what the
// network says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inkedPixels, openReady as open, readAsset, shot, trainNatively, useLab } from './harness.mjs';

const lab = useLab();
const openReady = (hash) => open(lab, hash);

/** Every key a train link can hold, in the order the core writes them. */
const EVERY_KEY = 'v=3&rule=kp:0.01&eta=0.0003&epochs=1&seed=4&gamma=1.5&shuffle=1&p=0.25&angles=1&n=1000&batch=100&sizes=225,100,50&linear=1';

const status = (page) => page.textContent('#train-status');
const iteration = async (page) => Number((await status(page)).match(/iteration (\d+) of/)[1]);

test('a link with every key survives the page and gives the CLI\'s run', async () => {
  const { page, errors } = await openReady(`#/train?${EVERY_KEY}`);
  assert.match(await page.textContent('#train-message'), /Settings from the link/);
  // The form shows what the link says, the rule's parameter and the advanced settings included.
  const form = await page.$eval('#train-form', (f) => Object.fromEntries(['v', 'rule', 'setting', 'eta', 'sizes', 'n', 'batch', 'p', 'gamma']
    .map((k) => [k, f.elements[k].value]).concat(['wn', 'shuffle', 'angles', 'linear'].map((k) => [k, f.elements[k].checked]))));
  assert.deepEqual(form, { v: '3', rule: 'kp', setting: '0.01', eta: '0.0003', sizes: '225,100,50', n: '1000', batch: '100', p: '0.25',
    gamma: '1.5', wn: true, shuffle: true, angles: true, linear: true });
  await page.click('#train-start');
  await page.waitForSelector('#train-fingerprint', { timeout: 120_000 });
  assert.ok(page.url().endsWith(`#/train?${EVERY_KEY}`), `the address changed: ${page.url()}`);

  const summary = trainNatively(lab, 'every-key', ['--link', page.url()]);
  const config = await page.evaluate(() => window.faLab.app.views.train.run.config());
  assert.deepEqual(JSON.parse(JSON.stringify(config), (_, v) => (typeof v === 'number' ? Math.fround(v) : v)),
    JSON.parse(JSON.stringify(summary.config), (_, v) => (typeof v === 'number' ? Math.fround(v) : v)), 'config');
  assert.equal((await page.textContent('#train-fingerprint')).trim(), summary.fingerprint);
  assert.match(await page.textContent('#train-reproduce'), new RegExp(`fa-lab train --link '${EVERY_KEY.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`));
  // Update angles on: the error-signal panel is shown beside the update panel, with a line per hidden layer.
  assert.ok(await page.isVisible('#train-panels canvas[data-panel=signals]'), 'the error-signal panel is shown');
  assert.match(await page.getAttribute('#train-panels canvas[data-panel=signals]', 'aria-label'), /δ_1/);

  // A feedback-path variant's setting: the core names it, the field shows it; a rule without one has none.
  await page.evaluate(() => { location.hash = '#/train?v=3&rule=sparse:0.5&epochs=1&seed=2'; });
  await page.waitForFunction(() => document.querySelector('#train-form').elements.setting.value === '0.5');
  assert.match(await page.textContent('#train-setting-words'), /fraction of B's entries that are 0/);
  await page.selectOption('#train-form select[name=rule]', 'redrawn');
  assert.equal(await page.$eval('#train-form', (f) => f.elements.setting.value), '');
  assert.match(await page.textContent('#train-setting-words'), /no setting/);

  // A key the form has no input for (as a newer link may carry) is kept, not dropped: the core names it.
  await page.evaluate(() => { location.hash = '#/train?rule=fa&epochs=1&seed=2&sizes=225,40,50'; });
  await page.waitForFunction(() => document.querySelector('#train-form').elements.sizes.value === '225,40,50');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the train view: empty state, step, play/pause, speed, reset, keys, time left', async () => {
  const asset = await readAsset();
  const { page, errors } = await openReady('#/train?rule=fa&epochs=2&seed=3&n=2000&batch=20');
  assert.ok(await page.isVisible('#train-empty'), 'the empty state is shown before the first run');
  assert.match(await page.textContent('#train-empty'), /test accuracy.*digits/s);
  assert.equal(await page.isVisible('#train-panels'), false);
  assert.match(await page.textContent('.keys'), /Space.*play\/pause.*S.*one step.*R.*reset/s);

  // A key pressed while typing in a field goes to the field, not to the run.
  await page.click('#train-form input[name=seed]');
  await page.keyboard.press('s');
  assert.ok(await page.isVisible('#train-empty'), 's in a field did not step');

  // S steps once (focus away from the form first).
  await page.click('#view-train h2');
  await page.keyboard.press('s');
  await page.waitForSelector('#train-live', { state: 'visible' });
  assert.match(await status(page), /^epoch 1 of 2 · iteration 1 of 200/);
  await page.click('#train-step');
  assert.equal(await iteration(page), 2);

  // Play at one iteration a frame; Space pauses; the count stands still while paused.
  await page.selectOption('#train-speed', '1');
  await page.click('#view-train h2');
  await page.keyboard.press(' ');
  await page.waitForFunction(() => /about .* left/.test(document.getElementById('train-status').textContent), null, { timeout: 30_000 });
  const perFrame = await page.evaluate(() => new Promise((ok) => {
    const run = window.faLab.app.views.train.run;
    const a = run.iteration();
    requestAnimationFrame(() => requestAnimationFrame(() => ok(run.iteration() - a)));
  }));
  assert.ok(perFrame <= 2, `speed 1 ran ${perFrame} iterations in two frames`);
  await page.keyboard.press(' ');
  assert.equal(await page.getAttribute('body', 'data-train'), 'paused');
  const paused = await page.evaluate(() => window.faLab.app.views.train.run.iteration());
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.faLab.app.views.train.run.iteration()), paused);
  assert.equal(await page.textContent('#train-pause'), 'Resume');

  // The test digits: the asset's test labels (read here with node's zlib), each read out by its best code match.
  const said = await page.evaluate(() => window.faLab.app.views.train.run.predictions(0, 8));
  assert.deepEqual(said.map((p) => p.label), Array.from(asset.testLabels.subarray(0, 8)));
  for (const p of said) {
    const best = p.code_match.reduce((b, m, c) => (m > p.code_match[b] ? c : b), 0);
    assert.equal(p.predicted, best);
  }
  assert.match(await page.textContent('#train-says'), new RegExp(`test image 0: a ${said[0].label}, the network says ${said[0].predicted}`));
  assert.ok(await inkedPixels(page, '#train-predictions') > 5000, 'the test digits are drawn');

  // A step while an epoch's test accuracy is still being counted (over several
  // frames after the epoch's last iteration) ends the count and takes one iteration.
  await page.keyboard.press(' ');
  const stepped = await page.evaluate(() => new Promise((ok) => {
    const view = window.faLab.app.views.train;
    const look = () => {
      if (!view.run.isMeasuring()) { requestAnimationFrame(look); return; }
      const before = view.run.iteration();
      view.step();
      ok({ before, after: view.run.iteration(), measuring: view.run.isMeasuring(), epochs: view.run.testAccuracies().length });
    };
    requestAnimationFrame(look);
  }));
  assert.deepEqual(stepped, { before: 100, after: 101, measuring: false, epochs: 1 });
  assert.equal(await page.getAttribute('body', 'data-train'), 'paused');

  // R resets to iteration 0 of the same settings; ] back to full speed finishes the run.
  await page.keyboard.press('r');
  assert.match(await status(page), /iteration 0 of 200/);
  for (let i = 0; i < 4; i++) await page.keyboard.press(']');
  assert.equal(await page.inputValue('#train-speed'), 'auto');
  await page.keyboard.press(' ');
  await page.waitForSelector('#train-fingerprint', { timeout: 120_000 });
  assert.match(await status(page), /iteration 200 of 200 · done/);
  for (const width of [1280, 375]) await shot(page, `train-done-${width}`, width);
  assert.deepEqual(errors, []);
  await page.close();
});
