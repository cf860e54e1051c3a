// Exports, end to end: every panel saves as PNG (at the screen's pixel
// ratio), SVG, CSV and JSON, and each file is valid and says where it came
// from — FA Lab's version, the link, the runs and their fingerprints. The
// files are checked here without FA Lab's code: node's zlib CRC-32 for PNG
// chunks, Chromium's XML parser for SVG, plain parsing for CSV and JSON. The
// CLI's figure files carry the same provenance, fingerprints included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { CLI, ROOT, openReady, readAsset, useLab, csvFields } from './harness.mjs';

const lab = useLab();
const VERSION = readFileSync(join(ROOT, 'Cargo.toml'), 'utf8').match(/^version = "(.+)"/m)[1];
const OUT = join(ROOT, 'target/e2e/exports');

/** The chunks of a PNG, after checking its signature and every chunk's CRC. */
export function pngChunks(bytes) {
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  const chunks = [];
  for (let at = 8; at < bytes.length;) {
    const len = bytes.readUInt32BE(at);
    const kind = bytes.toString('latin1', at + 4, at + 8);
    const typed = bytes.subarray(at + 4, at + 8 + len);
    assert.equal(crc32(typed) >>> 0, bytes.readUInt32BE(at + 8 + len), `CRC of chunk ${kind}`);
    chunks.push({ kind, data: bytes.subarray(at + 8, at + 8 + len) });
    at += 12 + len;
  }
  assert.equal(chunks[0].kind, 'IHDR');
  assert.equal(chunks.at(-1).kind, 'IEND');
  return chunks;
}

/** The text of an uncompressed iTXt chunk with `keyword`. */
function pngText(chunks, keyword) {
  for (const { kind, data } of chunks) {
    if (kind !== 'iTXt') continue;
    const nul = data.indexOf(0);
    if (data.toString('latin1', 0, nul) !== keyword) continue;
    assert.equal(data[nul + 1], 0, 'uncompressed');
    const lang = data.indexOf(0, nul + 3);
    const translated = data.indexOf(0, lang + 1);
    return data.toString('utf8', translated + 1);
  }
  return null;
}


async function save(page, selector) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const bytes = readFileSync(await download.path());
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, download.suggestedFilename()), bytes);
  return { name: download.suggestedFilename(), bytes };
}

function checkProvenance(prov, { link, fingerprints, what }) {
  assert.equal(prov.generator, 'FA Lab', what);
  assert.equal(prov.version, VERSION, what);
  assert.match(prov.commit, /^([0-9a-f]{7,40}|unknown)$/, what);
  assert.equal(prov.link, link, what);
  assert.deepEqual(prov.runs.map((r) => r.fingerprint), fingerprints, what);
}

