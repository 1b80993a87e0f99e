/**
 * The ETA, learned (pure): how long each step took in recent successful runs of the same type, and how long
 * whole runs took. Per-step medians when every step still to go has one; else the whole-run median; else
 * nothing (null) — never a constant.
 */
import { isActive } from './states.js';
import type { EpochMs, Job, StepTiming } from './model.js';

export interface PastRun {
  startedAt: EpochMs;
  completedAt: EpochMs;
  steps: readonly StepTiming[];
}

/** `skipped`: done by an earlier attempt, whose checkpoint this one resumed from. */
export type StepStatus = 'pending' | 'running' | 'completed' | 'skipped';

export interface StepEta {
  name: string;
  weight: number | null;
  status: StepStatus;
  startedAt: EpochMs | null;
  completedAt: EpochMs | null;
  /** Actual duration when completed, else the learned median (null: not learned yet). */
  estimatedSeconds: number | null;
  remainingSeconds: number | null;
}

export interface Eta {
  elapsedSeconds: number;
  estimatedTotalSeconds: number | null;
  remainingSeconds: number | null;
  /** What the estimate rests on. */
  basis: 'steps' | 'runs' | null;
  samples: number;
  steps: StepEta[];
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const secs = (ms: number): number => Math.max(0, ms) / 1000;

export function estimate(job: Job, history: readonly PastRun[], now: EpochMs): Eta {
  const runMedian = median(history.map((r) => secs(r.completedAt - r.startedAt)));
  const stepMedian = (name: string): number | null =>
    median(
      history.flatMap((r) =>
        r.steps
          .filter((s) => s.name === name && !s.skipped && s.startedAt !== null && s.completedAt !== null)
          .map((s) => secs(s.completedAt! - s.startedAt!)),
      ),
    );
  // after the last step: uploads, muxing… (the time from the last step's end to completion)
  const tail = median(
    history.flatMap((r) => {
      const ends = r.steps.map((s) => s.completedAt).filter((t): t is number => t !== null);
      return ends.length > 0 ? [secs(r.completedAt - Math.max(...ends))] : [];
    }),
  );

  const end = job.endedAt ?? now;
  const elapsed = job.startedAt === null ? 0 : secs(end - job.startedAt);
  const done = new Set(job.progress?.completedSteps ?? []);
  const skipped = new Set(job.progress?.skippedSteps ?? []);
  const current = job.progress?.step ?? null;
  const timing = (name: string): StepTiming | undefined => job.progress?.steps.find((s) => s.name === name);
  const steps = stepOrder(job, history).map((name): StepEta => {
    const t = timing(name);
    // a succeeded job did every step, whether or not its last reports arrived before the output did
    const weight = job.stepPlan.find((s) => s.name === name)?.weight ?? null;
    const status: StepStatus = skipped.has(name)
      ? 'skipped'
      : done.has(name) || job.status === 'succeeded'
        ? 'completed'
        : name === current
          ? 'running'
          : 'pending';
    const learned = stepMedian(name);
    const base = { name, weight, status, startedAt: t?.startedAt ?? null, completedAt: t?.completedAt ?? null };
    if (status === 'skipped') return { ...base, estimatedSeconds: 0, remainingSeconds: 0 };
    if (status === 'completed') {
      const actual = t?.startedAt != null && t.completedAt != null ? secs(t.completedAt - t.startedAt) : learned;
      return { ...base, estimatedSeconds: actual, remainingSeconds: 0 };
    }
    if (learned === null) return { ...base, estimatedSeconds: null, remainingSeconds: null };
    const ran = status === 'running' && t?.startedAt != null ? secs(now - t.startedAt) : 0;
    return { ...base, estimatedSeconds: learned, remainingSeconds: Math.max(0, learned - ran) };
  });

  const out = (remaining: number | null, basis: Eta['basis']): Eta => ({
    elapsedSeconds: elapsed,
    estimatedTotalSeconds: remaining === null ? null : elapsed + remaining,
    remainingSeconds: remaining,
    basis,
    samples: history.length,
    steps,
  });
  if (!isActive(job.status)) return out(0, null);
  const togo = steps.filter((s) => s.status !== 'completed' && s.status !== 'skipped');
  if (steps.length > 0 && togo.every((s) => s.remainingSeconds !== null) && (togo.length > 0 || tail !== null)) {
    return out(togo.reduce((sum, s) => sum + s.remainingSeconds!, 0) + (tail ?? 0), 'steps');
  }
  if (runMedian !== null) return out(Math.max(0, runMedian - elapsed), 'runs');
  return out(null, null);
}

/** The plan's order; without one, the steps seen so far, then the rest of the longest recent run's. */
function stepOrder(job: Job, history: readonly PastRun[]): string[] {
  if (job.stepPlan.length > 0) return job.stepPlan.map((s) => s.name);
  const names = (job.progress?.steps ?? []).map((s) => s.name);
  for (const n of job.progress?.completedSteps ?? []) if (!names.includes(n)) names.push(n);
  const longest = history.reduce<readonly StepTiming[]>(
    (best, r) => (r.steps.length > best.length ? r.steps : best),
    [],
  );
  for (const s of longest) if (!names.includes(s.name)) names.push(s.name);
  return names;
}
