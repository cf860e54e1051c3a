// How long the main thread blocks: the longest task while opening each link
// of longtasks.mjs and doing what it is for, printed per link, held to
// MAX_BLOCK_MS. The test command runs two test files at once on two cores
// (each page with its figure workers), so this runs on a machine loaded
// well past one busy core: a long task here is mostly a task waiting for a
// core, and the bound (600 ms) catches a page that freezes, not one that
// misses the 100 ms goal. `node tests/e2e/responsiveness.mjs` gives the
// distribution over several passes, quiet and with one core kept busy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useLab } from './harness.mjs';
import { LINKS, longestTask, warmUp } from './longtasks.mjs';

const lab = useLab();
const BOUND_MS = Number(process.env.MAX_BLOCK_MS || 600);

test(`the main thread never blocks for long (under ${BOUND_MS} ms), opening links or training`, async () => {
  await warmUp(lab.browser, lab.server.url);
  const rows = [];
  for (const [what, hash, act] of LINKS) {
    const { task, errors } = await longestTask(lab.browser, lab.server.url, hash, act);
    rows.push([what, task]);
    console.log(`longest main-thread task: ${String(task).padStart(5)} ms  ${what}`);
    assert.deepEqual(errors, [], what);
  }
  const worst = rows.reduce((a, b) => (b[1] > a[1] ? b : a));
  console.log(`worst: ${worst[1]} ms (${worst[0]})`);
  assert.ok(worst[1] < BOUND_MS, `the page blocked for ${worst[1]} ms (${worst[0]})`);
});
