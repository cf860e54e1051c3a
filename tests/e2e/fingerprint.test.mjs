// Same config, same seed, same bits: runs a few configurations with the
// native CLI (`fa-lab train`) and in the page's wasm engine in headless
// Chromium, and compares the fingerprints (a hash of every metric and the
// final parameters).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openReady, trainNatively, useLab } from './harness.mjs';

const CONFIGS = [
  ['--rule', 'fa', '--epochs', '2', '--seed', '7', '--n-train', '3000', '--batch', '250'],
  ['--rule', 'bp', '--epochs', '1', '--seed', '1', '--n-train', '2000', '--batch', '200', '--wn', '--gamma', '1.5', '--shuffle'],
  ['--rule', 'dfa', '--epochs', '1', '--seed', '42', '--n-train', '2000', '--batch', '100', '--label-shuffle', '0.5', '--update-angles'],
  ['--rule', 'sign', '--epochs', '1', '--seed', '3', '--n-train', '1000', '--batch', '100'],
  ['--rule', 'kp', '--epochs', '1', '--seed', '5', '--n-train', '1000', '--batch', '100', '--update-angles'],
];

const lab = useLab();

test('native and wasm runs give bit-identical fingerprints', async () => {
  const { page, errors } = await openReady(lab);
  for (const [i, args] of CONFIGS.entries()) {
    const summary = trainNatively(lab, `run${i}`, args);
    // The CLI's run as a link (summary.json's), which the page's Run is made from.
    const browserRun = await page.evaluate((link) => {
      const { engine, lab } = window.faLab;
      const run = new engine.Run(lab, link);
      while (!run.isDone()) run.advance(64);
      return { fingerprint: run.fingerprint(), accuracy: Array.from(run.testAccuracies()) };
    }, summary.link);
    console.log(`${args.slice(0, 2).join(' ')}: native ${summary.fingerprint}, wasm ${browserRun.fingerprint}`);
    assert.deepEqual(browserRun.accuracy, summary.test_accuracy, `test accuracies of ${args.join(' ')}`);
    assert.equal(browserRun.fingerprint, summary.fingerprint, `fingerprint of ${args.join(' ')}`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});
