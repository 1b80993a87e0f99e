// DOM helpers shared by every view. The CSP allows no inline script or style, so every element is built with
// the DOM API and never from HTML strings.

export const $ = (sel) => document.querySelector(sel);

/** h('a', {href: '#/'}, 'text', child…): attributes as properties except aria-*, data-*, for, role and scope. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k.startsWith('aria-') || k.startsWith('data-') || k === 'for' || k === 'role' || k === 'scope') {
      el.setAttribute(k, v === true ? '' : String(v));
    } else el[k] = v;
  }
  append(el, children);
  return el;
}

/** Appends nodes, strings and (nested) arrays of them; null, undefined and false are skipped. */
export function append(el, ...children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, ...children);
}

/* ---------- page-wide alert and announcements (the #alert and #live elements of index.html) ---------- */

export function showError(err) {
  const alert = $('#alert');
  const code = err?.code ? `${err.code}: ` : '';
  replace(
    alert,
    h('p', {}, h('strong', {}, 'Error. '), code, err?.message ?? String(err)),
    h('button', { type: 'button', class: 'link', on: { click: clearError } }, 'Dismiss'),
  );
  alert.hidden = false;
}

export function clearError() {
  const alert = $('#alert');
  alert.hidden = true;
  alert.replaceChildren();
}

export function announce(text) {
  const live = $('#live');
  live.textContent = '';
  // a fresh text node after a tick so repeated messages are read again
  setTimeout(() => {
    live.textContent = text;
  }, 50);
}

/* ---------- building blocks the views share ---------- */

export const jobHref = (id) => `#/jobs/${encodeURIComponent(id)}`;
export const projectHref = (id) => `#/projects/${encodeURIComponent(id)}`;

/** Where the queue view keeps its address (sessionStorage): a page's "← Queue" goes back to its filters. */
export const QUEUE_KEY = 'verity.queue';

/** The queue's last address in this tab, if it is one (else the queue unfiltered). */
function queueAddress() {
  const a = sessionStorage.getItem(QUEUE_KEY) ?? '';
  return /^#\/(\?[^\s]*)?$/.test(a) && a.length <= 2000 ? a : '#/';
}

/** The "← Queue" breadcrumb above a detail page: back to the queue as it was filtered. */
export const crumbs = () => h('p', { class: 'crumbs' }, h('a', { href: queueAddress() }, '← Queue'));

/** A section titled by an h2 it is labelled by. */
export const section = (titleId, title, ...children) =>
  h('section', { 'aria-labelledby': titleId }, h('h2', { id: titleId }, title), ...children);

/** A table with a caption and a header row of column names. */
export const table = (attrs, caption, columns, tbody) =>
  h(
    'table',
    attrs,
    h('caption', {}, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map((c) => h('th', { scope: 'col' }, c)),
      ),
    ),
    tbody,
  );

export const button = (label, cls) => h('button', { type: 'button', class: cls }, label);

/** A labelled group of action buttons. */
export const actions = (label, ...buttons) =>
  h('div', { class: 'actions', role: 'group', 'aria-label': label }, ...buttons);

/** A hidden report section; show(heading, value, link) fills it with the value as JSON and reveals it. */
export function reportPanel(titleId) {
  const el = h('section', { class: 'report', 'aria-labelledby': titleId, hidden: true });
  const show = (heading, value, link) => {
    replace(el, h('h2', { id: titleId }, heading), link ?? null, h('pre', {}, JSON.stringify(value, null, 2)));
    el.hidden = false;
  };
  return { el, show };
}

/**
 * Wires a button to an action: clears the alert, marks the button busy while fn runs, hands a failure to
 * onError (the alert by default), then runs after() (a reload) whatever happened. Errors of after() are dropped.
 */
export function onAction(btn, fn, { onError = showError, after = async () => {} } = {}) {
  btn.addEventListener('click', async () => {
    clearError();
    btn.setAttribute('aria-busy', 'true');
    try {
      await fn();
    } catch (err) {
      onError(err);
    } finally {
      btn.removeAttribute('aria-busy');
    }
    await after().catch(() => {});
  });
}

/** fn, at most once per ms, after the last call; nothing once signal aborts. Errors of fn are dropped. */
export function debounce(signal, ms, fn) {
  let timer = null;
  signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  return () => {
    clearTimeout(timer);
    timer = setTimeout(() => fn().catch(() => {}), ms);
  };
}

/** Runs fn every ms until signal aborts. Errors of fn are dropped. */
export function every(signal, ms, fn) {
  const timer = setInterval(() => fn().catch(() => {}), ms);
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
}
