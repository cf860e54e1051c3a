// The Read view (#/read, the landing): opened cold with the data download held
// back, its text and stored figures appear before the data set; every number it
// shows equals the stored JSON, recomputed here independently of the page's
// code; its controls choose what is drawn; section 1 steps a live run once
// the data is there; fig2b computes here without the data; axe finds nothing;
// old links still open their own views.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, DIST, ROOT, axe, firstFigure, inkedPixels, openReady, openWithoutData as rawOpen, shot, useLab } from './harness.mjs';

const lab = useLab();
const stored = (id) => JSON.parse(readFileSync(join(DIST, 'stored', `${id}.json`), 'utf8'));

const openWithoutData = (hash, options) => rawOpen(lab.browser, lab.server.url, hash, options);

// ------------------------------------------------ the numbers, independently

const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;

/** A number's source (src/read.rs `Source`) computed from the stored FigureData, without the lab's code. */
function valueOf(figure, src) {
  const panel = (key) => {
    const p = figure.panels.find((q) => q.key === key);
    assert.ok(p, `panel ${key}`);
    return p;
  };
  const series = () => {
    const s = panel(src.panel).series.find((q) => q.key === src.series);
    assert.ok(s, `series ${src.panel}/${src.series}`);
    return s;
  };
  const meanOver = (s, from, to) => mean(s.x.map((x, i) => [x, s.mean[i]]).filter(([x]) => x >= from && x <= to).map(([, m]) => m));
  const all = (list) => list.map((s) => valueOf(figure, s));
  switch (src.kind) {
    case 'value': {
      const s = series();
      const i = src.x === null ? s.x.length - 1 : s.x.indexOf(src.x);
      assert.ok(i >= 0, `x = ${src.x} in ${src.series}`);
      return src.stat === 'mean' ? s.mean[i] : s.sd[i];
    }
    case 'last_x': return series().x.at(-1);
    case 'mean_over': return meanOver(series(), src.from, src.to);
    case 'order_gap': {
      const s = series();
      return mean(src.orders.map((o) => (meanOver(s, o - 5, o - 1) + meanOver(s, o + 1, o + 5)) / 2 - s.mean[s.x.indexOf(o)]));
    }
    case 'failures': {
      const f = (panel(src.panel).failures || []).find((q) => q.condition === src.condition);
      return f ? { died: f.died, revived: f.revived, median_step: f.median_step }[src.count] : 0;
    }
    case 'explained': return 100 * panel(src.panel).pca.explained[src.component];
    case 'runs': return figure.params.runs;
    case 'difference': return valueOf(figure, src.of) - valueOf(figure, src.minus);
    case 'ratio': return valueOf(figure, src.of) / valueOf(figure, src.to);
    case 'sum': return all(src.of).reduce((a, b) => a + b, 0);
    case 'min': return Math.min(...all(src.of));
    case 'max': return Math.max(...all(src.of));
    default: throw new Error(`unknown source ${src.kind}`);
  }
}

