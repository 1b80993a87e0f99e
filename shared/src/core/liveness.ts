/**
 * Liveness of silent work (docs/contract.md "Liveness of silent work"; issue 28). A job's work shows it is alive
 * by worker reports (the heartbeat deadline), by its executor's status, or both:
 * - `reports`: a worker report within `heartbeatTimeoutSeconds`, or the attempt fails HEARTBEAT_TIMEOUT;
 * - `executor` (`heartbeatTimeoutSeconds: null`, the worker does not report): alive while the executor says the
 *   attempt runs, bounded by the run timeout, never failed HEARTBEAT_TIMEOUT; it is looked at by age
 *   (probeSchedule): a first probe after `probeAfterSeconds`, then every `probeEverySeconds`, doubling to a cap;
 * - `both`: a report, or the executor's "running" seen when the heartbeat deadline comes, keeps it alive.
 * The executor's confirmation is recorded (`executorAliveAt`) only at those scheduled looks, so a long job
 * writes a bounded number of times per hour whatever reads it.
 */
import type { EpochMs, Job, Liveness, Policy } from './model.js';
import { JobStatus } from './states.js';

const S = 1000;

/** A silent job's probes when its policy names none: a first look after a minute, then every minute, doubling. */
export const SILENT_PROBE_DEFAULT_SECONDS = 60;
/** The longest wait between two age-based probes (10 min: the cost table's figure per silent job per hour). */
export const PROBE_EVERY_CAP_SECONDS = 600;

/** How the job's work shows it is alive; a null heartbeat means the worker does not report. */
export function livenessOf(policy: Policy): Liveness {
  if (policy.heartbeatTimeoutSeconds === null) return 'executor';
  return policy.liveness === 'both' || policy.liveness === 'executor' ? 'both' : 'reports';
}

/** Whether the executor's "running" counts as a sign of life for this job. */
export function executorKeepsAlive(policy: Policy): boolean {
  return livenessOf(policy) !== 'reports';
}

export interface ProbeSchedule {
  afterMs: number;
  everyMs: number;
  capMs: number;
}

/**
 * The age-based probe schedule: always for a silent job (defaults when its policy names none), and for any
 * job whose policy names `probeAfterSeconds` or `probeEverySeconds` (a provider job whose webhook may never
 * come: seed 003 looks after 5 minutes, seed 004 every 2). Null: the job is looked at by its deadlines only.
 */
export function probeSchedule(policy: Policy): ProbeSchedule | null {
  const after = policy.probeAfterSeconds ?? null;
  const every = policy.probeEverySeconds ?? null;
  if (policy.heartbeatTimeoutSeconds !== null && after === null && every === null) return null;
  const everyS = every ?? SILENT_PROBE_DEFAULT_SECONDS;
  return {
    afterMs: (after ?? everyS) * S,
    everyMs: everyS * S,
    capMs: Math.max(everyS, PROBE_EVERY_CAP_SECONDS) * S,
  };
}

/**
 * Whether the job's attempt is one the age-based probes watch: active, no cancel under way, no success report
 * awaiting its outputs (those have deadlines of their own), and an execution to ask or outputs to look for.
 */
function watched(job: Job): boolean {
  if (job.status !== JobStatus.running && job.status !== JobStatus.queued) return false;
  if (job.reportedSucceededAt !== null) return false;
  if (job.executor.cancelRequestedAt !== null && job.executor.attempt === job.attempt) return false;
  const executing = job.executor.kind === 'external' || job.executor.executionRef !== null;
  return job.status === JobStatus.running || executing;
}

/**
 * When the next age-based probe of the current attempt is due, or null when none applies. Measured from the
 * attempt's start (its queueing while not started); after the first probe, every `everyMs` doubling with each
 * interval up to `capMs`, counted from the last probe (`livenessCheckedAt`). Whole milliseconds, as stored.
 */
export function ageProbeAt(job: Job): EpochMs | null {
  const schedule = probeSchedule(job.policy);
  if (schedule === null || !watched(job)) return null;
  const base = job.startedAt ?? Math.max(job.attemptQueuedAt, job.notBefore ?? 0);
  const first = base + schedule.afterMs;
  const last = job.livenessCheckedAt ?? null;
  if (last === null || last < first) return first;
  const doublings = Math.floor(Math.log2((last - first) / schedule.everyMs + 1));
  return last + Math.min(schedule.capMs, schedule.everyMs * 2 ** Math.min(doublings, 30));
}

/** Whether the age-based probe is due at `now`. */
export function ageProbeDue(job: Job, now: EpochMs): boolean {
  const at = ageProbeAt(job);
  return at !== null && at <= now;
}

/**
 * The time the heartbeat deadline counts from: the last worker report, or the executor's last confirmation
 * when it counts (`both`), else the attempt's start. Null for a silent job: it has no heartbeat deadline.
 */
export function heartbeatBase(job: Job): EpochMs | null {
  if (job.policy.heartbeatTimeoutSeconds === null) return null;
  const started = job.startedAt ?? job.attemptQueuedAt;
  const report = job.heartbeatAt ?? started;
  const executor = executorKeepsAlive(job.policy) ? (job.executorAliveAt ?? null) : null;
  return executor !== null && executor > report ? executor : report;
}
