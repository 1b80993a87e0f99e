// Verity dashboard: vanilla ES module, no build step. Served by the API at /app.js under a strict CSP
// (no inline scripts or styles), so every element is built with the DOM API and never from HTML strings.

const TOKEN_KEY = 'verity.token';
const POLL_MS = 3000;
const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled'];
const TERMINAL = new Set(['succeeded', 'failed', 'canceled']);
const KNOWN_TYPES = ['demo-render', 'external'];

/* ---------- small helpers ---------- */

const $ = (sel) => document.querySelector(sel);

/** h('a', {href: '#/'}, 'text', child…): attributes as properties except aria-*, data-*, for and class. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k.startsWith('aria-') || k.startsWith('data-') || k === 'for' || k === 'role' || k === 'scope') el.setAttribute(k, v === true ? '' : String(v));
    else el[k] = v;
  }
  append(el, children);
  return el;
}

/** Appends nodes, strings and (nested) arrays of them; null, undefined and false are skipped. */
function append(el, ...children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const replace = (el, ...children) => {
  el.replaceChildren();
  return append(el, ...children);
};

const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

const timeEl = (iso) => (iso ? h('time', { dateTime: iso }, fmtTime(iso)) : '—');

function fmtSeconds(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  const n = Math.max(0, Math.round(s));
  return n >= 60 ? `${Math.floor(n / 60)} min ${n % 60} s` : `${n} s`;
}

/** The badge class of a status reason: evidence-based recoveries and corrections stand out. */
function reasonClass(reason, source) {
  if (!reason) return 'normal';
  if (reason === 'LATE_OUTPUT' || reason === 'OUTPUT_ALREADY_PRESENT') return 'recovered';
  if (reason === 'OUTPUT_FOUND') return !source || ['gcs', 'read', 'sweep', 'reconcile'].includes(source) ? 'recovered' : 'normal';
  if (reason.endsWith('_TIMEOUT') || reason === 'EXECUTOR_LOST' || reason === 'OUTPUT_MISSING') return 'corrected';
  return 'normal';
}

const REASON_TITLES = {
  recovered: 'recovered from evidence',
  corrected: 'corrected: the job stopped answering',
};

function reasonBadge(reason, source) {
  if (!reason) return h('span', { class: 'muted' }, '—');
  const cls = reasonClass(reason, source);
  return h('span', { class: `badge reason-${cls}`, title: REASON_TITLES[cls] ?? '' }, reason, cls !== 'normal' ? h('span', { class: 'visually-hidden' }, ` (${REASON_TITLES[cls]})`) : null);
}

const statusBadge = (status) => h('span', { class: `badge status-${status}` }, status ?? '—');

/* ---------- session, alerts, announcements ---------- */

const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set token(v) {
    if (v) sessionStorage.setItem(TOKEN_KEY, v);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
};

function tokenSubject(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload)).sub ?? null;
  } catch {
    return null;
  }
}

function showError(err) {
  const alert = $('#alert');
  const code = err?.code ? `${err.code}: ` : '';
  replace(alert, h('p', {}, h('strong', {}, 'Error. '), code, err?.message ?? String(err)), h('button', { type: 'button', class: 'link', on: { click: clearError } }, 'Dismiss'));
  alert.hidden = false;
}

function clearError() {
  const alert = $('#alert');
  alert.hidden = true;
  alert.replaceChildren();
}

function announce(text) {
  const live = $('#live');
  live.textContent = '';
  // a fresh text node after a tick so repeated messages are read again
  setTimeout(() => {
    live.textContent = text;
  }, 50);
}

/* ---------- API ---------- */

class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, cache: 'no-store', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch (err) {
    throw new ApiError(0, 'NETWORK', `cannot reach the API: ${err.message}`);
  }
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const e = json?.error ?? {};
    const err = new ApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? (res.statusText || 'request failed'), json);
    if (res.status === 401) signOut(err);
    throw err;
  }
  return json;
}

