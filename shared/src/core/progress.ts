/**
 * Progress from worker reports (pure): the step plan's weights turn "step 2 of 3 at 50 %" into an overall
 * percent, and each step's start and end are recorded so the ETA can learn how long a step takes.
 */
import type { EpochMs, Job, Progress, ProgressReport, StepSpec, StepTiming } from './model.js';

const MAX_STEPS = 500;

/** The plan a report may declare, when the job has none. */
export function planFrom(job: Job, r: ProgressReport): StepSpec[] {
  if (job.stepPlan.length > 0 || !r.steps || r.steps.length === 0) return job.stepPlan;
  return r.steps.slice(0, MAX_STEPS).map((s) => ({ name: s.name, weight: s.weight ?? 1 }));
}

/**
 * Overall percent from the plan: Σ weights of completed steps + the current step's weight × its percent,
 * over Σ weights. Null when there is no plan or the current step is not in it (the reported pct stands).
 */
export function weightedPct(
  plan: readonly StepSpec[],
  completed: readonly string[],
  step: string | null,
  stepPct: number | null,
): number | null {
  const total = plan.reduce((sum, s) => sum + s.weight, 0);
  if (plan.length === 0 || total <= 0) return null;
  const done = new Set(completed);
  if (step !== null && !done.has(step) && !plan.some((s) => s.name === step)) return null;
  let sum = 0;
  for (const s of plan) {
    if (done.has(s.name)) sum += s.weight;
    else if (s.name === step) sum += (s.weight * clampPct(stepPct ?? 0)) / 100;
  }
  return Math.round((sum / total) * 1000) / 10;
}

export function nextProgress(job: Job, r: ProgressReport, plan: readonly StepSpec[], now: EpochMs): Progress {
  const prev = job.progress;
  // within an attempt (progress starts afresh with each) steps only ever finish: a report delivered late or
  // twice, whose lists are shorter than what is recorded, takes nothing back
  const skipped = union(prev?.skippedSteps ?? [], r.skippedSteps ?? []).slice(0, MAX_STEPS);
  const reported = union(prev?.completedSteps ?? [], r.completedSteps ?? []);
  // a skipped step is done: its checkpoint stands
  const completed = [...reported, ...skipped.filter((s) => !reported.includes(s))].slice(0, MAX_STEPS);
  const step = r.step !== undefined ? r.step : (prev?.step ?? null);
  const stepPct =
    r.stepPct !== undefined && r.stepPct !== null
      ? clampPct(r.stepPct)
      : step === (prev?.step ?? null)
        ? (prev?.stepPct ?? null)
        : null;
  const steps = recordTimings(prev?.steps ?? [], completed, step, job.startedAt, now, skipped);
  const pct = weightedPct(plan, completed, step, stepPct) ?? clampPct(r.pct ?? prev?.pct ?? 0);
  return { pct, step, stepPct, completedSteps: completed, ...(skipped.length ? { skippedSteps: skipped } : {}), steps };
}

/**
 * A step starts when the step before it completed (or the job started); it completes at the first report
 * that lists it as completed. Workers that only report completions still give every step a duration.
 */
function recordTimings(
  prev: readonly StepTiming[],
  completed: readonly string[],
  step: string | null,
  jobStartedAt: EpochMs | null,
  now: EpochMs,
  skipped: readonly string[] = [],
): StepTiming[] {
  const steps = prev.map((s) => ({ ...s }));
  const lastEnd = (): EpochMs =>
    steps.reduce<EpochMs | null>(
      (m, s) => (s.completedAt !== null && (m === null || s.completedAt > m) ? s.completedAt : m),
      null,
    ) ??
    jobStartedAt ??
    now;
  for (const name of completed) {
    const t = steps.find((s) => s.name === name);
    if (!t) {
      // a skipped step took no time in this attempt
      if (skipped.includes(name) && steps.length < MAX_STEPS)
        steps.push({ name, startedAt: now, completedAt: now, skipped: true });
      else if (steps.length < MAX_STEPS) steps.push({ name, startedAt: lastEnd(), completedAt: now });
    } else if (t.completedAt === null) t.completedAt = now;
  }
  if (step !== null && !completed.includes(step) && !steps.some((s) => s.name === step) && steps.length < MAX_STEPS) {
    steps.push({ name: step, startedAt: lastEnd(), completedAt: null });
  }
  return steps;
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...a, ...b.filter((s) => !a.includes(s))];
}

function clampPct(n: number): number {
  return Math.min(100, Math.max(0, n));
}
