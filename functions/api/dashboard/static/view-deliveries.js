// A webhook's deliveries on the Webhooks page (view-subscriptions.js), loaded when opened: a filter by state (the
// dead-letter list among them), the table, newest first, and a replay of the dead letters.
import { client } from './api-client.js';
import { actions, announce, button, h, jobHref, onAction, replace, showError, table } from './dom.js';
import { timeEl } from './format.js';

const DELIVERY_STATES = [
  ['', 'All'],
  ['pending', 'Pending'],
  ['delivered', 'Delivered'],
  ['dead', 'Dead letters'],
];
const DELIVERY_COLUMNS = [
  'Webhook ID',
  'Status',
  'Attempts',
  'Last answer',
  'Last error',
  'Next try',
  'Created',
  'Delivered',
];

/** The deliveries of subscription s; `open` remembers (id → state shown) which panels are open across reloads. */
export function deliveriesPanel(s, open) {
  const sel = h(
    'select',
    { id: `d-${s.id}-state`, name: 'state' },
    DELIVERY_STATES.map(([v, label]) => h('option', { value: v }, label)),
  );
  sel.value = open.get(s.id) ?? '';
  const body = h('tbody');
  const refreshBtn = button('Refresh deliveries', 'secondary');
  const replayBtn = button('Replay dead letters', 'secondary');
  const said = h('p', { role: 'status', class: 'muted' });
  const details = h(
    'details',
    { class: 'deliveries' },
    h('summary', {}, 'Deliveries'),
    h(
      'div',
      { class: 'toolbar' },
      h(
        'form',
        { on: { submit: (e) => e.preventDefault() } },
        h('div', { class: 'field' }, h('label', { for: sel.id }, 'Show'), sel),
      ),
      actions(`Deliveries of ${s.url}`, refreshBtn, replayBtn),
    ),
    said,
    h('div', { class: 'table-wrap' }, table({}, `Deliveries to ${s.url}, newest first`, DELIVERY_COLUMNS, body)),
  );
  const row = (d) =>
    h(
      'tr',
      { class: d.status === 'dead' ? 'hl hl-corrected' : '' },
      h('th', { scope: 'row' }, h('a', { href: jobHref(d.jobId) }, d.webhookId)),
      h('td', {}, h('span', { class: `badge delivery-${d.status}` }, d.status === 'dead' ? 'dead letter' : d.status)),
      h('td', {}, String(d.attempts)),
      h('td', {}, d.lastStatus === null ? '—' : String(d.lastStatus)),
      h('td', {}, d.lastError ?? '—'),
      h('td', {}, timeEl(d.nextAttemptAt)),
      h('td', {}, timeEl(d.createdAt)),
      h('td', {}, timeEl(d.deliveredAt)),
    );
  const load = async () => {
    const q = new URLSearchParams({ limit: '50', ...(sel.value ? { state: sel.value } : {}) });
    const res = await client.subscriptionDeliveries(s.id, q);
    const found = res.deliveries ?? [];
    const none = sel.value === 'dead' ? 'The dead-letter list is empty.' : 'No deliveries.';
    if (found.length === 0)
      replace(body, h('tr', {}, h('td', { colSpan: DELIVERY_COLUMNS.length, class: 'empty' }, none)));
    else replace(body, found.map(row));
  };
  details.addEventListener('toggle', () => {
    if (details.open) open.set(s.id, sel.value);
    else open.delete(s.id);
    if (details.open) load().catch(showError);
  });
  sel.addEventListener('change', () => {
    open.set(s.id, sel.value);
    load().catch(showError);
  });
  onAction(refreshBtn, load);
  onAction(replayBtn, async () => {
    const { replay } = await client.replaySubscription(s.id);
    const n = replay?.replayed ?? 0;
    said.textContent = `${n} dead letter${n === 1 ? '' : 's'} replayed: pending again, with their first webhook IDs.`;
    announce(said.textContent);
    await load();
  });
  details.open = open.has(s.id);
  return details;
}