/** Route not there yet (an API older than the dashboard): not an error worth an alert. */
const missing = (err) => err instanceof ApiError && (err.status === 405 || (err.status === 404 && (/^no route/.test(err.message) || err.code.startsWith('HTTP_'))));

/* ---------- Server-Sent Events over fetch (EventSource cannot send Authorization) ---------- */

/**
 * Follows an SSE stream, reconnecting with Last-Event-ID. Calls onEvent({type, id, data}); onState('live' |
 * 'down' | 'unavailable'); stops on abort, on 404/405 (unavailable), or when reconnect() says so after the
 * server ends the stream.
 */
async function followEvents(path, { signal, onEvent, onState, reconnect = () => true }) {
  let lastId = null;
  let delay = 1000;
  while (!signal.aborted) {
    let res;
    try {
      const headers = { Accept: 'text/event-stream', Authorization: `Bearer ${session.token}` };
      if (lastId !== null) headers['Last-Event-ID'] = lastId;
      res = await fetch(path, { headers, signal, cache: 'no-store' });
    } catch {
      if (signal.aborted) return;
      onState('down');
      await sleep(delay, signal);
      delay = Math.min(delay * 2, 15000);
      continue;
    }
    if (res.status === 404 || res.status === 405 || res.status === 501) {
      await res.body?.cancel().catch(() => {});
      onState('unavailable');
      return;
    }
    if (res.status === 401) {
      await res.body?.cancel().catch(() => {});
      signOut(new ApiError(401, 'UNAUTHENTICATED', 'the token was rejected'));
      return;
    }
    if (!res.ok || !(res.headers.get('content-type') ?? '').includes('text/event-stream') || !res.body) {
      await res.body?.cancel().catch(() => {});
      onState('down');
      await sleep(delay, signal);
      delay = Math.min(delay * 2, 15000);
      continue;
    }
    onState('live');
    delay = 1000;
    let ended = false;
    try {
      await readSse(res.body, (ev) => {
        if (ev.id !== null) lastId = ev.id;
        if (ev.retry) delay = ev.retry;
        if (ev.data === null) return;
        let data;
        try {
          data = JSON.parse(ev.data);
        } catch {
          data = ev.data;
        }
        onEvent({ type: ev.type, id: ev.id, data });
      });
      ended = true;
    } catch {
      if (signal.aborted) return;
    }
    if (signal.aborted) return;
    if (ended && !reconnect()) {
      onState('ended');
      return;
    }
    onState('down');
    await sleep(delay, signal);
  }
}

/** Parses an SSE byte stream (WHATWG rules: id, event, data, retry fields; comments ignored). */
async function readSse(body, dispatch) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  let type = 'message';
  let data = [];
  let id = null;
  let retry = null;
  const line = (l) => {
    if (l === '') {
      if (data.length > 0 || id !== null) dispatch({ type, id, data: data.length ? data.join('\n') : null, retry });
      type = 'message';
      data = [];
      id = null;
      retry = null;
      return;
    }
    if (l.startsWith(':')) return;
    const colon = l.indexOf(':');
    const field = colon < 0 ? l : l.slice(0, colon);
    let value = colon < 0 ? '' : l.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(buf);
      if (!m) break;
      if (m[0] === '\r' && m.index === buf.length - 1) break; // maybe a \r\n split across chunks
      line(buf.slice(0, m.index));
      buf = buf.slice(m.index + m[0].length);
    }
  }
}

/** Live updates: the SSE stream while it works, polling every 3 s while it does not. */
function live(ctx, path, { onEvent, poll, reconnect, indicator }) {
  let timer = null;
  const startPolling = () => {
    if (timer !== null) return;
    timer = setInterval(() => {
      poll().catch(() => {});
    }, POLL_MS);
    ctx.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  };
  const stopPolling = () => {
    if (timer !== null) clearInterval(timer);
    timer = null;
  };
  const say = (text) => {
    if (indicator) indicator.textContent = text;
  };
  say('Connecting to live updates…');
  followEvents(path, {
    signal: ctx.signal,
    onEvent,
    reconnect,
    onState: (s) => {
      if (s === 'ended') {
        stopPolling();
        say('Finished: no more live updates.');
      } else if (s === 'live') {
        stopPolling();
        say('Live: updates stream in as they happen.');
        poll().catch(() => {}); // catch up on anything missed while down
      } else {
        startPolling();
        say(s === 'unavailable' ? 'Live stream unavailable: refreshing every 3 s.' : 'Reconnecting… refreshing every 3 s meanwhile.');
      }
    },
  }).catch(() => startPolling());
}

