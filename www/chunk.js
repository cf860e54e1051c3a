// How much work one call into the engine does: a chunk that doubles while a
// call stays well inside its time budget and halves when a call overruns it,
// so the main thread (and a worker listening for 'cancel') is never held for
// long, whatever the machine. Used by the asset decoder (app.js), the train
// view (train.js) and the figure workers (worker.js).

export class Chunk {
  /**
   * @param size     the first chunk (steps, bytes)
   * @param growMs   a call faster than this doubles the chunk
   * @param shrinkMs a call slower than this halves it
   * @param min, max the chunk's bounds
   */
  constructor(size, { growMs, shrinkMs, min = 1, max = Infinity }) {
    Object.assign(this, { size, growMs, shrinkMs, min, max });
  }

  /** Adapts the chunk to a call that took `ms`. */
  took(ms) {
    if (ms < this.growMs) this.size = Math.min(this.size * 2, this.max);
    else if (ms > this.shrinkMs && this.size > this.min) this.size = Math.max(this.size >> 1, this.min);
  }

  /** Calls `work(size)` with the current size, adapts to how long it took; returns what `work` returns. */
  time(work) {
    const t0 = performance.now();
    const out = work(this.size);
    this.took(performance.now() - t0);
    return out;
  }
}
