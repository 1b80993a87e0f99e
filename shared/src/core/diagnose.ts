/**
 * diagnose(job, history, now) → the job explained in plain words (GET /api/jobs/:id/diagnosis): a one-sentence
 * summary, the cause with the evidence it rests on, what the job waits for, the next deadline and what happens
 * then, each piece of evidence seen or missing, and the actions that make sense now. Pure rules over what
 * Verity already holds — no model, no I/O; the caller reads (and, when a deadline is due, reconciles) first.
 */
import { backoffDelayMs } from './backoff.js';
import { explain, waitingFor, type NextDeadline } from './diagnose-explain.js';
import { CauseCode, findCause, type CauseFinding } from './diagnose-cause.js';
import { clockTime, duration, REASON_WORDS } from './diagnose-text.js';
import { cancelRequested, dispatchRetryMs, lateOutputCheckAt, pendingDeadlines, needsExecutor } from './deadlines.js';
import type { EpochMs, Job, Transition } from './model.js';
import { executorKeepsAlive } from './liveness.js';
import { isRetryable } from './policy.js';
import { isActive, JobStatus, Reason, Source, type FailureReason } from './states.js';

export { CauseCode, CAUSE_CODES, RECOVERY_SOURCES } from './diagnose-cause.js';
export type { NextDeadline } from './diagnose-explain.js';

export type DiagnosisAction = 'cancel' | 'retry' | 'reconcile' | 'wait';

export interface EvidenceLine {
  kind: string;
  seen: boolean;
  at: EpochMs | null;
  detail: string;
}

export interface Diagnosis {
  jobId: string;
  status: JobStatus;
  summary: string;
  cause: { code: CauseCode; explanation: string };
  waitingFor: string[];
  nextDeadline: NextDeadline | null;
  evidence: EvidenceLine[];
  actions: { action: DiagnosisAction; why: string }[];
}

/**
 * The earliest deadline still ahead, and what it does when it passes. For a hung worker (heartbeats without
 * progress: `hung`) the heartbeat deadline keeps moving with each heartbeat: the run deadline is the one ahead.
 */
export function nextDeadline(job: Job, now: EpochMs, hung = false): NextDeadline | null {
  if (job.status === JobStatus.failed) {
    const at = lateOutputCheckAt(job);
    if (at === null || job.nextCheckAt === null) return null;
    const then = 'its outputs are looked for once more; if all are there it becomes succeeded (LATE_OUTPUT)';
    return { kind: 'LATE_OUTPUT_CHECK', at: Math.max(at, job.nextCheckAt), action: 'check', then };
  }
  if (!isActive(job.status)) return null;
  const pending = pendingDeadlines(job).filter((d) => !hung || d.reason !== Reason.HEARTBEAT_TIMEOUT);
  const first = pending.sort((a, b) => a.at - b.at)[0];
  if (!first) return null;
  const at = job.probeHold && first.at < job.probeHold.retryAt ? job.probeHold.retryAt : first.at;
  if (first.reason === Reason.CANCELED_BY_USER) {
    const then =
      job.executor.executionRef === null
        ? 'its start can no longer create an execution: it is canceled, and an execution the start made is stopped'
        : "it is canceled without the executor's confirmation";
    return { kind: first.reason, at, action: 'cancel', then };
  }
  const reason = first.reason as FailureReason;
  const why = REASON_WORDS[reason] ?? reason;
  if (isRetryable(job.policy, reason, undefined) && job.attempt < job.maxAttempts) {
    const backoff = backoffDelayMs(job.policy.backoff, job.attempt, () => 0.5);
    const then =
      `attempt ${job.attempt} fails (${reason}: ${why}) and attempt ${job.attempt + 1} of ${job.maxAttempts} ` +
      `is queued after a backoff of about ${duration(backoff)}`;
    return { kind: reason, at, action: 'retry', then };
  }
  const last = job.attempt >= job.maxAttempts && job.maxAttempts > 1 ? ', its last attempt' : '';
  return { kind: reason, at, action: 'fail', then: `the job fails (${reason}: ${why})${last}` };
}

function line(kind: string, at: EpochMs | null | undefined, seen: string, missing: string): EvidenceLine {
  const ok = at !== null && at !== undefined;
  return { kind, seen: ok, at: ok ? at : null, detail: ok ? seen : missing };
}

