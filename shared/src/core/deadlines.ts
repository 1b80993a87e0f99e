import { ageProbeAt, heartbeatBase } from './liveness.js';
import type { EpochMs, Job } from './model.js';
import { Reason, JobStatus } from './states.js';

export type DeadlineReason =
  | typeof Reason.CANCELED_BY_USER
  | typeof Reason.QUEUE_TIMEOUT
  | typeof Reason.RUN_TIMEOUT
  | typeof Reason.HEARTBEAT_TIMEOUT
  | typeof Reason.OUTPUT_MISSING;

export interface Deadline {
  reason: DeadlineReason;
  at: EpochMs;
}

/** A start effect that has not named its execution after this long is tried again. */
export const DISPATCH_RETRY_MS = 30_000;

const S = 1000;

/**
 * How long a start may stay unanswered before it is tried again: DISPATCH_RETRY_MS, but at most a third of the
 * queue timeout, so a start lost with its process is retried before the queue deadline fails the attempt.
 * Whole milliseconds: the store keeps times to the millisecond, so a fraction (a third of 10 s) would leave the
 * stored `nextCheckAt` other than the one decided, and replay (replay.ts) could not re-derive it.
 */
export function dispatchRetryMs(job: Job): number {
  return Math.min(DISPATCH_RETRY_MS, Math.max(S, Math.floor((job.policy.queueTimeoutSeconds * S) / 3)));
}

/**
 * The start lease of the process that recorded a start request (`startRequestedAt`): nobody else starts the
 * attempt's execution before it is over (decide dispatches again only then: dispatchDueAt), and the holder
 * begins no creating call after `startBy` and ends it by `until` (the lease less a margin for two processes'
 * clocks), so one attempt never has two starts in flight (issue 26: the soak's duplicate launches). `startBy`
 * leaves the call half the lease, at most START_CALL_MS. Null without a request for this attempt.
 */
export function startLease(job: Job): { startBy: EpochMs; until: EpochMs } | null {
  if (job.executor.startRequestedAt === null || job.executor.attempt !== job.attempt) return null;
  const from = job.executor.startRequestedAt;
  const until = from + dispatchRetryMs(job) - START_LEASE_MARGIN_MS;
  return { startBy: until - Math.min(START_CALL_MS, Math.floor((until - from) / 2)), until };
}

/**
 * How soon a start that failed with a transient error (the executor's API unavailable, a provider's 5xx) is made
 * again: a few seconds, so a run of hiccups does not use up the queue timeout between tries 30 s apart (issue
 * 26: a Cloud Run start met three injected UNAVAILABLEs 15 s apart and the queue deadline beat the fourth).
 */
export const START_RETRY_MS = 5000;

/**
 * The `startRequestedAt` a transient start failure at `now` records: the failed call ended its lease holder's
 * start, so the lease is cut to end START_RETRY_MS from now (at most the full dispatch retry), and the next start
 * is due then (dispatchDueAt). Whole milliseconds, as the store keeps them.
 */
export function startRetryLeaseFrom(job: Job, now: EpochMs): EpochMs {
  const full = dispatchRetryMs(job);
  return now + Math.min(START_RETRY_MS, full) - full;
}

/** What a start lease keeps back for clock skew between the holder and the next one. */
export const START_LEASE_MARGIN_MS = 1000;
/** The most time a start lease keeps for its creating call. */
export const START_CALL_MS = 5000;

/**
 * How long a committed transition's event and effects may stay unannounced before the sweep runs them again
 * (a process died between the commit and them): the dispatch retry, and at most a third of the cancel grace,
 * so a stop lost with its process is repeated well before the execution outlives the grace (issue 26: the
 * soak's ground truth saw a lost stop repeated only after the 60 s the sweep used to wait).
 */
export function outboxRetryMs(job: Job): number {
  return Math.min(dispatchRetryMs(job), Math.max(S, Math.floor((job.policy.cancelGraceSeconds * S) / 3)));
}

