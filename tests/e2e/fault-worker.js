// A test-only stand-in for www/worker.js, served in its place by
// faults.test.mjs (it never ships): the shipped worker, imported unchanged,
// plus one message, {type: 'test-fault', kind: 'throw' | 'oom'}, after which
// the worker's next run fails as a crashing or out-of-memory worker would.
// It changes no number; it only makes a run fail.
import './worker.js?shipped';
import { ToWorker } from './messages.js';

const shipped = self.onmessage;
let fault = null;

self.onmessage = async (event) => {
  const { data } = event;
  if (data.type === 'test-fault') { fault = data.kind; return; }
  if (data.type === ToWorker.RUN && fault) {
    const armed = fault;
    fault = null;
    if (armed === 'throw') {
      // Uncaught, as a bug in the glue would be: the page sees the worker's error event.
      setTimeout(() => { throw new Error('test fault: the worker threw'); });
      return;
    }
    // 'oom': the run's first chunk grows the engine's memory past wasm32's
    // 4 GiB, which fails as an engine out of memory does; the shipped worker
    // reports what it caught. (The engine's init is shared: this waits for
    // the shipped worker's.)
    const engine = await import('./fa-lab.js');
    const { memory } = await engine.default();
    const advance = engine.ExperimentRun.prototype.advance;
    engine.ExperimentRun.prototype.advance = function advanceOutOfMemory(...args) {
      engine.ExperimentRun.prototype.advance = advance;
      memory.grow(65536);
      return advance.apply(this, args);
    };
  }
  shipped(event);
};
