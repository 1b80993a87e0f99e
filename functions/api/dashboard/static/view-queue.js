// The queue: counts by status; the filters, kept in the address (#/?status=…&type=…&resourceKey=…: a shareable
// URL, back and forward restore them); saved views; bulk actions on what the filter matches; open-by-id forms; and
// the jobs grouped by phase (waiting, running, held, recovering, ended), each with why — live from /api/events.
import { client, missing, streams } from './api-client.js';
import { announce, append, debounce, every, h, jobHref, projectHref, QUEUE_KEY, replace, showError } from './dom.js';
import { filterQuery, matchesFilter, readFilter } from './filters.js';
import { STATUSES } from './format.js';
import { groupSections } from './queue-groups.js';
import { savedViews } from './saved-views.js';
import { session, tokenSubject } from './session.js';
import { live } from './sse.js';
import { bulkControl } from './view-bulk.js';

/** Phases change with time, not only with transitions (a deadline passes): the groups are read again this often. */
const REFRESH_MS = 15_000;

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

/** The jobs a filter shows: without a status, every queued and running job (up to 200 each) and the 50 newest. */
async function fetchJobs(filter) {
  const q = (extra) =>
    new URLSearchParams({
      ...(filter.type ? { type: filter.type } : {}),
      ...(filter.resourceKey ? { resourceKey: filter.resourceKey } : {}),
      ...extra,
    });
  if (filter.status) return client.listJobs(q({ status: filter.status, limit: '200' }));
  const answers = await Promise.all(
    [q({ status: 'queued', limit: '200' }), q({ status: 'running', limit: '200' }), q({ limit: '50' })].map(
      client.listJobs,
    ),
  );
  const byId = new Map();
  for (const a of answers) for (const j of a.jobs ?? []) if (!byId.has(j.id)) byId.set(j.id, j);
  return { jobs: [...byId.values()], stats: answers[2].stats ?? answers[0].stats };
}

