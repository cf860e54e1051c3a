// The figures view's worker protocol, written once: the pool (pool.js) and
// the worker (worker.js) both make and read their messages with these.
// A job id ties a worker's answers to the run it was given, so the last words
// of a cancelled run are told apart from the next run's.

/** Page → worker. */
export const ToWorker = Object.freeze({
  INIT: 'init',
  RUN: 'run',
  CANCEL: 'cancel',
});

/** Worker → page. */
export const FromWorker = Object.freeze({
  PROGRESS: 'progress',
  DONE: 'done',
  ERROR: 'error',
  FATAL: 'fatal',
});

/** Load the wasm engine and the data (`asset`, the data file's bytes), once per worker. */
export const init = (asset) => ({ type: ToWorker.INIT, asset });
/** Run `spec` (one of `Figure.specs()`) as job `id`. */
export const run = (id, spec) => ({ type: ToWorker.RUN, id, spec });
/** Stop the run under way, between two of its chunks. */
export const cancel = () => ({ type: ToWorker.CANCEL });

/** Job `id` has taken `steps` of its `total` steps. */
export const progress = (id, steps, total) => ({ type: FromWorker.PROGRESS, id, steps, total });
/** Job `id` finished: its `RunResult`. */
export const done = (id, result) => ({ type: FromWorker.DONE, id, result });
/** Job `id` failed; the worker is fine and takes the next run. */
export const error = (id, message) => ({ type: FromWorker.ERROR, id, message });
/** The worker's engine cannot be trusted any more (out of memory, a trap): the pool replaces it. */
export const fatal = (id, message) => ({ type: FromWorker.FATAL, id, message });
