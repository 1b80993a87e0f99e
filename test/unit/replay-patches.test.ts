/**
 * Replay that can fail (core/replay.ts, core/patch-log.ts): the patches recorded between transitions are
 * decided again and must give each transition's recorded `prior`, and the pending ones the stored job. Each
 * check is shown failing on a record tampered the way it guards against.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  PATCH_LOG_MAX_ENTRIES,
  replayHistory,
  replayStored,
  type Cause,
  type JobEvent,
  type RecordedTransition,
} from '../../shared/src/core/index.js';
import { S, T0 } from '../helpers/jobs.js';
import { recorder } from '../helpers/recorder.js';

type WorkerReport = Extract<JobEvent, { kind: 'worker' }>['report'];
const w = (report: WorkerReport): JobEvent => ({ kind: 'worker', source: 'worker', report });
const failed = (attempt: number) =>
  w({ kind: 'failed', attempt, error: { code: 'GPU', message: 'x', retryable: true } });
const found = (now: number): JobEvent => ({
  kind: 'observed',
  source: 'gcs',
  probed: true,
  outputs: [{ uri: 'gs://b/u/alice/out.mp4', exists: true, generation: '7', size: 5, timeCreated: now }],
});

/** Two attempts with patches between every transition, and patches still pending at the end (`end: false`). */
function lifecycle(end = true) {
  const r = recorder(7);
  let now = T0;
  const at = () => (now += S);
  r.apply(w({ kind: 'started', attempt: 1 }), at()); // seq 2
  r.apply(w({ kind: 'progress', attempt: 1, progress: { step: 'render', stepPct: 40 } }), at());
  r.apply(w({ kind: 'heartbeat', attempt: 1 }), at());
  r.apply(w({ kind: 'heartbeat', attempt: 1 }), at()); // the heartbeat before it is redundant
  r.apply(failed(1), at()); // seq 3: retry
  r.apply(w({ kind: 'started', attempt: 2 }), at()); // seq 4
  // redundant once the next report is in: that one gives the same steps and times from the state before it
  r.apply(w({ kind: 'progress', attempt: 2, progress: { step: 'render', stepPct: 50 } }), at());
  r.apply(w({ kind: 'progress', attempt: 2, progress: { completedSteps: ['render'], step: 'mux' } }), at());
  r.apply(w({ kind: 'heartbeat', attempt: 2 }), at());
  if (end) {
    // a patch (its output is not there yet) that makes the heartbeat before it redundant
    r.apply(w({ kind: 'succeeded', attempt: 2 }), at());
    r.apply(found(now), at()); // seq 5
  }
  return r;
}

const eventCause = (t: RecordedTransition) => t.cause as Extract<Cause, { kind: 'event' }>;

describe('replay: the patches between transitions', () => {
  it('each cause carries its patches, redundant ones gone; with the pending ones the job replays', () => {
    const r = lifecycle();
    assert.deepEqual(
      r.history.map((t) => t.cause?.patches?.map((p) => (p.event as { report?: WorkerReport }).report?.kind)),
      [[], [], ['progress', 'heartbeat'], [], ['progress', 'succeeded']],
    );
    assert.deepEqual(replayHistory(r.job, r.history, r.pending), []);
    const running = lifecycle(false);
    assert.equal(running.pending.patches.length, 2);
    assert.deepEqual(replayHistory(running.job, running.history, running.pending), []);
  });

  it('a recorded prior nudged is a mismatch at its path; the transition is still decided from the checked state', () => {
    const r = lifecycle();
    const tampered = structuredClone(r.history);
    const prior = eventCause(tampered[2]!).prior;
    prior.heartbeatAt! += 1;
    assert.deepEqual(replayHistory(r.job, tampered, r.pending), [
      { seq: 3, path: 'prior.heartbeatAt', recorded: prior.heartbeatAt, replayed: prior.heartbeatAt! - 1 },
    ]);
  });

  it('a recorded patch dropped, or one that no longer patches, is a mismatch', () => {
    const r = lifecycle();
    const dropped = structuredClone(r.history);
    eventCause(dropped[2]!).patches!.shift(); // the progress report
    const m = replayHistory(r.job, dropped, r.pending);
    assert.ok(m.length > 0 && m.every((x) => x.seq === 3 && x.path.startsWith('prior.progress')), JSON.stringify(m));

    const stale = structuredClone(r.history);
    (eventCause(stale[4]!).patches![1]!.event as { report: WorkerReport }).report.attempt = 1; // 'succeeded'
    assert.deepEqual(replayHistory(r.job, stale, r.pending), [
      { seq: 5, path: 'patches.1', recorded: 'a patch by worker', replayed: 'no change' },
    ]);
  });

  it('a pending patch dropped is a mismatch of the job; without the log (the soak) its fields are taken', () => {
    const r = lifecycle(false);
    const pending = structuredClone(r.pending);
    pending.patches.pop(); // the last heartbeat
    const m = replayHistory(r.job, r.history, pending);
    assert.deepEqual(
      m.map((x) => x.path),
      ['job.updatedAt', 'job.heartbeatAt', 'job.nextCheckAt'],
    );
    assert.deepEqual(replayHistory(r.job, r.history), []);
    assert.deepEqual(replayHistory(r.job, r.history, null), [
      { seq: 4, path: 'pending', recorded: null, replayed: "the job's patch log" },
    ]);
  });

  it('a history from before patches were recorded replays as before; one that stops recording them does not', () => {
    const r = lifecycle();
    const old = r.history.map(({ cause, ...t }) => {
      const { patches: _, ...rest } = cause as Cause & { patches?: unknown };
      return { ...t, cause: rest as Cause };
    });
    assert.deepEqual(replayHistory(r.job, old), []);
    assert.deepEqual(replayHistory(r.job, old, null), []);
    const stopped = r.history.map((t, i) => (i === 2 ? old[2]! : t));
    assert.deepEqual(replayHistory(r.job, stopped, r.pending), [
      { seq: 3, path: 'patches', recorded: null, replayed: 'the patches since the transition before' },
    ]);
  });

  it(`a log past ${PATCH_LOG_MAX_ENTRIES} patches keeps none and is reported unverifiable`, () => {
    const r = recorder(3);
    let now = T0;
    r.apply(w({ kind: 'started' }), (now += S));
    // each report completes one more step: none makes the one before it redundant
    const steps: string[] = [];
    for (let i = 0; i <= PATCH_LOG_MAX_ENTRIES; i++) {
      steps.push(`s${i}`);
      r.apply(w({ kind: 'progress', progress: { completedSteps: [...steps] } }), (now += S));
    }
    assert.deepEqual(r.pending, { patches: [], unkept: PATCH_LOG_MAX_ENTRIES + 1 });
    assert.deepEqual(replayHistory(r.job, r.history, r.pending), [
      { seq: 2, path: 'pending', recorded: `${PATCH_LOG_MAX_ENTRIES + 1} patches not kept`, replayed: 'unverifiable' },
    ]);
    r.apply(w({ kind: 'progress', progress: { completedSteps: ['x'] } }), (now += S));
    r.apply(failed(1), (now += S));
    assert.deepEqual(eventCause(r.history[2]!).unkeptPatches, PATCH_LOG_MAX_ENTRIES + 2);
    assert.deepEqual(replayHistory(r.job, r.history, r.pending), [
      { seq: 3, path: 'patches', recorded: `${PATCH_LOG_MAX_ENTRIES + 2} patches not kept`, replayed: 'unverifiable' },
    ]);
  });

  it('a job document without its history, a history without its job document', () => {
    const r = lifecycle();
    assert.deepEqual(replayStored(r.job, r.history, r.pending), []);
    assert.deepEqual(replayStored(null, r.history, null), [
      { seq: 5, path: 'job', recorded: null, replayed: 'the job of 5 transitions' },
    ]);
    assert.deepEqual(replayStored(r.job, [], r.pending), [
      { seq: 0, path: 'history', recorded: [], replayed: '5 transitions' },
    ]);
  });
});

