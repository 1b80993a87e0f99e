/**
 * Why a job is where it is: the cause code of a diagnosis (docs/contract.md: "Diagnosis causes"), by rule from
 * the job, its history and the time. Pure. Codes are added, never renamed.
 */
import { cancelRequested, dueDeadline } from './deadlines.js';
import type { EpochMs, Job, Transition } from './model.js';
import { assertNever, FAILURE_REASONS, JobStatus, Reason, Source, type FailureReason } from './states.js';

export const CauseCode = {
  WAITING_FOR_EXECUTOR: 'WAITING_FOR_EXECUTOR',
  RUNNING_NORMALLY: 'RUNNING_NORMALLY',
  WORKER_SILENT: 'WORKER_SILENT',
  WORKER_HUNG: 'WORKER_HUNG',
  EXECUTOR_FAILED: 'EXECUTOR_FAILED',
  EXECUTOR_LOST: 'EXECUTOR_LOST',
  OUTPUT_MISSING: 'OUTPUT_MISSING',
  EVENT_LOST: 'EVENT_LOST',
  WEBHOOK_LOST: 'WEBHOOK_LOST',
  TIMED_OUT: 'TIMED_OUT',
  CANCELED: 'CANCELED',
  SUCCEEDED: 'SUCCEEDED',
  /** Added: the worker itself reported the failure (the demo's `fail`). */
  WORKER_FAILED: 'WORKER_FAILED',
  /** Added: queued past its queue deadline without a start. */
  NEVER_STARTED: 'NEVER_STARTED',
  /** Added: a deadline passed while the evidence (storage, executor) could not be read. */
  EVIDENCE_UNAVAILABLE: 'EVIDENCE_UNAVAILABLE',
  /** Added: a cancel was asked for; the executor has not confirmed yet. */
  CANCELING: 'CANCELING',
} as const;
export type CauseCode = (typeof CauseCode)[keyof typeof CauseCode];
export const CAUSE_CODES = Object.values(CauseCode) as readonly CauseCode[];

/** Sources that set a state by looking, not by being told: a correction, a recovery. */
export const RECOVERY_SOURCES: readonly string[] = [Source.read, Source.reconcile, Source.sweep];

/** Progress stopped for longer than this many heartbeat timeouts while heartbeats kept coming: hung. */
export const HUNG_AFTER_HEARTBEAT_TIMEOUTS = 2;

export interface CauseFinding {
  code: CauseCode;
  /** The transition that decided it, when one did (the end, the failed attempt a retry repeats). */
  transition: Transition | null;
  /** For a retry that has not started: the attempt that failed. */
  failedAttempt: number | null;
}

const isFailureReason = (r: unknown): r is FailureReason => (FAILURE_REASONS as readonly unknown[]).includes(r);

/** The last progress a worker made: its last progress report, else its start. */
export function lastProgressAt(job: Job): EpochMs | null {
  return job.progressAt ?? job.startedAt;
}

/**
 * Heartbeats kept coming after progress stopped, for longer than HUNG_AFTER_HEARTBEAT_TIMEOUTS heartbeat
 * timeouts (a worker whose main work is stuck while its heartbeat thread lives). Only for a job that reports
 * progress at all: one that never does cannot be told apart from slow work.
 */
export function looksHung(job: Job, now: EpochMs): boolean {
  const progressed = lastProgressAt(job);
  const hb = job.policy.heartbeatTimeoutSeconds;
  if (hb === null || job.progress === null || progressed === null || job.heartbeatAt === null) return false;
  const limit = HUNG_AFTER_HEARTBEAT_TIMEOUTS * hb * 1000;
  return job.heartbeatAt > progressed && now - progressed > limit;
}

