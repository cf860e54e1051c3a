// Announcements for screen readers, polite and throttled: the page's status
// lines change several times a second while a run trains; announcing each
// change would drown the reader. At most one announcement every few seconds
// (the latest text wins); `now` announces at once (a finished run, a saved file).

const INTERVAL_MS = 5000;

let region = null;
let last = 0;
let pending = null;
let timer = 0;

/** The page's polite live region `id` (made, visually hidden, on first use). */
export function politeRegion(id) {
  let el = document.getElementById(id);
  if (!el) {
    el = Object.assign(document.createElement('div'), { id, className: 'visually-hidden' });
    el.setAttribute('role', 'status');
    el.setAttribute('aria-live', 'polite');
    document.body.append(el);
  }
  return el;
}

function liveRegion() {
  region ||= politeRegion('announcer');
  return region;
}

function speak(text) {
  last = performance.now();
  pending = null;
  liveRegion().textContent = text;
}

/**
 * Announces `text` politely: at once with `now`, else at most once per
 * interval (and not again when it is what was said last).
 */
export function announce(text, { now = false } = {}) {
  if (!text) return;
  if (now) { clearTimeout(timer); timer = 0; speak(text); return; }
  if (text === liveRegion().textContent && !pending) return;
  pending = text;
  const wait = last + INTERVAL_MS - performance.now();
  if (wait <= 0 && !timer) { speak(text); return; }
  if (!timer) {
    timer = setTimeout(() => { timer = 0; if (pending) speak(pending); }, Math.max(wait, 0));
  }
}

/**
 * Announces the text of each element in `ids` when it changes, throttled.
 * What is worth announcing at once (a run that ended) the views say
 * themselves, with `announce(text, {now: true})`, when their state changes.
 */
export function announceChanges(ids) {
  for (const id of ids) {
    const el = document.getElementById(id);
    if (!el) continue;
    new MutationObserver(() => {
      const text = el.textContent.trim();
      if (text && !el.closest('[hidden]')) announce(text);
    }).observe(el, { childList: true, characterData: true, subtree: true });
  }
}

/** Whether the reader asked for less motion (live plots then redraw less often). */
export const reducedMotion = () => matchMedia('(prefers-reduced-motion: reduce)').matches;
