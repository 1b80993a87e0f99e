/** Weighted progress, step timings and the learned ETA: the pure core, by table and by property. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decide,
  estimate,
  isRejection,
  median,
  nextProgress,
  weightedPct,
  type Job,
  type PastRun,
  type StepSpec,
} from '../../shared/src/core/index.js';
import { ctx, newJob, S, T0 } from '../helpers/jobs.js';

const PLAN: StepSpec[] = [
  { name: 'voice', weight: 1 },
  { name: 'render', weight: 3 },
  { name: 'mux', weight: 1 },
];

function report(
  job: Job,
  progress: NonNullable<Extract<Parameters<typeof decide>[1], { kind: 'worker' }>['report']['progress']>,
  at: number,
): Job {
  const d = decide(job, { kind: 'worker', source: 'worker', report: { kind: 'progress', progress } }, ctx(at));
  assert.ok(!isRejection(d));
  return d.job;
}

describe('weightedPct', () => {
  const cases: {
    name: string;
    completed: string[];
    step: string | null;
    stepPct: number | null;
    want: number | null;
  }[] = [
    { name: 'nothing done', completed: [], step: 'voice', stepPct: 0, want: 0 },
    { name: 'first step half done: 0.5 of weight 1 in 5', completed: [], step: 'voice', stepPct: 50, want: 10 },
    { name: 'heavy step half done', completed: ['voice'], step: 'render', stepPct: 50, want: 50 },
    { name: 'heavy step done', completed: ['voice', 'render'], step: 'mux', stepPct: null, want: 80 },
    { name: 'all done', completed: ['voice', 'render', 'mux'], step: null, stepPct: null, want: 100 },
    { name: 'a step outside the plan: no weighted value', completed: [], step: 'upload', stepPct: 10, want: null },
    {
      name: 'completed names outside the plan are ignored',
      completed: ['warmup', 'voice'],
      step: 'render',
      stepPct: 0,
      want: 20,
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(weightedPct(PLAN, c.completed, c.step, c.stepPct), c.want));
  it('no plan: null', () => assert.equal(weightedPct([], ['a'], 'b', 50), null));

  it('property: within 0–100 and never lower with one more completed step', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        fc.integer({ min: 0, max: 100 }),
        (weights, k, pct) => {
          const plan = weights.map((weight, i) => ({ name: `s${i}`, weight }));
          const n = k % plan.length;
          const done = plan.slice(0, n).map((s) => s.name);
          const a = weightedPct(plan, done, plan[n]!.name, pct)!;
          const b = weightedPct(plan, [...done, plan[n]!.name], plan[n + 1]?.name ?? null, 0)!;
          assert.ok(a >= 0 && a <= 100 && b >= 0 && b <= 100);
          assert.ok(b >= a, `${a} → ${b}`);
        },
      ),
    );
  });
});

describe('progress reports', () => {
  it('with the type plan, the overall percent is weighted and the reported pct ignored', () => {
    const job = { ...newJob({ kind: 'external', outputs: [] }), stepPlan: PLAN };
    const j = report(job, { pct: 99, step: 'render', stepPct: 50, completedSteps: ['voice'] }, T0 + 10 * S);
    assert.equal(j.progress!.pct, 50);
    assert.equal(j.status, 'running');
  });

  it('a plan the worker declares is kept when the type has none, and a later one does not replace it', () => {
    const job = newJob({ kind: 'external', outputs: [] });
    const a = report(job, { step: 'a', stepPct: 0, steps: [{ name: 'a' }, { name: 'b', weight: 3 }] }, T0 + S);
    assert.deepEqual(a.stepPlan, [
      { name: 'a', weight: 1 },
      { name: 'b', weight: 3 },
    ]);
    const b = report(a, { step: 'b', stepPct: 50, completedSteps: ['a'], steps: [{ name: 'x' }] }, T0 + 2 * S);
    assert.deepEqual(b.stepPlan, a.stepPlan);
    assert.equal(b.progress!.pct, 62.5);
  });

  it('without a plan the reported pct stands, clamped; it carries over when a report leaves it out', () => {
    const job = newJob({ kind: 'external', outputs: [] });
    const a = report(job, { pct: 40, step: 'x' }, T0 + S);
    assert.equal(a.progress!.pct, 40);
    const b = report(a, { step: 'y', completedSteps: ['x'] }, T0 + 2 * S);
    assert.equal(b.progress!.pct, 40);
  });

  it('records when each step started and completed: a step starts when the one before it completed', () => {
    let job = newJob({ kind: 'external', outputs: [] });
    job = report(job, { step: 'voice', stepPct: 0 }, T0 + 5 * S); // starts the job at 5 s
    job = report(job, { step: 'render', completedSteps: ['voice'] }, T0 + 20 * S);
    job = report(job, { step: 'mux', completedSteps: ['voice', 'render'] }, T0 + 80 * S);
    // a worker that only reports completions: 'mux' ends, 'upload' is known only as completed
    job = report(job, { step: null, completedSteps: ['voice', 'render', 'mux', 'upload'] }, T0 + 90 * S);
    assert.deepEqual(job.progress!.steps, [
      { name: 'voice', startedAt: T0 + 5 * S, completedAt: T0 + 20 * S },
      { name: 'render', startedAt: T0 + 20 * S, completedAt: T0 + 80 * S },
      { name: 'mux', startedAt: T0 + 80 * S, completedAt: T0 + 90 * S },
      { name: 'upload', startedAt: T0 + 90 * S, completedAt: T0 + 90 * S },
    ]);
  });

  it('the step percent resets when the step changes and carries over while it does not', () => {
    let job = newJob({ kind: 'external', outputs: [] });
    job = report(job, { step: 'a', stepPct: 70 }, T0 + S);
    assert.equal(report(job, { pct: 10 }, T0 + 2 * S).progress!.stepPct, 70);
    assert.equal(report(job, { step: 'b', completedSteps: ['a'] }, T0 + 2 * S).progress!.stepPct, null);
  });

  it('nextProgress is deterministic in now (time is an input)', () => {
    const job = { ...newJob({ kind: 'external', outputs: [] }), startedAt: T0 };
    assert.deepEqual(nextProgress(job, { step: 'a' }, [], T0 + S), nextProgress(job, { step: 'a' }, [], T0 + S));
  });
});

describe('estimate (ETA from history)', () => {
  const run = (start: number, parts: [string, number][], tail = 0): PastRun => {
    let t = start;
    const steps = parts.map(([name, secs]) => {
      const s = { name, startedAt: t, completedAt: t + secs * S };
      t += secs * S;
      return s;
    });
    return { startedAt: start, completedAt: t + tail * S, steps };
  };
  const history = [
    run(
      T0 - 3000 * S,
      [
        ['voice', 10],
        ['render', 60],
        ['mux', 5],
      ],
      5,
    ),
    run(
      T0 - 2000 * S,
      [
        ['voice', 20],
        ['render', 80],
        ['mux', 5],
      ],
      5,
    ),
    run(
      T0 - 1000 * S,
      [
        ['voice', 30],
        ['render', 100],
        ['mux', 5],
      ],
      5,
    ),
  ];
  const runningAt = (at: number, step: string, completed: string[], stepStartedAt: number): Job => ({
    ...newJob({ kind: 'external', outputs: [] }),
    status: 'running',
    startedAt: T0,
    progress: {
      pct: 0,
      step,
      stepPct: null,
      completedSteps: completed,
      steps: [
        ...completed.map((name) => ({ name, startedAt: T0, completedAt: stepStartedAt })),
        { name: step, startedAt: stepStartedAt, completedAt: null },
      ],
    },
    updatedAt: at,
  });

  it('nothing to learn from: null, not a constant', () => {
    const e = estimate(runningAt(T0 + 10 * S, 'voice', [], T0), [], T0 + 10 * S);
    assert.deepEqual([e.estimatedTotalSeconds, e.remainingSeconds, e.basis, e.samples], [null, null, null, 0]);
    assert.equal(e.elapsedSeconds, 10);
  });

  it('per step: the current step’s median minus its time so far, the later steps’ medians, and the tail', () => {
    // 'render' started at 20 s and ran 30 s; medians render 80, mux 5, tail 5 → 50 + 5 + 5
    const e = estimate(runningAt(T0 + 50 * S, 'render', ['voice'], T0 + 20 * S), history, T0 + 50 * S);
    assert.equal(e.basis, 'steps');
    assert.equal(e.remainingSeconds, 60);
    assert.equal(e.estimatedTotalSeconds, 110);
    assert.deepEqual(
      e.steps.map((s) => [s.name, s.status, s.estimatedSeconds, s.remainingSeconds]),
      [
        ['voice', 'completed', 20, 0],
        ['render', 'running', 80, 50],
        ['mux', 'pending', 5, 5],
      ],
    );
  });

  it('a step running past its median has 0 s left, not a negative time', () => {
    const e = estimate(runningAt(T0 + 500 * S, 'render', ['voice'], T0 + 20 * S), history, T0 + 500 * S);
    assert.equal(e.steps[1]!.remainingSeconds, 0);
    assert.equal(e.remainingSeconds, 10);
  });

  it('a step never seen before: falls back to the whole-run median', () => {
    const e = estimate(runningAt(T0 + 30 * S, 'upscale', ['voice'], T0 + 20 * S), history, T0 + 30 * S);
    assert.equal(e.basis, 'runs');
    assert.equal(e.remainingSeconds, median([80, 110, 140])! - 30);
  });

  it('a succeeded job completed every step, even one whose last report came after the output', () => {
    const job: Job = {
      ...runningAt(T0 + 50 * S, 'render', ['voice'], T0 + 20 * S),
      status: 'succeeded',
      endedAt: T0 + 70 * S,
    };
    assert.deepEqual(
      estimate(job, history, T0 + 80 * S).steps.map((s) => s.status),
      ['completed', 'completed', 'completed'],
    );
  });

  it('finished jobs have nothing left', () => {
    const job: Job = {
      ...runningAt(T0 + 50 * S, 'render', ['voice'], T0 + 20 * S),
      status: 'succeeded',
      endedAt: T0 + 70 * S,
    };
    const e = estimate(job, history, T0 + 9999 * S);
    assert.deepEqual([e.elapsedSeconds, e.remainingSeconds, e.estimatedTotalSeconds], [70, 0, 70]);
  });

  it('resume: skipped steps are done in no time, leave nothing to go, and teach the ETA nothing', () => {
    // a worker resumed past voice and render (their checkpoints stood): it reports them skipped
    const job = report(
      { ...newJob({ kind: 'external', outputs: [] }), stepPlan: PLAN, status: 'running', startedAt: T0 },
      { step: 'mux', skippedSteps: ['voice', 'render'] },
      T0 + 2 * S,
    );
    assert.deepEqual(job.progress!.completedSteps, ['voice', 'render'], 'a skipped step counts as completed');
    assert.deepEqual(job.progress!.skippedSteps, ['voice', 'render']);
    assert.equal(job.progress!.pct, 80, 'their weights count');
    const e = estimate(job, history, T0 + 3 * S);
    assert.deepEqual(
      e.steps.map((s) => [s.name, s.status, s.remainingSeconds]),
      [
        ['voice', 'skipped', 0],
        ['render', 'skipped', 0],
        ['mux', 'running', 4],
      ],
    );
    assert.equal(e.remainingSeconds, 4 + 5, 'mux median 5 s, 1 s in, and the tail');
    // as history, the resumed run's skipped steps are no sample of how long a step takes
    const resumed: PastRun = { startedAt: T0, completedAt: T0 + 10 * S, steps: job.progress!.steps };
    const fresh = estimate(
      runningAt(T0 + 50 * S, 'render', ['voice'], T0 + 20 * S),
      [resumed, ...history],
      T0 + 50 * S,
    );
    assert.equal(fresh.steps[1]!.estimatedSeconds, 80, 'the median of 60, 80 and 100 — not of a 0 s skip');
  });

  it('reports out of order: a late or repeated report takes no finished step back', () => {
    const running = {
      ...newJob({ kind: 'external', outputs: [] }),
      stepPlan: PLAN,
      status: 'running' as const,
      startedAt: T0,
    };
    const later = report(running, { completedSteps: ['voice', 'render'], skippedSteps: ['voice', 'render'] }, T0 + S);
    const stale = report(later, { completedSteps: ['voice'], skippedSteps: ['voice'] }, T0 + 2 * S);
    assert.deepEqual(stale.progress!.completedSteps, ['voice', 'render']);
    assert.deepEqual(stale.progress!.skippedSteps, ['voice', 'render']);
    assert.equal(stale.progress!.pct, 80);
  });

  it("an ended attempt's progress delivered after its end is kept; another attempt's is not", () => {
    const ended: Job = {
      ...newJob({ kind: 'external', outputs: [] }),
      stepPlan: PLAN,
      status: 'succeeded',
      statusReason: 'WORKER_SUCCEEDED',
      attempt: 2,
      startedAt: T0,
      endedAt: T0 + 5 * S,
      completedAt: T0 + 5 * S,
      progress: { pct: 100, step: null, stepPct: null, completedSteps: [], steps: [] },
    };
    const late = (attempt: number) => {
      const ev = {
        kind: 'worker' as const,
        source: 'worker' as const,
        report: { kind: 'progress' as const, attempt, progress: { skippedSteps: ['voice'] } },
      };
      const d = decide(ended, ev, ctx(T0 + 9 * S));
      assert.ok(!isRejection(d));
      return d;
    };
    const kept = late(2);
    assert.equal(kept.transition, null, 'no transition: the job stays succeeded');
    assert.equal(kept.job.status, 'succeeded');
    assert.deepEqual(kept.job.progress!.skippedSteps, ['voice']);
    assert.equal(kept.job.progress!.pct, 100, 'a succeeded job stays at 100 %');
    assert.deepEqual(late(1).job.progress, ended.progress, 'an earlier attempt changes nothing');
  });

  it('median: odd, even, empty', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
    assert.equal(median([]), null);
  });
});
