import type { Backoff } from './model.js';

/**
 * Delay before attempt `failedAttempt + 1`: initial * multiplier^(failedAttempt-1), capped at max,
 * scaled by a jitter factor in [1 - jitter, 1 + jitter) drawn from `random` (uniform [0,1)).
 */
export function backoffDelayMs(backoff: Backoff, failedAttempt: number, random: () => number): number {
  const exponent = Math.max(0, failedAttempt - 1);
  const base = Math.min(backoff.maxSeconds, backoff.initialSeconds * Math.pow(backoff.multiplier, exponent));
  const r = Math.min(Math.max(random(), 0), 1);
  const factor = 1 - backoff.jitter + 2 * backoff.jitter * r;
  return Math.max(0, Math.round(base * factor * 1000));
}
