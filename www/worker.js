// A Web Worker of the figures view's pool: loads the wasm engine and the data
// once, then runs experiment runs one at a time, for as long as the page lives.
// Messages in:  {type: 'init', asset}, {type: 'run', id, spec}, {type: 'cancel'},
//               {type: 'test-fault', kind: 'throw' | 'oom'} (end-to-end tests only:
//               the next run fails as a crashing or out-of-memory worker would;
//               it changes no number, it only makes a run fail).
// Messages out: {type: 'progress', id, steps, total}, {type: 'done', id, result},
//               {type: 'error', id, message} (the run failed, the worker is fine),
//               {type: 'fatal', id, message} (the engine cannot be trusted any more:
//               out of memory or a trap; the page replaces this worker).

const CHUNK_MS = 100; // report progress (and listen for 'cancel') about this often

let ready = null;
let current = null;   // id of the run under way; another value stops it
let fault = null;

async function init(asset) {
  const engine = await import('./fa-lab.js');
  const wasm = await engine.default();
  return { engine, wasm, lab: new engine.Lab(new Uint8Array(asset)) };
}

// Lets queued messages ('cancel', a new 'run') in between chunks.
const channel = new MessageChannel();
let resume = null;
channel.port1.onmessage = () => resume();
const yieldToMessages = () => new Promise((ok) => { resume = ok; channel.port2.postMessage(0); });

/** Errors after which the wasm instance is not to be trusted. */
const isFatal = (e) => e instanceof RangeError || e instanceof WebAssembly.RuntimeError || /memory/i.test(String(e && e.message));

async function run({ engine, wasm, lab }, id, spec) {
  current = id;
  const armed = fault;
  fault = null;
  if (armed === 'throw') {
    // Uncaught, as a bug in the glue would be: the page sees the worker's error event.
    setTimeout(() => { throw new Error('test fault: the worker threw'); });
    return;
  }
  if (armed === 'oom') wasm.memory.grow(65536); // past wasm32's 4 GiB: fails as an out-of-memory worker does
  const state = new engine.ExperimentRun(lab, spec);
  try {
    let steps = 8;
    for (;;) {
      const t0 = performance.now();
      const result = state.advance(steps);
      if (result !== undefined) { postMessage({ type: 'done', id, result }); return; }
      postMessage({ type: 'progress', id, steps: state.steps(), total: state.totalSteps() });
      const ms = performance.now() - t0;
      if (ms < CHUNK_MS / 2) steps *= 2;
      else if (ms > CHUNK_MS * 2 && steps > 1) steps >>= 1;
      await yieldToMessages();
      if (current !== id) return;
    }
  } finally {
    state.free();
  }
}

onmessage = async ({ data }) => {
  if (data.type === 'init') { ready = init(data.asset); ready.catch(() => {}); return; }
  if (data.type === 'cancel') { current = null; return; }
  if (data.type === 'test-fault') { fault = data.kind; return; }
  if (data.type !== 'run') return;
  try {
    await run(await ready, data.id, data.spec);
  } catch (e) {
    const message = (e && e.message) || String(e);
    if (isFatal(e)) postMessage({ type: 'fatal', id: data.id, message: `the worker ran out of memory or trapped: ${message}` });
    else postMessage({ type: 'error', id: data.id, message });
  }
};
