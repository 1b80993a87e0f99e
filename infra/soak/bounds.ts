/**
 * When a job must have ended (issue 26, *stuck*): from its own policy, every attempt using its whole queue, run
 * and output-grace time and a sweep interval (with a killed sweep's lease) to notice, the backoffs between
 * attempts at their longest, a cancel's grace, and — for a job whose deadlines were held while probes failed —
 * the probe-failure grace per attempt. A job is judged by the first time it left the active states, whatever
 * state it is in; one still active at the end is stuck whatever its bound.
 */
import { isActive, type Job, type RecordedTransition } from '../../shared/src/core/index.js';
import { probeFailureGraceMs } from '../../shared/src/core/holds.js';

export interface BoundTiming {
  sweepIntervalMs: number;
  /** The sweep's lease: a killed sweep's jobs wait this long before the next sweep may take them. */
  sweepLeaseMs: number;
  /** Output URIs whose probe met an injected storage fault (the GCS proxy's record). */
  storageFaults?: ReadonlySet<string>;
}

/** The first time the job was no longer active (its first terminal transition), or null. */
export function firstEndAt(history: readonly RecordedTransition[]): number | null {
  return history.find((t) => !isActive(t.to))?.at ?? null;
}

/**
 * Whether a deadline of the job may have been held back while probes failed: its records say so, or — ground
 * truth, whatever they say — a probe of one of its outputs met an injected storage fault (`storageFaults`: the
 * URIs the GCS proxy failed). A hold that ended without a transition leaves no mark in the history.
 */
export function wasHeld(
  job: Job,
  history: readonly RecordedTransition[],
  storageFaults: ReadonlySet<string> = new Set(),
): boolean {
  return (
    Boolean(job.probeHold) ||
    job.outputUris.some((u) => storageFaults.has(u)) ||
    history.some(
      (t) => (t.cause?.kind === 'event' && Boolean(t.cause.prior.probeHold)) || t.reason === 'EVIDENCE_UNAVAILABLE',
    )
  );
}

/** The longest the job may stay active, in ms from its creation. */
export function jobBoundMs(job: Job, held: boolean, t: BoundTiming): number {
  const p = job.policy;
  const notice = t.sweepIntervalMs + t.sweepLeaseMs;
  const attempt = (p.queueTimeoutSeconds + p.runTimeoutSeconds + p.outputGraceSeconds) * 1000 + notice;
  const hold = held ? probeFailureGraceMs(p) + notice : 0;
  const backoff = p.backoff.maxSeconds * (1 + p.backoff.jitter) * 1000 + notice;
  return p.maxAttempts * (attempt + hold) + (p.maxAttempts - 1) * backoff + p.cancelGraceSeconds * 1000 + notice;
}

export interface Lateness {
  jobId: string;
  /** ms past the bound (negative: in time). */
  lateMs: number;
  /** How much of its bound the job used (0..1+). */
  share: number;
  ended: boolean;
}

/** Each job's lateness against its bound; `now` stands in for the end of a job still active. */
export function lateness(
  jobs: Iterable<Job>,
  histories: ReadonlyMap<string, readonly RecordedTransition[]>,
  now: number,
  t: BoundTiming,
): Lateness[] {
  const out: Lateness[] = [];
  for (const job of jobs) {
    const h = histories.get(job.id) ?? [];
    const end = firstEndAt(h);
    const bound = jobBoundMs(job, wasHeld(job, h, t.storageFaults), t);
    const took = (end ?? now) - job.createdAt;
    out.push({ jobId: job.id, lateMs: took - bound, share: took / bound, ended: end !== null });
  }
  return out;
}