/** Saves panel `key` in all four formats and checks each file; returns the JSON. */
async function checkPanelExports(page, key, expected) {
  const figure = `figure:has(canvas[data-panel="${key}"])`;
  const canvas = await page.$eval(`canvas[data-panel="${key}"]`, (c) => ({ w: c.width, css: c.clientWidth }));

  const png = await save(page, `${figure} button[data-export=png]`);
  const chunks = pngChunks(png.bytes);
  // The PNG has the canvas's backing store: CSS width × devicePixelRatio.
  assert.equal(chunks[0].data.readUInt32BE(0), canvas.w);
  assert.equal(canvas.w, Math.round(canvas.css * expected.ratio));
  checkProvenance(JSON.parse(pngText(chunks, 'fa-lab:provenance')), { ...expected, what: 'PNG' });

  const svg = await save(page, `${figure} button[data-export=svg]`);
  const parsed = await page.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    return {
      error: doc.querySelector('parsererror')?.textContent ?? null,
      root: doc.documentElement.localName,
      title: doc.querySelector('svg > title')?.textContent,
      desc: doc.querySelector('svg > desc')?.textContent,
      metadata: doc.querySelector('svg > metadata')?.textContent,
      texts: doc.querySelectorAll('text').length,
    };
  }, svg.bytes.toString('utf8'));
  assert.equal(parsed.error, null, 'the SVG parses as XML');
  assert.equal(parsed.root, 'svg');
  assert.ok(parsed.texts > 5, 'axes and labels are drawn');
  assert.ok(parsed.desc.length > 20, parsed.desc);
  checkProvenance(JSON.parse(parsed.metadata), { ...expected, what: 'SVG' });

  const csv = await save(page, `${figure} button[data-export=csv]`);
  const lines = csv.bytes.toString('utf8').trimEnd().split('\n');
  const comments = lines.filter((l) => l.startsWith('#'));
  assert.ok(comments.includes(`# link: ${expected.link}`), comments.join('\n'));
  assert.match(comments[0], new RegExp(`^# FA Lab ${VERSION.replace(/\./g, '\\.')} \\(commit `));
  for (const f of expected.fingerprints) assert.ok(comments.some((c) => c.includes(`fingerprint ${f}`)), f);
  const rows = lines.filter((l) => !l.startsWith('#')).map(csvFields);
  assert.deepEqual(rows[0], ['panel', 'series', 'label', 'x', 'mean', 'sd', 'n']);
  assert.ok(rows.length > 2);
  for (const r of rows.slice(1)) {
    assert.equal(r.length, 7, r.join(','));
    assert.ok(Number.isFinite(Number(r[3])) && Number.isInteger(Number(r[6])), r.join(','));
  }

  const json = await save(page, `${figure} button[data-export=json]`);
  const data = JSON.parse(json.bytes.toString('utf8'));
  checkProvenance(data.provenance, { ...expected, what: 'JSON' });
  assert.equal(data.panel.key, key);
  // The CSV holds the JSON's numbers.
  const points = data.panel.series.reduce((n, s) => n + s.x.length, 0);
  assert.equal(rows.length - 1, points);
  return data;
}

