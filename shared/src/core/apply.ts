/** Building blocks of decide: transitions, patches, failures. All pure. */
import { backoffDelayMs } from './backoff.js';
import { computeNextCheckAt } from './deadlines.js';
import type { DecideContext, Decision, Effect, Job, OutputObservation, OutputState } from './model.js';
import { isRetryable } from './policy.js';
import { JobStatus, Reason, type FailureReason, type Source } from './states.js';
import { observeOutput } from './outputs.js';

export function unchanged(job: Job, effects: Effect[] = []): Decision {
  return { job, transition: null, effects };
}

/**
 * The fields a change without a transition may set: evidence and liveness, never status, attempt or the
 * lifecycle times. Replay (replay.ts) re-derives these from the patches recorded between transitions
 * (patch-log.ts) and reproduces every other field from the transitions.
 */
export const PATCH_FIELDS = [
  'outputs',
  'outputUris',
  'probeHold',
  'executor',
  'reportedSucceededAt',
  'heartbeatAt',
  'progressAt',
  'executorAliveAt',
  'livenessCheckedAt',
  'stepPlan',
  'progress',
  'updatedAt',
  'nextCheckAt',
] as const satisfies readonly (keyof Job)[];
export type PatchField = (typeof PATCH_FIELDS)[number];
export type PatchFields = Partial<Pick<Job, PatchField>>;

/** The patchable part of a job: what a history records of the state each transition was decided from. */
export function patchFieldsOf(job: Job): PatchFields {
  const out: Record<string, unknown> = {};
  for (const f of PATCH_FIELDS) if (job[f] !== undefined) out[f] = job[f];
  return out as PatchFields;
}

/** The job with its patchable fields those of `fields`: one `fields` lacks is absent (as patchFieldsOf left it). */
export function withPatchFields(job: Job, fields: PatchFields): Job {
  const out: Record<string, unknown> = { ...job };
  for (const f of PATCH_FIELDS) {
    if (fields[f] === undefined) delete out[f];
    else out[f] = fields[f];
  }
  return out as unknown as Job;
}

/** A change of fields without a change of status: no version bump, no transition. */
export function patch(job: Job, fields: PatchFields, ctx: DecideContext, effects: Effect[] = []): Decision {
  const next: Job = { ...job, ...fields, updatedAt: ctx.now };
  next.nextCheckAt = computeNextCheckAt(next);
  return { job: next, transition: null, effects };
}

/** One applied transition: version + 1, `transitions/{seq = version}`, lifecycle timestamps. */
export function transition(
  job: Job,
  to: JobStatus,
  reason: Reason,
  source: Source,
  evidence: Record<string, unknown>,
  ctx: DecideContext,
  fields: Partial<Job> = {},
  effects: Effect[] = [],
): Decision {
  const now = ctx.now;
  const next: Job = { ...job, ...fields, status: to, statusReason: reason, version: job.version + 1, updatedAt: now };
  if (to === JobStatus.running && next.startedAt === null) next.startedAt = now;
  // a held deadline belongs to the state being left
  if (next.probeHold) next.probeHold = null;
  if (to === JobStatus.succeeded) {
    next.completedAt = now;
    next.endedAt = now;
    next.error = null;
    if (next.progress) next.progress = { ...next.progress, pct: 100 };
  }
  if (to === JobStatus.failed) next.endedAt = now;
  if (to === JobStatus.canceled) {
    next.canceledAt = now;
    next.endedAt = now;
  }
  next.nextCheckAt = computeNextCheckAt(next);
  const ended = to === JobStatus.succeeded || to === JobStatus.failed || to === JobStatus.canceled;
  const firstEnd = ended && (job.status === JobStatus.queued || job.status === JobStatus.running);
  // the steps this attempt resumed past, on its end: the stats' work avoided (a sum over the transitions)
  const skipped = firstEnd ? (job.progress?.skippedSteps?.length ?? 0) : 0;
  const recorded = skipped > 0 ? { ...evidence, stepsSkipped: skipped } : evidence;
  return {
    job: next,
    transition: {
      seq: next.version,
      from: job.status,
      to,
      reason,
      source,
      attempt: job.attempt,
      at: now,
      evidence: recorded,
    },
    effects: firstEnd ? [...effects, { kind: 'cleanupTemp', jobId: job.id }] : effects,
  };
}

