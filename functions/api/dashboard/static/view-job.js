// One job: its diagnosis, summary (its phase, whether it can resume, when it completed or was canceled), progress
// and steps (each with its start and end), the timeline of transitions (timeline.js), and the actions.
import { ApiError, client, missing, streams } from './api-client.js';
import {
  actions,
  announce,
  append,
  button,
  crumbs,
  debounce,
  h,
  onAction,
  replace,
  reportPanel,
  section,
  showError,
  table,
} from './dom.js';
import { fmtPct, fmtSeconds, presenceBadge, reasonBadge, statusBadge, TERMINAL, timeEl } from './format.js';
import { live } from './sse.js';
import { timelineItems } from './timeline.js';
import { diagnosisPanel } from './view-diagnosis.js';

const secs = (n) => (n === null || n === undefined ? '—' : fmtSeconds(n));

function summaryRows(job) {
  const outputs = job.outputs ?? [];
  const executor = job.executor
    ? `${job.executor.kind}${job.executor.executionRef ? ` (${job.executor.executionRef})` : ''}`
    : '—';
  return [
    ['Status', statusBadge(job.status)],
    ['Phase', job.phase ? `${job.phase}${job.phaseReason ? ` — ${job.phaseReason}` : ''}` : '—'],
    ['Reason', reasonBadge(job.statusReason)],
    ['Type', job.type],
    ['Owner', job.ownerId],
    ['Resource', job.resourceKey ?? '—'],
    ['Attempt', `${job.attempt} of ${job.maxAttempts}`],
    ['Executor', executor],
    ['Created', timeEl(job.createdAt)],
    ['Started', timeEl(job.startedAt)],
    ['Heartbeat', timeEl(job.heartbeatAt)],
    ['Completed', timeEl(job.completedAt)],
    ['Canceled', timeEl(job.canceledAt)],
    ['Ended', timeEl(job.endedAt ?? job.completedAt ?? job.canceledAt)],
    ['Next check', timeEl(job.nextCheckAt)],
    ['Outputs', outputs.length ? h('ul', { class: 'plain' }, outputs.map(outputItem)) : '—'],
    ['Can resume', resumeText(job)],
    ['Error', job.error ? `${job.error.code}: ${job.error.message}${job.error.retryable ? ' (retryable)' : ''}` : '—'],
  ];
}

/** Whether a retry resumes past completed steps (the API's canResume), and which. */
function resumeText(job) {
  if (job.canResume === undefined) return '—';
  const done = job.progress?.completedSteps ?? [];
  return job.canResume ? `yes: a retry resumes past ${done.join(', ') || 'its completed steps'}` : 'no';
}

const outputItem = (o) =>
  h('li', {}, h('code', {}, o.uri), ' ', presenceBadge(o.present, o.present ? 'present' : 'missing'));

/** The progress line: percent, current step, steps done, and with /progress the elapsed and remaining time. */
function progressLine(pct, p, job) {
  const parts = [fmtPct(pct)];
  const step = p ? p.currentStep?.name : job?.progress?.step;
  if (step)
    parts.push(
      `step: ${step}${typeof p?.currentStep?.progressPct === 'number' ? ` (${fmtPct(p.currentStep.progressPct)})` : ''}`,
    );
  const done = p?.completedSteps ?? job?.progress?.completedSteps;
  if (done?.length) parts.push(`done: ${done.join(', ')}`);
  if (p) {
    parts.push(`elapsed ${fmtSeconds(p.elapsedSeconds)}`);
    if (p.remainingSeconds !== null && p.remainingSeconds !== undefined) {
      parts.push(`about ${fmtSeconds(p.remainingSeconds)} left of ${fmtSeconds(p.estimatedTotalSeconds)}`);
    }
  }
  return parts.join(' · ');
}

const stepRow = (s) =>
  h(
    'tr',
    { class: `step-${s.status}` },
    h('th', { scope: 'row' }, s.name),
    h('td', {}, s.status),
    h('td', {}, s.weight ?? '—'),
    h('td', {}, timeEl(s.startedAt)),
    h('td', {}, timeEl(s.completedAt)),
    h('td', {}, secs(s.estimatedSeconds)),
    h('td', {}, secs(s.remainingSeconds)),
  );

/** The percent a job's own record says (a finished job without progress reads 100). */
const jobPct = (job) =>
  typeof job?.progress?.pct === 'number' ? job.progress.pct : job?.status === 'succeeded' ? 100 : 0;