/** Deadlines that apply to the job's current attempt, in no particular order. */
export function pendingDeadlines(job: Job): Deadline[] {
  const p = job.policy;
  const out: Deadline[] = [];
  if (cancelRequested(job)) {
    // a cancel is under way: only its deadline counts — the grace after it for a recorded execution; for a start
    // still in flight (no execution recorded), the end of the start's lease, when no creating call is left
    const grace = job.executor.cancelRequestedAt! + p.cancelGraceSeconds * S;
    const lease = job.executor.executionRef === null ? startLease(job) : null;
    return [{ reason: Reason.CANCELED_BY_USER, at: lease ? Math.min(lease.until, grace) : grace }];
  }
  const active = job.status === JobStatus.queued || job.status === JobStatus.running;
  if (job.reportedSucceededAt !== null && active) {
    // the work reports done (the worker, or the executor): only its outputs are awaited. The queue, run and
    // heartbeat deadlines are over — a worker that finished has stopped heartbeating, and would otherwise be
    // failed before its output grace, or by the next look after the one that recorded the report.
    return [{ reason: Reason.OUTPUT_MISSING, at: job.reportedSucceededAt + p.outputGraceSeconds * S }];
  }
  if (job.status === JobStatus.queued) {
    const from = Math.max(job.attemptQueuedAt, job.notBefore ?? 0);
    out.push({ reason: Reason.QUEUE_TIMEOUT, at: from + p.queueTimeoutSeconds * S });
  } else if (job.status === JobStatus.running) {
    const started = job.startedAt ?? job.attemptQueuedAt;
    out.push({ reason: Reason.RUN_TIMEOUT, at: started + p.runTimeoutSeconds * S });
    // a silent job (null heartbeat) has none: its executor speaks for it (liveness.ts), the run timeout bounds it
    const base = heartbeatBase(job);
    if (base !== null && p.heartbeatTimeoutSeconds !== null)
      out.push({ reason: Reason.HEARTBEAT_TIMEOUT, at: base + p.heartbeatTimeoutSeconds * S });
  }
  return out;
}

/** The earliest deadline that has passed at `now`, if any. */
export function dueDeadline(job: Job, now: EpochMs): Deadline | null {
  let due: Deadline | null = null;
  for (const d of pendingDeadlines(job)) {
    if (d.at <= now && (due === null || d.at < due.at)) due = d;
  }
  return due;
}

/** The user asked to cancel an active job whose execution has not confirmed yet. */
export function cancelRequested(job: Job): boolean {
  return (
    (job.status === JobStatus.queued || job.status === JobStatus.running) &&
    job.executor.cancelRequestedAt !== null &&
    job.executor.attempt === job.attempt
  );
}

export function needsExecutor(job: Job): boolean {
  return job.executor.kind !== 'external';
}

/** Whether the job's next check has come at `now` (the one definition of "due": the sweep's query is its index). */
export function isDue(job: Job, now: EpochMs): boolean {
  return job.nextCheckAt !== null && job.nextCheckAt <= now;
}

/** How long the job has been due at `now` (negative before its check; -Infinity with none). */
export function dueForMs(job: Job, now: EpochMs): number {
  return job.nextCheckAt === null ? -Infinity : now - job.nextCheckAt;
}

/**
 * Whether the start of `attempt` may be made now: the job is queued at that attempt and no execution is recorded
 * for it (create.ts asks for the first start; the effect runner checks again on the document it acts on).
 */
export function startable(job: Job, attempt: number): boolean {
  return (
    job.status === JobStatus.queued &&
    job.attempt === attempt &&
    job.executor.executionRef === null &&
    needsExecutor(job)
  );
}

/**
 * Whether a start of the current attempt may be in flight at `now`: one was requested, no execution is recorded,
 * and its lease is not over (a creating call may still make one). A cancel then waits for the start (decide).
 */
export function startInFlight(job: Job, now: EpochMs): boolean {
  const lease = job.executor.executionRef === null && needsExecutor(job) ? startLease(job) : null;
  return lease !== null && now < lease.until;
}