/** nav: {query, pushQuery} from the router. Returns {onQuery}: the router's way to hand it a new address. */
export function queueView(view, signal, _id, nav = {}) {
  const statusSel = h('select', { id: 'f-status', name: 'status' }, options(STATUSES));
  const typeSel = h('select', { id: 'f-type', name: 'type' }, options([]));
  const keyInput = h('input', {
    id: 'f-key',
    name: 'resourceKey',
    autocomplete: 'off',
    spellcheck: false,
    maxLength: 500,
  });
  /** A type joins the filter once: from the API's registered types, or from a job on the page. */
  const addType = (t) => {
    if (t && ![...typeSel.options].some((o) => o.value === t)) typeSel.append(h('option', { value: t }, t));
  };
  // the registered types, not a list written into the page; a failure leaves the ones the jobs show
  client.jobTypes().then(
    (types) => types.forEach(addType),
    () => undefined,
  );
  const stats = h('ul', { class: 'stats', 'aria-label': 'Job counts' });
  const groups = h('div', { class: 'groups' });
  const note = h('p', { class: 'note', hidden: true });
  const ignoredNote = h('p', { class: 'note', role: 'status', hidden: true });
  const indicator = h('p', { class: 'conn', role: 'status' });
  const user = tokenSubject(session.token ?? '') ?? 'unknown user';
  const saved = savedViews(user);
  let filter = {};
  const bulk = bulkControl(signal, { filterOf: () => ({ ...filter }), onSettled: () => load() });

  append(
    view,
    h('h1', {}, 'Job queue'),
    stats,
    h(
      'div',
      { class: 'toolbar' },
      h(
        'form',
        { class: 'filters', 'aria-label': 'Filters', on: { submit: (e) => (e.preventDefault(), onFilter()) } },
        field('f-status', 'Status', statusSel),
        field('f-type', 'Type', typeSel),
        field('f-key', 'Resource key', keyInput),
      ),
      bulk.opener,
      openForm('job', 'open-job', 'jobId', 'Job ID', jobHref),
      openForm('project', 'open-project', 'projectId', 'Project ID', projectHref),
    ),
    ignoredNote,
    bulk.region,
    indicator,
    note,
    groups,
    saved.el,
  );

  const rows = new Map(); // jobId → job
  let counts = null;
  let loads = 0;
  let loaded = false; // the first list has come (until then the page says it is loading, not that there are none)

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

  const render = () => {
    renderStats();
    if (rows.size > 0) replace(groups, groupSections([...rows.values()], filter.status));
    else if (loaded)
      replace(
        groups,
        h('p', { class: 'empty' }, `No jobs${Object.keys(filter).length ? ' match this filter' : ' yet'}.`),
      );
    else replace(groups, h('p', { class: 'muted' }, 'Loading jobs…'));
    for (const j of rows.values()) addType(j.type);
  };

  async function load() {
    const mine = ++loads;
    try {
      const res = await fetchJobs(filter);
      if (signal.aborted || mine !== loads) return;
      loaded = true;
      rows.clear();
      for (const j of res.jobs ?? []) rows.set(j.id, j);
      counts = res.stats ?? null;
      note.hidden = true;
    } catch (err) {
      if (signal.aborted || mine !== loads) return;
      loaded = true;
      if (missing(err)) {
        note.hidden = false;
        note.textContent = 'This server does not list jobs yet: open a job by its ID.';
      } else {
        showError(err);
      }
    }
    render();
  }

  /** Shows a filter in the controls (a type not listed yet joins the list). */
  function showFilter() {
    statusSel.value = filter.status ?? '';
    addType(filter.type);
    typeSel.value = filter.type ?? '';
    keyInput.value = filter.resourceKey ?? '';
  }

  /** A new address (the router's): its filter, checked; what it could not take is named and left out of it. */
  function onQuery(query) {
    const read = readFilter(query);
    filter = read.filter;
    ignoredNote.hidden = read.ignored.length === 0;
    ignoredNote.textContent = `Ignored in the address: ${read.ignored.join('; ')}.`;
    if (read.ignored.length) nav.pushQuery?.(filterQuery(filter), { replace: true });
    showFilter();
    remember();
    load().catch(() => {});
  }

  /** The controls changed: a new address (back restores the one before), then the list. */
  function onFilter() {
    const read = readFilter(
      new URLSearchParams({ status: statusSel.value, type: typeSel.value, resourceKey: keyInput.value.trim() }),
    );
    ignoredNote.hidden = read.ignored.length === 0;
    ignoredNote.textContent = `Not applied: ${read.ignored.join('; ')}.`;
    filter = read.filter;
    nav.pushQuery?.(filterQuery(filter));
    remember();
    load().catch(() => {});
  }

  /** The address of the queue on screen: the job page's "← Queue" comes back to it; saved views mark it. */
  function remember() {
    sessionStorage.setItem(QUEUE_KEY, location.hash || '#/');
    saved.render();
  }

  statusSel.addEventListener('change', onFilter);
  typeSel.addEventListener('change', onFilter);
  keyInput.addEventListener('change', onFilter);

  const refreshSoon = debounce(signal, 400, load);

  /** A transition from the stream: patch the row and the counts now, refresh from the API soon after. */
  function onTransition(data) {
    const prev = rows.get(data.jobId);
    // the event carries the job (its phase as of the transition); else patch the row until the refresh
    const patched = prev && {
      ...prev,
      status: data.to,
      statusReason: data.reason ?? prev.statusReason,
      updatedAt: data.at ?? prev.updatedAt,
      phase: undefined,
      phaseReason: undefined,
    };
    const next = data.job ?? patched ?? null;
    if (next && matchesFilter(filter, next)) rows.set(data.jobId, next);
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
  onQuery(nav.query ?? new URLSearchParams());
  every(signal, REFRESH_MS, load);
  live(signal, streams.all, {
    indicator,
    poll: load,
    onEvent: ({ type, data }) => {
      if (type === 'transition' && data?.jobId) onTransition(data);
    },
  });
  return { onQuery };
}