export function jobView(view, signal, id) {
  const summary = h('dl', { class: 'facts' });
  const progress = h('progress', { id: 'job-progress', max: 100 });
  const progressText = h('p', { class: 'progress-text' });
  const stepsBody = h('tbody');
  const stepsTable = table(
    { class: 'steps', hidden: true },
    'Steps',
    ['Step', 'Status', 'Weight', 'Started', 'Ended', 'Took / expected', 'Left'],
    stepsBody,
  );
  const indicator = h('p', { class: 'conn', role: 'status' });
  const timeline = h('ol', { class: 'timeline' });
  const report = reportPanel('report-title');
  const diagnosis = diagnosisPanel();
  const cancelBtn = button('Cancel', 'danger');
  const retryBtn = button('Retry');
  const previewBtn = button('Preview reconcile', 'secondary');
  const reconcileBtn = button('Reconcile');

  append(
    view,
    crumbs(),
    h('h1', {}, 'Job ', h('code', {}, id)),
    actions('Job actions', cancelBtn, retryBtn, previewBtn, reconcileBtn),
    report.el,
    indicator,
    diagnosis.el,
    section('sum-title', 'Summary', summary),
    section(
      'prog-title',
      'Progress',
      h('label', { for: 'job-progress', class: 'visually-hidden' }, 'Progress'),
      progress,
      progressText,
      stepsTable,
    ),
    section('tl-title', 'Timeline', timeline),
  );

  let job = null;
  let progressAvailable = true;
  let diagnosisAvailable = true;
  let lastSeqRendered = -1;

  function renderJob() {
    replace(
      summary,
      summaryRows(job).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    );
    cancelBtn.disabled = TERMINAL.has(job.status);
    retryBtn.disabled = !(job.status === 'failed' || job.status === 'canceled');
    const pct = jobPct(job);
    progress.value = pct;
    progress.textContent = fmtPct(pct);
  }

  function renderProgress(p) {
    const pct = typeof p?.progressPct === 'number' ? p.progressPct : jobPct(job);
    progress.value = pct;
    progressText.textContent = progressLine(pct, p, job);
    const steps = p?.steps ?? [];
    stepsTable.hidden = steps.length === 0;
    replace(stepsBody, steps.map(stepRow));
  }

  function renderTimeline(transitions) {
    const list = [...transitions].sort((a, b) => a.seq - b.seq);
    const last = list.length ? list[list.length - 1].seq : -1;
    if (last === lastSeqRendered) return; // keep open <details> as they are
    lastSeqRendered = last;
    if (list.length === 0) replace(timeline, h('li', { class: 'muted' }, 'No transitions yet.'));
    else replace(timeline, timelineItems(list));
  }

  async function load() {
    const [jobRes, histRes, progRes, diagRes] = await Promise.allSettled([
      client.getJob(id),
      client.jobHistory(id),
      progressAvailable ? client.jobProgress(id) : Promise.resolve(null),
      diagnosisAvailable ? client.jobDiagnosis(id) : Promise.resolve(null),
    ]);
    if (signal.aborted) return;
    if (jobRes.status === 'rejected') {
      showError(jobRes.reason);
      return;
    }
    const prev = job?.status;
    job = jobRes.value.job;
    renderJob();
    const why = job.statusReason ? ` (${job.statusReason})` : '';
    if (prev && prev !== job.status) announce(`Job status changed: ${prev} → ${job.status}${why}`);
    if (histRes.status === 'fulfilled') renderTimeline(histRes.value.transitions ?? []);
    else showError(histRes.reason);
    if (progRes.status === 'rejected' && missing(progRes.reason)) progressAvailable = false;
    renderProgress(progRes.status === 'fulfilled' ? progRes.value : null);
    if (diagRes.status === 'rejected' && missing(diagRes.reason)) diagnosisAvailable = false;
    diagnosis.el.hidden = !diagnosisAvailable;
    if (diagRes.status === 'fulfilled') diagnosis.render(diagRes.value?.diagnosis, suggest);
  }

  /** A suggested action runs as its button on the page does (the same handler, the same reload). */
  const suggest = (action) => ({ cancel: cancelBtn, retry: retryBtn, reconcile: reconcileBtn })[action]?.click();

  const refreshSoon = debounce(signal, 150, load);

  const act = (btn, fn) =>
    onAction(btn, fn, {
      after: load,
      onError: (err) =>
        showError(
          missing(err)
            ? new ApiError(err.status, err.code, `${btn.textContent} is not available on this server yet.`)
            : err,
        ),
    });

  act(cancelBtn, async () => {
    const res = await client.cancelJob(id);
    announce(`Cancel requested: job is ${res.job?.status ?? 'updated'}`);
  });
  act(retryBtn, async () => {
    const res = await client.retryJob(id);
    announce(`Retry requested: job is ${res.job?.status ?? 'updated'}`);
    startLive(); // the per-job stream ended at the terminal transition
  });
  act(previewBtn, async () => {
    const r = (await client.reconcileJob(id, true)).report;
    report.show('Reconcile preview (nothing written)', r);
    announce(`Preview: a reconcile would leave it ${r.action === 'corrected' ? r.correctedStatus : 'as it is'}`);
  });
  act(reconcileBtn, async () => {
    const res = await client.reconcileJob(id);
    const r = res.report ?? res;
    report.show('Reconcile report', r);
    announce(`Reconcile: ${r.action ?? 'done'}${r.correctedStatus ? `, status ${r.correctedStatus}` : ''}`);
  });

  let liveController = null;
  let finished = false;
  function startLive() {
    finished = false;
    liveController?.abort();
    liveController = new AbortController();
    live(AbortSignal.any ? AbortSignal.any([signal, liveController.signal]) : signal, streams.job(id), {
      indicator,
      poll: load,
      reconnect: () => !finished && !(job && TERMINAL.has(job.status)),
      onEvent: ({ type, data }) => {
        if (type === 'transition' && TERMINAL.has(data?.to)) finished = true; // the server ends the stream after it
        if (type === 'transition' || type === 'progress') refreshSoon();
      },
    });
  }

  load()
    .catch(() => {})
    .finally(() => {
      if (!signal.aborted) startLive();
    });
}
