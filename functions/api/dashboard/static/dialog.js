// A modal dialog: the native <dialog> opened with showModal (the page behind it inert), labelled by its heading.
// Opening moves focus into it; Tab and Shift+Tab cycle inside it; Escape closes it; closing returns focus to the
// control that opened it. Built with the DOM API like every element (the CSP allows no inline script or style).
import { h } from './dom.js';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea, [tabindex]';

/** Whether Tab stops at a radio: the checked one of its group, or the first when none is. */
function radioStop(c, all) {
  if (c.type !== 'radio') return true;
  const group = all.filter((o) => o.type === 'radio' && o.name === c.name);
  return c.checked || (!group.some((o) => o.checked) && group[0] === c);
}

/** The controls Tab reaches in el, in order (hidden ones, tabindex=-1 and a group's other radios left out). */
function focusables(el) {
  const all = [...el.querySelectorAll(FOCUSABLE)].filter((c) => c.tabIndex >= 0 && c.getClientRects().length > 0);
  return all.filter((c) => radioStop(c, all));
}

/**
 * {el, body, open(opener, focus?), close()}: `title` names it (its h2), `alert` makes it an alertdialog (a
 * confirmation). open() shows it modal and focuses `focus` (else the first control); onClose runs after any close.
 */
export function modal(id, title, { alert = false, onClose = () => {} } = {}) {
  const heading = h('h2', { id: `${id}-title`, tabIndex: -1 }, title);
  const body = h('div', { class: 'dialog-body' });
  const el = h('dialog', { id, class: 'modal', 'aria-labelledby': `${id}-title` }, heading, body);
  if (alert) el.setAttribute('role', 'alertdialog');
  let opener = null;

  el.addEventListener('keydown', (e) => {
    if (e.key !== 'Tab') return;
    const list = focusables(el);
    if (list.length === 0) {
      e.preventDefault();
      return;
    }
    const first = list[0];
    const last = list[list.length - 1];
    const at = document.activeElement;
    if (e.shiftKey && (at === first || !el.contains(at))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (at === last || !el.contains(at))) {
      e.preventDefault();
      first.focus();
    }
  });
  // Escape: the browser's cancel closes it; the close handler below puts focus back
  el.addEventListener('close', () => {
    onClose();
    const back = opener;
    opener = null;
    if (back?.isConnected) back.focus();
  });

  return {
    el,
    body,
    heading,
    setTitle: (text) => {
      heading.textContent = text;
    },
    open(from, focus) {
      opener = from ?? document.activeElement;
      if (!el.isConnected) document.body.append(el);
      if (!el.open) el.showModal();
      (focus ?? focusables(el)[0] ?? heading).focus();
    },
    close() {
      if (el.open) el.close();
    },
  };
}