/** Effects that stop the current execution, if it may still be running, with the intent recorded. */
export function stopExecution(job: Job, ctx: DecideContext): { fields: PatchFields; effects: Effect[] } {
  const ref = job.executor.executionRef;
  if (job.executor.attempt !== job.attempt) return { fields: {}, effects: [] };
  if (ref === null) {
    // a start was asked for and never recorded: its process may have died after the executor started one
    if (job.executor.startRequestedAt === null) return { fields: {}, effects: [] };
    return { fields: {}, effects: [{ kind: 'stopUnrecordedStart', jobId: job.id, attempt: job.attempt }] };
  }
  return {
    fields: { executor: { ...job.executor, cancelRequestedAt: ctx.now } },
    effects: [{ kind: 'cancelExecution', jobId: job.id, attempt: job.attempt, executionRef: ref }],
  };
}

/** The current attempt failed: retry with backoff when allowed, else `failed`. */
export function failAttempt(
  job: Job,
  reason: FailureReason,
  message: string,
  retryableHint: boolean | undefined,
  source: Source,
  evidence: Record<string, unknown>,
  ctx: DecideContext,
  opts: { stop?: boolean; code?: string } = {},
): Decision {
  const retryable = isRetryable(job.policy, reason, retryableHint, opts.code);
  const error = { code: opts.code ?? reason, message, retryable };
  const stop = opts.stop === false ? { fields: {}, effects: [] } : stopExecution(job, ctx);
  const ev = { ...evidence, failure: reason, message };
  if (retryable && job.attempt < job.maxAttempts) {
    const delay = backoffDelayMs(job.policy.backoff, job.attempt, ctx.random);
    const attempt = job.attempt + 1;
    const fields: Partial<Job> = {
      attempt,
      error,
      attemptQueuedAt: ctx.now,
      notBefore: ctx.now + delay,
      startedAt: null,
      heartbeatAt: null,
      progressAt: null,
      executorAliveAt: null,
      livenessCheckedAt: null,
      reportedSucceededAt: null,
      progress: null,
      executor: {
        kind: job.executor.kind,
        attempt,
        executionRef: null,
        startRequestedAt: null,
        cancelRequestedAt: null,
      },
    };
    return transition(
      job,
      JobStatus.queued,
      Reason.RETRY_SCHEDULED,
      source,
      { ...ev, retryInMs: delay, nextAttempt: attempt },
      ctx,
      fields,
      stop.effects,
    );
  }
  return transition(job, JobStatus.failed, reason, source, ev, ctx, { ...stop.fields, error }, stop.effects);
}

/** An observed object counts as the job's output when it exists and is new enough for the job. */
export function countsAsOutput(job: Job, obs: OutputObservation): boolean {
  if (!obs.exists) return false;
  if (job.reuseExistingOutputs) return true;
  return obs.timeCreated === undefined || obs.timeCreated === null || obs.timeCreated >= job.createdAt;
}

/** Outputs with the observations merged in (any of an output's names counts); the same array when nothing changed. */
export function mergeOutputs(job: Job, observations: readonly OutputObservation[] | undefined): OutputState[] {
  if (!observations || observations.length === 0) return job.outputs;
  let changed = false;
  const merged = job.outputs.map((o) => {
    const next = observeOutput(o, observations, (obs) => countsAsOutput(job, obs));
    if (next.present !== o.present || next.generation !== o.generation || next.foundUri !== o.foundUri) {
      changed = true;
      return next;
    }
    return o;
  });
  return changed ? merged : job.outputs;
}

export function allOutputsPresent(outputs: readonly OutputState[]): boolean {
  return outputs.length > 0 && outputs.every((o) => o.present);
}