test('a live training panel exports PNG, SVG, CSV and JSON with the run\'s provenance', async () => {
  const link = 'rule=fa&epochs=1&seed=3&n=1000&batch=100';
  const { page, errors } = await openReady(lab, `#/train?${link}`, { deviceScaleFactor: 2 });
  await page.click('#train-start');
  await page.waitForSelector('#train-fingerprint', { timeout: 120_000 });
  const fingerprint = (await page.textContent('#train-fingerprint')).trim();
  for (const key of ['loss', 'alignment']) {
    // An opened link keeps its version (none: version 1) in the address and the files.
    assert.ok(page.url().endsWith(`#/train?v=1&${link}`), page.url());
    const data = await checkPanelExports(page, key, { link: `#/train?v=1&${link}`, fingerprints: [fingerprint], ratio: 2 });
    assert.equal(data.provenance.runs[0].steps, 10);
    assert.equal(data.provenance.address, page.url());
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('the test digits export PNG, SVG, CSV and JSON with the run\'s provenance', async () => {
  const link = 'rule=fa&epochs=1&seed=4&n=1000&batch=100';
  const { page, errors } = await openReady(lab, `#/train?${link}`, { deviceScaleFactor: 2 });
  await page.click('#train-start');
  await page.waitForSelector('#train-fingerprint', { timeout: 120_000 });
  const expected = { link: `#/train?v=1&${link}`, fingerprints: [(await page.textContent('#train-fingerprint')).trim()] };
  const figure = 'figure.predict';
  const canvas = await page.$eval('#train-predictions', (c) => ({ w: c.width, css: c.clientWidth, label: c.getAttribute('aria-label') }));
  assert.match(canvas.label, /^Test images 0 to 7 with the network's answers: right on \d of 8/);

  const png = pngChunks((await save(page, `${figure} button[data-export=png]`)).bytes);
  assert.equal(png[0].data.readUInt32BE(0), canvas.w);
  assert.equal(canvas.w, Math.round(canvas.css * 2));
  checkProvenance(JSON.parse(pngText(png, 'fa-lab:provenance')), { ...expected, what: 'PNG' });

  const svg = (await save(page, `${figure} button[data-export=svg]`)).bytes.toString('utf8');
  const parsed = await page.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    return { error: doc.querySelector('parsererror')?.textContent ?? null, desc: doc.querySelector('svg > desc')?.textContent,
      metadata: doc.querySelector('svg > metadata')?.textContent, says: doc.querySelectorAll('text').length };
  }, svg);
  assert.equal(parsed.error, null);
  assert.equal(parsed.desc, canvas.label);
  assert.ok(parsed.says >= 8 * 11, 'a verdict and ten class labels per digit');
  checkProvenance(JSON.parse(parsed.metadata), { ...expected, what: 'SVG' });

  // CSV and JSON against the data set's own labels, and the answer against the CSV's means.
  const { testLabels } = await readAsset();
  const lines = (await save(page, `${figure} button[data-export=csv]`)).bytes.toString('utf8').trimEnd().split('\n');
  assert.ok(lines.includes(`# link: ${expected.link}`), lines.join('\n'));
  const rows = lines.filter((l) => !l.startsWith('#')).map(csvFields);
  assert.deepEqual(rows[0].slice(0, 3), ['test image', 'label', 'says']);
  assert.equal(rows.length, 9);
  const json = JSON.parse((await save(page, `${figure} button[data-export=json]`)).bytes.toString('utf8'));
  checkProvenance(json.provenance, { ...expected, what: 'JSON' });
  rows.slice(1).forEach((r, i) => {
    const p = json.predictions[i];
    assert.deepEqual([Number(r[0]), Number(r[1])], [i, testLabels[i]], r.join(','));
    assert.deepEqual([p.index, p.label, p.predicted], [i, testLabels[i], Number(r[2])]);
    const means = r.slice(3).map(Number);
    assert.equal(means.length, 10);
    means.forEach((m, c) => assert.ok(Math.abs(m - p.code_match[c]) < 5e-3, `${m} vs ${p.code_match[c]}`));
    assert.equal(p.code_match.indexOf(Math.max(...p.code_match)), p.predicted, 'the answer is the best-matching class');
  });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a figure panel exports with every run\'s fingerprint, equal to the CLI\'s', async () => {
  const query = 'fig=fig2b&preset=quick&runs=1&seed=2';
  const { page, errors } = await openReady(lab, `#/figures?${query}`);
  await page.waitForFunction(() => document.body.dataset.figure === 'done', null, { timeout: 180_000 });
  const out = join(lab.scratch, 'figure-export');
  execFileSync(CLI, ['figure', '--link', page.url(), '--out', out], { cwd: ROOT, stdio: 'ignore' });
  const native = JSON.parse(readFileSync(join(out, 'fig2b.json'), 'utf8'));
  const fingerprints = native.provenance.runs.map((r) => r.fingerprint);
  assert.equal(fingerprints.length, 4, 'one run of each of the four conditions');
  assert.equal(native.provenance.link, `#/figures?v=1&${query}`, 'the address keeps the link\'s version (none: 1)');
  const keys = await page.$$eval('#figure-panels canvas', (cs) => cs.map((c) => c.dataset.panel));
  const data = await checkPanelExports(page, keys[0], { link: `#/figures?v=1&${query}`, fingerprints, ratio: 1 });
  // The page's runs are the CLI's, record for record.
  assert.deepEqual(data.provenance.runs, native.provenance.runs);

  // The CLI's files carry the same provenance: SVG metadata and CSV comments.
  const svg = readFileSync(join(out, `fig2b-${keys[0]}.svg`), 'utf8');
  const meta = await page.evaluate((text) => new DOMParser().parseFromString(text, 'image/svg+xml').querySelector('metadata')?.textContent, svg);
  checkProvenance(JSON.parse(meta), { link: `#/figures?v=1&${query}`, fingerprints, what: 'CLI SVG' });
  const csv = readFileSync(join(out, 'fig2b.csv'), 'utf8');
  assert.ok(csv.startsWith(`# FA Lab ${VERSION}`));
  assert.ok(csv.includes(`# link: #/figures?v=1&${query}\n`));
  assert.deepEqual(errors, []);
  await page.close();
});
