/**
 * Admission (issue 32, docs/scale.md "Admission"): how many enqueues a second the deployment takes now. A
 * cold database ramps by Firestore's 500/50/5 guidance — start at 500 operations a second, add 50% every five
 * minutes — so the allowance is the base, or half again the rate sustained over the last five minutes,
 * whichever is more. Pure: the store counts, this decides.
 */
export const RAMP_WINDOW_MS = 5 * 60_000;

export function allowedPerSecond(basePerSecond: number, createdInWindow: number): number {
  return Math.max(basePerSecond, Math.floor((1.5 * createdInWindow) / (RAMP_WINDOW_MS / 1000)));
}
