// One project: its status, artifact tiles (present or missing), and reconcile / generate.
import { ApiError, client } from './api-client.js';
import {
  actions,
  announce,
  append,
  button,
  crumbs,
  every,
  h,
  jobHref,
  onAction,
  replace,
  reportPanel,
  section,
  showError,
} from './dom.js';
import { presenceBadge, statusBadge } from './format.js';

const POLL_MS = 3000;

const artifactTile = (a) =>
  h(
    'li',
    { class: `tile ${a.present ? 'present' : 'missing'}` },
    h('h3', {}, a.key),
    h('p', {}, presenceBadge(a.present, a.present ? 'Present' : 'Missing')),
    h('p', { class: 'uri' }, h('code', {}, a.uri)),
    a.generation ? h('p', { class: 'muted' }, `generation ${a.generation}`) : null,
  );

const jobLink = (id, text) => h('p', {}, h('a', { href: jobHref(id) }, text));

export function projectView(view, signal, id) {
  const title = h('h1', {}, 'Project ', h('code', {}, id));
  const facts = h('dl', { class: 'facts' }, h('dt', {}, 'Status'), h('dd', { class: 'muted' }, 'Loading…'));
  const grid = h('ul', { class: 'tiles', 'aria-label': 'Artifacts' });
  const report = reportPanel('preport-title');
  const previewBtn = button('Preview reconcile', 'secondary');
  const reconcileBtn = button('Reconcile');
  const generateBtn = button('Generate');
  const refreshBtn = button('Refresh', 'secondary');

  append(
    view,
    crumbs(),
    title,
    actions('Project actions', previewBtn, reconcileBtn, generateBtn, refreshBtn),
    report.el,
    section('pf-title', 'Summary', facts),
    section('art-title', 'Artifacts', grid),
  );

  let project = null;

  function render() {
    replace(title, 'Project ', project.name ?? '', ' ', h('code', {}, project.id));
    const arts = project.artifacts ?? [];
    replace(
      facts,
      h('dt', {}, 'Status'),
      h('dd', {}, statusBadge(project.status)),
      h('dt', {}, 'Artifacts'),
      h('dd', {}, `${arts.filter((a) => a.present).length} of ${arts.length} present`),
      h('dt', {}, 'Active job'),
      h('dd', {}, project.activeJobId ? h('a', { href: jobHref(project.activeJobId) }, project.activeJobId) : '—'),
    );
    if (arts.length === 0) replace(grid, h('li', { class: 'muted' }, 'No artifacts declared.'));
    else replace(grid, arts.map(artifactTile));
  }

  async function load() {
    let res;
    try {
      res = await client.getProject(id);
    } catch (err) {
      if (!signal.aborted) showError(err);
      return;
    }
    if (signal.aborted) return;
    const prev = project?.status;
    project = res.project;
    if (prev && prev !== project.status) announce(`Project status changed: ${prev} → ${project.status}`);
    render();
  }

  const act = (btn, fn) =>
    onAction(btn, fn, {
      after: load,
      onError: (err) => {
        showError(err);
        const active = err instanceof ApiError ? err.body?.activeJob : null;
        if (active) report.show('Already generating', active, jobLink(active.id, 'Open the active job'));
      },
    });

  // a look before a fix (seed 001's auto_fix=False): each artifact's record and what the bucket says, nothing written
  act(previewBtn, async () => {
    const res = await client.reconcileProject(id, true);
    const changes = res.report?.changes?.length ?? 0;
    report.show('Reconcile preview (nothing written)', res.report ?? res);
    announce(`Preview: ${changes} artifact record${changes === 1 ? '' : 's'} would be corrected`);
  });
  act(reconcileBtn, async () => {
    const res = await client.reconcileProject(id);
    report.show('Reconcile report', res.report ?? res);
    announce(`Project reconcile: ${res.report?.action ?? 'done'}`);
  });
  act(generateBtn, async () => {
    const res = await client.generateProject(id);
    if (res.job) {
      report.show('Generation started', res.job, jobLink(res.job.id, `Open job ${res.job.id}`));
      announce(`Generation job ${res.job.id} enqueued`);
    } else {
      report.show('Nothing to generate', res.project ?? res);
      announce('Nothing is missing');
    }
  });
  act(refreshBtn, async () => {});

  load().catch(() => {});
  every(signal, POLL_MS, async () => {
    if (project?.status === 'generating') await load();
  });
}
