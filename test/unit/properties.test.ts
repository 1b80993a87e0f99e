import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import {
  decide,
  isActive,
  lateOutputCheckAt,
  isRejection,
  type Job,
  type JobEvent,
  type Transition,
} from '../../shared/src/core/index.js';
import { newJob, S, T0 } from '../helpers/jobs.js';

const URI = 'gs://b/out.mp4';

const arbEvent: fc.Arbitrary<JobEvent> = fc.oneof(
  fc.record({
    kind: fc.constant('worker' as const),
    source: fc.constant('worker' as const),
    report: fc.record(
      {
        kind: fc.constantFrom('started', 'progress', 'heartbeat', 'succeeded', 'failed'),
        attempt: fc.integer({ min: 1, max: 4 }),
        progress: fc.record({ pct: fc.integer({ min: 0, max: 100 }) }),
        error: fc.record({ code: fc.constant('E'), message: fc.constant('m'), retryable: fc.boolean() }),
      },
      { requiredKeys: ['kind'] },
    ),
  }),
  fc.record({
    kind: fc.constant('observed' as const),
    source: fc.constantFrom('read' as const, 'sweep' as const, 'gcs' as const),
    probed: fc.boolean(),
    outputs: fc.option(
      fc.array(
        fc.record({
          uri: fc.constant(URI),
          exists: fc.boolean(),
          generation: fc.constant('1'),
          timeCreated: fc.integer({ min: T0 - 10 * S, max: T0 + 4000 * S }),
        }),
        { maxLength: 1 },
      ),
      { nil: undefined },
    ),
    executor: fc.option(
      fc.record({
        executionRef: fc.constantFrom('r1', 'r2'),
        state: fc.constantFrom('pending', 'running', 'succeeded', 'failed', 'canceled', 'lost'),
      }),
      { nil: undefined },
    ),
  }),
  fc.constant({ kind: 'cancel' as const, source: 'api' as const }),
  fc.record({
    kind: fc.constant('dispatched' as const),
    source: fc.constant('executor' as const),
    attempt: fc.integer({ min: 1, max: 4 }),
    executionRef: fc.constantFrom('r1', 'r2'),
  }),
  fc.record({
    kind: fc.constant('dispatchFailed' as const),
    source: fc.constant('executor' as const),
    attempt: fc.integer({ min: 1, max: 4 }),
    message: fc.constant('x'),
    retryable: fc.boolean(),
  }),
) as fc.Arbitrary<JobEvent>;

const arbStep = fc.tuple(
  arbEvent,
  fc.integer({ min: 0, max: 400 * S }),
  fc.double({ min: 0, max: 0.999, noNaN: true }),
);

const LEGAL = new Set([
  'queued>running',
  'queued>succeeded',
  'queued>failed',
  'queued>canceled',
  'queued>queued',
  'running>succeeded',
  'running>failed',
  'running>canceled',
  'running>queued',
  'failed>succeeded',
]);

/** Applies the steps in turn (a rejected one changes nothing); every job on the way, the transitions, the clock. */
function replay(start: Job, steps: [JobEvent, number, number][]) {
  let job = start;
  let now = T0;
  const transitions: Transition[] = [];
  const jobs: Job[] = [job];
  for (const [event, dt, r] of steps) {
    now += dt;
    const d = decide(job, event, { now, random: () => r });
    if (isRejection(d)) {
      jobs.push(job);
      continue;
    }
    if (d.transition) transitions.push(d.transition);
    job = d.job;
    jobs.push(job);
  }
  return { jobs, transitions, now };
}

