// Verity dashboard: plain ES modules, no build step, served by the API under a strict CSP (see
// functions/api/dashboard/serve.ts, which lists every file). This entry wires the page's fixed controls to the router.
//   session.js      the bearer token          api-client.js  JSON calls, ApiError, the streams' paths
//   sse.js          event streams + polling   router.js      hash → view, sign-in and sign-out
//   dom.js          h(), alerts, shared parts format.js      times, durations, badges
//   charts.js       accessible SVG bar charts with their data as a table
//   view-queue.js, view-job.js (+ view-diagnosis.js), view-project.js, view-projects.js, view-health.js,
//   view-subscriptions.js (+ view-deliveries.js): one module per page
import { $, announce, clearError } from './dom.js';
import { route, signOut } from './router.js';
import { session, tokenSubject } from './session.js';

function boot() {
  $('#signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const raw = $('#token')
      .value.trim()
      .replace(/^Bearer\s+/i, '');
    if (!raw) return;
    session.token = raw;
    $('#token').value = '';
    clearError();
    announce(`Signed in as ${tokenSubject(raw) ?? 'unknown user'}`);
    route();
  });
  $('#sign-out').addEventListener('click', () => {
    clearError();
    signOut();
    announce('Signed out');
  });
  window.addEventListener('hashchange', () => {
    clearError();
    route();
  });
  route();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