/** The cause of an attempt's failure, from its reason (and, for a run timeout, whether it looked hung). */
export function failureCause(reason: FailureReason, job: Job, at: EpochMs): CauseCode {
  switch (reason) {
    case Reason.HEARTBEAT_TIMEOUT:
      return CauseCode.WORKER_SILENT;
    case Reason.RUN_TIMEOUT:
      return looksHung(job, at) ? CauseCode.WORKER_HUNG : CauseCode.TIMED_OUT;
    case Reason.QUEUE_TIMEOUT:
      return CauseCode.NEVER_STARTED;
    case Reason.EXECUTOR_FAILED:
    case Reason.EXECUTOR_START_FAILED:
    case Reason.EXECUTOR_CANCELED:
      return CauseCode.EXECUTOR_FAILED;
    case Reason.EXECUTOR_LOST:
      return CauseCode.EXECUTOR_LOST;
    case Reason.OUTPUT_MISSING:
      return CauseCode.OUTPUT_MISSING;
    case Reason.WORKER_FAILED:
      return CauseCode.WORKER_FAILED;
    case Reason.EVIDENCE_UNAVAILABLE:
      return CauseCode.EVIDENCE_UNAVAILABLE;
    default:
      return assertNever(reason, 'failure reason');
  }
}

const lastTo = (history: readonly Transition[], to: JobStatus): Transition | null =>
  [...history].reverse().find((t) => t.to === to) ?? null;

/** How a succeeded job got there: told (an event, a report), or found by looking after the word never came. */
function succeededCause(job: Job, history: readonly Transition[]): CauseFinding {
  const t = lastTo(history, JobStatus.succeeded);
  const recovered = t !== null && RECOVERY_SOURCES.includes(t.source);
  if (recovered && job.executor.kind === 'http' && !history.some((h) => h.source === Source.webhook))
    return { code: CauseCode.WEBHOOK_LOST, transition: t, failedAttempt: null };
  const foundOutput = t !== null && (t.reason === Reason.OUTPUT_FOUND || t.reason === Reason.LATE_OUTPUT);
  if (recovered && foundOutput) return { code: CauseCode.EVENT_LOST, transition: t, failedAttempt: null };
  return { code: CauseCode.SUCCEEDED, transition: t, failedAttempt: null };
}

/** The failure a retry repeats: the last RETRY_SCHEDULED transition of the job's previous attempt. */
export function retriedFailure(job: Job, history: readonly Transition[]): Transition | null {
  const t = [...history].reverse().find((h) => h.reason === Reason.RETRY_SCHEDULED);
  return t && t.attempt === job.attempt - 1 && isFailureReason(t.evidence.failure) ? t : null;
}

function activeCause(job: Job, history: readonly Transition[], now: EpochMs): CauseFinding {
  const none = { transition: null, failedAttempt: null };
  if (cancelRequested(job)) return { code: CauseCode.CANCELING, ...none };
  if (job.reportedSucceededAt !== null) return { code: CauseCode.OUTPUT_MISSING, ...none };
  const due = dueDeadline(job, now);
  if (due?.reason === Reason.HEARTBEAT_TIMEOUT) return { code: CauseCode.WORKER_SILENT, ...none };
  if (due?.reason === Reason.RUN_TIMEOUT)
    return { code: looksHung(job, now) ? CauseCode.WORKER_HUNG : CauseCode.TIMED_OUT, ...none };
  if (job.status === JobStatus.queued) {
    const retry = job.startedAt === null ? retriedFailure(job, history) : null;
    if (retry) {
      const code = failureCause(retry.evidence.failure as FailureReason, job, retry.at);
      return { code, transition: retry, failedAttempt: retry.attempt };
    }
    return { code: CauseCode.WAITING_FOR_EXECUTOR, ...none };
  }
  if (looksHung(job, now)) return { code: CauseCode.WORKER_HUNG, ...none };
  return { code: CauseCode.RUNNING_NORMALLY, ...none };
}

/** The cause of a job's state at `now`. */
export function findCause(job: Job, history: readonly Transition[], now: EpochMs): CauseFinding {
  switch (job.status) {
    case JobStatus.succeeded:
      return succeededCause(job, history);
    case JobStatus.canceled:
      return { code: CauseCode.CANCELED, transition: lastTo(history, JobStatus.canceled), failedAttempt: null };
    case JobStatus.failed: {
      const t = lastTo(history, JobStatus.failed);
      const reason = isFailureReason(job.statusReason) ? job.statusReason : Reason.EXECUTOR_FAILED;
      return { code: failureCause(reason, job, t?.at ?? job.endedAt ?? now), transition: t, failedAttempt: null };
    }
    case JobStatus.queued:
    case JobStatus.running:
      return activeCause(job, history, now);
    default:
      return assertNever(job.status, 'status');
  }
}
