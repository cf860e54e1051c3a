// Small helpers shared by the page's views: element lookup, fetching, messages, copy,
// and a form read and filled by its fields' names — the names are link keys,
// and the core (src/form.rs) turns fields into links and links into fields.

export const $ = (id) => document.getElementById(id);
export const errorText = (e) => (e && e.message) || String(e);

/** Resolves in a task of its own (a message to itself: not throttled like a timer in a hidden tab). */
export function nextTask() {
  return new Promise((ok) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => ok();
    channel.port2.postMessage(null);
  });
}

/** `fetch(url, init)`, throwing a message that names the server's answer unless it is OK. */
export async function fetchOk(url, init) {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`the server answered ${response.status} ${response.statusText} for ${url}`);
  return response;
}

/** A message inside a view (a bad link, a diverged run): the view stays usable. */
export function say(id, text, bad = false) {
  const el = $(id);
  el.textContent = text || '';
  el.classList.toggle('bad', bad);
}

export async function copyText(text, messageId) {
  try {
    await navigator.clipboard.writeText(text);
    say(messageId, 'Link copied.');
  } catch {
    say(messageId, `Copy this link: ${text}`);
  }
}

/**
 * Under a link of an older version: the core's note (it shows what it showed,
 * and what changed since) and a link to the same settings with today's
 * defaults and presets. Hidden for a current link.
 */
export function showOlderLink(el, note, href, summary = null) {
  el.hidden = !note;
  if (!note) return;
  const open = Object.assign(document.createElement('a'), { href, textContent: "Open it with today's defaults and presets" });
  if (!summary) { el.replaceChildren(`${note} `, open, '.'); return; }
  // One line that opens to the note (an embed keeps its room for the panel).
  const details = document.createElement('details');
  const p = document.createElement('p');
  p.append(`${note} `, open, '.');
  details.append(Object.assign(document.createElement('summary'), { textContent: summary }), p);
  el.replaceChildren(details);
}

/**
 * Hides the controls a teacher's link hides (`hidden`: the core's
 * `hiddenControls`, `{fields, note}`; null shows them all) and says so in
 * `noteEl`. The fields keep their values, so the link the form makes keeps them.
 */
export function applyHidden(form, noteEl, hidden) {
  for (const label of form.querySelectorAll('[data-link-hidden]')) { label.hidden = false; delete label.dataset.linkHidden; }
  for (const name of hidden?.fields || []) {
    const label = form.elements[name]?.closest('label');
    if (label) { label.hidden = true; label.dataset.linkHidden = '1'; }
  }
  noteEl.textContent = hidden?.note || '';
  noteEl.hidden = !hidden?.note;
}

/** The iframe that embeds the figure (or panel) link `query` in course notes, titled `title`. */
export function embedCode(query, title) {
  const safe = `FA Lab: ${title}`.replace(/[<>&"]/g, '');
  return `<iframe src="${location.origin}${location.pathname}#/embed?${query}" ` +
    `width="600" height="480" style="border:0;max-width:100%" title="${safe}" ` +
    'sandbox="allow-scripts allow-same-origin allow-downloads" loading="lazy"></iframe>';
}

/** Fills a `<select>` with the core's choices `[{value, label}]`. */
export function fillSelect(select, choices) {
  select.replaceChildren(...choices.map(({ value, label }) => new Option(label, value)));
}

/**
 * A form whose named inputs are fields. Fields the form has no input for (a
 * key a newer link carries) are kept as they came and listed read-only in
 * `keptEl`, so submitting the form gives them back unchanged.
 */
export class FieldForm {
  constructor(form, keptEl) {
    this.form = form;
    this.keptEl = keptEl;
    this.kept = {};
  }

  inputs() {
    return [...this.form.elements].filter((el) => el.name && !el.disabled && el.type !== 'submit' && el.type !== 'button');
  }

  fill(fields) {
    this.kept = {};
    const names = new Set(this.inputs().map((el) => el.name));
    for (const [name, value] of Object.entries(fields)) {
      if (!names.has(name)) { this.kept[name] = value; continue; }
      const el = this.form.elements[name];
      if (el.type === 'checkbox') el.checked = value === '1';
      else el.value = value;
    }
    this.showKept();
  }

  read() {
    const fields = { ...this.kept };
    for (const el of this.inputs()) fields[el.name] = el.type === 'checkbox' ? (el.checked ? '1' : '0') : el.value;
    return fields;
  }

  showKept() {
    if (!this.keptEl) return;
    const entries = Object.entries(this.kept);
    this.keptEl.hidden = entries.length === 0;
    this.keptEl.querySelector('code').textContent = entries.map(([k, v]) => `${k}=${v}`).join(' & ');
  }
}
