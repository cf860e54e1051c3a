// A Web Worker of the figures view's pool (pool.js): loads the wasm engine and
// the data once, then runs experiment runs one at a time, for as long as the
// page lives. Its messages are messages.js's.

import * as msg from './messages.js';
import { Chunk } from './chunk.js';

const CHUNK_MS = 100; // report progress (and listen for 'cancel') about this often

let ready = null;
let current = null;   // id of the run under way; another value stops it

async function init(asset) {
  const engine = await import('./fa-lab.js');
  await engine.default();
  return { engine, lab: new engine.Lab(new Uint8Array(asset)) };
}

// Lets queued messages ('cancel', a new 'run') in between chunks.
const channel = new MessageChannel();
let resume = null;
channel.port1.onmessage = () => resume();
const yieldToMessages = () => new Promise((ok) => { resume = ok; channel.port2.postMessage(0); });

/** Errors after which the wasm instance is not to be trusted. */
const isFatal = (e) => e instanceof RangeError || e instanceof WebAssembly.RuntimeError || /memory/i.test(String(e && e.message));

async function run({ engine, lab }, id, spec) {
  current = id;
  const state = new engine.ExperimentRun(lab, spec);
  try {
    const chunk = new Chunk(8, { growMs: CHUNK_MS / 2, shrinkMs: CHUNK_MS * 2 });
    for (;;) {
      const result = chunk.time((steps) => state.advance(steps));
      if (result !== undefined) { postMessage(msg.done(id, result)); return; }
      postMessage(msg.progress(id, state.steps(), state.totalSteps()));
      await yieldToMessages();
      if (current !== id) return;
    }
  } finally {
    state.free();
  }
}

onmessage = async ({ data }) => {
  if (data.type === msg.ToWorker.INIT) { ready = init(data.asset); ready.catch(() => {}); return; }
  if (data.type === msg.ToWorker.CANCEL) { current = null; return; }
  if (data.type !== msg.ToWorker.RUN) return;
  try {
    await run(await ready, data.id, data.spec);
  } catch (e) {
    const message = (e && e.message) || String(e);
    postMessage(isFatal(e) ? msg.fatal(data.id, `the worker ran out of memory or trapped: ${message}`) : msg.error(data.id, message));
  }
};
