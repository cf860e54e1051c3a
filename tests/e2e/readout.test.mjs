// Readouts, teacher links and embeds, end to end (issue 20): a pointer or
// the arrow keys on a panel show each series' value at an x, which must be
// the panel's exported CSV at that x (read here by plain parsing); a link
// with `hide` hides those controls and gives the same fingerprint as without
// it (and as the CLI); an embed fills iframes of three sizes with no
// scrolling; axe finds nothing on these pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { openPage, openReady, shot, trainNatively, useLab, csvFields } from './harness.mjs';

const lab = useLab();
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

async function axe(page, what) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(AXE);
  const { violations } = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const report = violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(report, [], `${what}: axe-core violations`);
}


/** The CSV's points by series label and x: {mean, sd, n}. */
function csvPoints(text) {
  const points = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#') || line.startsWith('panel,')) continue;
    const f = csvFields(line);
    const [label, x, mean, sd, n] = f.slice(2);
    points.set(`${label}@${Number(x)}`, { mean: Number(mean), sd: Number(sd), n: Number(n) });
  }
  return points;
}

async function csvOf(page, key) {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click(`figure:has(canvas[data-panel="${key}"]) [data-export="csv"]`),
  ]);
  return readFileSync(await download.path(), 'utf8');
}

/** What the readout on panel `key` shows: its x and each row's numbers. */
function readoutOf(page, key) {
  return page.$eval(`.plot-box:has(canvas[data-panel="${key}"]) .readout`, (o) => (o.hidden ? null : {
    x: Number(o.dataset.x),
    rows: [...o.querySelectorAll('.readout-row')].map((r) => ({
      label: r.dataset.label, x: Number(r.dataset.x), mean: Number(r.dataset.mean), sd: Number(r.dataset.sd), n: Number(r.dataset.n),
    })),
    card: o.querySelector('.readout-card').textContent,
  }));
}

function assertMatchesCsv(readout, points, what) {
  assert.ok(readout && readout.rows.length > 0, `${what}: a readout`);
  for (const row of readout.rows) {
    const csv = points.get(`${row.label}@${row.x}`);
    assert.ok(csv, `${what}: ${row.label} at ${row.x} is a point of the CSV`);
    assert.deepEqual({ mean: row.mean, sd: row.sd, n: row.n }, csv, `${what}: ${row.label} at ${row.x}`);
  }
}