test('opened cold without the data, the landing is the Read view: its text and stored figures draw before the data set', async () => {
  // The data download is never answered, so a figure drawn at all was drawn from its stored result.
  // How fast is a benchmark's question, not this test's: the test command runs two test files at
  // once on two cores, where a cold open's time says more about the load than the page. The three
  // opens are printed with where the time went (the page's performance marks);
  // `node tests/e2e/responsiveness.mjs` measures the distribution quiet and with a core kept busy.
  const warm = await openWithoutData('');
  console.log(`first page of a fresh browser: first figure ${await firstFigure(warm.page)} ms after navigation`);
  await warm.page.close();
  const opens = [];
  for (let i = 0; i < 3; i++) {
    const opened = await openWithoutData('');
    opens.push({ ...opened, first: await firstFigure(opened.page) });
  }
  opens.sort((a, b) => a.first - b.first);
  for (const o of opens.slice(1)) await o.page.close();
  console.log(`cold opens: first figure after ${opens.map((o) => o.first).join(', ')} ms`);
  const { page, errors } = opens[0];
  const t = await page.evaluate(() => {
    const first = Number(document.body.dataset.readFirstFigure);
    const nav = performance.getEntriesByType('navigation')[0];
    const resources = performance.getEntriesByType('resource').filter((r) => r.responseEnd <= first);
    return {
      first,
      view: document.body.dataset.view,
      state: document.body.dataset.state,
      heading: document.getElementById('read-trick-h').offsetParent !== null,
      transferred: nav.transferSize + resources.reduce((a, r) => a + r.transferSize, 0),
      files: resources.map((r) => `${new URL(r.name).pathname.split('/').pop()} ${r.transferSize}`),
      marks: performance.getEntriesByType('mark').filter((m) => m.startTime <= first).map((m) => `${m.name.replace(/^fa:/, '')} ${Math.round(m.startTime)}`),
      fetched: performance.getEntriesByType('resource').map((r) => new URL(r.name).pathname),
      firstFile: window.faLab.engine.readings()[0].file,
    };
  });
  console.log(`  on the way (ms after navigation): ${t.marks.join(', ')}`);
  // index.html preloads the first reading's stored result while the engine compiles: it must name
  // the file the core's first reading reads, and the page must use that fetch, not fetch it again.
  const preloads = [...readFileSync(join(DIST, 'index.html'), 'utf8').matchAll(/<link rel="preload" href="(stored\/[^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(preloads, [t.firstFile], 'index.html preloads the first reading\'s stored result');
  assert.equal(t.fetched.filter((p) => p.endsWith(`/${t.firstFile}`)).length, 1, `${t.firstFile} fetched once`);
  console.log(`Read view: first figure ${t.first} ms after navigation; ${t.transferred} bytes transferred before it (${t.files.join(', ')}, page ${t.transferred - t.files.reduce((a, f) => a + Number(f.split(' ')[1]), 0)})`);
  assert.equal(t.view, 'read', 'no address: the Read view');
  assert.notEqual(t.state, 'ready', 'the data set has not loaded');
  assert.ok(t.heading, 'the text shows');
  assert.ok(!t.files.some((f) => f.startsWith('mnist15')), 'nothing of the data set');
  // The first reading (section 2's fig2b) is drawn, with its findings.
  assert.ok(await inkedPixels(page, '[data-reading="fig2b"] canvas') > 3000);
  assert.ok(await page.locator('[data-reading="fig2b"] .finds data').count() >= 8);
  // Section 1 waits for the data; every other reading's figure draws from its stored result.
  assert.ok(await page.isDisabled('#read-step'));
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await page.waitForFunction(() => [...document.querySelectorAll('[data-reading]')].every((r) => r.getAttribute('aria-busy') === 'false'));
  assert.deepEqual(errors, []);
  await page.close();
});

test('index.html preloads every module the page imports before it runs, so none waits for another', () => {
  const www = join(ROOT, 'www');
  const imported = new Set();
  const visit = (file) => {
    for (const [, dep] of readFileSync(join(www, file), 'utf8').matchAll(/^import [^;]* from '\.\/([^']+)';$/gm)) {
      if (!imported.has(dep)) { imported.add(dep); visit(dep); }
    }
  };
  visit('app.js');
  const preloaded = new Set([...readFileSync(join(www, 'index.html'), 'utf8').matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map((m) => m[1]));
  assert.ok(imported.size > 5, `app.js imports ${[...imported].join(', ')}`);
  assert.deepEqual([...imported].filter((m) => !preloaded.has(m)), [], 'imported but not preloaded');
});

test('every number the Read view shows is the stored result\'s, recomputed independently', async () => {
  const { page, errors } = await openWithoutData('#/read');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-reading]')].length > 0 &&
    [...document.querySelectorAll('[data-reading]')].every((r) => r.getAttribute('aria-busy') === 'false'), null, { timeout: 30_000 });
  const readings = await page.$$eval('[data-reading]', (rs) => rs.map((r) => ({
    id: r.dataset.reading,
    figure: r.dataset.figure,
    section: r.closest('.read-section').id,
    numbers: [...r.querySelectorAll('.finds data')].map((d) => ({ value: Number(d.value), shown: d.textContent, decimals: Number(d.dataset.decimals), source: JSON.parse(d.dataset.source) })),
    // The findings' words without their numbers: no measured value may hide there.
    words: [...r.querySelectorAll('.finds p')].map((p) => [...p.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join('|')),
  })));
  const ids = readings.map((r) => r.id);
  for (const id of ['fig2b', 'fig3', 'fig4', 'fig5', 'fig6', 'fig7', 'rules', 'feedback']) assert.ok(ids.includes(id), `reading ${id}`);
  assert.ok(readings.some((r) => r.section === 'read-differ'), 'section 9 has readings');
  assert.equal(readings.find((r) => r.id === 'rules').section, 'read-beyond');
  assert.equal(readings.find((r) => r.id === 'feedback').section, 'read-beyond');
  let count = 0;
  for (const r of readings) {
    const figure = stored(r.figure).figure;
    assert.ok(r.numbers.length > 0, `${r.id} shows numbers`);
    for (const n of r.numbers) {
      const expected = valueOf(figure, n.source);
      assert.ok(Math.abs(n.value - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${r.id}: ${JSON.stringify(n.source)}: ${n.value} vs ${expected}`);
      const shown = parseFloat(n.shown.replace('−', '-'));
      assert.ok(Math.abs(shown - expected) <= 0.5 * 10 ** -n.decimals + 1e-9, `${r.id}: "${n.shown}" shows ${expected}`);
      count++;
    }
    for (const w of r.words) assert.doesNotMatch(w, /\d\s*(°|%)|±\s*\d/, `${r.id}: a measured number outside the data: ${w}`);
  }
  console.log(`${count} numbers in ${readings.length} readings equal the stored results`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('controls choose the stored series; links open the figure, the section and an embed', async () => {
  const { page, errors } = await openWithoutData('#/read?s=labels');
  await page.waitForFunction(() => document.querySelector('[data-reading="fig5"]')?.getAttribute('aria-busy') === 'false', null, { timeout: 30_000 });
  // The section link scrolled to section 5.
  await page.waitForFunction(() => Math.abs(document.getElementById('read-labels').getBoundingClientRect().top) < 20);
  const fig5 = page.locator('[data-reading="fig5"]');
  const seriesOf = (id, key) => page.evaluate(([i, k]) => {
    const block = window.faLab.app.views.read.blocks.find((b) => b.reading.id === i);
    return JSON.parse(block.showing.exportPanel(k, { format: 'json' })).panel.series.map((s) => s.key);
  }, [id, key]);
  assert.deepEqual(await seriesOf('fig5', 'd'), ['p0/accuracy', 'p0.25/accuracy', 'p0.5/accuracy', 'p0.75/accuracy', 'p1/accuracy']);
  await fig5.locator('select').selectOption({ label: 'p = 0.75 beside p = 0' });
  assert.deepEqual(await seriesOf('fig5', 'd'), ['p0/accuracy', 'p0.75/accuracy']);
  assert.equal(await fig5.locator('canvas').count(), 4, 'fig5a (over p) stays');
  // fig3: the sample order chooses the panels.
  const fig3 = page.locator('[data-reading="fig3"]');
  assert.deepEqual(await fig3.locator('canvas').evaluateAll((cs) => cs.map((c) => c.readFrame.readKey)), ['b-early', 'b-late']);
  await fig3.locator('select').selectOption({ label: 'shuffled every epoch' });
  assert.deepEqual(await fig3.locator('canvas').evaluateAll((cs) => cs.map((c) => c.readFrame.readKey)), ['c-early', 'c-late']);
  await fig3.scrollIntoViewIfNeeded();
  await page.waitForFunction(() => [...document.querySelectorAll('[data-reading="fig3"] canvas')].every((c) => c.readFrame.readDrawn));
  // Links: the figures view with the stored result, the section, and embed code of the first panel shown.
  assert.equal(await fig5.locator('a', { hasText: 'figures view' }).getAttribute('href'), '#/figures?v=3&fig=fig5&preset=paper&runs=30&seed=0');
  assert.equal(await fig5.locator('a', { hasText: 'Link to this section' }).getAttribute('href'), '#/read?s=labels');
  await fig5.locator('button', { hasText: 'Embed code' }).click();
  const code = await fig5.locator('textarea').inputValue();
  assert.match(code, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/#\/embed\?v=3&fig=fig5&preset=paper&runs=30&seed=0&panel=a" /);
  // Following the figure link opens the stored figure in the figures view (before the data, too).
  await fig5.locator('a', { hasText: 'figures view' }).click();
  await page.waitForFunction(() => document.body.dataset.figure === 'stored', null, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => document.body.dataset.view), 'figures');
  assert.deepEqual(errors, []);
  await page.close();
});

test('fig2b computes here before the data has loaded, as the CLI computes it', async () => {
  const { page, errors } = await openWithoutData('#/read?s=why');
  const block = page.locator('[data-reading="fig2b"]');
  await page.waitForFunction(() => document.querySelector('[data-reading="fig2b"]')?.getAttribute('aria-busy') === 'false', null, { timeout: 30_000 });
  const t0 = Date.now();
  await block.locator('button', { hasText: 'Compute here' }).click();
  await page.waitForFunction(() => document.querySelector('[data-reading="fig2b"]').dataset.live === 'done', null, { timeout: 60_000 });
  console.log(`fig2b's quick preset computed in the page in ${Date.now() - t0} ms`);
  const live = await page.evaluate(() => {
    const b = window.faLab.app.views.read.blocks.find((x) => x.reading.id === 'fig2b');
    b.showing.showConditions(undefined);
    return { link: b.reading.live, data: b.showing.data() };
  });
  execFileSync(CLI, ['figure', '--link', live.link, '--out', join(lab.scratch, 'fig2b'), '--quiet'], { cwd: ROOT });
  const native = JSON.parse(readFileSync(join(lab.scratch, 'fig2b', 'fig2b.json'), 'utf8'));
  const means = (f) => f.panels.flatMap((p) => p.series.map((s) => [s.key, s.mean]));
  assert.deepEqual(means(live.data), means(native), 'the same means as fa-lab figure, bit for bit');
  assert.match(await block.locator('.origin').textContent(), /Computed here/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('section 1 steps a live FA run once the data is there: ∠(W_l, B_lᵀ) falls', async () => {
  const { page, errors } = await openReady(lab, '#/read?s=trick');
  await page.click('#read-step');
  await page.waitForFunction(() => /^Iteration 1\b/.test(document.getElementById('read-trick-status').textContent));
  await page.click('#read-step60');
  await page.waitForFunction(() => /^Iteration 61\b/.test(document.getElementById('read-trick-status').textContent), null, { timeout: 60_000 });
  const angles = await page.evaluate(() => {
    const run = window.faLab.app.views.read.trick.run;
    return JSON.parse(run.exportPanel('alignment', { format: 'json' })).panel.series.map((s) => [s.mean[0], s.mean.at(-1)]);
  });
  assert.equal(angles.length, 4);
  for (const [first, last] of angles) assert.ok(last < first - 0.5, `∠(W_l, B_lᵀ) falls: ${first} → ${last}`);
  // The last step's error signals into layer 3, FA's beside BP's, unit by unit, and their angle at every step.
  assert.deepEqual(await page.$$eval('#read-trick-panels canvas', (cs) => cs.map((c) => c.readFrame.readKey)), ['delta/3', 'signals', 'alignment']);
  const signals = await page.evaluate(() => {
    const run = window.faLab.app.views.read.trick.run;
    const panel = (key) => JSON.parse(run.exportPanel(key, { format: 'json' })).panel;
    return { delta: panel('delta/3'), angles: panel('signals') };
  });
  assert.deepEqual(signals.delta.series.map((x) => x.mean.length), [50, 50], 'one value per unit of layer 3');
  assert.notDeepEqual(signals.delta.series[0].mean, signals.delta.series[1].mean);
  assert.match(signals.delta.title, /∠ over the batch \d+\.\d°$/);
  assert.equal(signals.angles.series.length, 4, 'δ_1..δ_4');
  assert.equal(signals.angles.series[0].x.length, 61, 'an angle at every step');
  await page.selectOption('#read-layer', '1');
  assert.equal(await page.$eval('#read-trick-panels canvas', (c) => c.readFrame.readKey), 'delta/1');
  assert.ok(await inkedPixels(page, '#read-trick-panels canvas') > 3000);
  assert.match(await page.textContent('#read-trick-says'), /\d+(\.\d+)?°/);
  await page.click('#read-reset');
  assert.equal(await page.locator('#read-trick-panels canvas').count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test('old links still open their own views; a garbled view name opens the Read view', async () => {
  const { page, errors } = await openReady(lab, '#/train');
  const view = () => page.evaluate(() => document.body.dataset.view);
  assert.equal(await view(), 'train');
  for (const [hash, expected] of [['#/figures?v=2&fig=fig2b&preset=quick&runs=1&seed=0', 'figures'], ['#/data', 'data'],
    ['#/bench', 'bench'], ['#/read', 'read'], ['#/', 'read'], ['#/nowhere', 'read'], ['#/train?rule=fa&epochs=1', 'train']]) {
    await page.evaluate((h) => { location.hash = h; }, hash);
    await page.waitForFunction((v) => document.body.dataset.view === v, expected);
    assert.ok(await page.isVisible(`#view-${expected}`), hash);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

for (const scheme of ['light', 'dark']) {
  test(`axe finds nothing on the Read view (${scheme})`, async () => {
    const { page, errors } = await openReady(lab, '#/read', { colorScheme: scheme });
    // Bring every panel near the screen so all are drawn and named.
    for (let y = 0; y < await page.evaluate(() => document.body.scrollHeight); y += 800) await page.evaluate((to) => window.scrollTo(0, to), y);
    await page.waitForFunction(() => [...document.querySelectorAll('[data-reading] canvas')].every((c) => c.readFrame.readDrawn), null, { timeout: 60_000 });
    await page.click('#read-step');
    await page.waitForFunction(() => /^Iteration 1\b/.test(document.getElementById('read-trick-status').textContent));
    await page.locator('[data-reading="fig6"] button', { hasText: 'Embed code' }).click();
    await axe(page, `read (${scheme})`);
    if (scheme === 'light') await shot(page, 'read-1280', 1280);
    assert.deepEqual(errors, []);
    await page.close();
  });
}
