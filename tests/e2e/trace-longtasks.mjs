// What the main thread's long tasks are made of (not a *.test.mjs; run by
// hand when responsiveness.mjs reports tasks above the goal): for each link
// of longtasks.mjs, a Chromium trace with CPU samples of the page's renderer,
// and for every main-thread task above the threshold its time, the functions
// that took most samples (self) and the page's own functions they ran under
// (www/*.js), with the task's time on the CPU (its thread time: a task far
// longer than that waited for a core) and the style and layout work in it, e.g.
//   task 105 ms at 1675 ms, 31 ms on the CPU; UpdateLayoutTree 4× 2 ms, Layout 3× 9 ms
//     self: 158 __wbg_offsetHeight…@fa-lab.js | 12 fit@panels.js | …
//     under: 162 draw@panels.js | 12 fit@panels.js | …
// "(program)" is the browser's own work (style, layout, paint); the samples
// are taken in wall time, so they count time spent waiting for a core too.
// LAYOUTS=1 lists each style and layout pass with the objects it laid out;
// EVENTS=1 sums the trace events inside each task by name (wall and CPU ms),
// which names the browser's own work that "(program)" lumps together.
//
// Usage: node tests/e2e/trace-longtasks.mjs [--runs N] [--only TEXT] [--over MS] [--busy]
//   --only keeps the links whose description contains TEXT; --busy keeps one
//   core busy with a spinning node, as responsiveness.mjs does.
import { launch, openPage, serve } from './harness.mjs';
import { LINKS, busyCore, visit, warmUp, watchLongTasks } from './longtasks.mjs';

const argv = process.argv.slice(2);
const option = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const RUNS = Number(option('--runs', 1));
const ONLY = option('--only', '');
const OVER_MS = Number(option('--over', 50));
const PAGE_JS = /\/(app|read|figures|train|panels|readout|ui|chunk|pool|a11y|offline|messages)\.js$/;
const LAYOUT = ['UpdateLayoutTree', 'Layout']; // style, layout
const CATEGORIES = ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'disabled-by-default-v8.cpu_profiler'];

if (argv.includes('--busy')) busyCore();

const top = (counts, n) => [...counts].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${v} ${k}`).join(' | ');
const bump = (counts, key) => counts.set(key, (counts.get(key) || 0) + 1);

/** The trace's main-thread tasks and CPU samples of the renderer that loaded `host`. */
function analyse(events, host) {
  const threads = new Map();
  for (const e of events) if (e.name === 'thread_name') threads.set(`${e.pid}:${e.tid}`, e.args.name);
  // The renderer the browser committed the page's frames to (Chromium's own
  // pages, e.g. its internal webui, run in other renderers).
  const frames = events.flatMap((e) => {
    const d = e.args?.data;
    if (e.name === 'TracingStartedInBrowser') return d?.frames || [];
    return e.name === 'FrameCommittedInBrowser' && d?.frame ? [d] : [];
  });
  const pids = new Set(frames.filter((f) => (f.url || '').includes(host) && f.processId).map((f) => f.processId));
  const onMain = (e) => pids.has(e.pid) && threads.get(`${e.pid}:${e.tid}`) === 'CrRendererMain';
  const nodes = new Map();
  const samples = [];
  // Profile ids are per process: a chunk is the page's when its process and id are.
  const clocks = new Map(); // process:profile id → running sample time (µs)
  const profile = (e) => `${e.pid}:${e.id}`;
  for (const e of events) if (e.name === 'Profile' && onMain(e)) clocks.set(profile(e), e.args.data.startTime);
  for (const e of events) {
    if (e.name !== 'ProfileChunk' || !clocks.has(profile(e))) continue;
    const { cpuProfile = {}, timeDeltas = [] } = e.args.data;
    for (const n of cpuProfile.nodes || []) nodes.set(`${profile(e)}:${n.id}`, { ...n, parent: n.parent && `${profile(e)}:${n.parent}` });
    (cpuProfile.samples || []).forEach((id, i) => {
      clocks.set(profile(e), clocks.get(profile(e)) + (timeDeltas[i] || 0));
      samples.push([clocks.get(profile(e)), `${profile(e)}:${id}`]);
    });
  }
  const main = events.filter((e) => onMain(e) && e.ph === 'X');
  return { nodes, samples, main, start: Math.min(...main.map((e) => e.ts)) };
}

const label = (frame = {}) => `${frame.functionName || '(anonymous)'}${frame.url ? `@${frame.url.split('/').pop()}` : ''}`;

function pageFrame(nodes, id) {
  for (let n = nodes.get(id); n; n = nodes.get(n.parent)) if (PAGE_JS.test(n.callFrame?.url || '')) return label(n.callFrame);
  return '(no page function)';
}

const [server, browser] = await Promise.all([serve(), launch()]);
await warmUp(browser, server.url);
const host = new URL(server.url).host;
for (const [what, hash, act] of LINKS.filter(([w]) => w.includes(ONLY))) {
  for (let r = 0; r < RUNS; r++) {
    const { page } = await openPage(browser);
    await watchLongTasks(page); // the links' acts reset it
    await browser.startTracing(page, { categories: CATEGORIES });
    await visit(page, server.url, hash, act);
    const { nodes, samples, main, start } = analyse(JSON.parse((await browser.stopTracing()).toString()).traceEvents, host);
    await page.close();
    const tasks = main.filter((e) => e.name === 'RunTask' && e.dur > OVER_MS * 1000);
    console.log(`\n${what} [pass ${r + 1}]: ${tasks.length} task(s) over ${OVER_MS} ms`);
    for (const t of tasks) {
      const self = new Map();
      const under = new Map();
      for (const [ts, id] of samples) {
        if (ts < t.ts || ts > t.ts + t.dur) continue;
        bump(self, label(nodes.get(id)?.callFrame));
        bump(under, pageFrame(nodes, id));
      }
      const inside = (e) => e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur;
      const layouts = main.filter((e) => inside(e) && LAYOUT.includes(e.name));
      const spent = (name) => layouts.filter((e) => e.name === name);
      const ms = (v) => Math.round(v.reduce((a, e) => a + e.dur, 0) / 1000);
      const cpu = t.tdur ? `, ${Math.round(t.tdur / 1000)} ms on the CPU` : '';
      console.log(`  task ${Math.round(t.dur / 1000)} ms at ${Math.round((t.ts - start) / 1000)} ms${cpu}; ` +
        LAYOUT.map((n) => `${n} ${spent(n).length}× ${ms(spent(n))} ms`).join(', '));
      if (process.env.LAYOUTS) for (const e of layouts) console.log(`      ${e.name} ${(e.dur / 1000).toFixed(1)} ms ${JSON.stringify(e.args?.beginData || {}).slice(0, 300)}`);
      if (process.env.EVENTS) {
        const byName = new Map();
        for (const e of main) {
          if (e === t || !inside(e)) continue;
          const [wall, cpu, n] = byName.get(e.name) || [0, 0, 0];
          byName.set(e.name, [wall + e.dur, cpu + (e.tdur || 0), n + 1]);
        }
        const rows = [...byName].sort((a, b) => b[1][0] - a[1][0]).slice(0, 14);
        console.log(`    events: ${rows.map(([k, [w, c, n]]) => `${k} ${n}× ${(w / 1000).toFixed(1)}/${(c / 1000).toFixed(1)}`).join(' | ')}`);
      }
      console.log(`    self: ${top(self, 6)}`);
      console.log(`    under: ${top(under, 6)}`);
    }
  }
}
await browser.close();
await server.close();