describe('decide: properties', () => {
  const params = { numRuns: 400 };
  const arbStart = fc
    .record({
      outputs: fc.constantFrom([URI], []),
      kind: fc.constantFrom('local-process' as const, 'external' as const),
      reuse: fc.boolean(),
    })
    .map((o) => newJob({ ...o, outputs: [...o.outputs] }));

  it('versions rise by exactly one per transition and seqs have no gaps', () => {
    fc.assert(
      fc.property(arbStart, fc.array(arbStep, { maxLength: 40 }), (start, steps) => {
        const { jobs, transitions } = replay(start, steps);
        transitions.forEach((t, i) => assert.equal(t.seq, start.version + i + 1));
        assert.equal(jobs.at(-1)!.version, start.version + transitions.length);
      }),
      params,
    );
  });

  it('only legal transitions happen; succeeded and canceled never change; failed only to LATE_OUTPUT', () => {
    fc.assert(
      fc.property(arbStart, fc.array(arbStep, { maxLength: 40 }), (start, steps) => {
        const { jobs, transitions } = replay(start, steps);
        for (const t of transitions) {
          assert.ok(LEGAL.has(`${t.from}>${t.to}`), `illegal ${t.from} → ${t.to}`);
          if (t.from === 'failed') assert.equal(t.reason, 'LATE_OUTPUT');
          if (t.from === 'queued' && t.to === 'queued') assert.equal(t.reason, 'RETRY_SCHEDULED');
        }
        for (let i = 1; i < jobs.length; i++) {
          const prev = jobs[i - 1]!;
          if (prev.status === 'succeeded' || prev.status === 'canceled') assert.equal(jobs[i]!.status, prev.status);
        }
      }),
      params,
    );
  });

  it('nextCheckAt is null exactly when succeeded or canceled (failed: the late-output check); attempts stay within maxAttempts', () => {
    fc.assert(
      fc.property(arbStart, fc.array(arbStep, { maxLength: 40 }), (start, steps) => {
        for (const job of replay(start, steps).jobs) {
          if (job.status !== 'failed') assert.equal(job.nextCheckAt === null, !isActive(job.status));
          // a failed job: at most its one late-output check (or that check held back while probes fail)
          else if (job.nextCheckAt !== null && !job.probeHold) assert.equal(job.nextCheckAt, lateOutputCheckAt(job));
          assert.ok(job.attempt >= 1 && job.attempt <= job.maxAttempts);
          assert.equal(job.endedAt === null, isActive(job.status));
        }
      }),
      params,
    );
  });

  it('commands on a finished job are rejected and change nothing', () => {
    fc.assert(
      fc.property(arbStart, fc.array(arbStep, { maxLength: 30 }), (start, steps) => {
        const last = replay(start, steps).jobs.at(-1)!;
        const d = decide(last, { kind: 'cancel', source: 'api' }, { now: T0 + 10_000 * S, random: () => 0 });
        if (isActive(last.status)) assert.ok(!isRejection(d));
        else assert.ok(isRejection(d) && d.code === 'JOB_TERMINAL');
      }),
      params,
    );
  });

  it('the same event twice in a row, from any reachable state, makes no second transition and changes nothing more', () => {
    fc.assert(
      fc.property(arbStart, fc.array(arbStep, { maxLength: 30 }), arbStep, (start, prefix, [event, dt, r]) => {
        // a state reached by a random prefix of events, then the same event twice at one instant
        const reached = replay(start, prefix);
        const job = reached.jobs.at(-1)!;
        const c = { now: reached.now + dt, random: () => r };
        const once = decide(job, event, c);
        if (isRejection(once)) return;
        const twice = decide(once.job, event, c);
        if (
          event.kind === 'worker' &&
          event.report.kind === 'failed' &&
          event.report.attempt === undefined &&
          once.transition?.reason === 'RETRY_SCHEDULED'
        ) {
          // the one exception: a failure that names no attempt is read as one of the current attempt, which is
          // now the retry the first scheduled; the second is exactly that attempt's failure (but for the evidence)
          const named = decide(once.job, { ...event, report: { ...event.report, attempt: once.job.attempt } }, c);
          assert.ok(!isRejection(twice) && !isRejection(named));
          assert.deepEqual(twice.job, named.job);
          assert.deepEqual(twice.effects, named.effects);
          assert.deepEqual({ ...twice.transition, evidence: null }, { ...named.transition, evidence: null });
          return;
        }
        if (isRejection(twice)) {
          // a command refused: only a second cancel, once the first finished the job
          assert.equal(event.kind, 'cancel');
          assert.equal(twice.code, 'JOB_TERMINAL');
          assert.ok(!isActive(once.job.status));
          return;
        }
        assert.equal(twice.transition, null, 'no second transition');
        assert.deepEqual(twice.job, once.job, 'the job is as the first left it');
        for (const e of twice.effects)
          assert.ok(
            once.effects.some((o) => isDeepStrictEqual(o, e)),
            `the second asks only what the first did (idempotent effects): ${JSON.stringify(e)}`,
          );
      }),
      { numRuns: 1000 },
    );
  });
});
