/**
 * The diagnosis in words (diagnose.ts): the summary read aloud, the explanation citing the evidence (times,
 * sources, what was expected and not seen), and what the job waits for. Pure.
 */
import { CauseCode, HUNG_AFTER_HEARTBEAT_TIMEOUTS, lastProgressAt, type CauseFinding } from './diagnose-cause.js';
import { clockTime, duration, REASON_WORDS, SOURCE_WORDS } from './diagnose-text.js';
import { needsExecutor } from './deadlines.js';
import { ageProbeAt, livenessOf } from './liveness.js';
import type { EpochMs, Job, Transition } from './model.js';
import { assertNever, isActive, JobStatus } from './states.js';

export interface NextDeadline {
  /** The deadline's reason (QUEUE_TIMEOUT, HEARTBEAT_TIMEOUT, …) or LATE_OUTPUT_CHECK. */
  kind: string;
  at: EpochMs;
  /** What happens then: retry (with the attempt and backoff), fail (with the reason), cancel, or check. */
  action: 'retry' | 'fail' | 'cancel' | 'check';
  then: string;
}

interface Words {
  /** A phrase for the summary ("the worker went silent"). */
  headline: string;
  /** Sentences citing the evidence. */
  explanation: string;
}

const S = 1000;
const by = (t: Transition | null): string => (t ? `${SOURCE_WORDS[t.source] ?? t.source} at ${clockTime(t.at)}` : '');
const ref = (job: Job): string => job.executor.executionRef ?? 'its execution';
const missing = (job: Job): string[] => job.outputs.filter((o) => !o.present).map((o) => o.uri);
const message = (job: Job, t: Transition | null): string =>
  typeof t?.evidence.message === 'string' ? t.evidence.message : (job.error?.message ?? '');

function lastReport(job: Job, now: EpochMs): string {
  return job.heartbeatAt === null
    ? 'no worker report has come for this attempt'
    : `the last worker report came at ${clockTime(job.heartbeatAt)}, ${duration(now - job.heartbeatAt)} ago`;
}

/** The heartbeat deadline in words ("no heartbeat deadline" for a worker that does not report). */
const heartbeatWords = (job: Job): string =>
  job.policy.heartbeatTimeoutSeconds === null
    ? 'no heartbeat deadline (its worker does not report)'
    : duration(job.policy.heartbeatTimeoutSeconds * S);

/** Which evidence keeps a running job alive (liveness.ts): worker reports, its executor, or either. */
function aliveBy(job: Job, now: EpochMs): string {
  const exec =
    job.executorAliveAt != null
      ? `the executor confirmed ${ref(job)} running at ${clockTime(job.executorAliveAt)}, ` +
        `${duration(now - job.executorAliveAt)} ago`
      : `the executor has not yet been asked whether ${ref(job)} runs`;
  const next = ageProbeAt(job);
  const check = next !== null ? `; the next check is at ${clockTime(next)}` : '';
  const liveness = livenessOf(job.policy);
  switch (liveness) {
    case 'executor':
      return `its worker does not report, so its executor speaks for it: ${exec}${check}`;
    case 'both':
      return `${lastReport(job, now)}, and ${exec}; either keeps it alive (a sign is expected within ${heartbeatWords(job)})${check}`;
    case 'reports':
      return `${lastReport(job, now)} (a report is expected within ${heartbeatWords(job)})${check}`;
    default:
      return assertNever(liveness, 'liveness');
  }
}

