// The router: the hash names the view and its filters (#/?status=failed&type=render, #/jobs/{id}, #/projects,
// #/projects/{id}, #/health, #/webhooks), so an address can be shared and back and forward restore a filter. Each
// view runs until the next route aborts its signal. A view gets {query, pushQuery} (its part of the address, and
// the way to change it); one that follows its query (it returns {onQuery}) is given a new one in place when only
// the query changed (no re-render, focus stays). Also the session's part of the
// page: sign-in form, who is signed in, sign-out.
import { UNAUTHORIZED } from './api-client.js';
import { $, replace, showError } from './dom.js';
import { session, tokenSubject } from './session.js';
import { jobView } from './view-job.js';
import { healthView } from './view-health.js';
import { projectView } from './view-project.js';
import { projectsView } from './view-projects.js';
import { queueView } from './view-queue.js';
import { subscriptionsView } from './view-subscriptions.js';

const ROUTES = [
  [/^\/jobs\/([^/]+)$/, jobView],
  [/^\/projects\/([^/]+)$/, projectView],
  [/^\/projects$/, projectsView],
  [/^\/health$/, healthView],
  [/^\/webhooks$/, subscriptionsView],
];

let current = null; // the AbortController of the view on screen
let routed = { path: null, query: '', onQuery: null }; // what it shows, and how it takes a new query

/** The hash as a path and a query: `#/?status=failed` → {path: '/', query: URLSearchParams('status=failed')}. */
export function parseHash(hash = location.hash) {
  const raw = hash.replace(/^#/, '') || '/';
  const i = raw.indexOf('?');
  return { path: (i < 0 ? raw : raw.slice(0, i)) || '/', query: new URLSearchParams(i < 0 ? '' : raw.slice(i + 1)) };
}

/** The hash of a path and a query (none when the query is empty). */
export const hashOf = (path, query) => {
  const q = query.toString();
  return `#${path}${q ? `?${q}` : ''}`;
};

/**
 * The view on screen changed its own query (a filter): a new history entry, so back restores the one before
 * (`replace`: the same entry, for a correction of the address). No hashchange follows a pushState: nothing re-renders.
 */
function pushQuery(query, { replace: same = false } = {}) {
  if (routed.path === null) return;
  const next = hashOf(routed.path, query);
  routed.query = query.toString();
  if (next === (location.hash || '#/')) return;
  if (same) history.replaceState(history.state, '', next);
  else history.pushState(null, '', next);
}

function stopCurrent() {
  current?.abort();
  current = null;
  routed = { path: null, query: '', onQuery: null };
}

export function renderSession() {
  const token = session.token;
  $('#session').hidden = !token;
  $('#signin').hidden = !!token;
  $('#who').textContent = token ? `Signed in as ${tokenSubject(token) ?? 'unknown user'}` : '';
}

export function signOut(err) {
  session.token = null;
  stopCurrent();
  renderSession();
  replace($('#view'));
  $('#signin').hidden = false;
  if (err) showError(err);
  $('#token').focus();
}

window.addEventListener(UNAUTHORIZED, (e) => signOut(e.detail));
// back and forward between entries of one view (pushQuery's) fire popstate; a hashchange may follow: route()
// is the same for both, and does nothing when the address is what is on screen
window.addEventListener('popstate', () => route());

export function route() {
  const { path, query } = parseHash();
  if (current && session.token && routed.path === path && routed.onQuery) {
    if (query.toString() !== routed.query) {
      routed.query = query.toString();
      routed.onQuery(query);
    }
    return;
  }
  stopCurrent();
  renderSession();
  if (!session.token) {
    replace($('#view'));
    return;
  }
  current = new AbortController();
  const view = $('#view');
  view.replaceChildren();
  routed = { path, query: query.toString(), onQuery: null };
  const nav = { query, pushQuery };
  const found = ROUTES.map(([re, render]) => [re.exec(path), render]).find(([m]) => m);
  const shown = found
    ? found[1](view, current.signal, found[0][1] === undefined ? undefined : decodeURIComponent(found[0][1]), nav)
    : queueView(view, current.signal, undefined, nav);
  if (typeof shown?.onQuery === 'function') routed.onQuery = shown.onQuery;
  const h1 = view.querySelector('h1');
  if (h1 && document.activeElement !== document.body && document.activeElement !== null) {
    h1.tabIndex = -1;
    h1.focus();
  }
}
