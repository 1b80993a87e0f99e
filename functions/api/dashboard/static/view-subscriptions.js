// Webhooks: the owner's subscriptions (outbound webhooks of job transitions, docs/api.md "Subscriptions"). Made
// with a filter, the signing secret shown once (after a create or a rotate) in a panel to copy it from; enabled
// again after a disable, deleted after a confirmation; each one's deliveries, the dead-letter list, a replay.
import { client, missing } from './api-client.js';
import { modal } from './dialog.js';
import { actions, announce, append, button, clearError, h, onAction, replace, section, showError } from './dom.js';
import { STATUSES, timeEl } from './format.js';
import { deliveriesPanel } from './view-deliveries.js';

/** A form control with its label (and a hint it is described by), in a .field. */
const field = (id, label, control, hint) =>
  h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    control,
    hint ? h('p', { class: 'hint muted', id: `${id}-hint` }, hint) : null,
  );

const filterText = (s) =>
  [
    `types: ${s.types.length ? s.types.join(', ') : 'every type'}`,
    `statuses: ${s.statuses.length ? s.statuses.join(', ') : 'every transition'}`,
    s.projectId ? `project: ${s.projectId}` : null,
  ]
    .filter(Boolean)
    .join(' · ');

const stateBadge = (state) => h('span', { class: `badge sub-${state}` }, state);

/** A fieldset of checkboxes, one per value (more may be added); checked() the values ticked. */
function checkboxes(name, legend, values) {
  const box = h('div', { class: 'checks' });
  const seen = new Set();
  const add = (v) => {
    if (!v || seen.has(v)) return;
    seen.add(v);
    box.append(h('label', { class: 'check' }, h('input', { type: 'checkbox', name, value: v }), ` ${v}`));
  };
  values.forEach(add);
  return {
    el: h('fieldset', { class: 'checks-set' }, h('legend', {}, legend), box),
    add,
    checked: () => [...box.querySelectorAll('input:checked')].map((i) => i.value),
  };
}

/** The secret, once: a panel with the value to copy and a Dismiss button that hands focus back. */
function secretPanel(fallbackFocus) {
  const title = h('h2', { id: 'secret-title', tabIndex: -1 }, 'Signing secret');
  const about = h('p');
  const value = h('input', {
    id: 'secret-value',
    class: 'secret',
    readOnly: true,
    autocomplete: 'off',
    spellcheck: false,
  });
  const copyBtn = button('Copy secret', 'secondary');
  const dismissBtn = button('Dismiss', 'secondary');
  const copied = h('p', { role: 'status', class: 'muted' });
  const el = h(
    'section',
    { class: 'report secret-panel', 'aria-labelledby': 'secret-title', hidden: true },
    title,
    about,
    field('secret-value', 'Signing secret', value),
    h(
      'p',
      { class: 'note' },
      'This secret will not be shown again: copy it now, and give it to the endpoint to verify signatures.',
    ),
    actions('Secret actions', copyBtn, dismissBtn),
    copied,
  );
  let returnTo = null;
  copyBtn.addEventListener('click', async () => {
    value.focus();
    value.select();
    try {
      await navigator.clipboard.writeText(value.value);
      copied.textContent = 'Copied to the clipboard.';
    } catch {
      copied.textContent = document.execCommand('copy')
        ? 'Copied to the clipboard.'
        : 'Selected: press Ctrl+C to copy.';
    }
  });
  dismissBtn.addEventListener('click', () => {
    el.hidden = true;
    value.value = '';
    copied.textContent = '';
    (returnTo?.isConnected ? returnTo : fallbackFocus()).focus();
    returnTo = null;
  });
  const show = (heading, sub, secret, from) => {
    title.textContent = heading;
    replace(about, 'For the webhook to ', h('code', {}, sub.url), ' (', h('code', {}, sub.id), ').');
    value.value = secret;
    copied.textContent = '';
    returnTo = from;
    el.hidden = false;
    title.focus();
  };
  return { el, show };
}

/**
 * The delete confirmation: a modal alert dialog (dialog.js: the page behind it inert, Tab kept inside, Escape
 * closes it, focus back on the Delete button), the safe answer focused.
 */
function confirmDialog(s, confirmBtn, keepBtn) {
  const dialog = modal(`del-${s.id}`, 'Delete this webhook?', { alert: true });
  dialog.el.classList.add('confirm');
  dialog.el.setAttribute('aria-describedby', `del-${s.id}-what`);
  append(
    dialog.body,
    h(
      'p',
      { id: `del-${s.id}-what` },
      'Delete the webhook to ',
      h('code', {}, s.url),
      '? Nothing more is sent to it. This cannot be undone.',
    ),
    actions('Confirm delete', confirmBtn, keepBtn),
  );
  return dialog;
}

