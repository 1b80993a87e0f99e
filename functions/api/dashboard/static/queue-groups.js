// The queue's jobs grouped by phase (the API's `phase` and `phaseReason`: shared/src/core/phase.ts): waiting,
// running, held, recovering, ended — a table each, every row with its one-line reason. A job is never shown as
// running while it is queued: the groups follow the phase, and the phase never says running before the work does.
import { h, jobHref, table } from './dom.js';
import { fmtPct, reasonBadge, reasonClass, statusBadge, TERMINAL, timeEl } from './format.js';

const GROUPS = [
  ['waiting', 'Waiting', 'queued, nothing wrong: waiting for a start or for the work to begin'],
  ['running', 'Running', 'the work runs'],
  ['held', 'Held', 'kept back until a time or a confirmation: a retry backoff, unreadable evidence, a cancel'],
  ['recovering', 'Recovering', 'something is overdue or failed: Verity is checking, starting again or retrying'],
  ['ended', 'Ended', 'succeeded, failed or canceled, newest first'],
];
const COLUMNS = ['Job', 'Type', 'Status', 'Why', 'Progress', 'Created', 'Updated'];

/** The phase of a job from an API that does not say it yet: from its status alone. */
const phaseOf = (job) =>
  job.phase ?? (TERMINAL.has(job.status) ? 'ended' : job.status === 'running' ? 'running' : 'waiting');

function why(job) {
  return [
    job.phaseReason ? h('span', { class: 'why' }, job.phaseReason) : reasonBadge(job.statusReason),
    job.phaseReason && TERMINAL.has(job.status) ? [' ', reasonBadge(job.statusReason)] : null,
    job.canResume ? [' ', h('span', { class: 'badge resumable' }, 'can resume')] : null,
  ];
}

function row(job) {
  const cls = reasonClass(job.statusReason);
  const pct = job.progress?.pct;
  return h(
    'tr',
    { 'data-job-id': job.id, class: cls !== 'normal' ? `hl hl-${cls}` : '' },
    h('th', { scope: 'row' }, h('a', { href: jobHref(job.id) }, job.id)),
    h('td', {}, job.type),
    h('td', {}, statusBadge(job.status)),
    h('td', {}, why(job)),
    h('td', {}, typeof pct === 'number' ? fmtPct(pct) : '—'),
    h('td', {}, timeEl(job.createdAt)),
    h('td', {}, timeEl(job.updatedAt ?? job.endedAt ?? job.startedAt ?? job.createdAt)),
  );
}

/** The groups a status filter can hold: all five without one; the active four, or Ended alone, with one. */
function groupsFor(status) {
  if (!status) return GROUPS;
  return GROUPS.filter(([key]) => (TERMINAL.has(status) ? key === 'ended' : key !== 'ended'));
}

/** One section per group, each a table (an empty group says so). */
export function groupSections(jobs, status) {
  const sorted = [...jobs].sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
  return groupsFor(status).map(([key, title, about]) => {
    const mine = sorted.filter((j) => phaseOf(j) === key);
    const body = h(
      'tbody',
      {},
      mine.length
        ? mine.map(row)
        : h('tr', {}, h('td', { colSpan: COLUMNS.length, class: 'empty' }, `No ${title.toLowerCase()} jobs.`)),
    );
    return h(
      'section',
      { class: `phase-group phase-${key}`, 'aria-labelledby': `group-${key}` },
      h('h2', { id: `group-${key}` }, `${title} (${mine.length})`),
      h('p', { class: 'hint' }, about),
      h('div', { class: 'table-wrap' }, table({}, `${title} jobs`, COLUMNS, body)),
    );
  });
}