/** When the start effect is (again) due for a queued job without an execution; null if not applicable. */
export function dispatchDueAt(job: Job): EpochMs | null {
  if (
    job.status !== JobStatus.queued ||
    !needsExecutor(job) ||
    job.executor.executionRef !== null ||
    cancelRequested(job)
  )
    return null;
  if (job.executor.startRequestedAt !== null && job.executor.attempt === job.attempt) {
    return job.executor.startRequestedAt + dispatchRetryMs(job);
  }
  return Math.max(job.attemptQueuedAt, job.notBefore ?? 0);
}

/**
 * A look at `now` has only a start to make: the job's start is due and no deadline is. It needs no evidence
 * (decide starts the attempt on a look that probed nothing), so the look skips the probes: a start left by a
 * dead process is made in one write and a call, not after a GCS probe that may hang (issue 26: never dispatched).
 */
export function onlyDispatchDue(job: Job, now: EpochMs): boolean {
  const at = dispatchDueAt(job);
  return at !== null && at <= now && !job.probeHold && dueDeadline(job, now) === null;
}

/**
 * When a failed job's outputs are looked for once more: its output grace after it failed. An execution told to
 * stop may still have written them, and their notification may never come (dropped, or sent before the job
 * knew them); a present set then turns the job `succeeded` LATE_OUTPUT (while the executor says the execution
 * still runs, the check is held: decide.ts). A start that was asked for and never recorded cannot be asked
 * about: its execution may run until the stop reaches it, so the check waits the cancel's grace too (a CI soak
 * saw outputs land 5 s after such a QUEUE_TIMEOUT, past a 4 s check, their notification dropped). Null for a
 * job without declared outputs.
 */
export function lateOutputCheckAt(job: Job): EpochMs | null {
  if (job.status !== JobStatus.failed || job.endedAt === null || job.outputs.length === 0) return null;
  const e = job.executor;
  const unseen = e.attempt === job.attempt && e.executionRef === null && e.startRequestedAt !== null;
  return job.endedAt + (job.policy.outputGraceSeconds + (unseen ? job.policy.cancelGraceSeconds : 0)) * S;
}

/** The late-output check's time when it is due at `now` (the job's next check has come), else null. */
export function lateOutputCheckDue(job: Job, now: EpochMs): EpochMs | null {
  const at = lateOutputCheckAt(job);
  return at !== null && isDue(job, now) ? at : null;
}

/**
 * The job's earliest pending deadline or due action; null when terminal (a failed job: its one late-output
 * check, until a look at or after it, or while its probes are held, then null). While a due deadline is held back by
 * failing probes (`probeHold`), nothing is due before the hold's next check: the job leaves the sweep's query
 * (ordered by nextCheckAt) until then instead of heading it on every sweep.
 */
export function computeNextCheckAt(job: Job): EpochMs | null {
  if (job.status === JobStatus.failed) {
    const at = lateOutputCheckAt(job);
    if (at === null) return null;
    if (job.probeHold) return job.probeHold.retryAt;
    return job.updatedAt < at ? at : null;
  }
  if (job.status !== JobStatus.queued && job.status !== JobStatus.running) return null;
  const held = (at: EpochMs): EpochMs => (job.probeHold && at < job.probeHold.retryAt ? job.probeHold.retryAt : at);
  // A pending cancel is due at once: every look (read, sweep) checks whether the executor confirmed. One that
  // waits for a start in flight is due when the start's lease ends (its `dispatched` may come before).
  if (cancelRequested(job))
    return held(job.executor.executionRef === null ? pendingDeadlines(job)[0]!.at : job.executor.cancelRequestedAt!);
  let next: EpochMs | null = dispatchDueAt(job);
  const probe = ageProbeAt(job);
  if (probe !== null && (next === null || probe < next)) next = probe;
  for (const d of pendingDeadlines(job)) {
    if (next === null || d.at < next) next = d.at;
  }
  return next === null ? null : held(next);
}
