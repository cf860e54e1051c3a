// Hosting, end to end: dist/ served under a sub-path trains; an embed in a
// sandboxed iframe on another origin draws its panel with Web Workers and
// wasm and needs no special headers; after one visit the lab reloads and
// trains with the network off (service worker), and a new build replaces
// the old cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DIST, ROOT, inkedPixels, launch, openPage, serve } from './harness.mjs';

const ready = (page) => page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });

async function train(page, link) {
  await page.goto(`${page.url().split('#')[0]}#/train?${link}`);
  await page.click('#train-start');
  await page.waitForSelector('#train-fingerprint', { timeout: 120_000 });
  return (await page.textContent('#train-fingerprint')).trim();
}

test('dist/ has no root-absolute references', () => {
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]).filter((u) => !u.startsWith('data:') && !u.startsWith('#'));
  assert.ok(refs.length >= 2, refs.join());
  for (const u of refs) assert.ok(!u.startsWith('/') && !/^[a-z]+:/i.test(u), `index.html refers to ${u}`);
  assert.ok(!/["'(]\/(fa-lab|style|app)/.test(html), 'no /… paths in inline code');
});

test('the service worker pre-caches every file of dist/', () => {
  const sw = readFileSync(join(DIST, 'sw.js'), 'utf8');
  const list = sw.match(/const SHELL = \[([^\]]*)\]/);
  assert.ok(list, 'sw.js has a SHELL list');
  const shell = new Set([...list[1].matchAll(/'([^']*)'/g)].map((m) => m[1]));
  const files = readdirSync(DIST, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name).slice(DIST.length + 1).split('\\').join('/'));
  assert.ok(files.length >= 10, files.join());
  const missing = files.filter((f) => !shell.has(f));
  assert.deepEqual(missing, [], `dist/ files missing from sw.js's SHELL: ${missing.join(', ')}`);
  const extra = [...shell].filter((f) => f !== './' && !files.includes(f));
  assert.deepEqual(extra, [], `SHELL names files dist/ does not have: ${extra.join(', ')}`);
});

test('served under /course/lab/, the lab loads, trains and runs a figure', async () => {
  const [server, browser] = await Promise.all([serve(DIST, '/course/lab/'), launch()]);
  try {
    const requests = [];
    const { page, errors } = await openPage(browser);
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    await page.goto(server.url);
    await ready(page);
    assert.match(await train(page, 'rule=fa&epochs=1&seed=2&n=500&batch=100'), /^[0-9a-f]{16}$/);
    await page.goto(`${server.url}#/figures?fig=fig2b&preset=quick&runs=1&seed=0`);
    await page.waitForFunction(() => document.body.dataset.figure === 'done', null, { timeout: 180_000 });
    const outside = requests.filter((p) => !p.startsWith('/course/lab/'));
    assert.deepEqual(outside, [], 'every request stays under the sub-path');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.close();
  }
});

test('a sandboxed iframe on another origin draws its panel, with no special headers', async () => {
  const [server, browser] = await Promise.all([serve(), launch()]);
  const src = `${server.url}#/embed?fig=fig2b&preset=quick&runs=1&seed=0&panel=b`;
  // The README's snippet, on a page of another origin (another port).
  const host = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>Course notes</title><h1>Notes</h1>
      <iframe src="${src}" width="600" height="480" style="border:0;max-width:100%" title="FA Lab: Fig. 2b"
        sandbox="allow-scripts allow-same-origin allow-downloads"></iframe>`);
  });
  await new Promise((ok) => host.listen(0, '127.0.0.1', ok));
  try {
    const { page, errors } = await openPage(browser, `http://localhost:${host.address().port}/`);
    const frame = await (await page.waitForSelector('iframe')).contentFrame();
    await frame.waitForFunction(() => document.body.dataset.figure === 'done', null, { timeout: 180_000 });
    const inside = await frame.evaluate(() => ({
      isolated: self.crossOriginIsolated, sab: typeof SharedArrayBuffer, origin: location.origin,
      canvases: document.querySelectorAll('#figure-panels canvas').length,
    }));
    assert.equal(inside.isolated, false, 'no COOP/COEP needed');
    assert.equal(inside.canvases, 1);
    assert.notEqual(inside.origin, new URL(page.url()).origin);
    assert.ok(await inkedPixels(frame, 'canvas[data-panel="b"]') > 5000, 'the panel is drawn');
    assert.match(await frame.getAttribute('canvas[data-panel="b"]', 'aria-label'), /^∠\(W_1, B_1ᵀ\) in the open-loop net after 1000 iterations: autocorrelation \d/);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.close();
    await new Promise((ok) => host.close(ok));
  }
});

test('after one visit the lab reloads and trains offline; a new build replaces the cache', async () => {
  const [server, browser] = await Promise.all([serve(), launch()]);
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(server.url);
    await ready(page);
    await page.waitForFunction(() => document.body.dataset.offline === 'ready', null, { timeout: 60_000 });
    const online = await train(page, 'rule=fa&epochs=1&seed=6&n=500&batch=100');

    await context.setOffline(true);
    // Offline for real: the server is not reachable from the page.
    assert.equal(await page.evaluate((u) => fetch(`${u}not-cached-${Date.now()}`).then(() => 'reached', () => 'failed'), server.url), 'failed');
    await page.reload();
    await ready(page);
    assert.equal(await train(page, 'rule=fa&epochs=1&seed=6&n=500&batch=100'), online, 'the same run, offline');
    await page.goto(`${server.url}#/figures?fig=fig2b&preset=quick&runs=1&seed=0`);
    await page.waitForFunction(() => document.body.dataset.figure === 'done', null, { timeout: 180_000 });
    await context.setOffline(false);

    // The cache is named after this build; registering another build deletes it.
    const build = await page.evaluate(() => window.faLab.engine.buildId());
    assert.deepEqual(await page.evaluate(() => caches.keys()), [`fa-lab-${build}`]);
    await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.register('sw.js?build=next-release', { scope: './' });
      await new Promise((ok) => {
        const w = reg.installing || reg.waiting || reg.active;
        if (w.state === 'activated') ok(); else w.addEventListener('statechange', () => w.state === 'activated' && ok());
      });
    });
    assert.deepEqual(await page.evaluate(() => caches.keys()), ['fa-lab-next-release']);
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    await browser.close();
    await server.close();
  }
});
