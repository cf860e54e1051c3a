// The page, end to end: served from dist/ on 127.0.0.1, opened in headless
// Chromium; loads the engine and the data, draws, and survives bad data.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, inkedPixels, launch, openPage, readAsset, serve } from './harness.mjs';

let server, browser, asset;
before(async () => {
  [server, browser, asset] = await Promise.all([serve(), launch(), readAsset()]);
});
after(async () => {
  await browser?.close();
  await server?.close();
});

const ready = (page) => page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: 60_000 });

test('the page loads the data and draws digits with their true labels', async () => {
  const { page, errors } = await openPage(browser, `${server.url}#/data`);
  await ready(page);
  assert.equal(await page.getAttribute('body', 'data-state'), 'ready', await page.textContent('#error-text'));
  assert.match(await page.textContent('#data-counts'), /60,000 training and 10,000 test images/);
  assert.match(await page.textContent('#simd-badge'), /with SIMD/);

  // The labels the page shows are the asset's first 24, read here with node's zlib.
  const shown = (await page.textContent('#digit-labels')).trim().split(/\s+/).map(Number);
  assert.deepEqual(shown, Array.from(asset.trainLabels.subarray(0, 24)));
  assert.ok(await inkedPixels(page, '#digits') > 20_000, 'the digit grid is drawn');
  // The histogram is drawn in the frame after the digits.
  await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => ok())));
  assert.ok(await inkedPixels(page, '#histogram') > 5_000, 'the histogram is drawn');

  // The next page of samples shows the next 24 labels.
  await page.click('#next-digits');
  const next = (await page.textContent('#digit-labels')).trim().split(/\s+/).map(Number);
  assert.deepEqual(next, Array.from(asset.trainLabels.subarray(24, 48)));

  await mkdir(join(ROOT, 'target/e2e'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'target/e2e/data.png'), fullPage: true });
  assert.deepEqual(errors, [], 'no console errors');
  await page.close();
});

/** Serves a damaged data file, checks the message, then retries with the real one. */
async function checkDamagedData(damage, expected) {
  const { page } = await openPage(browser);
  let broken = true;
  await page.route('**/data/mnist15.bin', (route) => (broken ? damage(route) : route.continue()));
  await page.goto(server.url);
  await ready(page);
  assert.equal(await page.getAttribute('body', 'data-state'), 'error');
  assert.match(await page.textContent('#error-text'), expected);
  assert.ok(await page.isVisible('#retry'), 'a retry button is offered');
  broken = false;
  await page.click('#retry');
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
  await page.close();
}

test('a corrupted data file shows a clear message and retry recovers', async () => {
  const corrupt = Buffer.from(asset.bytes);
  for (let i = 1000; i < corrupt.length; i += 4099) corrupt[i] ^= 0x5a;
  await checkDamagedData((route) => route.fulfill({ status: 200, body: corrupt }), /damaged or incomplete.*(checksum|decode|payload)/);
});

test('a truncated data file is reported as incomplete', async () => {
  const truncated = asset.bytes.subarray(0, asset.bytes.length >> 1);
  await checkDamagedData((route) => route.fulfill({ status: 200, body: truncated }), /damaged or incomplete.*truncated/);
});

test('a failed download is reported with the server status', async () => {
  await checkDamagedData((route) => route.fulfill({ status: 404, body: 'gone' }), /Could not download.*404/);
});

test('a browser without WebAssembly gets an explanation, not a blank page', async () => {
  const { page } = await openPage(browser);
  await page.addInitScript(() => { delete globalThis.WebAssembly; });
  await page.goto(server.url);
  await ready(page);
  assert.match(await page.textContent('#error-text'), /needs WebAssembly with SIMD/);
  await page.close();
});
