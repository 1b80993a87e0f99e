/**
 * Deadlines held back while probes fail. Rule 3 lets a deadline fail an attempt only once the probes show
 * nothing better; a probe that keeps failing (GCS or the executor's API down, a bad credential) must not keep a
 * job open forever, nor keep it at the head of the sweep's query. So each held check records itself on the job
 * (`probeHold`) and pushes the next one out — 30 s, doubling, at most 5 min — and once the policy's
 * `probeFailureGraceSeconds` have passed since the first held check, the attempt fails EVIDENCE_UNAVAILABLE.
 */
import type { Deadline } from './deadlines.js';
import type { EpochMs, Job, Policy, ProbeHold } from './model.js';
import { DEFAULT_POLICY, PROBE_FAILURE_GRACE_BOUNDS } from './policy.js';

export const PROBE_HOLD_INITIAL_MS = 30_000;
export const PROBE_HOLD_MAX_MS = 5 * 60_000;

/** The delay after the `count`-th held check: 30 s, 60 s, 120 s, … capped at 5 min. */
export function probeHoldDelayMs(count: number): number {
  return Math.min(PROBE_HOLD_MAX_MS, PROBE_HOLD_INITIAL_MS * 2 ** Math.min(Math.max(0, count - 1), 20));
}

/** The policy's grace in ms, within its bounds (a job stored before the field existed gets the default). */
export function probeFailureGraceMs(policy: Policy): number {
  const s = (policy as Partial<Policy>).probeFailureGraceSeconds ?? DEFAULT_POLICY.probeFailureGraceSeconds;
  return Math.min(PROBE_FAILURE_GRACE_BOUNDS.maxSeconds, Math.max(PROBE_FAILURE_GRACE_BOUNDS.minSeconds, s)) * 1000;
}

export interface ProbeOutcome {
  /** Every available probe ran. */
  probed: boolean;
  /** Probes that were tried and failed (empty: none failed, e.g. a finalize event that probes nothing). */
  errors: readonly string[];
}

/**
 * What the job's hold becomes after a look at `now` with `due` the deadline that has passed (if any):
 * - `expired`: the grace is over; the attempt fails (or a pending cancel completes) now;
 * - a ProbeHold or null: the job's next `probeHold` (the same object when nothing changes).
 */
export function nextProbeHold(
  job: Job,
  due: Deadline | null,
  probes: ProbeOutcome,
  now: EpochMs,
): ProbeHold | null | 'expired' {
  const prev = job.probeHold ?? null;
  if (probes.probed || due === null) return null; // evidence is back, or nothing is being held
  if (probes.errors.length === 0) return prev; // partial evidence, nothing failed: no reason to count
  const since = prev?.since ?? now;
  const graceEnds = since + probeFailureGraceMs(job.policy);
  if (now >= graceEnds) return 'expired';
  if (prev && now < prev.retryAt) return prev; // a look before the planned check (a read, a verify): no new step
  const count = (prev?.count ?? 0) + 1;
  return { since, count, retryAt: Math.min(now + probeHoldDelayMs(count), graceEnds) };
}
