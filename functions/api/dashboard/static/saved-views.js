// Saved views: named addresses of the queue (its filters), kept in this browser's localStorage per signed-in user
// (`verity.views.{user}`: name → address), listed, applied by following the address, and deleted. Whatever the
// storage holds is checked on reading: an entry that is not a name and a dashboard address is dropped.
import { announce, h, replace } from './dom.js';

const MAX_NAME = 60;
const MAX_VIEWS = 50;
const MAX_ADDRESS = 2000;
const ADDRESS = /^#\/[^\s]*$/;

const keyOf = (user) => `verity.views.${user}`;

/** The user's saved views, name → address, each checked (a hand-edited or older entry is left out). */
function readViews(user) {
  let raw;
  try {
    raw = JSON.parse(localStorage.getItem(keyOf(user)) ?? '{}');
  } catch {
    return {};
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return {};
  const views = {};
  for (const [name, address] of Object.entries(raw).slice(0, MAX_VIEWS))
    if (
      validName(name) === null &&
      typeof address === 'string' &&
      address.length <= MAX_ADDRESS &&
      ADDRESS.test(address)
    )
      views[name] = address;
  return views;
}

function validName(name) {
  if (name.length === 0) return 'Give the view a name.';
  if (name.length > MAX_NAME) return `A name is at most ${MAX_NAME} characters.`;
  return null;
}

const write = (user, views) => localStorage.setItem(keyOf(user), JSON.stringify(views));

/** The saved views section of the queue: save the address on screen under a name, follow one, delete one. */
export function savedViews(user) {
  const list = h('ul', { class: 'plain saved-list', 'aria-label': 'Saved views' });
  const name = h('input', { id: 'view-name', name: 'viewName', autocomplete: 'off', maxLength: MAX_NAME });
  const problem = h('p', { class: 'hint', id: 'view-name-problem', role: 'alert', hidden: true });
  const form = h(
    'form',
    { class: 'save-view', 'aria-label': 'Save this view' },
    h('div', { class: 'field' }, h('label', { for: 'view-name' }, 'Name of this view'), name),
    h('button', { type: 'submit' }, 'Save view'),
  );
  const el = h(
    'section',
    { class: 'saved-views', 'aria-labelledby': 'saved-title' },
    h('h2', { id: 'saved-title' }, 'Saved views'),
    h(
      'p',
      { class: 'hint' },
      `Kept in this browser only (its local storage), for ${user}: not on the server, not shared.`,
    ),
    list,
    form,
    problem,
  );

  function render() {
    const views = readViews(user);
    const here = location.hash || '#/';
    const names = Object.keys(views).sort((a, b) => a.localeCompare(b));
    if (names.length === 0) {
      replace(list, h('li', { class: 'muted' }, 'None yet: set the filters, name the view and save it.'));
      return;
    }
    replace(
      list,
      names.map((n) => {
        const del = h('button', { type: 'button', class: 'link', 'aria-label': `Delete view ${n}` }, 'Delete');
        del.addEventListener('click', () => {
          const next = readViews(user);
          delete next[n];
          write(user, next);
          render();
          announce(`View ${n} deleted`);
          name.focus();
        });
        return h('li', {}, h('a', { href: views[n], 'aria-current': views[n] === here ? 'page' : null }, n), ' ', del);
      }),
    );
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const n = name.value.trim();
    const views = readViews(user);
    const why =
      validName(n) ?? (!(n in views) && Object.keys(views).length >= MAX_VIEWS ? `At most ${MAX_VIEWS} views.` : null);
    problem.hidden = why === null;
    problem.textContent = why ?? '';
    name.setAttribute('aria-invalid', why === null ? 'false' : 'true');
    name.setAttribute('aria-describedby', why === null ? '' : 'view-name-problem');
    if (why) return;
    const replaced = n in views;
    views[n] = location.hash || '#/';
    try {
      write(user, views);
    } catch (err) {
      problem.hidden = false;
      problem.textContent = `This browser would not keep it: ${err.message}`;
      return;
    }
    name.value = '';
    render();
    announce(`View ${n} ${replaced ? 'replaced' : 'saved'}`);
  });

  render();
  return { el, render };
}