function words(job: Job, c: CauseFinding, now: EpochMs): Words {
  const t = c.transition;
  const p = job.policy;
  const active = isActive(job.status) && c.failedAttempt === null;
  switch (c.code) {
    case CauseCode.WAITING_FOR_EXECUTOR: {
      const queued = `Attempt ${job.attempt} was queued at ${clockTime(job.attemptQueuedAt)}`;
      const start = !needsExecutor(job)
        ? 'an external job starts with its worker’s first report, and none has come'
        : job.executor.startRequestedAt === null
          ? 'the executor has not been asked to start it yet'
          : `the executor (${job.executor.kind}) was asked to start it at ${clockTime(job.executor.startRequestedAt)}` +
            (job.executor.executionRef ? ` and named ${job.executor.executionRef}` : ' and has not named an execution');
      const after =
        job.notBefore !== null && job.notBefore > now ? `; it may not start before ${clockTime(job.notBefore)}` : '';
      return {
        headline: `queued for ${duration(now - job.attemptQueuedAt)}, waiting for the executor to start attempt ${job.attempt}`,
        explanation: `${queued}${after}; ${start}. No worker has reported yet.`,
      };
    }
    case CauseCode.RUNNING_NORMALLY: {
      const step = job.progress?.step ? `, in ${job.progress.step}` : '';
      const pct = job.progress ? ` at ${Math.round(job.progress.pct)} %${step}` : '';
      return {
        headline: `running normally${pct}`,
        explanation: `It started at ${clockTime(job.startedAt ?? job.attemptQueuedAt)}; ${aliveBy(job, now)}.`,
      };
    }
    case CauseCode.WORKER_SILENT:
      return {
        headline: active
          ? `the worker has been silent for ${duration(now - (job.heartbeatAt ?? job.startedAt ?? job.attemptQueuedAt))} ` +
            'while its execution runs'
          : 'the worker went silent',
        explanation: active
          ? `${ref(job)} is running but ${lastReport(job, now)}; the heartbeat deadline allows ` +
            `${heartbeatWords(job)} between reports and has passed.`
          : `No worker report came within the heartbeat deadline of ${heartbeatWords(job)}; ` +
            `${by(t)} failed attempt ${t?.attempt ?? job.attempt}.`,
      };
    case CauseCode.WORKER_HUNG: {
      const since = lastProgressAt(job);
      const stuck =
        since !== null ? `has not moved since ${clockTime(since)} (${duration(now - since)})` : 'has not moved';
      return {
        headline: active ? 'the worker is alive but its progress has stopped' : 'the worker hung',
        explanation:
          `Heartbeats kept coming (the last at ${job.heartbeatAt !== null ? clockTime(job.heartbeatAt) : '?'}) but the ` +
          `progress ${stuck}, longer than ${HUNG_AFTER_HEARTBEAT_TIMEOUTS} heartbeat timeouts` +
          (active ? '; only the run deadline ends it.' : `; the run deadline ended it (${by(t)}).`),
      };
    }
    case CauseCode.TIMED_OUT:
      return {
        headline: active ? 'it has run past its run deadline' : 'it ran past its run deadline',
        explanation:
          `It started at ${clockTime(job.startedAt ?? job.attemptQueuedAt)} and may run ` +
          `${duration(p.runTimeoutSeconds * S)}` +
          (t ? `; ${by(t)} failed it.` : '.'),
      };
    case CauseCode.NEVER_STARTED:
      return {
        headline: 'it never started',
        explanation:
          `It stayed queued longer than its queue deadline of ${duration(p.queueTimeoutSeconds * S)}: no execution ` +
          `and no worker report started it` +
          (t ? `; ${by(t)} failed it.` : '.'),
      };
    case CauseCode.EXECUTOR_FAILED:
      return {
        headline: 'the execution failed',
        explanation: `${by(t) ? `As ${by(t)} found, t` : 'T'}he execution failed: ${message(job, t) || 'no detail given'}.`,
      };
    case CauseCode.EXECUTOR_LOST:
      return {
        headline: 'the executor lost the execution',
        explanation: `The executor no longer knows the execution (${message(job, t) || 'no detail'}); ${by(t)} recorded it.`,
      };
    case CauseCode.OUTPUT_MISSING: {
      const gone = missing(job).join(', ') || 'its outputs';
      const at = job.reportedSucceededAt;
      return active
        ? {
            headline: 'the work is reported done but its outputs are missing',
            explanation:
              `The work was reported done at ${at !== null ? clockTime(at) : '?'}, but ${gone} cannot be found; ` +
              `Verity waits the output grace of ${duration(p.outputGraceSeconds * S)} for them to land.`,
          }
        : {
            headline: 'its outputs never appeared',
            explanation:
              `The work was reported done, but ${gone} was still missing when the output grace of ` +
              `${duration(p.outputGraceSeconds * S)} ended; ${by(t)} failed it.`,
          };
    }
    case CauseCode.EVENT_LOST: {
      const landed = job.outputs.map((o) => o.timeCreated).filter((x): x is number => x !== null);
      const at = landed.length > 0 ? Math.max(...landed) : null;
      const lag = at !== null && t ? ` ${duration(t.at - at)} after it landed,` : '';
      return {
        headline: 'its output landed but the event saying so was lost',
        explanation:
          `${job.outputs.map((o) => o.uri).join(', ')} landed${at !== null ? ` at ${clockTime(at)}` : ''}, but no ` +
          `finalize event for it reached Verity; ${by(t)} found it${lag} and marked the job succeeded.`,
      };
    }
    case CauseCode.WEBHOOK_LOST:
      return {
        headline: 'the provider finished but its callback never came',
        explanation:
          `No webhook arrived from the provider; ${by(t)} asked the provider directly and recorded that ` +
          `${REASON_WORDS[t?.reason ?? ''] ?? 'it succeeded'}.`,
      };
    case CauseCode.CANCELED:
      return {
        headline: 'it was canceled',
        explanation: `Canceled at ${clockTime(job.canceledAt ?? job.updatedAt)}${t ? ` by ${SOURCE_WORDS[t.source] ?? t.source}` : ''}.`,
      };
    case CauseCode.SUCCEEDED: {
      const took =
        job.startedAt !== null && job.completedAt !== null
          ? `, ${duration(job.completedAt - job.startedAt)} after it started`
          : '';
      return {
        headline: `it succeeded${job.attempt > 1 ? ` on attempt ${job.attempt}` : ''} at ${clockTime(job.completedAt ?? job.updatedAt)}`,
        explanation:
          `Succeeded at ${clockTime(job.completedAt ?? job.updatedAt)}${took}: ` +
          `${REASON_WORDS[t?.reason ?? ''] ?? 'done'}${t ? ` (${SOURCE_WORDS[t.source] ?? t.source})` : ''}.`,
      };
    }
    case CauseCode.WORKER_FAILED: {
      const code = job.error?.code ?? 'an error';
      return {
        headline: `the worker reported ${code}`,
        explanation:
          `The worker reported a failure: ${message(job, t) || code}` +
          (job.error?.retryable === false ? ' (not retryable).' : '.'),
      };
    }
    case CauseCode.EVIDENCE_UNAVAILABLE:
      return {
        headline: 'a deadline passed while the evidence could not be read',
        explanation: `A deadline passed and the probes (storage, executor) kept failing: ${message(job, t) || 'no detail'}.`,
      };
    case CauseCode.CANCELING: {
      const at = job.executor.cancelRequestedAt;
      if (job.executor.executionRef === null)
        return {
          headline: 'a cancel is waiting for the start in flight',
          explanation:
            `A cancel was asked for at ${at !== null ? clockTime(at) : '?'} while the executor was starting ` +
            `attempt ${job.attempt}. The execution the start makes is told to stop as soon as it is named; the ` +
            `job is canceled when the executor confirms it stopped, when the start fails, or when the start's ` +
            `time is up without an execution.`,
        };
      return {
        headline: 'a cancel is under way',
        explanation:
          `A cancel was asked for at ${at !== null ? clockTime(at) : '?'}; the executor has not confirmed that ` +
          `${ref(job)} stopped. The job is canceled when it does, or when the cancel grace of ` +
          `${duration(p.cancelGraceSeconds * S)} ends.`,
      };
    }
    default:
      return assertNever(c.code, 'cause');
  }
}

