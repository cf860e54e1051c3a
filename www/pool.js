// The figures view's Web Workers (worker.js): created once, each loading the
// wasm and the data once, and reused by every figure's runs. A worker that
// throws or runs out of memory is replaced; its run is reported and the
// others go on. Messages are messages.js's.

import * as msg from './messages.js';

export const MAX_WORKERS = 4;

export class WorkerPool {
  constructor(bytes, size) {
    this.bytes = bytes;
    this.loads = 0;        // workers started (each loads the wasm and the data once)
    this.replaced = 0;
    this.nextJob = 1;
    this.batch = null;
    this.slots = Array.from({ length: size }, () => this.spawn());
  }

  spawn() {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    const slot = { worker, job: null };
    worker.onmessage = ({ data }) => this.message(slot, data);
    worker.onerror = (e) => {
      e.preventDefault();
      this.replace(slot, `the worker failed: ${e.message || 'an uncaught error'}`);
    };
    worker.postMessage(msg.init(this.bytes));
    this.loads++;
    return slot;
  }

  /**
   * Runs every spec; calls back on progress, on each result and on each
   * failed run (with the spec's index). Resolves when every run is over, or
   * at once when `signal` aborts (the runs stop; the workers stay).
   */
  runAll(specs, { onProgress, onResult, onError }, signal) {
    this.cancel();
    return new Promise((resolve) => {
      if (signal?.aborted) { resolve(); return; }
      const batch = { queue: specs.map((spec, i) => ({ spec, i })), handlers: { onProgress, onResult, onError }, running: 0, resolve };
      signal?.addEventListener('abort', () => { if (this.batch === batch) this.cancel(); resolve(); }, { once: true });
      this.batch = batch;
      this.dispatch();
    });
  }

  /** Stops the current runs; the workers stay, ready for the next. */
  cancel() {
    for (const slot of this.slots) {
      if (slot.job) { slot.worker.postMessage(msg.cancel()); slot.job = null; }
    }
    this.batch = null;
  }

  dispatch() {
    const batch = this.batch;
    if (!batch) return;
    for (const slot of this.slots) {
      if (slot.job || !batch.queue.length) continue;
      const job = { ...batch.queue.shift(), id: this.nextJob++, batch };
      slot.job = job;
      batch.running++;
      slot.worker.postMessage(msg.run(job.id, job.spec));
    }
    if (!batch.running && !batch.queue.length) { this.batch = null; batch.resolve(); }
  }

  /** The slot's job is over (finished or failed): free the slot, go on. */
  release(slot) {
    const job = slot.job;
    slot.job = null;
    if (job && job.batch === this.batch) job.batch.running--;
    this.dispatch();
  }

  message(slot, data) {
    const job = slot.job;
    if (data.type === msg.FromWorker.FATAL && !job) { this.replace(slot, data.message); return; }
    if (!job || data.id !== job.id) return;   // a cancelled run's last words
    const h = job.batch.handlers;
    switch (data.type) {
      case msg.FromWorker.PROGRESS: h.onProgress(job.i, data.steps, data.total); break;
      case msg.FromWorker.DONE: h.onResult(job.i, data.result); this.release(slot); break;
      case msg.FromWorker.ERROR: h.onError(job.i, data.message); this.release(slot); break;
      case msg.FromWorker.FATAL: this.replace(slot, data.message); break;
      default: break;
    }
  }

  /**
   * A worker that crashed or ran out of memory: report its run, start a fresh
   * worker in its place — up to a limit, so workers that cannot start at all
   * (a missing file) end the runs with a message instead of respawning forever.
   */
  replace(slot, message) {
    const job = slot.job;
    slot.worker.terminate();
    this.replaced++;
    const index = this.slots.indexOf(slot);
    if (this.replaced <= 4 * MAX_WORKERS) this.slots[index] = this.spawn();
    else this.slots.splice(index, 1);
    if (job && job.batch === this.batch) {
      job.batch.handlers.onError(job.i, message);
      job.batch.running--;
    }
    slot.job = null;
    if (!this.slots.length && this.batch) {
      const batch = this.batch;
      for (const queued of batch.queue.splice(0)) batch.handlers.onError(queued.i, `no worker left to run it (${message})`);
    }
    this.dispatch();
  }
}
