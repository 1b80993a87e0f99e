/**
 * Recoveries (GET /api/stats/recoveries): a state set by looking (a read, a reconcile, the sweep) rather than
 * by the event that should have said it, and how long after its deadline or its evidence the correction came.
 * Pure.
 */
import type { EpochMs, Transition } from './model.js';
import { RECOVERY_SOURCES } from './diagnose-cause.js';

export const STATS_WINDOWS = { '1h': 3600_000, '24h': 24 * 3600_000, '7d': 7 * 24 * 3600_000 } as const;
export type StatsWindow = keyof typeof STATS_WINDOWS;

export const isRecovery = (t: Pick<Transition, 'source'>): boolean => RECOVERY_SOURCES.includes(t.source);

/**
 * How long a recovery came after what it corrects: a deadline's time (evidence.deadlineAt), else the newest
 * output it found (evidence.outputs[].timeCreated). Null when the record holds neither (an executor's status
 * carries no time).
 */
export function recoveryLagMs(t: Pick<Transition, 'at' | 'evidence'>): number | null {
  const deadline = t.evidence.deadlineAt;
  if (typeof deadline === 'number') return Math.max(0, t.at - deadline);
  const outputs = t.evidence.outputs;
  if (Array.isArray(outputs)) {
    const times = outputs
      .map((o) => (o as { timeCreated?: unknown }).timeCreated)
      .filter((x): x is EpochMs => typeof x === 'number');
    if (times.length > 0) return Math.max(0, t.at - Math.max(...times));
  }
  return null;
}

/** The p-th percentile (nearest rank) of xs; null for none. */
export function percentile(xs: readonly number[], p: number): number | null {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** failed / (succeeded + failed): canceled is a user's choice, not a failure. Null with neither. */
export function failureRate(succeeded: number, failed: number): number | null {
  return succeeded + failed === 0 ? null : Math.round((failed / (succeeded + failed)) * 1000) / 1000;
}