/* ---------- router ---------- */

let current = null; // {controller}

function signOut(err) {
  session.token = null;
  if (current) current.controller.abort();
  current = null;
  renderSession();
  replace($('#view'));
  $('#signin').hidden = false;
  if (err) showError(err);
  $('#token').focus();
}

function renderSession() {
  const token = session.token;
  $('#session').hidden = !token;
  $('#signin').hidden = !!token;
  $('#who').textContent = token ? `Signed in as ${tokenSubject(token) ?? 'unknown user'}` : '';
}

function route() {
  if (current) current.controller.abort();
  current = null;
  renderSession();
  if (!session.token) {
    replace($('#view'));
    return;
  }
  const controller = new AbortController();
  current = { controller };
  const ctx = { signal: controller.signal };
  const hash = location.hash.replace(/^#/, '') || '/';
  const view = $('#view');
  view.replaceChildren();
  let m;
  if ((m = /^\/jobs\/([^/]+)$/.exec(hash))) jobView(view, ctx, decodeURIComponent(m[1]));
  else if ((m = /^\/projects\/([^/]+)$/.exec(hash))) projectView(view, ctx, decodeURIComponent(m[1]));
  else queueView(view, ctx);
  const h1 = view.querySelector('h1');
  if (h1 && document.activeElement !== document.body && document.activeElement !== null) {
    h1.tabIndex = -1;
    h1.focus();
  }
}

/* ---------- queue view ---------- */

function queueView(view, ctx) {
  const params = new URLSearchParams(sessionStorage.getItem('verity.filters') ?? '');
  const statusSel = h('select', { id: 'f-status', name: 'status' }, h('option', { value: '' }, 'All'), STATUSES.map((s) => h('option', { value: s }, s)));
  const typeSel = h('select', { id: 'f-type', name: 'type' }, h('option', { value: '' }, 'All'), KNOWN_TYPES.map((t) => h('option', { value: t }, t)));
  statusSel.value = params.get('status') ?? '';
  typeSel.value = params.get('type') ?? '';
  const stats = h('ul', { class: 'stats', 'aria-label': 'Job counts' });
  const tbody = h('tbody');
  const note = h('p', { class: 'note', hidden: true });
  const indicator = h('p', { class: 'conn', role: 'status' });
  const jobIdIn = h('input', { id: 'open-job', name: 'jobId', autocomplete: 'off', spellcheck: false });
  const projIdIn = h('input', { id: 'open-project', name: 'projectId', autocomplete: 'off', spellcheck: false });

  append(
    view,
    h('h1', {}, 'Job queue'),
    stats,
    h(
      'div',
      { class: 'toolbar' },
      h(
        'form',
        { class: 'filters', 'aria-label': 'Filters', on: { submit: (e) => e.preventDefault() } },
        h('div', { class: 'field' }, h('label', { for: 'f-status' }, 'Status'), statusSel),
        h('div', { class: 'field' }, h('label', { for: 'f-type' }, 'Type'), typeSel),
      ),
      h(
        'form',
        { class: 'open', 'aria-label': 'Open a job', on: { submit: (e) => { e.preventDefault(); if (jobIdIn.value.trim()) location.hash = `#/jobs/${encodeURIComponent(jobIdIn.value.trim())}`; } } },
        h('div', { class: 'field' }, h('label', { for: 'open-job' }, 'Job ID'), jobIdIn),
        h('button', { type: 'submit' }, 'Open job'),
      ),
      h(
        'form',
        { class: 'open', 'aria-label': 'Open a project', on: { submit: (e) => { e.preventDefault(); if (projIdIn.value.trim()) location.hash = `#/projects/${encodeURIComponent(projIdIn.value.trim())}`; } } },
        h('div', { class: 'field' }, h('label', { for: 'open-project' }, 'Project ID'), projIdIn),
        h('button', { type: 'submit' }, 'Open project'),
      ),
    ),
    indicator,
    note,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        {},
        h('caption', {}, 'Jobs, newest first. Highlighted rows were corrected or recovered from evidence.'),
        h('thead', {}, h('tr', {}, ['Job', 'Type', 'Status', 'Reason', 'Progress', 'Created', 'Updated'].map((c) => h('th', { scope: 'col' }, c)))),
        tbody,
      ),
    ),
  );

  const rows = new Map(); // jobId → job
  let counts = null;

  const matches = (job) => (!statusSel.value || job.status === statusSel.value) && (!typeSel.value || job.type === typeSel.value);

  function renderStats() {
    const c = counts ?? { total: rows.size, ...Object.fromEntries(STATUSES.map((s) => [s, [...rows.values()].filter((j) => j.status === s).length])) };
    replace(stats, ['total', ...STATUSES].map((k) => h('li', { class: `stat stat-${k}` }, h('span', { class: 'stat-n' }, String(c[k] ?? 0)), h('span', { class: 'stat-l' }, k))));
  }

  function row(job) {
    const cls = reasonClass(job.statusReason);
    const pct = job.progress?.pct;
    return h(
      'tr',
      { 'data-job-id': job.id, class: cls !== 'normal' ? `hl hl-${cls}` : '' },
      h('th', { scope: 'row' }, h('a', { href: `#/jobs/${encodeURIComponent(job.id)}` }, job.id)),
      h('td', {}, job.type),
      h('td', {}, statusBadge(job.status)),
      h('td', {}, reasonBadge(job.statusReason)),
      h('td', {}, typeof pct === 'number' ? `${Math.round(pct)}%` : '—'),
      h('td', {}, timeEl(job.createdAt)),
      h('td', {}, timeEl(job.updatedAt ?? job.endedAt ?? job.startedAt ?? job.createdAt)),
    );
  }

  function renderRows() {
    const jobs = [...rows.values()].sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
    if (jobs.length === 0) replace(tbody, h('tr', {}, h('td', { colSpan: 7, class: 'empty' }, 'No jobs.')));
    else replace(tbody, jobs.map(row));
    for (const j of jobs) if (!KNOWN_TYPES.includes(j.type) && ![...typeSel.options].some((o) => o.value === j.type)) typeSel.append(h('option', { value: j.type }, j.type));
  }

  async function load() {
    const q = new URLSearchParams({ limit: '50' });
    if (statusSel.value) q.set('status', statusSel.value);
    if (typeSel.value) q.set('type', typeSel.value);
    try {
      const res = await api('GET', `/api/jobs?${q}`);
      if (ctx.signal.aborted) return;
      rows.clear();
      for (const j of res.jobs ?? []) rows.set(j.id, j);
      counts = res.stats ?? null;
      note.hidden = true;
    } catch (err) {
      if (ctx.signal.aborted) return;
      if (missing(err)) {
        note.hidden = false;
        note.textContent = 'This server does not list jobs yet: open a job by its ID.';
      } else {
        showError(err);
      }
    }
    renderStats();
    renderRows();
  }

  let refreshTimer = null;
  const refreshSoon = () => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => load().catch(() => {}), 400);
  };
  ctx.signal.addEventListener('abort', () => clearTimeout(refreshTimer), { once: true });

  const onFilter = () => {
    const p = new URLSearchParams();
    if (statusSel.value) p.set('status', statusSel.value);
    if (typeSel.value) p.set('type', typeSel.value);
    sessionStorage.setItem('verity.filters', p.toString());
    load().catch(() => {});
  };
  statusSel.addEventListener('change', onFilter);
  typeSel.addEventListener('change', onFilter);

  renderStats();
  renderRows();
  load().catch(() => {});
  live(ctx, '/api/events', {
    indicator,
    poll: load,
    onEvent: ({ type, data }) => {
      if (type !== 'transition' || !data?.jobId) return;
      const prev = rows.get(data.jobId);
      // the event may carry the whole job; otherwise patch the row from the transition until the refresh
      const next = data.job ?? (prev ? { ...prev, status: data.to, statusReason: data.reason ?? prev.statusReason, updatedAt: data.at ?? prev.updatedAt } : null);
      if (next && matches(next)) rows.set(data.jobId, next);
      else if (next) rows.delete(data.jobId);
      if (counts && data.to && (prev?.status ?? data.from) !== data.to) {
        const from = prev?.status ?? data.from;
        if (from && counts[from] > 0) counts[from] -= 1;
        else counts.total = (counts.total ?? 0) + 1;
        counts[data.to] = (counts[data.to] ?? 0) + 1;
      }
      renderStats();
      renderRows();
      announce(`Job ${data.jobId}: ${data.from ?? 'new'} → ${data.to}${data.reason ? ` (${data.reason})` : ''}`);
      refreshSoon();
    },
  });
}

