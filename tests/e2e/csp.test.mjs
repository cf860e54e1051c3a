// The page under its own Content-Security-Policy (a meta tag in index.html):
// the built page has no inline script, and every view — training a run,
// figures in workers, an embed, data, speed, the fault messages — loads and
// works with no policy violation and no console error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIST, openPage, useLab } from './harness.mjs';

const lab = useLab();

test('the built page keeps its policy and has no inline script', () => {
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  const policy = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)"/);
  assert.ok(policy, 'dist/index.html has the CSP meta tag');
  const scriptSrc = policy[1].split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src'));
  assert.equal(scriptSrc, "script-src 'self' 'wasm-unsafe-eval'", 'no unsafe-inline, no unsafe-eval');
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.ok(scripts.length >= 1);
  for (const [tag, attrs, body] of scripts) {
    assert.match(attrs, /\bsrc=/, `inline script: ${tag.slice(0, 120)}`);
    assert.equal(body.trim(), '', 'a script tag with a body');
  }
  assert.doesNotMatch(html, /\son[a-z]+="/, 'no inline event handler attributes');
  assert.doesNotMatch(html, /\sstyle="/, 'no inline style attributes');
});

/** Opens `hash` recording policy violations; `act` drives the view. */
async function underPolicy(hash, act) {
  const { page, errors } = await openPage(lab.browser);
  await page.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(`${lab.server.url}${hash}`);
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
  await act(page);
  const violations = await page.evaluate(() => window.cspViolations);
  await page.close();
  return { violations, errors };
}

const figure = (state) => (page) => page.waitForFunction((s) => document.body.dataset.figure === s, state, { timeout: 180_000 });

const VIEWS = [
  // The Read view: stored figures, fig2b computed here, section 1 stepped.
  ['#/read?s=why', async (page) => {
    await page.waitForFunction(() => document.querySelector('[data-reading="fig2b"]')?.getAttribute('aria-busy') === 'false');
    await page.locator('[data-reading="fig2b"] button', { hasText: 'Compute here' }).click();
    await page.waitForFunction(() => document.querySelector('[data-reading="fig2b"]').dataset.live === 'done', null, { timeout: 60_000 });
    await page.click('#read-step');
    await page.waitForFunction(() => /^Iteration 1\b/.test(document.getElementById('read-trick-status').textContent));
  }],
  ['#/train', async (page) => {
    await page.fill('#train-form input[name=n]', '500');
    await page.fill('#train-form input[name=batch]', '100');
    await page.fill('#train-form input[name=epochs]', '1');
    await page.click('#train-start');
    await page.waitForSelector('#train-fingerprint', { timeout: 60_000 });
  }],
  ['#/train?rule=kp:0.01&epochs=1&seed=4&sizes=225,100,50&linear=1', async () => {}],
  ['#/figures?fig=fig2b&preset=quick&runs=1&seed=0', figure('done')],
  ['#/embed?fig=fig2b&preset=quick&runs=1&seed=0&panel=b', figure('done')],
  ['#/figures?fig=fig6&preset=paper&runs=1&seed=0', figure('waiting')],
  ['#/embed', figure('no-figure')],
  ['#/figures?preset=quick', async (page) => page.waitForSelector('#figure-message.bad')],
  ['#/data', async (page) => page.waitForFunction(() => document.getElementById('digit-labels').textContent !== '')],
  ['#/bench', async (page) => page.waitForSelector('#bench-run')],
];

test('every view loads and works under the policy', async () => {
  for (const [hash, act] of VIEWS) {
    const { violations, errors } = await underPolicy(hash, act);
    assert.deepEqual(violations, [], `${hash}: CSP violations`);
    assert.deepEqual(errors, [], `${hash}: console errors`);
  }
});