/** Each piece of evidence the job's kind of work leaves, seen or missing. */
export function evidenceLines(job: Job, history: readonly Transition[], now: EpochMs): EvidenceLine[] {
  const out: EvidenceLine[] = [];
  const ago = (at: EpochMs): string => duration(now - at);
  out.push(line('queued', job.attemptQueuedAt, `attempt ${job.attempt} of ${job.maxAttempts} queued`, ''));
  if (needsExecutor(job)) {
    out.push(
      line(
        'start-requested',
        job.executor.startRequestedAt,
        `the executor (${job.executor.kind}) was asked to start it`,
        'the executor has not been asked to start it',
      ),
      {
        kind: 'execution',
        seen: job.executor.executionRef !== null,
        at: null,
        detail: job.executor.executionRef ?? 'no execution recorded for this attempt',
      },
    );
  }
  const hb = job.policy.heartbeatTimeoutSeconds;
  out.push(
    line('worker-started', job.startedAt, 'the work started', 'no sign of the work starting'),
    line(
      'heartbeat',
      job.heartbeatAt,
      `last worker report ${job.heartbeatAt !== null ? ago(job.heartbeatAt) : ''} ago` +
        (hb === null ? ' (its worker is not expected to report)' : ` (expected within ${duration(hb * 1000)})`),
      hb === null ? 'no worker report (its worker does not report)' : 'no worker report for this attempt',
    ),
  );
  if (executorKeepsAlive(job.policy))
    out.push(
      line(
        'executor-alive',
        job.executorAliveAt ?? null,
        `the executor confirmed the execution running ${job.executorAliveAt != null ? ago(job.executorAliveAt) : ''} ago`,
        'the executor has not confirmed the execution running yet',
      ),
    );
  if (job.progress !== null)
    out.push(
      line(
        'progress',
        job.progressAt ?? null,
        `${Math.round(job.progress.pct)} %${job.progress.step ? `, in ${job.progress.step}` : ''}`,
        `${Math.round(job.progress.pct)} %, no progress report time recorded`,
      ),
    );
  if (job.reportedSucceededAt !== null)
    out.push(line('success-report', job.reportedSucceededAt, 'the worker or executor said the work is done', ''));
  for (const o of job.outputs)
    out.push({
      kind: 'output',
      seen: o.present,
      at: o.present ? o.timeCreated : null,
      detail: o.present ? `${o.uri} (generation ${o.generation ?? '?'})` : `${o.uri} not found`,
    });
  if (job.outputs.length > 0) {
    const ev = history.find((t) => t.source === Source.gcs) ?? null;
    out.push(line('finalize-event', ev?.at, 'a finalize event moved the job', 'no finalize event moved the job'));
  }
  if (job.executor.kind === 'http') {
    const ev = history.find((t) => t.source === Source.webhook) ?? null;
    out.push(line('webhook', ev?.at, "the provider's callback arrived", 'no callback from the provider'));
  }
  if (job.executor.cancelRequestedAt !== null)
    out.push(line('cancel-requested', job.executor.cancelRequestedAt, 'a cancel was asked for', ''));
  return out;
}

/** What a user can do now, each with why. */
export function actionsFor(job: Job, cause: CauseFinding, now: EpochMs): Diagnosis['actions'] {
  const out: Diagnosis['actions'] = [];
  const next = nextDeadline(job, now, cause.code === CauseCode.WORKER_HUNG);
  if (isActive(job.status)) {
    const worrying: CauseCode[] = [
      CauseCode.WORKER_SILENT,
      CauseCode.WORKER_HUNG,
      CauseCode.TIMED_OUT,
      CauseCode.OUTPUT_MISSING,
    ];
    const startSlow =
      cause.code === CauseCode.WAITING_FOR_EXECUTOR &&
      job.executor.startRequestedAt !== null &&
      now - job.executor.startRequestedAt >= dispatchRetryMs(job);
    if ((cause.failedAttempt === null && worrying.includes(cause.code)) || startSlow)
      out.push({
        action: 'reconcile',
        why: 'checks the outputs and the executor now instead of waiting for the next deadline',
      });
    if (!cancelRequested(job))
      out.push({
        action: 'cancel',
        why: 'stops the work: the executor is told to stop and temporary files are removed',
      });
    out.push({
      action: 'wait',
      why: next
        ? `nothing is overdue: Verity looks again by ${clockTime(next.at)} and acts on its own`
        : 'Verity acts on the next event on its own',
    });
    return out;
  }
  if (job.status === JobStatus.failed && next?.action === 'check')
    out.push({
      action: 'reconcile',
      why: `its outputs may still land until ${clockTime(next.at)}; a reconcile looks for them now`,
    });
  if (job.status === JobStatus.failed || job.status === JobStatus.canceled) {
    const permanent = job.error !== null && !job.error.retryable && cause.code === CauseCode.WORKER_FAILED;
    out.push({
      action: 'retry',
      why: permanent
        ? `the worker called its error (${job.error!.code}) permanent: a retry with the same input likely fails the same way`
        : 'starts a new attempt as a new job with the same input; outputs that already exist are reused, not redone',
    });
  }
  return out;
}

export function diagnose(job: Job, history: readonly Transition[], now: EpochMs): Diagnosis {
  const cause = findCause(job, history, now);
  const next = nextDeadline(job, now, cause.code === CauseCode.WORKER_HUNG);
  const text = explain(job, cause, next, now);
  return {
    jobId: job.id,
    status: job.status,
    summary: text.summary,
    cause: { code: cause.code, explanation: text.explanation },
    waitingFor: waitingFor(job, cause, now),
    nextDeadline: next,
    evidence: evidenceLines(job, history, now),
    actions: actionsFor(job, cause, now),
  };
}
