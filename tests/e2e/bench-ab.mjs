// Two builds of the page side by side (not a *.test.mjs; run by hand): the FA
// epoch of the bench workload and the per-kernel breakdown, timed in
// alternation in one headless Chromium, so that both see the same machine
// (machines here are shared and their speed drifts). For a kernel change:
// copy dist/ aside before it (e.g. to target/dist-base), rebuild, then
//
//   node tests/e2e/bench-ab.mjs --base target/dist-base [--new dist] [--rounds 7]
//
// Each build gets its own browser and the order alternates between rounds.
// Prints, per build, the median epoch and the median of each kernel kind's
// time over the rounds, and their ratios (new / base).
import { resolve } from 'node:path';
import { DIST, launch, openPage, serve } from './harness.mjs';

const argv = process.argv.slice(2);
const option = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const BASE = option('--base', null);
if (!BASE) {
  console.error('usage: node tests/e2e/bench-ab.mjs --base DIR [--new DIR] [--rounds N]');
  process.exit(2);
}
const builds = [['base', resolve(BASE)], ['new', resolve(option('--new', DIST))]];
const ROUNDS = Number(option('--rounds', 7));
const median = (v) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const sides = [];
try {
  for (const [name, dir] of builds) {
    const server = await serve(dir);
    const browser = await launch();
    const { page } = await openPage(browser, server.url);
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
    const checksum = await page.evaluate(() => {
      const bench = new window.faLab.engine.FaBench('step');
      window.__ab = bench;
      for (let i = 0; i < 3; i++) bench.epoch();
      return bench.checksum();
    });
    sides.push({ name, dir, server, browser, page, checksum, epochs: [], kinds: {} });
  }
  for (let r = 0; r < ROUNDS; r++) {
    // Each side has its own browser; the order alternates between rounds.
    for (const s of r % 2 ? [...sides].reverse() : sides) {
      const { epoch, breakdown } = await s.page.evaluate(() => {
        const t0 = performance.now();
        window.__ab.epoch();
        const epoch = (performance.now() - t0) / 1e3;
        return { epoch, breakdown: window.faLab.engine.benchBreakdown(() => performance.now()) };
      });
      s.epochs.push(epoch);
      for (const [kind, t] of breakdown) (s.kinds[kind] ??= []).push(t);
    }
    console.error(`round ${r + 1}: ${sides.map((s) => `${s.name} ${s.epochs.at(-1).toFixed(3)} s`).join(', ')}`);
  }
} finally {
  for (const s of sides) {
    await s.browser.close();
    await s.server.close();
  }
}
const [a, b] = sides;
console.log(`checksums: base ${a.checksum}, new ${b.checksum} → ${a.checksum === b.checksum ? 'same bits' : 'DIFFERENT BITS'}`);
// The minimum over rounds is the least disturbed one on a shared machine; the median is shown beside it.
const min = (v) => Math.min(...v);
const row = (label, va, vb, unit, scale) => {
  const f = (x) => (x * scale).toFixed(scale === 1 ? 4 : 1).padStart(7);
  return `${label.padEnd(26)} min: base ${f(min(va))}, new ${f(min(vb))} ${unit}, new/base ${(min(vb) / min(va)).toFixed(3)}`
    + `   median: base ${f(median(va))}, new ${f(median(vb))}, new/base ${(median(vb) / median(va)).toFixed(3)}`;
};
console.log(`over ${ROUNDS} alternating rounds:`);
console.log(row('FA epoch (Network::step)', a.epochs, b.epochs, 's', 1));
for (const kind of Object.keys(a.kinds)) console.log(row(kind, a.kinds[kind], b.kinds[kind], 'ms', 1e3));