const reports: fc.Arbitrary<WorkerReport> = fc.record(
  {
    kind: fc.constantFrom('started', 'progress', 'heartbeat', 'heartbeat', 'progress', 'succeeded', 'failed'),
    attempt: fc.integer({ min: 1, max: 3 }),
    progress: fc.record(
      {
        pct: fc.integer({ min: 0, max: 100 }),
        step: fc.constantFrom('render', 'mux', null),
        stepPct: fc.integer({ min: 0, max: 100 }),
        completedSteps: fc.subarray(['render', 'mux']),
      },
      { requiredKeys: [] },
    ),
    error: fc.record({ code: fc.constant('E'), message: fc.constant('m'), retryable: fc.boolean() }),
  },
  { requiredKeys: ['kind'] },
);

const events: fc.Arbitrary<JobEvent> = fc.oneof(
  { weight: 6, arbitrary: reports.map(w) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('observed' as const),
      source: fc.constantFrom('sweep' as const, 'read' as const),
      probed: fc.boolean(),
      probeErrors: fc.constantFrom(['gcs down'], []),
      executor: fc.option(
        fc.record({
          executionRef: fc.constantFrom('r1', 'r2'),
          state: fc.constantFrom('pending', 'running', 'succeeded', 'failed', 'lost'),
        }),
        { nil: undefined },
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('dispatched' as const),
      source: fc.constant('executor' as const),
      attempt: fc.integer({ min: 1, max: 3 }),
      executionRef: fc.constantFrom('r1', 'r2'),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'cancel' as const, source: 'api' as const }) },
) as fc.Arbitrary<JobEvent>;

const TIME_FIELDS = ['updatedAt', 'notBefore', 'startedAt', 'heartbeatAt', 'progressAt', 'nextCheckAt'] as const;

describe('replay: properties of the patch log', () => {
  it('whatever happens, the recorded history and pending patches replay exactly (what the log drops is redundant)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('external' as const, 'local-process' as const),
        fc.constantFrom(10, 40, 60),
        fc.array(fc.tuple(events, fc.integer({ min: 0, max: 40 * S })), { maxLength: 60 }),
        (executorKind, queueTimeoutSeconds, steps) => {
          const r = recorder(11, 'job_p', { executorKind, policy: { queueTimeoutSeconds } });
          let now = T0;
          for (const [event, dt] of steps) {
            r.apply(event, (now += dt));
            // the store keeps times to the millisecond: a fraction decided would not be the one stored
            for (const f of TIME_FIELDS) assert.ok(Number.isInteger(r.job[f] ?? 0), `${f}: ${r.job[f]}`);
          }
          assert.deepEqual(replayHistory(r.job, r.history, r.pending), []);
        },
      ),
      { numRuns: 300 },
    );
  });
});
