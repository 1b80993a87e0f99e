// Projects: the owner's projects, newest first, with their status and how many artifacts are ready; paged.
import { client } from './api-client.js';
import { crumbs, h, projectHref, replace, showError, table } from './dom.js';
import { timeEl } from './format.js';

const statusBadge = (status) => h('span', { class: `badge project-${status}` }, status);

function row(p) {
  const ready = `${p.presentCount} of ${p.artifactCount}`;
  return h(
    'tr',
    { 'data-project-id': p.id },
    h('th', { scope: 'row' }, h('a', { href: projectHref(p.id) }, p.name)),
    h('td', {}, statusBadge(p.status)),
    h(
      'td',
      {},
      h('meter', { min: 0, max: Math.max(1, p.artifactCount), value: p.presentCount, 'aria-label': `${ready} ready` }),
      ` ${ready}`,
    ),
    h('td', {}, p.activeJobId ? h('a', { href: `#/jobs/${encodeURIComponent(p.activeJobId)}` }, p.activeJobId) : '—'),
    h('td', {}, timeEl(p.updatedAt)),
  );
}

export function projectsView(view, signal) {
  const body = h('tbody', {}, h('tr', {}, h('td', { colSpan: 5, class: 'muted' }, 'Loading projects…')));
  const more = h('button', { type: 'button', hidden: true }, 'More projects');
  let cursor = null;
  replace(
    view,
    crumbs(),
    h('h1', {}, 'Projects'),
    table(
      { class: 'projects' },
      'Projects, newest first',
      ['Project', 'Status', 'Ready', 'Generating', 'Updated'],
      body,
    ),
    more,
  );

  async function load(append = false) {
    let page;
    try {
      page = await client.listProjects(new URLSearchParams({ limit: '50', ...(append && cursor ? { cursor } : {}) }));
    } catch (err) {
      showError(err);
      return;
    }
    if (signal.aborted) return;
    const rows = page.projects.map(row);
    if (append) body.append(...rows);
    else if (rows.length === 0) replace(body, h('tr', {}, h('td', { colSpan: 5, class: 'muted' }, 'No projects yet.')));
    else replace(body, rows);
    cursor = page.nextCursor;
    more.hidden = !cursor;
  }
  more.addEventListener('click', () => load(true).catch(() => {}));
  load().catch(() => {});
}
