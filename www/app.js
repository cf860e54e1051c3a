// FA Lab page glue: load the wasm engine and the data, hand canvases to Rust.
// No math here; every number and every plot comes from the Rust core.

const DATA_URL = 'data/mnist15.bin';
const DIGITS_PER_PAGE = 24;
const HEADER_BYTES = 32;

// A minimal module using one simd128 instruction: validates only where SIMD is supported.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0,
  10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

const $ = (id) => document.getElementById(id);

function setState(state) {
  document.body.dataset.state = state;
}

function showStatus(text, fraction) {
  $('status').hidden = false;
  $('status-text').textContent = text;
  const bar = $('progress');
  if (fraction === undefined) bar.removeAttribute('value');
  else bar.value = fraction;
}

function fail(message, retry) {
  setState('error');
  $('status').hidden = true;
  $('error').hidden = false;
  $('error-text').textContent = message;
  const button = $('retry');
  button.hidden = !retry;
  button.onclick = () => {
    $('error').hidden = true;
    retry();
  };
}

// Downloads the asset, reporting progress from its own header (the first 32
// bytes announce the full size) or from Content-Length.
async function fetchAsset(engine, onProgress) {
  const response = await fetch(DATA_URL, { cache: 'no-cache' });
  if (!response.ok) throw new Error(`the server answered ${response.status} ${response.statusText} for ${DATA_URL}`);
  const reader = response.body.getReader();
  let total = Number(response.headers.get('Content-Length')) || 0;
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    if (!total && received >= HEADER_BYTES) {
      const head = concat(chunks, received).subarray(0, HEADER_BYTES);
      try { total = engine.assetExpectedBytes(head); } catch { total = 0; }
    }
    onProgress(received, total);
  }
  return concat(chunks, received);
}

function concat(chunks, length) {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const c of chunks) { out.set(c, offset); offset += c.length; }
  return out;
}

function mib(bytes) {
  return (bytes / (1 << 20)).toFixed(1);
}

async function boot() {
  setState('loading');
  showStatus('Loading the engine…');
  if (typeof WebAssembly !== 'object' || !WebAssembly.validate(SIMD_PROBE)) {
    fail('This browser cannot run FA Lab: it needs WebAssembly with SIMD (Chrome/Edge 91+, Firefox 89+, Safari 16.4+).', null);
    return;
  }
  let engine;
  try {
    engine = await import('./fa-lab.js');
    await engine.default();
  } catch (e) {
    fail(`The lab's engine (WebAssembly) did not load: ${e.message || e}`, boot);
    return;
  }
  $('simd-badge').textContent = engine.simdEnabled() ? 'with SIMD (simd128)' : 'without SIMD';

  let bytes;
  try {
    bytes = await fetchAsset(engine, (got, total) => showStatus(
      total ? `Downloading MNIST: ${mib(got)} of ${mib(total)} MB` : `Downloading MNIST: ${mib(got)} MB`,
      total ? Math.min(got / total, 1) : undefined));
  } catch (e) {
    fail(`Could not download the data (${DATA_URL}): ${e.message || e}`, boot);
    return;
  }

  showStatus('Decoding…');
  let lab;
  try {
    lab = new engine.Lab(bytes);
  } catch (e) {
    fail(`The data file is damaged or incomplete — ${e.message || e}. Retrying downloads it again.`, boot);
    return;
  }
  // For the console and the end-to-end tests: the engine and the loaded data.
  window.faLab = { engine, lab };
  showData(lab);
}

function showData(lab) {
  $('status').hidden = true;
  $('data-view').hidden = false;
  $('data-counts').textContent =
    `${lab.nTrain().toLocaleString('en')} training and ${lab.nTest().toLocaleString('en')} test images`;
  let first = 0;
  const drawPage = () => {
    try {
      lab.drawDigits($('digits'), first, DIGITS_PER_PAGE, 12);
      $('digit-range').textContent = `${first}–${first + DIGITS_PER_PAGE - 1}`;
      $('digit-labels').textContent = Array.from(lab.trainLabels(first, DIGITS_PER_PAGE)).join(' ');
    } catch (e) {
      fail(`Drawing the digits failed: ${e.message || e}`, drawPage);
    }
  };
  $('next-digits').onclick = () => {
    first = (first + DIGITS_PER_PAGE) % (lab.nTrain() - DIGITS_PER_PAGE);
    drawPage();
  };
  drawPage();
  try {
    lab.drawHistogram($('histogram'));
  } catch (e) {
    fail(`Drawing the histogram failed: ${e.message || e}`, null);
    return;
  }
  setState('ready');
}

boot();
