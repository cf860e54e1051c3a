// Registers the service worker (sw.js) that keeps the lab usable offline
// after one visit. The worker's address carries this build's id (FA Lab's
// version and commit, from the engine), so a new release installs a new
// worker, which replaces the old cache. Relative URL and scope: the lab works
// under any path. Where service workers cannot run (an opaque-origin sandbox,
// file://, an old browser) the lab simply stays online-only.

/** Registers sw.js for `build`; resolves to whether the page is now controlled by it. */
export async function keepOffline(build) {
  if (!('serviceWorker' in navigator)) return false;
  try {
    const registration = await navigator.serviceWorker.register(`sw.js?build=${encodeURIComponent(build)}`, { scope: './' });
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((ok) => navigator.serviceWorker.addEventListener('controllerchange', ok, { once: true }));
    }
    return Boolean(registration.active);
  } catch (e) {
    console.info(`FA Lab works online only here: ${(e && e.message) || e}`);
    return false;
  }
}
