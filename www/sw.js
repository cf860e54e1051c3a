// FA Lab's service worker: after one visit, the lab (page, engine, data and
// any stored results under its path) works without a network.
//
// Network first, cache as fallback: online, every request goes to the server
// (so a new release is seen at once) and a good answer refreshes the cache;
// offline, the cached copy answers. The cache is named after the build
// (`sw.js?build=<version>+<commit>`, set by offline.js); activating a new
// build deletes the caches of older ones.

const BUILD = new URL(self.location.href).searchParams.get('build') || 'unversioned';
const CACHE = `fa-lab-${BUILD}`;
const PREFIX = 'fa-lab-';
// The app shell, the engine and the data: everything a reload needs offline —
// every file of dist/ (tests/e2e/hosting.test.mjs checks that none is missing).
const SHELL = ['./', 'index.html', 'style.css', 'app.js', 'ui.js', 'read.js', 'train.js', 'figures.js', 'pool.js', 'messages.js',
  'chunk.js', 'worker.js', 'bench.js', 'panels.js', 'readout.js', 'a11y.js', 'offline.js', 'sw.js', 'fa-lab.js', 'fa-lab_bg.wasm',
  'data/mnist15.bin',
  // The stored paper-preset results (www/stored/, written by `fa-lab store`).
  'stored/fig2b.json', 'stored/fig3.json', 'stored/fig4.json', 'stored/fig5.json', 'stored/fig6.json',
  'stored/fig7.json', 'stored/rules.json', 'stored/feedback.json'];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // Revalidated with the server, so the shell is this build's, not an HTTP-cached older one.
    await cache.addAll(SHELL.map((url) => new Request(url, { cache: 'no-cache' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

const scope = new URL(self.registration.scope);

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const response = await fetch(request);
      if (response.status === 200 && response.type === 'basic') event.waitUntil(cache.put(request, response.clone()));
      return response;
    } catch (offline) {
      const cached = await cache.match(request, { ignoreVary: true })
        || (request.mode === 'navigate' ? await cache.match('./') : undefined);
      if (cached) return cached;
      throw offline;
    }
  })());
});