export function subscriptionsView(view, signal) {
  const listTitle = h('h2', { id: 'subs-title', tabIndex: -1 }, 'Your webhooks');
  const list = h(
    'ul',
    { class: 'subs', 'aria-labelledby': 'subs-title' },
    h('li', { class: 'muted' }, 'Loading webhooks…'),
  );
  const note = h('p', { class: 'note', hidden: true });
  const secret = secretPanel(() => listTitle);
  const open = new Map(); // subscription id → the state its open deliveries table shows

  const url = h('input', {
    id: 'sub-url',
    name: 'url',
    type: 'url',
    required: true,
    autocomplete: 'off',
    spellcheck: false,
    placeholder: 'https://hooks.example.com/verity',
    'aria-describedby': 'sub-url-hint',
  });
  const types = checkboxes('types', 'Job types (none ticked: every type)', []);
  client.jobTypes().then(
    (ts) => ts.forEach(types.add),
    () => undefined,
  );
  const statuses = checkboxes('statuses', 'Statuses entered (none ticked: every transition)', STATUSES);
  const project = h('input', { id: 'sub-project', name: 'projectId', autocomplete: 'off', spellcheck: false });
  const createBtn = h('button', { type: 'submit' }, 'Create webhook');
  const form = h(
    'form',
    { class: 'sub-form', 'aria-labelledby': 'new-sub-title' },
    field(
      'sub-url',
      'Endpoint URL',
      url,
      'https:// to a public address (on the local stack also http://127.0.0.1:<port>).',
    ),
    types.el,
    statuses.el,
    field('sub-project', 'Project ID (optional: only that project’s jobs)', project),
    createBtn,
  );

  append(
    view,
    h('h1', {}, 'Webhooks'),
    h(
      'p',
      {},
      'Verity posts each transition of your jobs that a webhook asks for to its endpoint, signed by the ',
      'Standard Webhooks spec, retried with backoff; what still fails goes to the dead-letter list.',
    ),
    note,
    secret.el,
    section('new-sub-title', 'New webhook', form),
    listTitle,
    list,
  );

  function card(s) {
    const rotateBtn = button('Rotate secret', 'secondary');
    const enableBtn = s.state === 'disabled' ? button('Enable') : null;
    const deleteBtn = button('Delete', 'danger');
    const confirmBtn = button('Delete webhook', 'danger');
    const keepBtn = button('Keep it', 'secondary');
    const confirm = confirmDialog(s, confirmBtn, keepBtn);
    const facts = [
      ['State', stateBadge(s.state)],
      ['Filter', filterText(s)],
      ['Jobs of', s.ownerId === '*' ? 'every owner' : s.ownerId],
      [
        'Signing secrets',
        s.signingSecrets > 1 ? `${s.signingSecrets} (a rotation’s overlap)` : String(s.signingSecrets),
      ],
      ['ID', h('code', {}, s.id)],
      ['Created', timeEl(s.createdAt)],
      ['Updated', timeEl(s.updatedAt)],
    ];
    const el = h(
      'li',
      { class: `sub sub-card-${s.state}`, 'data-subscription-id': s.id },
      h('h3', {}, h('code', {}, s.url)),
      s.state === 'disabled'
        ? h(
            'p',
            { class: 'disabled-reason' },
            h('strong', {}, 'Disabled: '),
            s.disabledReason ?? 'no reason recorded',
            '. Nothing is sent until it is enabled; what failed is in the dead-letter list, to replay.',
          )
        : null,
      h(
        'dl',
        { class: 'facts' },
        facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
      ),
      actions(`Actions for ${s.url}`, rotateBtn, enableBtn, deleteBtn),
      confirm.el,
      deliveriesPanel(s, open),
    );
    onAction(
      rotateBtn,
      async () => {
        const res = await client.rotateSubscription(s.id);
        secret.show('New signing secret', res.subscription, res.secret, rotateBtn);
        announce('Secret rotated: the previous one keeps signing for a day.');
      },
      { after: load },
    );
    if (enableBtn)
      onAction(
        enableBtn,
        async () => {
          await client.enableSubscription(s.id);
          announce(`Webhook to ${s.url} enabled`);
        },
        { after: load },
      );
    deleteBtn.addEventListener('click', () => confirm.open(deleteBtn, keepBtn));
    keepBtn.addEventListener('click', () => confirm.close());
    onAction(confirmBtn, async () => {
      confirm.close();
      await client.deleteSubscription(s.id);
      open.delete(s.id);
      announce(`Webhook to ${s.url} deleted`);
      await load();
      listTitle.focus();
    });
    return el;
  }

  async function load() {
    let res;
    try {
      res = await client.listSubscriptions();
    } catch (err) {
      if (signal.aborted) return;
      if (!missing(err)) return showError(err);
      note.hidden = false;
      note.textContent = 'This server has no webhooks yet.';
      return;
    }
    if (signal.aborted) return;
    const subs = [...(res.subscriptions ?? [])].sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
    if (subs.length === 0) replace(list, h('li', { class: 'muted' }, 'No webhooks yet.'));
    else replace(list, subs.map(card));
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearError();
    createBtn.setAttribute('aria-busy', 'true');
    try {
      const body = { url: url.value.trim(), types: types.checked(), statuses: statuses.checked() };
      if (project.value.trim()) body.projectId = project.value.trim();
      const res = await client.createSubscription(body);
      form.reset();
      secret.show('Signing secret of the new webhook', res.subscription, res.secret, url);
      announce(`Webhook to ${res.subscription.url} created`);
    } catch (err) {
      showError(err);
      url.focus();
    } finally {
      createBtn.removeAttribute('aria-busy');
    }
    await load().catch(() => {});
  });

  load().catch(() => {});
}
