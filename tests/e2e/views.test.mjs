// The train and figures views, end to end: a link reproduces the native
// CLI's numbers, garbled links and diverging runs give messages, figures run
// in Web Workers and embed as a single panel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT, inkedPixels, openReady as open, trainNatively, useLab } from './harness.mjs';

const lab = useLab();
const openReady = (hash) => open(lab, hash);

test('a train link reproduces the native CLI run bit for bit, with live plots', async () => {
  // A version-1 link (no `v`) keeps its version through the page's form: FA+WN
  // trains with FA's η, as it did when the link was made; the same settings
  // as a version-2 link train with FA+WN's own η, and give another run.
  const runs = [
    ['rule=fa&epochs=2&seed=11&gamma=1&angles=1&n=3000&batch=250', 'v=1&rule=fa&epochs=2&seed=11&gamma=1&angles=1&n=3000&batch=250', 0.001],
    ['v=2&rule=fa&epochs=2&seed=11&gamma=1&angles=1&n=3000&batch=250', 'v=2&rule=fa&epochs=2&seed=11&gamma=1&angles=1&n=3000&batch=250', 5e-4],
  ];
  const fingerprints = [];
  for (const [opened, link, eta] of runs) {
    const { page, errors } = await openReady(`#/train?${opened}`);
    assert.match(await page.textContent('#train-message'), /Settings from the link/);
    assert.equal(await page.$eval('#train-form', (f) => f.elements.v.value), link.slice(2, 3), 'the form keeps the link version');
    assert.equal(await page.$eval('#train-form', (f) => f.elements.eta.placeholder), `default ${eta}`);
    await page.click('#train-start');
    await page.waitForSelector('#train-fingerprint', { timeout: 120_000 });
    const fingerprint = (await page.textContent('#train-fingerprint')).trim();
    assert.match(await page.textContent('#train-reproduce'), new RegExp(`fa-lab train --link '${link}'`));
    for (const key of ['loss', 'alignment', 'accuracy', 'norms', 'updates']) {
      assert.ok(await inkedPixels(page, `canvas[data-panel="${key}"]`) > 3000, `panel ${key} is drawn`);
    }
    // The address now carries the run's link, of the opened link's version.
    assert.ok(page.url().endsWith(`#/train?${link}`), page.url());

    const summary = trainNatively(lab, `train-v${link.slice(2, 3)}`, ['--link', page.url()]);
    assert.equal(fingerprint, summary.fingerprint);
    assert.equal(Math.fround(summary.config.net.eta), Math.fround(eta), 'the version\'s η');
    // The link as opened gives the same run natively.
    assert.equal(trainNatively(lab, `train-opened-v${link.slice(2, 3)}`, ['--link', opened]).fingerprint, fingerprint);
    fingerprints.push(fingerprint);
    if (link.startsWith('v=2')) await page.screenshot({ path: join(ROOT, 'target/e2e/train.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
  }
  assert.notEqual(fingerprints[0], fingerprints[1], 'versions 1 and 2 differ for FA+WN');
});

test('a form opened without a link makes links of the current version', async () => {
  const { page, errors } = await openReady('#/train');
  const current = String(await page.evaluate(() => window.faLab.engine.currentLinkVersion()));
  assert.equal(current, '3');
  assert.equal(await page.$eval('#train-form', (f) => f.elements.v.value), current);
  assert.equal(await page.$eval('#train-form', (f) => f.elements.eta.placeholder), 'default 0.001');
  await page.check('#train-form input[name=wn]');
  assert.equal(await page.$eval('#train-form', (f) => f.elements.eta.placeholder), 'default 0.0005', 'FA+WN\'s own η');
  const link = await page.evaluate(() => window.faLab.app.views.train.linkFromForm());
  assert.ok(link.startsWith(`v=${current}&rule=fa&`), link);
  assert.equal(await page.$eval('#figure-form', (f) => f.elements.v.value), current);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a garbled link is reported and the view stays usable', async () => {
  const { page, errors } = await openReady('#/train?rule=zz&epochs=2');
  assert.match(await page.textContent('#train-message'), /could not be read.*unknown learning rule "zz"/);
  // A bad value typed into the form is refused by the core, with its name.
  await page.fill('#train-form input[name=p]', '1.5');
  await page.click('#train-start');
  assert.match(await page.textContent('#train-message'), /Cannot start.*label-shuffle fraction/);
  const figure = await openReady('#/figures?fig=fig9');
  assert.match(await figure.page.textContent('#figure-message'), /could not be read/);
  assert.deepEqual([...errors, ...figure.errors], []);
  await page.close();
  await figure.page.close();
});

test('a diverging run stops with a message and keeps its plots', async () => {
  const { page } = await openReady('#/train?rule=bp&eta=5&epochs=3&n=2000&batch=200');
  await page.click('#train-start');
  await page.waitForFunction(() => /stopped at iteration/.test(document.getElementById('train-message').textContent), null, { timeout: 60_000 });
  assert.match(await page.textContent('#train-message'), /diverged|dead/);
  assert.ok(await inkedPixels(page, 'canvas[data-panel="loss"]') > 1000);
  await page.close();
});

test('a figure link runs in workers and draws every panel; embed shows one', async () => {
  const { page, errors } = await openReady('#/figures?fig=fig2b&preset=quick&runs=2&seed=0');
  await page.waitForFunction(() => document.body.dataset.figure === 'done', null, { timeout: 180_000 });
  assert.match(await page.textContent('#figure-status'), /8 of 8 runs finished/);
  const canvases = await page.$$eval('#figure-panels canvas', (cs) => cs.map((c) => c.dataset.panel));
  assert.ok(canvases.length >= 1);
  for (const key of canvases) assert.ok(await inkedPixels(page, `canvas[data-panel="${key}"]`) > 5000, `panel ${key}`);
  await page.screenshot({ path: join(ROOT, 'target/e2e/figure.png'), fullPage: true });

  const embed = await openReady(`#/embed?fig=fig2b&preset=quick&runs=1&seed=0&panel=${canvases[0]}`);
  await embed.page.waitForFunction(() => document.body.dataset.figure === 'done', null, { timeout: 180_000 });
  assert.equal(await embed.page.$$eval('#figure-panels canvas', (cs) => cs.length), 1);
  assert.equal(await embed.page.isVisible('.masthead'), false);
  assert.deepEqual([...errors, ...embed.errors], []);
  await page.close();
  await embed.page.close();
});

test('a figure link computed in the browser equals the CLI\'s, number for number', async () => {
  // Version-1 links (no `v`: the old presets) keep their version through the
  // page's form, and version-2 and 3 ones (fig7's BP-after-FA runs die and are
  // counted, failures kept in the means) on both sides.
  const figures = {};
  for (const [fig, query, version] of [
    ['fig2b', 'fig=fig2b&preset=quick&runs=1&seed=5', 1],
    ['fig6', 'fig=fig6&preset=quick&runs=1&seed=5', 1],
    ['fig7', 'fig=fig7&preset=quick&runs=1&seed=0', 1],
    ['fig7', 'v=2&fig=fig7&preset=quick&runs=1&seed=0', 2],
    // Version 3: the feedback-path variants (redrawn's per-step draws, sparse's mask, …) in wasm.
    ['feedback', 'v=3&fig=feedback&preset=quick&runs=1&seed=0', 3],
  ]) {
    const { page } = await openReady(`#/figures?${query}`);
    await page.waitForFunction(() => document.body.dataset.figure === 'done', null, { timeout: 300_000 });
    assert.equal(await page.$eval('#figure-form', (f) => f.elements.v.value), String(version), `${query}: the form keeps v`);
    assert.ok(page.url().includes(`#/figures?v=${version}&fig=${fig}&`), `${query}: the address keeps v: ${page.url()}`);
    // The link as opened gives the same parameters natively as the page's address.
    const opened = join(lab.scratch, `figure-opened-${fig}-v${version}`);
    execFileSync(CLI, ['figure', '--link', query, '--out', opened], { cwd: ROOT, stdio: 'ignore' });
    // The page's own address, handed to the CLI.
    const out = join(lab.scratch, `figure-${fig}`);
    execFileSync(CLI, ['figure', '--link', page.url(), '--out', out], { cwd: ROOT, stdio: 'ignore' });
    const { provenance, ...native } = JSON.parse(readFileSync(join(out, `${fig}.json`), 'utf8'));
    assert.equal(provenance.link, `#/figures?${page.url().split('?')[1]}`);
    // Through JSON on both sides, so NaN is null in both.
    const browser = await page.evaluate(() => JSON.parse(JSON.stringify(window.faLab.app.views.figures.figureData())));
    // f32 parameters print as written natively (0.001) and widen in JS; compare them as f32.
    const asF32 = (params) => JSON.parse(JSON.stringify(params), (_, v) => (typeof v === 'number' ? Math.fround(v) : v));
    assert.deepEqual(asF32(browser.params), asF32(native.params), `${fig}: parameters`);
    assert.deepEqual({ ...browser, params: null }, { ...native, params: null }, `${fig}: browser and CLI differ`);
    // The same numbers; only the provenance's link differs (the address spells `v` out).
    const { provenance: _, ...fromOpened } = JSON.parse(readFileSync(join(opened, `${fig}.json`), 'utf8'));
    assert.deepEqual(fromOpened, native, `${query}: the opened link and the page's address differ`);
    if (fig === 'fig7' && version === 2) assert.ok(native.panels[0].failures.length > 0, 'fig7 v2: the dead runs are counted');
    figures[`${fig}-v${version}`] = native;
    await page.close();
  }
  assert.notDeepEqual(figures['fig7-v1'].params, figures['fig7-v2'].params, 'fig7: the presets of versions 1 and 2 differ');
});

test('the speed view times the same workload as fa-lab bench, to the same bits', async () => {
  const native = JSON.parse(execFileSync(CLI, ['bench', '--epochs', '1', '--json'], { cwd: ROOT }).toString());
  const { page, errors } = await openReady('#/bench');
  await page.click('#bench-run');
  await page.waitForFunction(() => /checksum/.test(document.getElementById('bench-root').textContent)
    && /Done/.test(document.getElementById('bench-root').textContent), null, { timeout: 180_000 });
  const text = await page.textContent('#bench-root');
  assert.match(text, new RegExp(`checksum after 1 epoch\\s*${native.checksum}`));
  assert.match(text, /GFLOP\/s/);
  assert.deepEqual(errors, []);
  await page.close();
});
