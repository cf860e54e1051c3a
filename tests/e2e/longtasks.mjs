// The main thread's longest task (PerformanceObserver 'longtask': tasks over
// 50 ms; 0 when there was none) while opening a link and doing what it is
// for. Used by responsive.test.mjs (one pass, asserting a bound) and by
// responsiveness.mjs (the distribution over several passes, quiet and with a
// core kept busy). Not a *.test.mjs: the test runner leaves it alone.
import { spawn } from 'node:child_process';
import { openPage } from './harness.mjs';

const stored = (want) => async (page) => page.waitForFunction((w) => document.body.dataset.figure === w, want, { timeout: 300_000 });

/** [what, address, what to do once the page is ready (the data loaded)] */
export const LINKS = [
  ['open the landing (the Read view)', '', async (page) => {
    await page.waitForFunction(() => [...document.querySelectorAll('#read-trick [data-reading] canvas')].every((c) => c.readFrame?.readDrawn), null, { timeout: 60_000 });
  }],
  ['open a Read view section', '#/read?s=beyond', async (page) => {
    await page.waitForFunction(() => [...document.querySelectorAll('#read-beyond [data-reading] canvas')].every((c) => c.readFrame?.readDrawn), null, { timeout: 60_000 });
  }],
  ['open #/train', '#/train', async () => {}],
  ['open a train link', '#/train?v=3&rule=kp:0.01&epochs=1&seed=4&sizes=225,100,50&linear=1', async () => {}],
  ['train the paper net, 2 epochs of 60 steps', '#/train?v=3&rule=fa&epochs=2&seed=0&angles=1', async (page) => {
    await page.waitForTimeout(500); // the opening is measured apart
    await page.evaluate(() => window.longest.reset());
    await page.click('#train-start');
    await page.waitForSelector('#train-fingerprint', { timeout: 300_000 });
  }],
  ['open #/data', '#/data', async (page) => page.waitForFunction(() => document.getElementById('digit-labels').textContent !== '')],
  ['open and run a quick figure', '#/figures?v=3&fig=fig6&preset=quick&runs=1&seed=0', stored('done')],
  ['open a paper figure (computed on demand)', '#/figures?v=3&fig=fig6&preset=paper&runs=1&seed=0', stored('waiting')],
  ['open a stored paper figure', '#/figures?v=3&fig=fig6&preset=paper', stored('stored')],
  ['open the largest stored figure', '#/figures?v=3&fig=feedback&preset=paper', stored('stored')],
  ['open an embed that computes', '#/embed?v=3&fig=fig2b&preset=quick&runs=1&seed=0&panel=b', stored('done')],
  ['open a stored embed', '#/embed?v=3&fig=fig5&preset=paper&panel=b', stored('stored')],
];

/**
 * Opens the landing once and throws the page away: the first page of a new
 * browser also starts its processes and loads its fonts, which a reader's
 * running browser has done long before.
 */
export async function warmUp(browser, url) {
  const { page } = await openPage(browser);
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
  await page.close();
}

/** Records the page's longest task from its start (`window.longest`, which the links' acts reset). */
export function watchLongTasks(page) {
  return page.addInitScript(() => {
    const state = { task: 0 };
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) state.task = Math.max(state.task, e.duration);
    }).observe({ type: 'longtask', buffered: true });
    window.longest = { get: () => state.task, reset: () => { state.task = 0; } };
  });
}

/** Opens `hash` in `page`, waits until it is ready, does `act` and lets the page settle. */
export async function visit(page, url, hash, act) {
  await page.goto(`${url}${hash}`);
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
  await act(page);
  await page.waitForTimeout(300);
}

/** Opens `hash` in a fresh page and returns { task, errors }: the longest task in ms. */
export async function longestTask(browser, url, hash, act) {
  const { page, errors } = await openPage(browser);
  await watchLongTasks(page);
  await visit(page, url, hash, act);
  const task = Math.round(await page.evaluate(() => window.longest.get()));
  await page.close();
  return { task, errors };
}

/**
 * Keeps one core busy (a spinning node) until the returned stop() or this
 * process's exit, or for an hour if this process is killed by a signal (no
 * exit handler runs then): it never outlives a measurement for long.
 */
export function busyCore() {
  const spinner = spawn(process.execPath, ['-e', 'const end = Date.now() + 3_600_000; while (Date.now() < end) {}'], { stdio: 'ignore' });
  const stop = () => spinner.kill();
  process.on('exit', stop);
  return stop;
}
