// A job's event timeline (GET /api/jobs/:id/history): every transition, oldest first, with when its state began
// and ended (the next transition, or now), who or what made it (its source; a bulk action's id and who asked, from
// evidence.bulk) and its evidence as recorded, collapsed.
import { h } from './dom.js';
import { fmtSeconds, reasonBadge, reasonClass, TERMINAL, timeEl } from './format.js';

/** The bulk action a transition names, when its evidence holds a well-formed one. */
function bulkOf(t) {
  const b = t.evidence?.bulk;
  return b && typeof b.bulkId === 'string' && typeof b.userId === 'string' ? b : null;
}

/**
 * Who or what made it: the API's words (`cause`, core/phase.ts: the source, and a bulk action's id and caller);
 * a transition without them (one a stream pushed) shows its source and bulk as recorded.
 */
function cause(t) {
  const bulk = bulkOf(t);
  const source = t.source ?? '—';
  const by = t.cause ?? (bulk ? `${source}: bulk action ${bulk.bulkId} by ${bulk.userId}` : source);
  return h(
    'p',
    { class: 'tl-by' },
    h('strong', {}, 'Caused by: '),
    by,
    ' ',
    h('span', { class: 'badge source' }, `source: ${t.source ?? '—'}`),
  );
}

/** When the state it entered began and ended: until the next transition; the last one ends with the job or lasts. */
function period(t, next) {
  if (next) {
    const s = (Date.parse(next.at) - Date.parse(t.at)) / 1000;
    return h(
      'p',
      { class: 'tl-when' },
      `In ${t.to} from `,
      timeEl(t.at),
      ' to ',
      timeEl(next.at),
      ` (${fmtSeconds(s)})`,
    );
  }
  if (TERMINAL.has(t.to)) return h('p', { class: 'tl-when' }, `Ended ${t.to} at `, timeEl(t.at));
  return h('p', { class: 'tl-when' }, `In ${t.to} since `, timeEl(t.at), ' (still)');
}

function transitionItem(t, next) {
  return h(
    'li',
    { class: `tl tl-${reasonClass(t.reason, t.source)}${bulkOf(t) ? ' tl-bulk-made' : ''}`, 'data-seq': t.seq },
    h(
      'div',
      { class: 'tl-head' },
      h('span', { class: 'tl-seq' }, `#${t.seq}`),
      ' ',
      h('strong', {}, `${t.from ?? 'new'} → ${t.to}`),
      ' ',
      reasonBadge(t.reason, t.source),
      typeof t.attempt === 'number' ? h('span', { class: 'muted' }, ` attempt ${t.attempt}`) : null,
    ),
    period(t, next),
    cause(t),
    t.evidence !== undefined && t.evidence !== null
      ? h('details', {}, h('summary', {}, `Evidence for #${t.seq}`), h('pre', {}, JSON.stringify(t.evidence, null, 2)))
      : null,
  );
}

/** The items of a history, oldest first. */
export const timelineItems = (transitions) => {
  const list = [...transitions].sort((a, b) => a.seq - b.seq);
  return list.map((t, i) => transitionItem(t, list[i + 1]));
};
