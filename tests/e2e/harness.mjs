// Shared pieces of the end-to-end tests: a static server for dist/ on
// 127.0.0.1, Debian's Chromium launched headless through playwright-core,
// and an independent reader of the data asset (node's zlib, not our Rust).
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { after, before } from 'node:test';
import { join, resolve } from 'node:path';
import { inflateSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { serve as serveDir } from '../../scripts/static.mjs';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
export const DIST = join(ROOT, 'dist');
// The native CLI the page's numbers are compared with: the release build, or
// the one FA_LAB_CLI names (scripts/test.sh passes the test build's, which
// computes the same bits: no kernel depends on the optimisation level).
export const CLI = process.env.FA_LAB_CLI ? resolve(process.env.FA_LAB_CLI) : join(ROOT, 'target/release/fa-lab');

/** Serves `dir` (dist/) on 127.0.0.1 at a free port under `prefix`: scripts/static.mjs, which serve.sh uses. */
export const serve = (dir = DIST, prefix = '/') => serveDir(dir, prefix);

/** Debian's Chromium, headless, offline-friendly flags (docs/toolchain.md). */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** Opens a page that records console errors and uncaught exceptions (`options` as for browser.newPage). */
export async function openPage(browser, url, options = {}) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, ...options });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  if (url) await page.goto(url);
  return { page, errors };
}

/**
 * Opens `hash` in a fresh page (a new browser context: no HTTP cache, no compiled wasm, no service
 * worker) with the data download never answered: only the engine and the stored results arrive.
 */
export async function openWithoutData(browser, url, hash = '', options = {}) {
  const opened = await openPage(browser, undefined, options);
  await opened.page.route('**/data/mnist15.bin', () => {}); // never answered
  await opened.page.goto(`${url}${hash}`);
  return opened;
}

/** Waits for the Read view's first stored figure; returns its time in ms after navigation. */
export async function firstFigure(page) {
  await page.waitForFunction(() => document.body.dataset.readFirstFigure, null, { timeout: 30_000 });
  return Number(await page.evaluate(() => document.body.dataset.readFirstFigure));
}

/** Decodes the committed asset without the lab's code: header, zlib, splits. */
export async function readAsset() {
  const bytes = await readFile(join(ROOT, 'www/data/mnist15.bin'));
  const word = (i) => bytes.readUInt32LE(8 + 4 * i);
  const [nTrain, nTest] = [word(2), word(3)];
  const payload = inflateSync(bytes.subarray(32));
  const trainLabels = payload.subarray(nTrain * 225, nTrain * 226);
  const testStart = nTrain * 226;
  const testLabels = payload.subarray(testStart + nTest * 225, testStart + nTest * 226);
  return { bytes, nTrain, nTest, trainLabels, testLabels };
}

/** Counts pixels of a canvas that are not white. */
export function inkedPixels(page, selector) {
  return page.$eval(selector, (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250)) n++;
    return n;
  });
}

/**
 * One test file's lab: registers hooks that start a server for dist/, a
 * browser and a scratch folder, and stop them after the file's tests.
 */
export function useLab() {
  const lab = {};
  before(async () => {
    lab.scratch = mkdtempSync(join(tmpdir(), 'fa-lab-e2e-'));
    [lab.server, lab.browser] = await Promise.all([serve(), launch()]);
  });
  after(async () => {
    await lab.browser?.close();
    await lab.server?.close();
    rmSync(lab.scratch, { recursive: true, force: true });
  });
  return lab;
}

/** Opens `hash` on the lab's server and waits until the page is ready. */
export async function openReady(lab, hash = '', options = {}) {
  const opened = await openPage(lab.browser, `${lab.server.url}${hash}`, options);
  await opened.page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
  return opened;
}

/** Runs `fa-lab train` natively with `args` into a scratch folder; returns summary.json. */
export function trainNatively(lab, name, args) {
  const out = join(lab.scratch, name);
  execFileSync(CLI, ['train', ...args, '--quiet', '--out', out], { cwd: ROOT });
  return JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
}

/** A full-page screenshot into target/e2e/<name>.png, at `width` px wide when given. */
export async function shot(page, name, width) {
  const dir = join(ROOT, 'target/e2e');
  mkdirSync(dir, { recursive: true });
  if (width) await page.setViewportSize({ width, height: 900 });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core on the page and fails, listing them, on any violation. */
export async function axe(page, what) {
  // Evaluated by the test driver: the page's CSP rightly refuses an injected inline script.
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(AXE);
  const { violations } = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const report = violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`);
  assert.deepEqual(report, [], `${what}: axe-core violations`);
}

/** Splits a CSV line on commas outside quotes. */
export function csvFields(line) {
  const out = [];
  let field = '', quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted && c === '"' && line[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) { out.push(field); field = ''; } else field += c;
  }
  out.push(field);
  return out;
}
