// The diagnosis panel of a job page (GET /api/jobs/:id/diagnosis): the cause in one sentence, its explanation,
// what the job waits for, the next deadline and what happens then, the evidence seen or missing, and the
// actions that make sense now — each a button that does what the page's own action buttons do.
import { h, replace, section, table } from './dom.js';
import { presenceBadge, timeEl } from './format.js';

export function diagnosisPanel() {
  const body = h('div', { class: 'diagnosis' });
  const el = section('diag-title', 'Diagnosis', body);

  /** d: the diagnosis; run(action): performs 'cancel' | 'retry' | 'reconcile'. */
  function render(d, run) {
    if (!d) {
      replace(body, h('p', { class: 'muted' }, 'No diagnosis available.'));
      return;
    }
    const next = d.nextDeadline;
    const evidence = h(
      'tbody',
      {},
      d.evidence.map((e) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, e.kind),
          h('td', {}, presenceBadge(e.seen, e.seen ? 'seen' : 'missing')),
          h('td', {}, timeEl(e.at)),
          h('td', {}, e.detail),
        ),
      ),
    );
    const suggested = d.actions.map((a) =>
      h(
        'li',
        {},
        a.action === 'wait'
          ? h('strong', {}, 'Wait')
          : h(
              'button',
              { type: 'button', class: a.action === 'cancel' ? 'danger' : '', on: { click: () => run(a.action) } },
              `${a.action[0].toUpperCase()}${a.action.slice(1)} (suggested)`,
            ),
        ` — ${a.why}`,
      ),
    );
    replace(
      body,
      h('p', { class: 'diag-summary' }, h('span', { class: 'badge cause' }, d.cause.code), ' ', d.summary),
      h('p', {}, d.cause.explanation),
      d.waitingFor.length ? h('p', {}, h('strong', {}, 'Waiting for: '), d.waitingFor.join('; ')) : null,
      h(
        'p',
        {},
        h('strong', {}, 'Next deadline: '),
        next ? [next.kind, ' at ', timeEl(next.at), ` — ${next.then}`] : 'none',
      ),
      suggested.length ? h('ul', { class: 'plain suggested', 'aria-label': 'Suggested actions' }, suggested) : null,
      table({ class: 'evidence' }, 'Evidence', ['Evidence', 'Seen', 'At', 'Detail'], evidence),
    );
  }
  return { el, render };
}
