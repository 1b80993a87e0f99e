/**
 * Where a job stands, in one line (issue 33): its phase — waiting, running, held, recovering or ended — and why,
 * from the job alone and the time, so a list can show it for every row (the diagnosis, diagnose.ts, explains one
 * job at length from its history). And who or what made a transition, in words, for a timeline. Pure.
 *
 * - waiting: queued, nothing wrong: no start yet, or its execution is starting (never "running" before a worker
 *   or the executor says the work runs);
 * - running: the work runs (or reported done and its outputs are awaited within their grace);
 * - held: kept back on purpose until a time or a confirmation: a retry's backoff, a deadline held while the
 *   evidence cannot be read, a cancel waiting for the executor;
 * - recovering: something is overdue and Verity is checking or repeating it (a passed deadline the next look
 *   acts on, a start that was not answered), or a failed attempt is being retried;
 * - ended: succeeded, failed or canceled.
 */
import { canResume } from './bulk.js';
import { lastProgressAt, looksHung } from './diagnose-cause.js';
import { duration, REASON_WORDS, SOURCE_WORDS } from './diagnose-text.js';
import { cancelRequested, dispatchRetryMs, dueDeadline, needsExecutor } from './deadlines.js';
import { executorKeepsAlive, heartbeatBase } from './liveness.js';
import type { EpochMs, Job, Transition } from './model.js';
import { assertNever, isActive, JobStatus, Reason } from './states.js';

export const PHASES = ['waiting', 'running', 'held', 'recovering', 'ended'] as const;
export type Phase = (typeof PHASES)[number];

export interface JobPhase {
  phase: Phase;
  /** One line, as a person reads it ("waiting for an executor slot (queued 20 s)"). */
  reason: string;
}

const S = 1000;
const since = (now: EpochMs, at: EpochMs): string => duration(now - at);

function ended(job: Job): JobPhase {
  const tries = job.status === JobStatus.failed && job.attempt > 1 ? ` after ${job.attempt} attempts` : '';
  const words = REASON_WORDS[job.statusReason] ?? job.statusReason;
  const steps = job.progress?.completedSteps.length ?? 0;
  const resume = canResume(job) ? `; a retry resumes past ${steps} completed step${steps === 1 ? '' : 's'}` : '';
  return { phase: 'ended', reason: `${job.status}${tries}: ${words}${resume}` };
}

/** A deadline that has passed: the next look (a read, a reconcile, the sweep) acts on it. */
function overdue(job: Job, now: EpochMs): JobPhase | null {
  const due = dueDeadline(job, now);
  if (due === null) return null;
  const late = since(now, due.at);
  switch (due.reason) {
    case Reason.HEARTBEAT_TIMEOUT:
      return {
        phase: 'recovering',
        reason: `silent for ${since(now, heartbeatBase(job) ?? due.at)}, checking the execution`,
      };
    case Reason.RUN_TIMEOUT:
      return { phase: 'recovering', reason: `past its run deadline by ${late}, checking the execution and outputs` };
    case Reason.QUEUE_TIMEOUT:
      return {
        phase: 'recovering',
        reason: `not started, past its queue deadline by ${late}, checking whether it started`,
      };
    case Reason.OUTPUT_MISSING:
      return { phase: 'recovering', reason: `reported done but its outputs are still missing, checking for them` };
    case Reason.CANCELED_BY_USER:
      return null; // a cancel under way is held (phaseOf), its grace or not
    default:
      return assertNever(due.reason, 'deadline');
  }
}

