// Bulk actions from the queue (docs/api.md "Bulk actions", POST /api/jobs/bulk): for the jobs the current filter
// matches, choose an action, preview it (a dry run: the count and a sample, nothing changed), confirm in a dialog
// that names the count and the action ("Cancel 37 jobs?"), start it with a request id (a second click answers the
// same bulk), follow its progress every second (each read carries it on), and end with a summary of the jobs it
// failed on or skipped, and why.
import { client } from './api-client.js';
import { modal } from './dialog.js';
import { announce, h, jobHref, replace, table } from './dom.js';
import { describeFilter } from './filters.js';
import { statusBadge } from './format.js';

const ACTIONS = {
  cancel: { verb: 'Cancel', done: 'canceled', what: 'stops queued and running jobs; ended ones are skipped' },
  retry: {
    verb: 'Retry',
    done: 'retried',
    what: 'a new job for each failed or canceled one, reusing outputs that exist',
  },
  reconcile: { verb: 'Reconcile', done: 'reconciled', what: 'checks each against the evidence now and corrects it' },
  resume: {
    verb: 'Resume',
    done: 'resumed',
    what: 'retries failed or canceled jobs that completed steps, past those steps',
  },
};
const POLL_MS = 1000;
const SHOWN_ITEMS = 100;

const jobs = (n) => `${n} job${n === 1 ? '' : 's'}`;
const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
const requestId = () =>
  `dash-${crypto.randomUUID ? crypto.randomUUID() : [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16)).join('')}`;

const sampleItem = (j) =>
  h(
    'li',
    {},
    h('a', { href: jobHref(j.id) }, j.id),
    ' ',
    statusBadge(j.status),
    ` ${j.type}`,
    j.phaseReason ? h('span', { class: 'muted' }, ` — ${j.phaseReason}`) : null,
  );

/** The failed or skipped jobs of a bulk with why, as a table (null when there are none). */
async function itemsTable(bulk, state, caption) {
  const n = bulk[state];
  if (!n) return null;
  const { items } = await client.bulkItems(bulk.id, state, SHOWN_ITEMS);
  const rows = h(
    'tbody',
    {},
    items.map((i) =>
      h('tr', {}, h('th', { scope: 'row' }, h('a', { href: jobHref(i.jobId) }, i.jobId)), h('td', {}, i.detail ?? '—')),
    ),
  );
  const more = n > items.length ? ` (the first ${items.length} of ${n})` : '';
  return table({ class: 'bulk-items' }, `${caption}${more}`, ['Job', 'Why'], rows);
}

/**
 * The "Act on these…" button, its two dialogs and the progress region. filterOf() is the queue's filter now;
 * onSettled() runs when a bulk ends (the queue reloads).
 */
