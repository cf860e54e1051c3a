// A Web Worker that runs experiment runs (one at a time) with its own copy
// of the wasm engine and the data. Messages in: {type: 'init', asset} then
// {type: 'run', spec}. Messages out: {type: 'progress', steps, total},
// {type: 'done', result} or {type: 'error', message}.

const CHUNK_MS = 100; // report progress about this often

let ready = null;

async function init(asset) {
  const engine = await import('./fa-lab.js');
  await engine.default();
  return { engine, lab: new engine.Lab(new Uint8Array(asset)) };
}

function run({ engine, lab }, spec) {
  const state = new engine.ExperimentRun(lab, spec);
  try {
    let steps = 8;
    for (;;) {
      const t0 = performance.now();
      const result = state.advance(steps);
      if (result !== undefined) {
        postMessage({ type: 'done', result });
        return;
      }
      postMessage({ type: 'progress', steps: state.steps(), total: state.totalSteps() });
      const ms = performance.now() - t0;
      if (ms < CHUNK_MS / 2) steps *= 2;
      else if (ms > CHUNK_MS * 2 && steps > 1) steps >>= 1;
    }
  } finally {
    state.free();
  }
}

onmessage = async ({ data }) => {
  try {
    if (data.type === 'init') {
      ready = init(data.asset);
      await ready;
    } else if (data.type === 'run') {
      run(await ready, data.spec);
    }
  } catch (e) {
    postMessage({ type: 'error', message: (e && e.message) || String(e) });
  }
};
