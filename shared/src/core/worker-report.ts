/**
 * decide for a worker's report (started, progress, heartbeat, succeeded, failed): what it may change of the job
 * it names. Part of decide (./decide.ts); pure.
 */
import { failAttempt, patch, transition, unchanged, type PatchFields } from './apply.js';
import { cancelRequested } from './deadlines.js';
import type { DecideContext, Decision, Job, JobEvent, WorkerReport } from './model.js';
import { nextProgress, planFrom } from './progress.js';
import { withOutputNames } from './outputs.js';
import { assertNever, isActive, JobStatus, Reason } from './states.js';

export function onWorker(job: Job, ev: Extract<JobEvent, { kind: 'worker' }>, ctx: DecideContext): Decision {
  const r = ev.report;
  const probe = [{ kind: 'probe' as const, jobId: job.id }];
  const wantsOutputCheck = r.kind === 'succeeded' && job.outputs.length > 0;
  // names a provider reported for outputs (matched to the type's patterns): looked for like declared ones
  const named = r.kind === 'succeeded' ? withOutputNames(job, ev.outputNames) : null;
  // A finished job, or a report from an attempt that is no longer current, cannot move the job by itself;
  // a "succeeded" still makes us look at the outputs, which can (late output).
  if (!isActive(job.status) || (r.attempt !== undefined && r.attempt !== job.attempt)) {
    // the ended attempt's own progress, delivered after its ending (reports are not ordered): history to keep
    if (
      !isActive(job.status) &&
      r.attempt === job.attempt &&
      r.progress &&
      (r.kind === 'progress' || r.kind === 'heartbeat')
    )
      return lateProgress(job, r, ctx);
    const lateOutput = job.status !== JobStatus.succeeded && job.status !== JobStatus.canceled;
    if (named && lateOutput) return patch(job, named, ctx, probe);
    return unchanged(
      job,
      wantsOutputCheck && job.status !== JobStatus.succeeded && job.status !== JobStatus.canceled ? probe : [],
    );
  }
  const evidence = { report: r };
  switch (r.kind) {
    case 'started':
    case 'progress':
    case 'heartbeat': {
      const fields: PatchFields = { heartbeatAt: ctx.now, ...progressFields(job, r, ctx.now) };
      if (job.status === JobStatus.queued)
        return transition(job, JobStatus.running, Reason.STARTED, ev.source, evidence, ctx, fields);
      return patch(job, fields, ctx);
    }
    case 'succeeded': {
      if (job.outputs.length === 0)
        return transition(job, JobStatus.succeeded, Reason.WORKER_SUCCEEDED, ev.source, evidence, ctx);
      const fields: PatchFields = {
        heartbeatAt: ctx.now,
        reportedSucceededAt: job.reportedSucceededAt ?? ctx.now,
        ...named,
      };
      if (job.status === JobStatus.queued)
        return transition(job, JobStatus.running, Reason.STARTED, ev.source, evidence, ctx, fields, probe);
      return patch(job, fields, ctx, probe);
    }
    case 'failed':
      if (cancelRequested(job))
        return transition(job, JobStatus.canceled, Reason.CANCELED_BY_USER, ev.source, evidence, ctx);
      return failAttempt(
        job,
        Reason.WORKER_FAILED,
        r.error?.message ?? 'worker reported failure',
        r.error?.retryable,
        ev.source,
        evidence,
        ctx,
        {
          ...(r.error?.code ? { code: r.error.code } : {}),
        },
      );
    default:
      return assertNever(r.kind, 'report kind');
  }
}

function progressFields(job: Job, r: WorkerReport, now: number): PatchFields {
  if (!r.progress) return {};
  // the step started when the job did: a first report on a queued job starts it now
  const startedAt = job.startedAt ?? now;
  const plan = planFrom(job, r.progress);
  return { stepPlan: plan, progress: nextProgress({ ...job, startedAt }, r.progress, plan, now), progressAt: now };
}

/**
 * Only steps count after the end: a late report that finishes a step the job does not show finished (or
 * skipped) is recorded; anything else — a percent, a current step, the same report again — changes nothing.
 */
function lateProgress(job: Job, r: WorkerReport, ctx: DecideContext): Decision {
  const had = new Set([...(job.progress?.completedSteps ?? []), ...(job.progress?.skippedSteps ?? [])]);
  const told = [...(r.progress?.completedSteps ?? []), ...(r.progress?.skippedSteps ?? [])];
  const skippedNow = (r.progress?.skippedSteps ?? []).some((s) => !(job.progress?.skippedSteps ?? []).includes(s));
  if (!told.some((s) => !had.has(s)) && !skippedNow) return unchanged(job);
  const fields = progressFields(job, r, job.endedAt ?? ctx.now);
  const progress =
    fields.progress && job.status === JobStatus.succeeded ? { ...fields.progress, pct: 100 } : fields.progress;
  return patch(job, { ...fields, ...(progress ? { progress } : {}) }, ctx);
}
