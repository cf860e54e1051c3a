// The browser benchmark (scripts/bench.sh runs it; not a *.test.mjs, so the
// test runner leaves it alone). In one go:
//   1. speed, in interleaved rounds so that all three see the same machine
//      (machines here are shared and their speed drifts over minutes): each
//      round times N epochs of the FA step of the paper net in the built page
//      (dist/, served on 127.0.0.1, headless Chromium; the engine is warmed up
//      first so that V8 has tiered the kernels up), then N epochs natively
//      (`fa-lab bench --json`, and on x86_64 again on the 128-bit SSE2 path,
//      the vector width of wasm simd128), then N epochs of scripts/numpy_step.py;
//      ratios are taken per round and their medians reported, with each
//      side's fastest round against the other's;
//   2. the per-step cost of the bookkeeping (www/bench.js's runBench extras,
//      and `fa-lab bench --extras`);
//   3. the page's peak memory (wasm linear memory + JS heap via CDP) while it
//      runs ONE paper-preset fig6 run (condition `pca`, the one that keeps
//      parameter snapshots, by default) for a bounded time, in a fresh page;
// then prints the figures and the ratios.
//
// Usage: node tests/e2e/bench.mjs [--rounds R] [--epochs N] [--no-extras]
//          [--mem-condition pca|bp|fa|fa_wn|dfa] [--mem-seconds S] [--no-memory] [--no-native]
//          [--page-seconds S] [--page-workers N]  (also: the page's own figures view running the whole fig6
//                               paper figure in its worker pool for S seconds)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { ROOT, launch, openPage, serve } from './harness.mjs';

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const ROUNDS = Number(option('--rounds', 5));
const EPOCHS = Number(option('--epochs', 3));
const WARMUP = 3;
const NUMPY_SCRIPT = join(ROOT, 'scripts', 'numpy_step.py');
const EXTRAS = !flag('--no-extras');
const MEM_CONDITION = option('--mem-condition', 'pca');
const MEM_SECONDS = Number(option('--mem-seconds', 90));
const PAGE_SECONDS = Number(option('--page-seconds', 0));
// The page sizes its worker pool as min(navigator.hardwareConcurrency, 4);
// --page-workers N makes the page see N cores, e.g. 4 to measure a 4-core
// machine's pool on this one (same memory, just slower).
const PAGE_WORKERS = Number(option('--page-workers', 0));
const MB = 1e6;

const log = (...a) => console.error('bench:', ...a);

