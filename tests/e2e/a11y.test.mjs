// Accessibility, end to end: axe-core finds no violation on any view, in light
// and dark; every canvas is an image named with what it shows and its current
// values; a panel's numbers open as a table from the keyboard; status lines
// are announced politely; plots follow the system's theme and are drawn at
// the screen's pixel ratio; no view scrolls sideways on a 320 px phone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { axe, openReady, useLab } from './harness.mjs';

const lab = useLab();

/** The views, each brought to a state with plots drawn. */
const VIEWS = [
  ['train', '#/train?rule=fa&epochs=1&seed=1&n=600&batch=100', async (page) => {
    await page.click('#train-start');
    await page.waitForSelector('#train-fingerprint', { timeout: 120_000 });
  }],
  ['figures', '#/figures?fig=fig2b&preset=quick&runs=1&seed=0', async (page) => {
    await page.waitForFunction(() => document.body.dataset.figure === 'done', null, { timeout: 180_000 });
  }],
  ['embed', '#/embed?fig=fig2b&preset=quick&runs=1&seed=0&panel=b', async (page) => {
    await page.waitForFunction(() => document.body.dataset.figure === 'done', null, { timeout: 180_000 });
  }],
  ['stored figure', '#/figures?v=3&fig=fig3&preset=paper', async (page) => {
    await page.waitForFunction(() => document.body.dataset.figure === 'stored', null, { timeout: 60_000 });
  }],
  ['older link', '#/figures?fig=fig6&preset=paper', async (page) => {
    await page.waitForFunction(() => document.body.dataset.figure === 'waiting', null, { timeout: 60_000 });
  }],
  ['data', '#/data', async (page) => { await page.waitForFunction(() => document.getElementById('digit-labels').textContent.length > 0); }],
  ['bench', '#/bench', async (page) => { await page.waitForSelector('#bench-run'); }],
];

for (const scheme of ['light', 'dark']) {
  test(`every view passes axe-core with named canvases (${scheme})`, async () => {
    for (const [name, hash, settle] of VIEWS) {
      const { page, errors } = await openReady(lab, hash, { colorScheme: scheme });
      await settle(page);
      const canvases = await page.$$eval('canvas', (cs) => cs.filter((c) => c.offsetParent).map((c) => ({
        role: c.getAttribute('role'), name: c.getAttribute('aria-label') || '', panel: c.dataset.panel || c.id,
      })));
      for (const c of canvases) {
        assert.equal(c.role, 'img', `${name} ${c.panel}`);
        assert.ok(c.name.length > 20, `${name} ${c.panel}: "${c.name}"`);
      }
      // Open every data table, so axe sees them too.
      for (const b of await page.locator('.panel-tools button[aria-expanded]:visible').all()) await b.click();
      await axe(page, `${name} (${scheme})`);
      assert.deepEqual(errors, [], name);
      await page.close();
    }
  });
}

test('a live panel\'s name and table give its current values; Data opens from the keyboard', async () => {
  const { page } = await openReady(lab, '#/train?rule=fa&epochs=1&seed=4&n=1000&batch=100');
  await page.click('#train-start');
  await page.waitForSelector('#train-fingerprint', { timeout: 120_000 });
  const name = await page.getAttribute('canvas[data-panel="alignment"]', 'aria-label');
  assert.match(name, /^Weight alignment ∠\(W_l, B_lᵀ\) after 10 iterations: W_1 vs B_1ᵀ \d+(\.\d+)?°, W_2 vs B_2ᵀ/);
  // The named values are the run's own, read from its panel data here.
  const last = await page.evaluate(() => {
    const json = JSON.parse(window.faLab.app.views.train.run.exportPanel('alignment', { format: 'json' }));
    return json.panel.series.map((s) => s.mean.at(-1));
  });
  const namedText = [...name.matchAll(/ (\d+(?:\.\d+)?°)/g)].map((m) => m[1]);
  const named = namedText.map((t) => parseFloat(t));
  assert.equal(named.length, last.length);
  named.forEach((v, i) => assert.ok(Math.abs(v - last[i]) <= 0.05 * Math.max(1, Math.abs(last[i])), `${v} vs ${last[i]}`));

  // Keyboard only: focus the alignment panel's Data button, press Enter.
  const toggle = 'figure:has(canvas[data-panel="alignment"]) .panel-tools button[aria-expanded]';
  await page.focus(toggle);
  await page.keyboard.press('Enter');
  assert.equal(await page.getAttribute(toggle, 'aria-expanded'), 'true');
  const table = await page.$eval('figure:has(canvas[data-panel="alignment"]) table', (t) => ({
    head: [...t.tHead.rows[0].cells].map((c) => c.textContent),
    rows: [...t.tBodies[0].rows].map((r) => [...r.cells].map((c) => c.textContent)),
  }));
  assert.equal(table.head[0], 'iteration');
  assert.deepEqual(table.rows.map((r) => r[0]), ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
  assert.equal(table.rows.at(-1)[1], namedText[0], 'the table\'s last row says what the name says');
  await page.keyboard.press('Space');
  assert.equal(await page.getAttribute(toggle, 'aria-expanded'), 'false');

  // Status lines go to one polite live region, not to assertive or chatty ones.
  assert.equal(await page.$$eval('[aria-live]', (els) => els.map((e) => `${e.id}:${e.getAttribute('aria-live')}`).join()), 'announcer:polite');
  assert.match(await page.textContent('#announcer'), /iteration 10 of 10/);
  await page.close();
});

test('plots follow the colour scheme and the pixel ratio; 320 px scrolls no view sideways', async () => {
  const background = (page) => page.$eval('canvas[data-panel="loss"]', (c) => [...c.getContext('2d').getImageData(2, 2, 1, 1).data]);
  for (const [scheme, dark] of [['light', false], ['dark', true]]) {
    const { page } = await openReady(lab, '#/train?rule=fa&epochs=1&seed=1&n=300&batch=100', { colorScheme: scheme, deviceScaleFactor: 3 });
    await page.click('#train-start');
    await page.waitForSelector('#train-fingerprint', { timeout: 60_000 });
    const [r, g, b] = await background(page);
    assert.equal((r + g + b) / 3 < 128, dark, `${scheme}: background ${r},${g},${b}`);
    const size = await page.$eval('canvas[data-panel="loss"]', (c) => [c.width, c.clientWidth, c.height, c.clientHeight]);
    assert.equal(size[0], Math.round(size[1] * 3));
    assert.ok(Math.abs(size[2] - size[3] * 3) <= 3, size.join());
    // A change of scheme redraws the plots without a new run.
    await page.emulateMedia({ colorScheme: dark ? 'light' : 'dark' });
    await page.waitForFunction((d) => {
      const [r2, g2, b2] = document.querySelector('canvas[data-panel="loss"]').getContext('2d').getImageData(2, 2, 1, 1).data;
      return ((r2 + g2 + b2) / 3 < 128) !== d;
    }, dark);
    await page.close();
  }
  for (const width of [320, 375]) {
    for (const [name, hash, settle] of VIEWS) {
      const { page } = await openReady(lab, hash, { viewport: { width, height: 800 }, deviceScaleFactor: 2 });
      await settle(page);
      for (const b of await page.locator('.panel-tools button[aria-expanded]:visible').all()) await b.click();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${name} at ${width} px scrolls ${overflow} px sideways`);
      await page.close();
    }
  }
});