test('hovering a panel reads the CSV at that x; arrow keys step through its x values; the other panels follow', async () => {
  const { page, errors } = await openReady(lab, '#/figures?v=2&fig=fig6&preset=paper');
  await page.waitForFunction(() => document.body.dataset.figure === 'stored', null, { timeout: 60_000 });
  const canvas = await page.$('canvas[data-panel="b"]');
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  const points = csvPoints(await csvOf(page, 'b'));
  const xs = [...new Set([...points.keys()].map((k) => Number(k.split('@')[1])))].sort((a, b) => a - b);
  for (const along of [0.3, 0.55, 0.8]) {
    await page.mouse.move(box.x + box.width * along, box.y + box.height * 0.5);
    const r = await readoutOf(page, 'b');
    assertMatchesCsv(r, points, `pointer at ${along} of the width`);
    assert.ok(xs.includes(r.x), `the cursor stops at an x of the data (${r.x})`);
    // Another line panel with the same x axis shows the same x.
    const c = await readoutOf(page, 'c');
    assert.equal(c?.x, r.x, 'panel c follows at the same x');
  }
  // Further right reads a larger x.
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
  const left = (await readoutOf(page, 'b')).x;
  await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.5);
  assert.ok((await readoutOf(page, 'b')).x > left);
  await shot(page, 'readout-fig6b-1280', 1280);
  await page.mouse.move(0, 0);
  assert.equal(await readoutOf(page, 'b'), null, 'the readout leaves with the pointer');
  assert.equal(await readoutOf(page, 'c'), null, 'and so do the ones that followed');

  // Keys: End is the last x, arrows step one x, Home the first; the live region says it once settled.
  await canvas.focus();
  await page.keyboard.press('End');
  assert.equal((await readoutOf(page, 'b')).x, xs.at(-1));
  await page.keyboard.press('ArrowLeft');
  const r = await readoutOf(page, 'b');
  assert.equal(r.x, xs.at(-2));
  assertMatchesCsv(r, points, 'ArrowLeft from the end');
  await page.keyboard.press('Shift+ArrowLeft');
  assert.equal((await readoutOf(page, 'b')).x, xs.at(-12));
  await page.keyboard.press('Home');
  assert.equal((await readoutOf(page, 'b')).x, xs[0]);
  const heading = await page.textContent('.plot-box:has(canvas[data-panel="b"]) .readout-x');
  await page.waitForFunction((h) => (document.getElementById('readout-announcer')?.textContent || '').startsWith(`${h}: `), heading);
  const said = await page.textContent('#readout-announcer');
  assert.match(said, /W_\d.* ± .*\(n = \d+\)/, said);
  await page.keyboard.press('Escape');
  assert.equal(await readoutOf(page, 'b'), null);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the train view reads its live panels too', async () => {
  const { page, errors } = await openReady(lab, '#/train?v=2&rule=fa&epochs=1&seed=3&n=1000&batch=100');
  await page.click('#train-start');
  await page.waitForFunction(() => document.body.dataset.train === 'done', null, { timeout: 60_000 });
  await page.focus('canvas[data-panel="loss"]');
  await page.keyboard.press('End');
  const r = await readoutOf(page, 'loss');
  assert.equal(r.x, 10, 'the last iteration of 1000 images in batches of 100');
  const alignment = await readoutOf(page, 'alignment');
  assert.equal(alignment?.x, 10, 'the alignment panel follows');
  assert.equal((await readoutOf(page, 'accuracy'))?.x, 10, 'test accuracy (measured at iteration 10) follows');
  await shot(page, 'readout-train-375', 375);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a teacher link hides its controls, says so, and gives the same numbers as without hide', async () => {
  const plain = 'v=2&rule=fa&epochs=1&seed=7&n=1000&batch=100&gamma=1.5';
  const hidden = `${plain}&hide=rule,eta,gamma`;
  const { page, errors } = await openReady(lab, `#/train?${hidden}`);
  const visible = (name) => page.isVisible(`#train-form [name="${name}"]`);
  for (const name of ['rule', 'eta', 'wn', 'gamma']) assert.equal(await visible(name), false, `${name} is hidden`);
  for (const name of ['epochs', 'seed', 'batch']) assert.equal(await visible(name), true, `${name} shows`);
  assert.match(await page.textContent('#train-fixed'), /fixes some settings.*learning rule, η, weight normalisation/);
  await page.click('#train-start');
  await page.waitForFunction(() => document.body.dataset.train === 'done', null, { timeout: 60_000 });
  assert.ok(page.url().includes('hide=rule,eta,gamma'), `the run's link keeps hide: ${page.url()}`);
  const fingerprint = await page.textContent('#train-fingerprint');
  const native = trainNatively(lab, 'plain', ['--link', plain]);
  const nativeHidden = trainNatively(lab, 'hidden', ['--link', hidden]);
  assert.equal(fingerprint, native.fingerprint, 'the page with hide = the CLI without');
  assert.equal(nativeHidden.fingerprint, native.fingerprint, 'the CLI reads hide and changes nothing');
  await axe(page, 'a teacher link');
  await shot(page, 'hide-train-375', 375);
  // A link without hide shows every control again.
  await page.goto(`${lab.server.url}#/train?${plain}`);
  await page.waitForFunction(() => !document.querySelector('#train-form [name="rule"]').closest('label').hidden);
  assert.equal(await page.isVisible('#train-fixed'), false);
  // A figure link hides its own.
  await page.goto(`${lab.server.url}#/figures?v=2&fig=fig2b&preset=paper&hide=fig,preset`);
  await page.waitForFunction(() => document.body.dataset.figure === 'stored', null, { timeout: 60_000 });
  assert.equal(await page.isVisible('#figure-form [name="fig"]'), false);
  assert.equal(await page.isVisible('#figure-form [name="runs"]'), true);
  assert.match(await page.textContent('#figure-fixed'), /the figure, the preset/);
  await shot(page, 'hide-figure-1280', 1280);
  assert.deepEqual(errors, []);
  await page.close();
});