/* ---------- job view ---------- */

function jobView(view, ctx, id) {
  const title = h('h1', {}, 'Job ', h('code', {}, id));
  const summary = h('dl', { class: 'facts' });
  const progress = h('progress', { id: 'job-progress', max: 100 });
  const progressText = h('p', { class: 'progress-text' });
  const stepsBody = h('tbody');
  const stepsTable = h(
    'table',
    { class: 'steps', hidden: true },
    h('caption', {}, 'Steps'),
    h('thead', {}, h('tr', {}, ['Step', 'Status', 'Weight', 'Took / expected', 'Left'].map((c) => h('th', { scope: 'col' }, c)))),
    stepsBody,
  );
  const indicator = h('p', { class: 'conn', role: 'status' });
  const timeline = h('ol', { class: 'timeline' });
  const report = h('section', { class: 'report', 'aria-labelledby': 'report-title', hidden: true });
  const cancelBtn = h('button', { type: 'button', class: 'danger' }, 'Cancel');
  const retryBtn = h('button', { type: 'button' }, 'Retry');
  const reconcileBtn = h('button', { type: 'button' }, 'Reconcile');

  append(
    view,
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, '← Queue')),
    title,
    h('div', { class: 'actions', role: 'group', 'aria-label': 'Job actions' }, cancelBtn, retryBtn, reconcileBtn),
    report,
    indicator,
    h('section', { 'aria-labelledby': 'sum-title' }, h('h2', { id: 'sum-title' }, 'Summary'), summary),
    h('section', { 'aria-labelledby': 'prog-title' }, h('h2', { id: 'prog-title' }, 'Progress'), h('label', { for: 'job-progress', class: 'visually-hidden' }, 'Progress'), progress, progressText, stepsTable),
    h('section', { 'aria-labelledby': 'tl-title' }, h('h2', { id: 'tl-title' }, 'Timeline'), timeline),
  );

  let job = null;
  let progressAvailable = true;
  let lastSeqRendered = -1;

  function renderJob() {
    const rows = [
      ['Status', statusBadge(job.status)],
      ['Reason', reasonBadge(job.statusReason)],
      ['Type', job.type],
      ['Owner', job.ownerId],
      ['Resource', job.resourceKey ?? '—'],
      ['Attempt', `${job.attempt} of ${job.maxAttempts}`],
      ['Executor', job.executor ? `${job.executor.kind}${job.executor.executionRef ? ` (${job.executor.executionRef})` : ''}` : '—'],
      ['Created', timeEl(job.createdAt)],
      ['Started', timeEl(job.startedAt)],
      ['Heartbeat', timeEl(job.heartbeatAt)],
      ['Ended', timeEl(job.endedAt ?? job.completedAt ?? job.canceledAt)],
      ['Next check', timeEl(job.nextCheckAt)],
      ['Outputs', (job.outputs ?? []).length ? h('ul', { class: 'plain' }, job.outputs.map((o) => h('li', {}, h('code', {}, o.uri), ' ', h('span', { class: `badge ${o.present ? 'present' : 'missing'}` }, o.present ? 'present' : 'missing')))) : '—'],
      ['Error', job.error ? `${job.error.code}: ${job.error.message}${job.error.retryable ? ' (retryable)' : ''}` : '—'],
    ];
    replace(summary, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
    const terminal = TERMINAL.has(job.status);
    cancelBtn.disabled = terminal;
    retryBtn.disabled = !(job.status === 'failed' || job.status === 'canceled');
    const pct = typeof job.progress?.pct === 'number' ? job.progress.pct : job.status === 'succeeded' ? 100 : 0;
    progress.value = pct;
    progress.textContent = `${Math.round(pct)}%`;
  }

  function renderProgress(p) {
    const pct = typeof p?.progressPct === 'number' ? p.progressPct : typeof job?.progress?.pct === 'number' ? job.progress.pct : job?.status === 'succeeded' ? 100 : 0;
    progress.value = pct;
    const parts = [`${Math.round(pct)}%`];
    const step = p ? p.currentStep?.name : job?.progress?.step;
    if (step) parts.push(`step: ${step}${typeof p?.currentStep?.progressPct === 'number' ? ` (${Math.round(p.currentStep.progressPct)}%)` : ''}`);
    const done = p?.completedSteps ?? job?.progress?.completedSteps;
    if (done?.length) parts.push(`done: ${done.join(', ')}`);
    if (p) {
      parts.push(`elapsed ${fmtSeconds(p.elapsedSeconds)}`);
      if (p.remainingSeconds !== null && p.remainingSeconds !== undefined) parts.push(`about ${fmtSeconds(p.remainingSeconds)} left of ${fmtSeconds(p.estimatedTotalSeconds)}`);
    }
    progressText.textContent = parts.join(' · ');
    const steps = p?.steps ?? [];
    stepsTable.hidden = steps.length === 0;
    const secs = (n) => (n === null || n === undefined ? '—' : fmtSeconds(n));
    replace(
      stepsBody,
      steps.map((s) =>
        h('tr', { class: `step-${s.status}` }, h('th', { scope: 'row' }, s.name), h('td', {}, s.status), h('td', {}, s.weight ?? '—'), h('td', {}, secs(s.estimatedSeconds)), h('td', {}, secs(s.remainingSeconds))),
      ),
    );
  }

  function renderTimeline(transitions) {
    const list = [...transitions].sort((a, b) => a.seq - b.seq);
    const last = list.length ? list[list.length - 1].seq : -1;
    if (last === lastSeqRendered) return; // keep open <details> as they are
    lastSeqRendered = last;
    if (list.length === 0) {
      replace(timeline, h('li', { class: 'muted' }, 'No transitions yet.'));
      return;
    }
    replace(
      timeline,
      list.map((t) =>
        h(
          'li',
          { class: `tl tl-${reasonClass(t.reason, t.source)}`, 'data-seq': t.seq },
          h('div', { class: 'tl-head' }, h('span', { class: 'tl-seq' }, `#${t.seq}`), ' ', h('strong', {}, `${t.from ?? 'new'} → ${t.to}`), ' ', reasonBadge(t.reason, t.source), ' ', h('span', { class: 'badge source' }, `source: ${t.source ?? '—'}`), ' ', timeEl(t.at)),
          t.evidence !== undefined && t.evidence !== null ? h('details', {}, h('summary', {}, `Evidence for #${t.seq}`), h('pre', {}, JSON.stringify(t.evidence, null, 2))) : null,
        ),
      ),
    );
  }

  async function load() {
    const [jobRes, histRes, progRes] = await Promise.allSettled([
      api('GET', `/api/jobs/${encodeURIComponent(id)}`),
      api('GET', `/api/jobs/${encodeURIComponent(id)}/history`),
      progressAvailable ? api('GET', `/api/jobs/${encodeURIComponent(id)}/progress`) : Promise.resolve(null),
    ]);
    if (ctx.signal.aborted) return;
    if (jobRes.status === 'rejected') {
      showError(jobRes.reason);
      return;
    }
    const prev = job?.status;
    job = jobRes.value.job;
    renderJob();
    if (prev && prev !== job.status) announce(`Job status changed: ${prev} → ${job.status}${job.statusReason ? ` (${job.statusReason})` : ''}`);
    if (histRes.status === 'fulfilled') renderTimeline(histRes.value.transitions ?? []);
    else showError(histRes.reason);
    if (progRes.status === 'rejected' && missing(progRes.reason)) progressAvailable = false;
    renderProgress(progRes.status === 'fulfilled' ? progRes.value : null);
  }

  let refreshTimer = null;
  const refreshSoon = () => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => load().catch(() => {}), 150);
  };
  ctx.signal.addEventListener('abort', () => clearTimeout(refreshTimer), { once: true });

  function showReport(heading, value, link) {
    replace(report, h('h2', { id: 'report-title' }, heading), link ?? null, h('pre', {}, JSON.stringify(value, null, 2)));
    report.hidden = false;
  }

  const act = (btn, fn) =>
    btn.addEventListener('click', async () => {
      clearError();
      btn.setAttribute('aria-busy', 'true');
      try {
        await fn();
      } catch (err) {
        if (missing(err)) showError(new ApiError(err.status, err.code, `${btn.textContent} is not available on this server yet.`));
        else showError(err);
      } finally {
        btn.removeAttribute('aria-busy');
      }
      await load().catch(() => {});
    });

  act(cancelBtn, async () => {
    const res = await api('POST', `/api/jobs/${encodeURIComponent(id)}/cancel`);
    announce(`Cancel requested: job is ${res.job?.status ?? 'updated'}`);
  });
  act(retryBtn, async () => {
    const res = await api('POST', `/api/jobs/${encodeURIComponent(id)}/retry`);
    announce(`Retry requested: job is ${res.job?.status ?? 'updated'}`);
    startLive(); // the per-job stream ended at the terminal transition
  });
  act(reconcileBtn, async () => {
    const res = await api('POST', `/api/jobs/${encodeURIComponent(id)}/reconcile`);
    const r = res.report ?? res;
    showReport('Reconcile report', r);
    announce(`Reconcile: ${r.action ?? 'done'}${r.correctedStatus ? `, status ${r.correctedStatus}` : ''}`);
  });

  let liveController = null;
  let finished = false;
  function startLive() {
    finished = false;
    liveController?.abort();
    liveController = new AbortController();
    const signal = AbortSignal.any ? AbortSignal.any([ctx.signal, liveController.signal]) : ctx.signal;
    live({ signal }, `/api/jobs/${encodeURIComponent(id)}/events`, {
      indicator,
      poll: load,
      reconnect: () => !finished && !(job && TERMINAL.has(job.status)),
      onEvent: ({ type, data }) => {
        if (type === 'transition' && TERMINAL.has(data?.to)) finished = true; // the server ends the stream after it
        if (type === 'transition' || type === 'progress') refreshSoon();
      },
    });
  }

  load()
    .catch(() => {})
    .finally(() => {
      if (!ctx.signal.aborted) startLive();
    });
}