function queued(job: Job, now: EpochMs): JobPhase {
  const attempt = `attempt ${job.attempt} of ${job.maxAttempts}`;
  if (job.notBefore !== null && job.notBefore > now)
    return { phase: 'held', reason: `${attempt} held by its retry backoff for ${duration(job.notBefore - now)} more` };
  const waited = ` (queued ${since(now, Math.max(job.attemptQueuedAt, job.notBefore ?? 0))})`;
  const retrying = job.attempt > 1;
  const phase = (p: JobPhase): JobPhase =>
    retrying ? { phase: 'recovering', reason: `retrying, ${attempt}: ${p.reason}` } : p;
  if (!needsExecutor(job)) return phase({ phase: 'waiting', reason: `waiting for the worker's first report${waited}` });
  const e = job.executor;
  if (e.executionRef !== null)
    return phase({ phase: 'waiting', reason: `its execution ${e.executionRef} is starting; no worker report yet` });
  const requested = e.startRequestedAt !== null && e.attempt === job.attempt ? e.startRequestedAt : null;
  if (requested !== null && now - requested >= dispatchRetryMs(job))
    return {
      phase: 'recovering',
      reason: `the executor has not answered its start for ${since(now, requested)}, starting it again`,
    };
  return phase({ phase: 'waiting', reason: `waiting for an executor slot${waited}` });
}

function running(job: Job, now: EpochMs): JobPhase {
  const attempt = job.attempt > 1 ? `attempt ${job.attempt} of ${job.maxAttempts}, ` : '';
  if (looksHung(job, now)) {
    const stopped = lastProgressAt(job) ?? job.startedAt ?? job.attemptQueuedAt;
    const end = (job.startedAt ?? job.attemptQueuedAt) + job.policy.runTimeoutSeconds * S;
    return {
      phase: 'running',
      reason:
        `${attempt}no progress for ${since(now, stopped)} while heartbeats continue; ` +
        `its run deadline ends it in ${duration(end - now)}`,
    };
  }
  const p = job.progress;
  const at = p ? ` at ${Math.round(p.pct)} %${p.step ? ` (${p.step})` : ''}` : '';
  const report = job.heartbeatAt !== null ? `last report ${since(now, job.heartbeatAt)} ago` : 'no report yet';
  const alive = job.executorAliveAt ?? null;
  const exec = executorKeepsAlive(job.policy)
    ? alive !== null
      ? `the executor confirmed it ${since(now, alive)} ago`
      : 'not yet confirmed by its executor'
    : null;
  const signs = job.policy.heartbeatTimeoutSeconds === null ? exec : exec ? `${report}, ${exec}` : report;
  return {
    phase: 'running',
    reason: `${attempt}running for ${since(now, job.startedAt ?? job.attemptQueuedAt)}${at}; ${signs}`,
  };
}

/** The job's phase at `now`, and why, in one line. */
export function phaseOf(job: Job, now: EpochMs): JobPhase {
  if (!isActive(job.status)) return ended(job);
  if (cancelRequested(job)) {
    const asked = since(now, job.executor.cancelRequestedAt!);
    const what =
      job.executor.executionRef === null && needsExecutor(job) && job.executor.startRequestedAt !== null
        ? 'the start in flight to end'
        : 'the executor to confirm the stop';
    return { phase: 'held', reason: `canceling: waiting for ${what} (asked ${asked} ago)` };
  }
  const hold = job.probeHold ?? null;
  if (hold !== null) {
    const next = hold.retryAt > now ? `looking again in ${duration(hold.retryAt - now)}` : 'looking again now';
    return {
      phase: 'held',
      reason:
        `a deadline passed but the evidence cannot be read (${hold.count} failed ` +
        `look${hold.count === 1 ? '' : 's'} in ${since(now, hold.since)}); ${next}`,
    };
  }
  const late = overdue(job, now);
  if (late) return late;
  if (job.reportedSucceededAt !== null)
    return {
      phase: 'running',
      reason: `reported done ${since(now, job.reportedSucceededAt)} ago, waiting for its outputs to land`,
    };
  return job.status === JobStatus.queued ? queued(job, now) : running(job, now);
}

/** Who or what made a transition, in words: its source, and for a bulk action the bulk and who asked. */
export function transitionCause(t: Transition): string {
  const who = SOURCE_WORDS[t.source] ?? t.source;
  const bulk = t.evidence.bulk as { bulkId?: unknown; userId?: unknown } | undefined;
  if (bulk && typeof bulk.bulkId === 'string' && typeof bulk.userId === 'string')
    return `${who}: bulk action ${bulk.bulkId} by ${bulk.userId}`;
  return who;
}
