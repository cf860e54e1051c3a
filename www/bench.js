// The bench view (#/bench): times an FA epoch of the paper net (225-50-50-50-50-50,
// batch 1000, 60 steps of Network::step on fixed synthetic data) in this browser's
// wasm engine — the same core code (src/bench.rs) that `fa-lab bench` times natively.
// tests/e2e/bench.mjs (scripts/bench.sh) calls runBench in headless Chromium.

const yieldToBrowser = () => new Promise((ok) => setTimeout(ok, 0));

/**
 * Times `epochs` epochs of workload `extra` after `warmup` untimed epochs (at
 * least 1; the checksum is taken after the first, as `fa-lab bench` does).
 * V8 first runs wasm in its baseline compiler and recompiles hot functions in
 * the background, so the first epochs of a fresh page are slower.
 */
async function timeWorkload(engine, extra, epochs, warmup, onEpoch) {
  const bench = new engine.FaBench(extra);
  try {
    bench.epoch();
    const checksum = bench.checksum();
    for (let i = 1; i < warmup; i++) {
      await yieldToBrowser();
      bench.epoch();
    }
    const epochSeconds = [];
    for (let i = 0; i < epochs; i++) {
      await yieldToBrowser();
      const t0 = performance.now();
      bench.epoch();
      epochSeconds.push((performance.now() - t0) / 1e3);
      onEpoch?.(extra, i, epochSeconds[i]);
    }
    return { epochSeconds, checksum };
  } finally {
    bench.free();
  }
}

/**
 * Runs the benchmark: `warmup` untimed epochs, then `epochs` timed ones.
 * `breakdown: true` also times one epoch kernel call by kernel call (where the time goes).
 * `extras: true` also times the per-step bookkeeping
 * (metrics, update angles, alignment tracker), interleaved one epoch at a time
 * with fresh plain-step epochs so the ratios compare like with like.
 * Resolves to { epochSeconds, medianSeconds, gflops, msPerStep, checksum, simd, extras }.
 */
export async function runBench(engine, { epochs = 5, extras = false, warmup = 3, breakdown = false, onEpoch } = {}) {
  const flops = engine.benchEpochFlops();
  const steps = engine.benchStepsPerEpoch();
  const median = (seconds) => engine.benchMedian(Float64Array.from(seconds));
  const { epochSeconds, checksum } = await timeWorkload(engine, 'step', epochs, warmup, onEpoch);
  const medianSeconds = median(epochSeconds);
  const result = {
    epochSeconds,
    medianSeconds,
    gflops: flops / medianSeconds / 1e9,
    msPerStep: (medianSeconds / steps) * 1e3,
    checksum,
    simd: engine.simdEnabled(),
    extras: null,
    breakdown: null,
  };
  if (breakdown) {
    await yieldToBrowser();
    // [[kind, seconds per epoch], ...] of the same step written with the kernels.
    result.breakdown = engine.benchBreakdown(() => performance.now());
  }
  if (extras) {
    // The workloads and what each is compared with are the core's (src/bench.rs), as `fa-lab bench --extras` has them.
    const [plain, ...names] = engine.benchWorkloads();
    const times = Object.fromEntries([plain, ...names].map((n) => [n, []]));
    const rounds = Math.min(Math.max(epochs, 3), 7);
    for (let r = 0; r < rounds; r++) {
      for (const n of [plain, ...names]) times[n].push(...(await timeWorkload(engine, n, 1, 1, onEpoch)).epochSeconds);
    }
    result.extras = {};
    for (const n of names) {
      const baseline = engine.benchBaseline(n);
      const [t, base] = [median(times[n]), median(times[baseline])];
      result.extras[n] = { seconds: t, baseline, baselineSeconds: base, overhead: t / base - 1 };
    }
  }
  return result;
}

const fmt = (v, digits) => (v === undefined || v === null ? '—' : v.toFixed(digits));

/** Builds the bench view inside `container`: a Run button and a results table. */
export function renderBench(container, engine) {
  container.replaceChildren();
  const heading = document.createElement('h3');
  heading.textContent = 'Benchmark: one FA epoch of the paper net';
  const lede = document.createElement('p');
  lede.className = 'lede';
  lede.append('Network 225-50-50-50-50-50, batch 1000, 60 steps of the real training step on fixed '
    + 'synthetic data, one thread, in this browser\'s WebAssembly engine '
    + `(${engine.simdEnabled() ? 'with' : 'without'} SIMD). The same code runs natively as `,
  Object.assign(document.createElement('code'), { textContent: 'fa-lab bench' }),
  '; a matching checksum means the same bits.');
  const controls = document.createElement('p');
  const button = document.createElement('button');
  button.type = 'button';
  button.id = 'bench-run';
  button.textContent = 'Run benchmark';
  const extrasLabel = document.createElement('label');
  const extrasBox = document.createElement('input');
  extrasBox.type = 'checkbox';
  extrasBox.id = 'bench-extras';
  extrasLabel.append(extrasBox, ' also time metrics, update angles and the alignment tracker');
  controls.append(button, ' ', extrasLabel);
  const status = document.createElement('p');
  status.id = 'bench-status';
  status.setAttribute('aria-live', 'polite');
  const table = document.createElement('table');
  table.id = 'bench-results';
  table.hidden = true;
  container.append(heading, lede, controls, status, table);

  const row = (cells, tag = 'td') => {
    const tr = document.createElement('tr');
    for (const c of cells) {
      const el = document.createElement(tag);
      el.textContent = c;
      tr.append(el);
    }
    return tr;
  };

  button.onclick = async () => {
    button.disabled = true;
    table.hidden = true;
    status.textContent = 'Running…';
    try {
      const r = await runBench(engine, {
        epochs: 5,
        extras: extrasBox.checked,
        breakdown: true,
        onEpoch: (extra, i, s) => { status.textContent = `Running: ${extra}, epoch ${i + 1}: ${s.toFixed(3)} s`; },
      });
      table.replaceChildren(
        row(['measure', 'value'], 'th'),
        row(['epoch time (median of 5, after 3 untimed warm-up epochs)', `${fmt(r.medianSeconds, 4)} s`]),
        row(['per step', `${fmt(r.msPerStep, 2)} ms`]),
        row(['throughput', `${fmt(r.gflops, 2)} GFLOP/s`]),
        row(['epochs (s)', r.epochSeconds.map((s) => s.toFixed(3)).join(', ')]),
        row(['checksum after 1 epoch', r.checksum]),
      );
      const total = (r.breakdown || []).reduce((a, [, t]) => a + t, 0);
      for (const [kind, t] of r.breakdown || []) {
        table.append(row([`time in ${kind}`, `${fmt(t * 1e3, 1)} ms/epoch (${fmt((100 * t) / total, 1)} %)`]));
      }
      for (const [name, e] of Object.entries(r.extras || {})) {
        table.append(row([`+ ${name} (vs ${e.baseline})`, `+${fmt(100 * e.overhead, 1)} % (${fmt(e.seconds, 4)} s/epoch)`]));
      }
      table.hidden = false;
      status.textContent = 'Done.';
    } catch (e) {
      status.textContent = `The benchmark failed: ${e.message || e}`;
    } finally {
      button.disabled = false;
    }
  };
}