// Memory (bytes) of the page's renderer: Chromium starts a few renderer
// processes (the page's, spares); among those started by this node process
// (found by walking the process tree from our pid, so other people's browsers
// are not counted) take the largest proportional set size (PSS, from
// /proc/PID/smaps_rollup; RSS would count the zygote's shared pages in each).
// A page and its Web Workers live in one renderer.
function rendererPss() {
  let rows;
  try {
    rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' }).trim().split('\n');
  } catch {
    return NaN;
  }
  const procs = rows.map((r) => {
    const m = r.trim().match(/^(\d+)\s+(\d+)\s+(.*)$/);
    return m && { pid: +m[1], ppid: +m[2], args: m[3] };
  }).filter(Boolean);
  const mine = new Set([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs) if (!mine.has(p.pid) && mine.has(p.ppid)) { mine.add(p.pid); grew = true; }
  }
  let best = NaN;
  for (const p of procs) {
    if (!mine.has(p.pid) || !p.args.includes('--type=renderer')) continue;
    try {
      const kb = Number(readFileSync(`/proc/${p.pid}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+)/m)[1]);
      best = Number.isNaN(best) ? kb * 1024 : Math.max(best, kb * 1024);
    } catch { /* exited */ }
  }
  return best;
}

async function readyPage(browser, url) {
  const { page, errors } = await openPage(browser, url);
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
  return { page, errors };
}

// The page's engine: a FaBench warmed up for WARMUP epochs (checksum taken after
// the first, as `fa-lab bench` does), then `epochs(n)` times n more epochs.
async function browserEngine(browser, url) {
  const { page, errors } = await readyPage(browser, url);
  page.on('console', (m) => { if (m.type() === 'log') log('page:', m.text()); });
  const info = await page.evaluate(async ({ warmup }) => {
    const { renderBench } = await import('./bench.js');
    const { engine } = window.faLab;
    // The view builds (cheap check that renderBench works against this engine).
    const box = document.createElement('div');
    renderBench(box, engine);
    const viewOk = !!box.querySelector('#bench-run') && !!box.querySelector('#bench-results');
    const bench = new engine.FaBench('step');
    window.__bench = bench;
    const warmupSeconds = [];
    let checksum = null;
    for (let i = 0; i < warmup; i++) {
      const t0 = performance.now();
      bench.epoch();
      warmupSeconds.push((performance.now() - t0) / 1e3);
      if (i === 0) checksum = bench.checksum();
    }
    return {
      viewOk, checksum, warmupSeconds, simd: engine.simdEnabled(),
      flops: engine.benchEpochFlops(), steps: engine.benchStepsPerEpoch(), userAgent: navigator.userAgent,
    };
  }, { warmup: WARMUP });
  const epochs = (n) => page.evaluate(async (n) => {
    const out = [];
    for (let i = 0; i < n; i++) {
      await new Promise((ok) => setTimeout(ok, 0));
      const t0 = performance.now();
      window.__bench.epoch();
      out.push((performance.now() - t0) / 1e3);
    }
    return out;
  }, n);
  const extras = () => page.evaluate(async (epochs) => {
    const { runBench } = await import('./bench.js');
    return (await runBench(window.faLab.engine, { epochs, extras: true, warmup: 1 })).extras;
  }, EPOCHS);
  const breakdown = () => page.evaluate(() => window.faLab.engine.benchBreakdown(() => performance.now()));
  return { page, errors, info, epochs, extras, breakdown };
}

// Peak memory of one paper-preset fig6 run. The page steps the run in chunks
// and yields between them, recording wasm memory; node samples the JS heap
// through CDP meanwhile (Performance.getMetrics needs the main thread free).
async function memoryRun(browser, url) {
  const { page, errors } = await readyPage(browser, url);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const metrics = async () => {
    const { metrics: m } = await cdp.send('Performance.getMetrics');
    const get = (n) => m.find((x) => x.name === n)?.value ?? NaN;
    return { jsUsed: get('JSHeapUsedSize'), jsTotal: get('JSHeapTotalSize') };
  };
  const before = await metrics();
  const start = await page.evaluate(({ condition, seconds }) => {
    const { engine, lab } = window.faLab;
    const figure = new engine.Figure(`v=${engine.currentLinkVersion()}&fig=fig6&preset=paper`);
    const specs = figure.specs();
    const params = specs[0].params;
    figure.free();
    const spec = specs.find((s) => s.condition_name === condition && s.run === 0);
    if (!spec) throw new Error(`fig6 paper has no run 0 of condition ${condition}`);
    const state = { wasmStart: engine.wasmMemoryBytes(), wasmPeak: 0, steps: 0, total: 0, done: false, error: null, samples: [] };
    window.__mem = state;
    const run = new engine.ExperimentRun(lab, spec);
    state.total = run.totalSteps();
    state.wasmAfterNew = engine.wasmMemoryBytes();
    const t0 = performance.now();
    const tick = () => {
      try {
        const res = run.advance(10);
        state.steps = run.steps();
        const w = engine.wasmMemoryBytes();
        state.wasmPeak = Math.max(state.wasmPeak, w);
        state.samples.push([state.steps, w, (performance.now() - t0) / 1e3]);
        if (res !== undefined || state.steps >= state.total) { state.done = true; state.finished = true; }
        else if ((performance.now() - t0) / 1e3 > seconds) state.done = true;
      } catch (e) {
        state.error = String(e.message || e);
        state.done = true;
      }
      state.seconds = (performance.now() - t0) / 1e3;
      if (!state.done) setTimeout(tick, 0);
      else run.free();
    };
    setTimeout(tick, 0);
    return { total: state.total, wasmStart: state.wasmStart, wasmAfterNew: state.wasmAfterNew, params, nSpecs: specs.length };
  }, { condition: MEM_CONDITION, seconds: MEM_SECONDS });
  let jsPeak = before.jsUsed;
  let jsTotalPeak = before.jsTotal;
  const pssBefore = rendererPss();
  let pssPeak = pssBefore;
  let state;
  for (;;) {
    await new Promise((ok) => setTimeout(ok, 500));
    pssPeak = Math.max(pssPeak, rendererPss());
    const m = await metrics();
    jsPeak = Math.max(jsPeak, m.jsUsed);
    jsTotalPeak = Math.max(jsTotalPeak, m.jsTotal);
    state = await page.evaluate(() => ({ ...window.__mem, samples: undefined }));
    if (state.done) break;
  }
  const samples = await page.evaluate(() => window.__mem.samples);
  await page.close();
  if (errors.length) log('page errors:', errors);
  if (state.error) throw new Error(`fig6 run failed: ${state.error}`);
  // Wasm memory grows in steps; extrapolate from its growth over the second half of the run.
  const half = samples[Math.floor(samples.length / 2)];
  const last = samples[samples.length - 1];
  const perStep = last[0] > half[0] ? (last[1] - half[1]) / (last[0] - half[0]) : 0;
  const remaining = state.finished ? 0 : start.total - state.steps;
  return {
    condition: MEM_CONDITION, ...start, ...state, jsPeak, jsTotalPeak, jsBefore: before.jsUsed, pssBefore, pssPeak,
    wasmPerStep: perStep, wasmExtrapolated: state.wasmPeak + Math.max(perStep, 0) * remaining,
    stepsPerSecond: state.steps / state.seconds,
  };
}

// The real page running the whole fig6 paper figure (#/figures link: all
// runs, in its Web Worker pool) for a bounded time: peak renderer PSS (page +
// workers, each worker with its own engine and data) and main-thread JS heap.
async function pageFigureRun(browser, url, seconds) {
  const { page, errors } = await openPage(browser);
  if (PAGE_WORKERS > 0) {
    await page.addInitScript((n) => Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => n }), PAGE_WORKERS);
  }
  await page.goto(`${url}#/figures?fig=fig6&preset=paper&seed=0`);
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const t0 = Date.now();
  let pssPeak = 0, jsPeak = 0, status = '';
  const series = [];
  while ((Date.now() - t0) / 1e3 < seconds) {
    await new Promise((ok) => setTimeout(ok, 1000));
    const pss = rendererPss();
    const { metrics: m } = await cdp.send('Performance.getMetrics');
    const js = m.find((x) => x.name === 'JSHeapTotalSize')?.value ?? NaN;
    status = await page.$eval('#figure-status', (e) => e.textContent).catch(() => '');
    pssPeak = Math.max(pssPeak, pss);
    jsPeak = Math.max(jsPeak, js);
    series.push([(Date.now() - t0) / 1e3, pss]);
  }
  const workers = await page.evaluate(() => navigator.hardwareConcurrency);
  await page.close();
  if (errors.length) log('page errors:', errors);
  return { seconds, pssPeak, jsPeak, status, workers: Math.max(1, Math.min(workers || 2, 4)), series };
}

function nativeBench(extraArgs) {
  const cli = join(ROOT, 'target/release/fa-lab');
  const args = ['bench', '--json', '--epochs', String(EPOCHS), ...extraArgs];
  return JSON.parse(execFileSync(cli, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
}

/** `fa-lab bench` on the SSE2 path, or null where there is none (not x86_64; every x86_64 has SSE2). */
function nativeNarrow(extraArgs) {
  return os.arch() === 'x64' ? nativeBench(['--path', 'sse2', ...extraArgs]) : null;
}

// numpy_step.py's median over EPOCHS epochs, or { error } saying why there is none.
// The interpreter is $FA_LAB_NUMPY_PYTHON (scripts/bench.sh points it at its
// virtual environment) or python3. This command alone runs with
// OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, so OpenBLAS picks its own
// kernel for this CPU, and with one thread.
const NUMPY_PYTHON = process.env.FA_LAB_NUMPY_PYTHON || 'python3';
function numpyEpoch() {
  if (!existsSync(NUMPY_SCRIPT)) return { error: `${NUMPY_SCRIPT} is missing` };
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  try {
    const text = execFileSync(NUMPY_PYTHON, [NUMPY_SCRIPT, String(EPOCHS)], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
    const m = text.match(/epoch:\s*([0-9.]+)\s*s/);
    return m ? { seconds: Number(m[1]), version: text.match(/^numpy (\S+)/)?.[1] } : { error: `unreadable output: ${text.trim()}` };
  } catch (e) {
    const why = String(e.stderr || e.message || e).trim().split('\n').pop();
    return { error: `${NUMPY_PYTHON}: ${why}` };
  }
}

const median = (v) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const pct = (x) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} %`;

// Each part gets its own browser, so that the memory figures see no other page.
const server = await serve();
let b, mem, nat, pageMem, numpyError = null, numpyVersion = null;
const rounds = [];
try {
  log(`speed: ${ROUNDS} rounds of ${EPOCHS} epochs each in the browser, natively and in numpy (after ${WARMUP} warm-up epochs in the browser)`);
  const browser = await launch();
  try {
    const eng = await browserEngine(browser, server.url);
    log(`browser warm-up epochs: ${eng.info.warmupSeconds.map((x) => x.toFixed(3)).join(', ')} s`);
    b = { ...eng.info, epochSeconds: [] };
    for (let r = 0; r < ROUNDS; r++) {
      const row = { browser: median(await eng.epochs(EPOCHS)), native: null, numpy: null };
      b.epochSeconds.push(row.browser);
      if (!flag('--no-native')) {
        const n = nativeBench([]);
        row.native = n.median_seconds;
        // The 128-bit native path (SSE2, x86_64 only): the same vector width as simd128.
        const narrow = nativeNarrow([]);
        row.narrow = narrow?.median_seconds ?? null;
        nat = { ...n, epochSeconds: [...(nat?.epochSeconds ?? []), n.median_seconds], kernelsOnly: [...(nat?.kernelsOnly ?? []), n.kernels_only_seconds] };
        const np = numpyEpoch();
        row.numpy = np.seconds ?? null;
        if (np.error) numpyError = np.error;
        if (np.version) numpyVersion = np.version;
      }
      rounds.push(row);
      log(`round ${r + 1}: browser ${row.browser.toFixed(3)} s`
        + (row.native ? `, native ${row.native.toFixed(3)} s` : '') + (row.numpy ? `, numpy ${row.numpy.toFixed(3)} s` : ''));
    }
    log('breakdown: one epoch of the kernels-only step, timed call by call, in the browser and natively');
    b.breakdown = await eng.breakdown();
    if (nat) nat.breakdown = nativeBench(['--breakdown']).breakdown;
    if (nat) nat.narrowBreakdown = nativeNarrow(['--breakdown'])?.breakdown;
    if (EXTRAS) {
      log('bookkeeping: interleaved fresh epochs in the browser, then natively');
      b.extras = await eng.extras();
      if (nat) nat.extras = nativeBench(['--extras']).extras;
    }
    await eng.page.close();
    if (eng.errors.length) log('page errors:', eng.errors);
  } finally { await browser.close(); }
  if (!flag('--no-memory')) {
    log(`memory: one fig6 paper run (condition ${MEM_CONDITION}), at most ${MEM_SECONDS} s`);
    const browser2 = await launch();
    try { mem = await memoryRun(browser2, server.url); } finally { await browser2.close(); }
  }
  if (PAGE_SECONDS > 0) {
    log(`memory: the page's figures view running the fig6 paper figure for ${PAGE_SECONDS} s`);
    const browser3 = await launch();
    try { pageMem = await pageFigureRun(browser3, server.url, PAGE_SECONDS); } finally { await browser3.close(); }
  }
} finally {
  await server.close();
}

const out = [];
const p = (s) => out.push(s);
const cpu = (() => {
  try { return readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)[1]; } catch { return 'unknown processor'; }
})();
p('');
p(`== machine: ${cpu}, ${os.cpus().length} logical cores, load average at the end ${os.loadavg().map((x) => x.toFixed(2)).join(', ')}`);
p(`== FA epoch, paper net 225-50-50-50-50-50, batch 1000, 60 steps (Network::step, synthetic data, 1 thread); ${ROUNDS} interleaved rounds, median of ${EPOCHS} epochs per round`);
const fmtList = (v) => v.map((x) => (x == null ? '—' : x.toFixed(3))).join(', ');
const bMed = median(b.epochSeconds);
p(`browser (headless Chromium, wasm ${b.simd ? 'simd128' : 'NO SIMD'}): median ${bMed.toFixed(4)} s [rounds: ${fmtList(b.epochSeconds)}], `
  + `${(b.flops / bMed / 1e9).toFixed(2)} GFLOP/s, ${((bMed / b.steps) * 1e3).toFixed(2)} ms/step (warm-up epochs: ${fmtList(b.warmupSeconds)})`);
if (nat) {
  const nMed = median(nat.epochSeconds);
  p(`native (fa-lab bench, ${nat.path}): median ${nMed.toFixed(4)} s [rounds: ${fmtList(nat.epochSeconds)}], ${(b.flops / nMed / 1e9).toFixed(2)} GFLOP/s`);
  p(`native kernels only (same step inline): median ${median(nat.kernelsOnly).toFixed(4)} s`);
  const withNumpy = rounds.filter((r) => r.numpy != null);
  if (withNumpy.length) {
    p(`numpy ${numpyVersion ?? ''} (numpy_step.py, 1 thread, ${NUMPY_PYTHON}): median ${median(withNumpy.map((r) => r.numpy)).toFixed(4)} s [rounds: ${fmtList(rounds.map((r) => r.numpy))}]`);
    // Noise here only ever adds time, so each side's fastest round is printed too.
    const show = (k) => {
      const v = withNumpy.map((r) => r[k] / r.numpy);
      const fastest = Math.min(...withNumpy.map((r) => r[k])) / Math.min(...withNumpy.map((r) => r.numpy));
      return `${median(v).toFixed(3)} (per round ${Math.min(...v).toFixed(3)}–${Math.max(...v).toFixed(3)}; fastest round against fastest round ${fastest.toFixed(3)})`;
    };
    p(`browser / numpy:  ${show('browser')}   (goal ≤ 1.0)`);
    p(`native / numpy:   ${show('native')}   (goal ≤ 0.45)`);
  } else {
    p(`numpy: NOT RUN, no numpy ratios (${numpyError ?? 'no round ran it'})`);
  }
  p(`browser / native: ${median(rounds.map((r) => r.browser / r.native)).toFixed(2)}×`);
  const narrow = rounds.filter((r) => r.narrow != null);
  if (narrow.length) {
    p(`native on 128-bit vectors (fa-lab bench --path sse2, the same width as simd128): median ${median(narrow.map((r) => r.narrow)).toFixed(4)} s; `
      + `browser / native-sse2: ${median(narrow.map((r) => r.browser / r.narrow)).toFixed(2)}× (what V8 adds over the same vector width), `
      + `native-sse2 / native: ${median(narrow.map((r) => r.narrow / r.native)).toFixed(2)}× (what the wider vectors give)`);
  }
  p(`checksum after 1 epoch: browser ${b.checksum}, native ${nat.checksum} → ${b.checksum === nat.checksum ? 'same bits' : 'DIFFERENT BITS'}`);
}
if (b.breakdown) {
  p('== where an epoch goes (the same step written with the kernels, one epoch timed call by call), ms/epoch (share)');
  const btot = b.breakdown.reduce((a, [, t]) => a + t, 0);
  const ntot = nat?.breakdown ? Object.values(nat.breakdown).reduce((a, t) => a + t, 0) : NaN;
  for (const [kind, t] of b.breakdown) {
    const n = nat?.breakdown?.[kind];
    const s2 = nat?.narrowBreakdown?.[kind];
    p(`${kind.padEnd(24)} browser ${(t * 1e3).toFixed(1).padStart(6)} (${((100 * t) / btot).toFixed(1).padStart(4)} %)`
      + (n != null ? `   native ${(n * 1e3).toFixed(1).padStart(6)} (${((100 * n) / ntot).toFixed(1).padStart(4)} %)   browser/native ${(t / n).toFixed(2)}×` : '')
      + (s2 != null ? `   browser/native-sse2 ${(t / s2).toFixed(2)}×` : ''));
  }
}
if (EXTRAS && (b.extras || nat?.extras)) {
  p('== per-step bookkeeping (slowdown vs its baseline, medians of interleaved fresh epochs)');
  for (const name of ['metrics', 'update-angles', 'alignment']) {
    const be = b.extras?.[name];
    const ne = nat?.extras?.[name];
    if (!be && !ne) continue;
    const base = (be || ne).baseline;
    p(`${name.padEnd(14)} vs ${base.padEnd(8)} browser ${be ? pct(be.overhead) : '—'}, native ${ne ? pct(ne.overhead) : '—'}${name === 'alignment' ? '   (goal < +35 %)' : ''}`);
  }
}
if (mem) {
  p(`== page memory, one fig6 paper-preset run (condition ${mem.condition}, run 0 of ${mem.nSpecs} runs)`);
  p(`steps: ${mem.steps} of ${mem.total} in ${mem.seconds.toFixed(1)} s (${mem.stepsPerSecond.toFixed(1)} steps/s)${mem.finished ? ', finished' : ''}`);
  p(`wasm linear memory: ${(mem.wasmStart / MB).toFixed(1)} MB with the data loaded, ${(mem.wasmAfterNew / MB).toFixed(1)} MB after creating the run, peak ${(mem.wasmPeak / MB).toFixed(1)} MB`);
  p(`JS heap used: ${(mem.jsBefore / MB).toFixed(1)} MB before, peak ${(mem.jsPeak / MB).toFixed(1)} MB (heap total peak ${(mem.jsTotalPeak / MB).toFixed(1)} MB)`);
  p(`page's renderer process (largest renderer PSS, /proc smaps_rollup; page + its workers): ${(mem.pssBefore / MB).toFixed(1)} MB before the run, peak ${(mem.pssPeak / MB).toFixed(1)} MB`);
  const peak = mem.wasmPeak + mem.jsTotalPeak;
  p(`peak wasm + JS heap: ${(peak / MB).toFixed(1)} MB measured`
    + (mem.finished ? '' : `; extrapolated to the full ${mem.total} steps at ${(mem.wasmPerStep / 1e3).toFixed(2)} kB/step of wasm growth: ${((mem.wasmExtrapolated + mem.jsTotalPeak) / MB).toFixed(1)} MB`)
    + '   (goal < 500 MB)');
}
if (pageMem) {
  p(`== the page's figures view, fig6 paper figure (all runs, ${pageMem.workers} Web Workers), first ${pageMem.seconds} s: ${pageMem.status}`);
  p(`page's renderer PSS (page + workers): peak ${(pageMem.pssPeak / MB).toFixed(1)} MB; main-thread JS heap total peak ${(pageMem.jsPeak / MB).toFixed(1)} MB   (goal < 500 MB)`);
  p(`PSS over time (s, MB): ${pageMem.series.filter((_, i) => i % 10 === 9).map(([t, v]) => `${t.toFixed(0)}:${(v / MB).toFixed(0)}`).join(' ')}`);
}
console.log(out.join('\n'));
if (!b.viewOk) { console.log('bench view did not build'); process.exitCode = 1; }