for (const [w, h] of [[400, 300], [640, 480], [960, 600]]) {
  test(`an embed fills a ${w}×${h} frame without scrolling`, async () => {
    const base = lab.server.url;
    const host = createServer((req, res) => {
      const src = decodeURIComponent(req.url.slice(1));
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html lang="en"><title>Notes</title><body style="margin:0"><main><h1>Notes</h1>
        <iframe src="${base}${src}" width="${w}" height="${h}" style="border:0" title="FA Lab panel"></iframe></main>`);
    });
    await new Promise((ok) => host.listen(0, '127.0.0.1', ok));
    try {
      // A stored one, a live one, and an old link without v (its note one line).
      for (const [hash, state] of [
        ['#/embed?v=3&fig=fig6&preset=paper&panel=b', 'stored'],
        ['#/embed?v=3&fig=fig2b&preset=quick&runs=1&seed=0&panel=b', 'done'],
        ['#/embed?fig=fig6&preset=quick&runs=2&seed=0&panel=b', 'done'],
      ]) {
        const { page, errors } = await openPage(lab.browser, `http://127.0.0.1:${host.address().port}/${encodeURIComponent(hash)}`,
          { viewport: { width: w + 40, height: h + 200 } });
        const frame = await (await page.waitForSelector('iframe')).contentFrame();
        await frame.waitForFunction((s) => document.body.dataset.figure === s, state, { timeout: 180_000 });
        // Once the data is in (the loading line above goes) and the panel is redrawn at its new size.
        await frame.waitForFunction(() => {
          const c = document.querySelector('#figure-panels canvas');
          return document.body.dataset.state === 'ready' && c && c.width === Math.round(c.clientWidth * devicePixelRatio)
            && c.height === Math.round(c.clientHeight * devicePixelRatio);
        }, null, { timeout: 60_000 });
        const m = await frame.evaluate(() => {
          const doc = document.scrollingElement;
          const c = document.querySelector('#figure-panels canvas');
          const r = c.getBoundingClientRect();
          const older = document.querySelector('#figure-older');
          return {
            scroll: [doc.scrollWidth, doc.scrollHeight, doc.clientWidth, doc.clientHeight],
            canvas: [r.left, r.top, r.width, r.height], backing: [c.width, c.height], dpr: devicePixelRatio,
            older: older.hidden ? null : older.getBoundingClientRect().height,
          };
        });
        const what = `${hash} at ${w}×${h}`;
        assert.ok(m.scroll[0] <= m.scroll[2] && m.scroll[1] <= m.scroll[3], `${what}: no scrolling ${m.scroll}`);
        assert.ok(Math.abs(m.canvas[2] - w) <= 1, `${what}: the panel is the frame's width (${m.canvas})`);
        // The panel takes the height that a line above it and its tools below leave.
        assert.ok(m.canvas[1] + m.canvas[3] <= h + 0.5, `${what}: the panel ends inside the frame (${m.canvas})`);
        assert.ok(m.canvas[3] >= h - 110, `${what}: the panel takes the frame's height (${m.canvas}, note ${m.older})`);
        assert.deepEqual(m.backing, [Math.round(m.canvas[2] * m.dpr), Math.round(m.canvas[3] * m.dpr)], `${what}: drawn at its size`);
        if (m.older !== null) assert.ok(m.older < 40, `${what}: the older link's note is one line (${m.older} px)`);
        if (!hash.includes('v=')) {
          await frame.click('#figure-older summary');
          assert.match(await frame.textContent('#figure-older'), /Since then/);
        }
        await shot(page, `embed-${w}x${h}-${hash.includes('paper') ? 'stored' : hash.includes('v=') ? 'live' : 'old'}`);
        if (w === 640) await axe(frame, what);
        assert.deepEqual(errors, []);
        await page.close();
      }
    } finally {
      await new Promise((ok) => host.close(ok));
    }
  });
}

test('a stored embed at 1280 px uses the whole width', async () => {
  const { page, errors } = await openPage(lab.browser, `${lab.server.url}#/embed?v=3&fig=fig6&preset=paper&panel=b`,
    { viewport: { width: 1280, height: 720 } });
  await page.waitForFunction(() => document.body.dataset.figure === 'stored', null, { timeout: 60_000 });
  const r = await page.$eval('canvas[data-panel="b"]', (c) => c.getBoundingClientRect().toJSON());
  assert.ok(r.width >= 1270, `the panel is ${r.width} px wide`);
  assert.ok(await page.evaluate(() => document.scrollingElement.scrollHeight <= innerHeight), 'no scrolling');
  await shot(page, 'embed-stored-1280');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the example embed link the lab writes carries v', async () => {
  const { page, errors } = await openReady(lab, '#/embed');
  await page.waitForFunction(() => document.body.dataset.figure === 'no-figure');
  const href = await page.getAttribute('#figure-way a[href*="embed?"]', 'href');
  assert.match(href, /^#\/embed\?v=\d+&fig=fig6&/);
  assert.deepEqual(errors, []);
  await page.close();
});