/** The summary (one sentence) and the explanation. */
export function explain(
  job: Job,
  c: CauseFinding,
  next: NextDeadline | null,
  now: EpochMs,
): { summary: string; explanation: string } {
  const w = words(job, c, now);
  const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
  const then = next ? `; if nothing changes, at ${clockTime(next.at)} ${next.then}` : '';
  if (c.failedAttempt !== null) {
    const when =
      job.notBefore !== null && job.notBefore > now
        ? `starts after its backoff, at ${clockTime(job.notBefore)}`
        : 'waits for the executor to start it';
    return {
      summary: `Attempt ${c.failedAttempt} failed because ${w.headline}; attempt ${job.attempt} of ${job.maxAttempts} ${when}.`,
      explanation: `${w.explanation} Attempt ${job.attempt} of ${job.maxAttempts} ${when}.`,
    };
  }
  switch (job.status) {
    case JobStatus.queued:
    case JobStatus.running:
      return { summary: `${cap(w.headline)}${then}.`, explanation: w.explanation };
    case JobStatus.failed: {
      const late = next ? `; its outputs are looked for once more at ${clockTime(next.at)}` : '';
      const tries = job.attempt > 1 ? ` after ${job.attempt} attempts` : '';
      return { summary: `Failed${tries} because ${w.headline}${late}.`, explanation: w.explanation };
    }
    case JobStatus.succeeded:
    case JobStatus.canceled:
      return { summary: `${cap(w.headline)}.`, explanation: w.explanation };
    default:
      return assertNever(job.status, 'status');
  }
}

/** What the job waits for now, in words; empty when it is finished. */
export function waitingFor(job: Job, c: CauseFinding, now: EpochMs): string[] {
  if (!isActive(job.status)) return [];
  if (c.code === CauseCode.CANCELING) return [`the executor to confirm that ${ref(job)} stopped`];
  if (job.reportedSucceededAt !== null) return missing(job).map((u) => `the output ${u}`);
  const out: string[] = [];
  if (job.status === JobStatus.queued) {
    if (job.notBefore !== null && job.notBefore > now)
      out.push(`the retry backoff to end at ${clockTime(job.notBefore)}`);
    out.push(needsExecutor(job) ? `the executor to start attempt ${job.attempt}` : "the worker's first report");
    return out;
  }
  out.push(c.code === CauseCode.WORKER_HUNG ? 'the worker to make progress' : 'the next worker report');
  const gone = missing(job);
  if (gone.length > 0) out.push(...gone.map((u) => `the output ${u}`));
  else out.push('the worker or executor to report the end');
  return out;
}
