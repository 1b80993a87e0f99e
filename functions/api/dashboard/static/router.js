// The router: the hash names the view (#/, #/jobs/{id}, #/projects, #/projects/{id}, #/health, #/webhooks); each
// view runs until the next route aborts its signal. Also the session's part of the page: sign-in form, who is
// signed in, sign-out.
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

function stopCurrent() {
  current?.abort();
  current = null;
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

export function route() {
  stopCurrent();
  renderSession();
  if (!session.token) {
    replace($('#view'));
    return;
  }
  current = new AbortController();
  const hash = location.hash.replace(/^#/, '') || '/';
  const view = $('#view');
  view.replaceChildren();
  const found = ROUTES.map(([re, render]) => [re.exec(hash), render]).find(([m]) => m);
  if (found) found[1](view, current.signal, found[0][1] === undefined ? undefined : decodeURIComponent(found[0][1]));
  else queueView(view, current.signal);
  const h1 = view.querySelector('h1');
  if (h1 && document.activeElement !== document.body && document.activeElement !== null) {
    h1.tabIndex = -1;
    h1.focus();
  }
}
