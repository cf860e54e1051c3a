// The page's two speed goals as distributions over several passes, quiet and
// then with one core kept busy by another process (a spinning node):
// - the main thread's longest task per link (longtasks.mjs), goal 100 ms;
// - the Read view's first stored figure, opened cold (a new browser context)
//   with the data download held back, in ms after navigation, goal 1 s.
// Prints min / median / max per link and condition, and the worst of each;
// trace-longtasks.mjs shows what the long tasks are made of.
//
// With --base DIR (another build's dist/, e.g. copied to target/dist-base
// before a change) every link is opened from both builds in turn, so that the
// two see the same machine (its speed drifts here), and both are printed.
//
// Usage: node tests/e2e/responsiveness.mjs [--runs N] [--only quiet|busy] [--base DIR]
import { cpus } from 'node:os';
import { firstFigure, launch, openWithoutData, serve } from './harness.mjs';
import { LINKS, busyCore, longestTask, warmUp } from './longtasks.mjs';

const argv = process.argv.slice(2);
const option = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const RUNS = Number(option('--runs', 3));
const ONLY = option('--only', null);
const BASE = option('--base', null);

const [server, browser, base] = await Promise.all([serve(), launch(), BASE ? serve(BASE) : null]);
const builds = [['this build', server], ...(base ? [[`base ${BASE}`, base]] : [])];
console.log(`${cpus()[0].model}, ${cpus().length} cores; ${RUNS} passes per condition`);
for (const [, srv] of builds) await warmUp(browser, srv.url);
const median = (v) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };
for (const condition of ['quiet', 'busy'].filter((c) => !ONLY || c === ONLY)) {
  const stopBusy = condition === 'busy' ? busyCore() : () => {};
  const tasks = builds.map(() => LINKS.map(() => []));
  for (let r = 0; r < RUNS; r++) {
    for (const [i, [, hash, act]] of LINKS.entries()) {
      for (const [b, [, srv]] of builds.entries()) tasks[b][i].push((await longestTask(browser, srv.url, hash, act)).task);
    }
  }
  for (const [b, [name]] of builds.entries()) {
    const of = base ? ` (${name})` : '';
    console.log(`\n${condition === 'busy' ? 'one core kept busy' : 'quiet'}${of}: longest task per link, ms (min / median / max of ${RUNS}; each pass's values)`);
    for (const [i, [what]] of LINKS.entries()) {
      const v = tasks[b][i];
      console.log(`${String(Math.min(...v)).padStart(5)} ${String(median(v)).padStart(5)} ${String(Math.max(...v)).padStart(5)}  ${what}  [${v.join(', ')}]`);
    }
    const all = tasks[b].flat();
    console.log(`worst ${Math.max(...all)} ms; ${all.filter((t) => t > 100).length} of ${all.length} opens above 100 ms; median ${median(all)} ms${of}`);
  }
  const firsts = [];
  for (let r = 0; r < RUNS; r++) {
    const { page } = await openWithoutData(browser, server.url, '');
    firsts.push(await firstFigure(page));
    await page.close();
  }
  console.log(`Read view opened cold, first stored figure after (ms): min ${Math.min(...firsts)} / median ${median(firsts)} / max ${Math.max(...firsts)}; ${firsts.filter((t) => t >= 1000).length} of ${RUNS} at 1 s or more  [${firsts.join(', ')}]`);
  stopBusy();
}
await browser.close();
await server.close();
await base?.close();