/* ---------- project view ---------- */

function projectView(view, ctx, id) {
  const title = h('h1', {}, 'Project ', h('code', {}, id));
  const facts = h('dl', { class: 'facts' });
  const grid = h('ul', { class: 'tiles', 'aria-label': 'Artifacts' });
  const report = h('section', { class: 'report', 'aria-labelledby': 'preport-title', hidden: true });
  const reconcileBtn = h('button', { type: 'button' }, 'Reconcile');
  const generateBtn = h('button', { type: 'button' }, 'Generate');
  const refreshBtn = h('button', { type: 'button', class: 'secondary' }, 'Refresh');

  append(
    view,
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, '← Queue')),
    title,
    h('div', { class: 'actions', role: 'group', 'aria-label': 'Project actions' }, reconcileBtn, generateBtn, refreshBtn),
    report,
    h('section', { 'aria-labelledby': 'pf-title' }, h('h2', { id: 'pf-title' }, 'Summary'), facts),
    h('section', { 'aria-labelledby': 'art-title' }, h('h2', { id: 'art-title' }, 'Artifacts'), grid),
  );

  let project = null;

  async function load() {
    let res;
    try {
      res = await api('GET', `/api/projects/${encodeURIComponent(id)}`);
    } catch (err) {
      if (!ctx.signal.aborted) showError(err);
      return;
    }
    if (ctx.signal.aborted) return;
    const prev = project?.status;
    project = res.project;
    if (prev && prev !== project.status) announce(`Project status changed: ${prev} → ${project.status}`);
    replace(title, 'Project ', project.name ?? '', ' ', h('code', {}, project.id));
    const arts = project.artifacts ?? [];
    replace(
      facts,
      h('dt', {}, 'Status'), h('dd', {}, statusBadge(project.status)),
      h('dt', {}, 'Artifacts'), h('dd', {}, `${arts.filter((a) => a.present).length} of ${arts.length} present`),
      h('dt', {}, 'Active job'), h('dd', {}, project.activeJobId ? h('a', { href: `#/jobs/${encodeURIComponent(project.activeJobId)}` }, project.activeJobId) : '—'),
    );
    if (arts.length === 0) replace(grid, h('li', { class: 'muted' }, 'No artifacts declared.'));
    else
      replace(
        grid,
        arts.map((a) =>
          h(
            'li',
            { class: `tile ${a.present ? 'present' : 'missing'}` },
            h('h3', {}, a.key),
            h('p', {}, h('span', { class: `badge ${a.present ? 'present' : 'missing'}` }, a.present ? 'Present' : 'Missing')),
            h('p', { class: 'uri' }, h('code', {}, a.uri)),
            a.generation ? h('p', { class: 'muted' }, `generation ${a.generation}`) : null,
          ),
        ),
      );
  }

  const act = (btn, fn) =>
    btn.addEventListener('click', async () => {
      clearError();
      btn.setAttribute('aria-busy', 'true');
      try {
        await fn();
      } catch (err) {
        showError(err);
        if (err instanceof ApiError && err.body?.activeJob) showReport('Already generating', err.body.activeJob, h('p', {}, h('a', { href: `#/jobs/${encodeURIComponent(err.body.activeJob.id)}` }, 'Open the active job')));
      } finally {
        btn.removeAttribute('aria-busy');
      }
      await load();
    });

  function showReport(heading, value, link) {
    replace(report, h('h2', { id: 'preport-title' }, heading), link ?? null, h('pre', {}, JSON.stringify(value, null, 2)));
    report.hidden = false;
  }

  act(reconcileBtn, async () => {
    const res = await api('POST', `/api/projects/${encodeURIComponent(id)}/reconcile`);
    showReport('Reconcile report', res.report ?? res);
    announce(`Project reconcile: ${res.report?.action ?? 'done'}`);
  });
  act(generateBtn, async () => {
    const res = await api('POST', `/api/projects/${encodeURIComponent(id)}/generate`);
    if (res.job) {
      showReport('Generation started', res.job, h('p', {}, h('a', { href: `#/jobs/${encodeURIComponent(res.job.id)}` }, `Open job ${res.job.id}`)));
      announce(`Generation job ${res.job.id} enqueued`);
    } else {
      showReport('Nothing to generate', res.project ?? res);
      announce('Nothing is missing');
    }
  });
  act(refreshBtn, async () => {});

  load().catch(() => {});
  const timer = setInterval(() => {
    if (project?.status === 'generating') load().catch(() => {});
  }, POLL_MS);
  ctx.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
}

/* ---------- boot ---------- */

function boot() {
  $('#signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const raw = $('#token').value.trim().replace(/^Bearer\s+/i, '');
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