export function bulkControl(signal, { filterOf, onSettled }) {
  const opener = h('button', { type: 'button', class: 'secondary', 'aria-haspopup': 'dialog' }, 'Act on these…');
  const choose = modal('bulk-dialog', 'Act on the jobs this filter matches');
  const confirm = modal('bulk-confirm', 'Confirm', { alert: true });
  signal.addEventListener('abort', () => [choose, confirm].forEach((d) => (d.close(), d.el.remove())), { once: true });

  // the first dialog: what to act on, the action, its preview
  const scope = h('p', { class: 'bulk-scope' });
  const radios = Object.entries(ACTIONS).map(([action, a], i) =>
    h(
      'label',
      { class: 'check', for: `bulk-action-${action}` },
      h('input', { type: 'radio', name: 'bulk-action', id: `bulk-action-${action}`, value: action, checked: i === 0 }),
      h('span', {}, h('strong', {}, a.verb), ` — ${a.what}`),
    ),
  );
  const preview = h('div', { class: 'bulk-preview', 'aria-live': 'polite' });
  const previewBtn = h('button', { type: 'button' }, 'Preview');
  const continueBtn = h('button', { type: 'button', hidden: true });
  const closeBtn = h('button', { type: 'button', class: 'secondary' }, 'Close');
  const actionOf = () => choose.el.querySelector('input[name="bulk-action"]:checked')?.value ?? 'cancel';
  let matched = 0;
  let filter = {};
  choose.body.append(
    scope,
    h('fieldset', { class: 'choices' }, h('legend', {}, 'Action'), radios),
    preview,
    h('div', { class: 'actions' }, previewBtn, continueBtn, closeBtn),
  );
  const clearPreview = () => {
    replace(preview);
    continueBtn.hidden = true;
  };
  choose.el.addEventListener('change', clearPreview);
  closeBtn.addEventListener('click', () => choose.close());

  // the confirmation: names the count and the action
  const confirmText = h('p');
  const confirmError = h('p', { class: 'note', role: 'alert', hidden: true });
  const backBtn = h('button', { type: 'button', class: 'secondary' }, 'Go back');
  const startBtn = h('button', { type: 'button' });
  confirm.body.append(confirmText, confirmError, h('div', { class: 'actions' }, backBtn, startBtn));
  backBtn.addEventListener('click', () => confirm.close());
  let pendingId = null; // the request id of the confirmation on screen: one bulk however often it is sent

  // the progress region on the page
  const title = h('h2', { id: 'bulk-title', tabIndex: -1 }, 'Bulk action');
  const bar = h('progress', { id: 'bulk-bar', max: 1, value: 0 });
  const counts = h('p', { class: 'bulk-counts' });
  const outcome = h('div', { class: 'bulk-outcome' });
  const dismiss = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Dismiss');
  const region = h(
    'section',
    { class: 'report bulk', 'aria-labelledby': 'bulk-title', hidden: true },
    title,
    h('label', { for: 'bulk-bar' }, 'Progress'),
    bar,
    counts,
    outcome,
    dismiss,
  );
  dismiss.addEventListener('click', () => {
    region.hidden = true;
    opener.focus();
  });

  opener.addEventListener('click', () => {
    filter = filterOf();
    replace(
      scope,
      'Jobs: ',
      h('strong', {}, describeFilter(filter)),
      '. The action applies to the jobs matched when it starts.',
    );
    clearPreview();
    choose.open(opener, choose.el.querySelector('input[name="bulk-action"]:checked'));
  });

  previewBtn.addEventListener('click', async () => {
    const action = actionOf();
    previewBtn.setAttribute('aria-busy', 'true');
    try {
      const { bulk } = await client.startBulk({ action, filter, dryRun: true });
      matched = bulk.matched;
      const a = ACTIONS[action];
      replace(
        preview,
        h(
          'p',
          {},
          h('strong', {}, `${jobs(matched)} match.`),
          matched ? ' Nothing has changed yet.' : ' Nothing to do.',
        ),
        bulk.sample.length
          ? [
              h('p', {}, `A sample of ${bulk.sample.length}:`),
              h('ul', { class: 'plain sample' }, bulk.sample.map(sampleItem)),
            ]
          : null,
      );
      continueBtn.textContent = `${a.verb} ${jobs(matched)}…`;
      continueBtn.hidden = matched === 0;
      continueBtn.className = action === 'cancel' ? 'danger' : '';
    } catch (err) {
      replace(preview, h('p', { class: 'note', role: 'alert' }, `${err.code ?? 'ERROR'}: ${err.message}`));
    } finally {
      previewBtn.removeAttribute('aria-busy');
    }
  });

  continueBtn.addEventListener('click', () => {
    const a = ACTIONS[actionOf()];
    pendingId = requestId();
    confirm.setTitle(`${a.verb} ${jobs(matched)}?`);
    confirmText.textContent =
      `${a.verb} the ${jobs(matched)} matching ${describeFilter(filter)}: ${a.what}. ` +
      'Each job is acted on through its own command; it cannot be undone from here.';
    confirmError.hidden = true;
    startBtn.textContent = `${a.verb} ${jobs(matched)}`;
    startBtn.className = actionOf() === 'cancel' ? 'danger' : '';
    startBtn.disabled = false;
    confirm.open(continueBtn, backBtn);
  });

  startBtn.addEventListener('click', async () => {
    const action = actionOf();
    startBtn.disabled = true; // a second click sends nothing; a resend after an error carries the same request id
    startBtn.setAttribute('aria-busy', 'true');
    try {
      const { bulk } = await client.startBulk({ action, filter, requestId: pendingId });
      confirm.close();
      choose.close();
      follow(bulk).catch(() => {});
    } catch (err) {
      confirmError.textContent = `Not started — ${err.code ?? 'ERROR'}: ${err.message}`;
      confirmError.hidden = false;
      startBtn.disabled = false;
    } finally {
      startBtn.removeAttribute('aria-busy');
    }
  });

  function render(b) {
    const a = ACTIONS[b.action] ?? { done: 'done' };
    const settled = b.done + b.skipped + b.failed;
    bar.max = Math.max(1, b.matched);
    bar.value = settled;
    counts.textContent =
      `${settled} of ${jobs(b.matched)} settled: ${b.done} ${a.done}, ${b.skipped} skipped, ` +
      `${b.failed} failed, ${b.pending} pending.`;
  }

  async function follow(first) {
    const a = ACTIONS[first.action];
    replace(title, `${a.verb} ${jobs(first.matched)}: `, h('code', {}, first.id));
    replace(outcome);
    dismiss.hidden = true;
    region.hidden = false;
    title.focus();
    announce(`${a.verb} of ${jobs(first.matched)} started`);
    let b = first;
    render(b);
    while (b.state !== 'done') {
      await sleep(POLL_MS, signal);
      if (signal.aborted) return;
      try {
        b = (await client.getBulk(b.id)).bulk;
        render(b);
      } catch (err) {
        counts.textContent = `Could not read its progress (${err.code ?? 'ERROR'}: ${err.message}); trying again.`;
      }
    }
    const summary = `Finished: ${b.done} ${a.done}, ${b.skipped} skipped, ${b.failed} failed.`;
    const [failed, skipped] = await Promise.all([
      itemsTable(b, 'failed', 'Failed: why each was refused'),
      itemsTable(b, 'skipped', 'Skipped: why each was left alone'),
    ]).catch((err) => [
      h('p', { class: 'note' }, `The failed and skipped jobs could not be read: ${err.message}`),
      null,
    ]);
    if (signal.aborted) return;
    replace(outcome, h('p', { class: 'bulk-summary' }, h('strong', {}, summary)), failed, skipped);
    dismiss.hidden = false;
    announce(summary);
    onSettled();
  }

  return { opener, region };
}
