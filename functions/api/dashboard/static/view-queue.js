// The queue: counts by status, filters, open-by-id forms and the job table, live from /api/events.
import { client, missing, streams } from './api-client.js';
import { announce, append, debounce, h, jobHref, projectHref, replace, showError, table } from './dom.js';
import { fmtPct, reasonBadge, reasonClass, STATUSES, statusBadge, timeEl } from './format.js';
import { live } from './sse.js';

const FILTERS_KEY = 'verity.filters';
const CAPTION = 'Jobs, newest first. Highlighted rows were corrected or recovered from evidence.';
const COLUMNS = ['Job', 'Type', 'Status', 'Reason', 'Progress', 'Created', 'Updated'];

const options = (values) => [h('option', { value: '' }, 'All'), values.map((v) => h('option', { value: v }, v))];

/** A form control with its label, in a .field. */
const field = (id, label, control) => h('div', { class: 'field' }, h('label', { for: id }, label), control);

/** A form that opens a page by the id typed into it. */
function openForm(what, inputId, name, label, href) {
  const input = h('input', { id: inputId, name, autocomplete: 'off', spellcheck: false });
  const submit = (e) => {
    e.preventDefault();
    if (input.value.trim()) location.hash = href(input.value.trim());
  };
  return h(
    'form',
    { class: 'open', 'aria-label': `Open a ${what}`, on: { submit } },
    field(inputId, label, input),
    h('button', { type: 'submit' }, `Open ${what}`),
  );
}

function jobRow(job) {
  const cls = reasonClass(job.statusReason);
  const pct = job.progress?.pct;
  return h(
    'tr',
    { 'data-job-id': job.id, class: cls !== 'normal' ? `hl hl-${cls}` : '' },
    h('th', { scope: 'row' }, h('a', { href: jobHref(job.id) }, job.id)),
    h('td', {}, job.type),
    h('td', {}, statusBadge(job.status)),
    h('td', {}, reasonBadge(job.statusReason)),
    h('td', {}, typeof pct === 'number' ? fmtPct(pct) : '—'),
    h('td', {}, timeEl(job.createdAt)),
    h('td', {}, timeEl(job.updatedAt ?? job.endedAt ?? job.startedAt ?? job.createdAt)),
  );
}

/** The filter values as query parameters (only those set). */
function filterParams(statusSel, typeSel, base = {}) {
  const q = new URLSearchParams(base);
  if (statusSel.value) q.set('status', statusSel.value);
  if (typeSel.value) q.set('type', typeSel.value);
  return q;
}

export function queueView(view, signal) {
  const saved = new URLSearchParams(sessionStorage.getItem(FILTERS_KEY) ?? '');
  const statusSel = h('select', { id: 'f-status', name: 'status' }, options(STATUSES));
  const typeSel = h('select', { id: 'f-type', name: 'type' }, options([]));
  statusSel.value = saved.get('status') ?? '';
  /** A type joins the filter once: from the API's registered types, or from a job on the page. */
  const addType = (t) => {
    if (t && ![...typeSel.options].some((o) => o.value === t)) typeSel.append(h('option', { value: t }, t));
  };
  addType(saved.get('type'));
  typeSel.value = saved.get('type') ?? '';
  // the registered types, not a list written into the page; a failure leaves the ones the jobs show
  client.jobTypes().then(
    (types) => types.forEach(addType),
    () => undefined,
  );
  const stats = h('ul', { class: 'stats', 'aria-label': 'Job counts' });
  const tbody = h('tbody');
  const note = h('p', { class: 'note', hidden: true });
  const indicator = h('p', { class: 'conn', role: 'status' });

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
        field('f-status', 'Status', statusSel),
        field('f-type', 'Type', typeSel),
      ),
      openForm('job', 'open-job', 'jobId', 'Job ID', jobHref),
      openForm('project', 'open-project', 'projectId', 'Project ID', projectHref),
    ),
    indicator,
    note,
    h('div', { class: 'table-wrap' }, table({}, CAPTION, COLUMNS, tbody)),
  );

  const rows = new Map(); // jobId → job
  let counts = null;

  const matches = (job) =>
    (!statusSel.value || job.status === statusSel.value) && (!typeSel.value || job.type === typeSel.value);

  function renderStats() {
    const jobs = [...rows.values()];
    const c = counts ?? {
      total: rows.size,
      ...Object.fromEntries(STATUSES.map((s) => [s, jobs.filter((j) => j.status === s).length])),
    };
    const stat = (k) =>
      h(
        'li',
        { class: `stat stat-${k}` },
        h('span', { class: 'stat-n' }, String(c[k] ?? 0)),
        h('span', { class: 'stat-l' }, k),
      );
    replace(stats, ['total', ...STATUSES].map(stat));
  }

  function renderRows() {
    const jobs = [...rows.values()].sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
    if (jobs.length === 0)
      replace(tbody, h('tr', {}, h('td', { colSpan: COLUMNS.length, class: 'empty' }, 'No jobs.')));
    else replace(tbody, jobs.map(jobRow));
    for (const j of jobs) {
      addType(j.type);
    }
  }

  const render = () => {
    renderStats();
    renderRows();
  };

  async function load() {
    try {
      const res = await client.listJobs(filterParams(statusSel, typeSel, { limit: '50' }));
      if (signal.aborted) return;
      rows.clear();
      for (const j of res.jobs ?? []) rows.set(j.id, j);
      counts = res.stats ?? null;
      note.hidden = true;
    } catch (err) {
      if (signal.aborted) return;
      if (missing(err)) {
        note.hidden = false;
        note.textContent = 'This server does not list jobs yet: open a job by its ID.';
      } else {
        showError(err);
      }
    }
    render();
  }

  const refreshSoon = debounce(signal, 400, load);

  const onFilter = () => {
    sessionStorage.setItem(FILTERS_KEY, filterParams(statusSel, typeSel).toString());
    load().catch(() => {});
  };
  statusSel.addEventListener('change', onFilter);
  typeSel.addEventListener('change', onFilter);

  /** A transition from the stream: patch the row and the counts now, refresh from the API soon after. */
  function onTransition(data) {
    const prev = rows.get(data.jobId);
    // the event may carry the whole job; otherwise patch the row from the transition until the refresh
    const patched = prev && {
      ...prev,
      status: data.to,
      statusReason: data.reason ?? prev.statusReason,
      updatedAt: data.at ?? prev.updatedAt,
    };
    const next = data.job ?? patched ?? null;
    if (next && matches(next)) rows.set(data.jobId, next);
    else if (next) rows.delete(data.jobId);
    const from = prev?.status ?? data.from;
    if (counts && data.to && from !== data.to) {
      if (from && counts[from] > 0) counts[from] -= 1;
      else counts.total = (counts.total ?? 0) + 1;
      counts[data.to] = (counts[data.to] ?? 0) + 1;
    }
    render();
    announce(`Job ${data.jobId}: ${data.from ?? 'new'} → ${data.to}${data.reason ? ` (${data.reason})` : ''}`);
    refreshSoon();
  }

  render();
  load().catch(() => {});
  live(signal, streams.all, {
    indicator,
    poll: load,
    onEvent: ({ type, data }) => {
      if (type === 'transition' && data?.jobId) onTransition(data);
    },
  });
}
