/** core/replay.ts on histories recorded in memory the way JobStore records them (cause per transition). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { replayHistory, type JobEvent, type RecordedTransition } from '../../shared/src/core/index.js';
import { S, T0 } from '../helpers/jobs.js';
import { recorder } from '../helpers/recorder.js';

const w = (report: Extract<JobEvent, { kind: 'worker' }>['report']): JobEvent => ({
  kind: 'worker',
  source: 'worker',
  report,
});

function lifecycle(seed: number) {
  const r = recorder(seed);
  let now = T0;
  for (let attempt = 1; attempt <= 3; attempt++) {
    r.apply(w({ kind: 'started', attempt }), (now += S));
    r.apply(w({ kind: 'progress', attempt, progress: { step: 'render', stepPct: 40 } }), (now += S));
    r.apply(w({ kind: 'heartbeat', attempt }), (now += S));
    r.apply(w({ kind: 'failed', attempt, error: { code: 'GPU', message: 'lost', retryable: true } }), (now += S));
  }
  r.apply(w({ kind: 'started', attempt: 4 }), (now += S));
  r.apply(w({ kind: 'succeeded', attempt: 4 }), (now += S));
  r.apply(
    {
      kind: 'observed',
      source: 'gcs',
      probed: true,
      outputs: [{ uri: 'gs://b/u/alice/out.mp4', exists: true, generation: '7', size: 5, timeCreated: now }],
    },
    (now += S),
  );
  return r;
}

describe('replayHistory', () => {
  it('a recorded history with patches, jittered retries and a late success replays to the job', () => {
    for (const seed of [1, 7, 4242]) {
      const r = lifecycle(seed);
      assert.equal(r.job.status, 'succeeded');
      assert.equal(r.history.filter((t) => t.reason === 'RETRY_SCHEDULED').length, 3);
      assert.deepEqual(replayHistory(r.job, r.history), []);
    }
  });

  it('a field changed outside a transition, a changed draw, an edited event and a missing cause are found', () => {
    const r = lifecycle(1);
    const bumped = replayHistory({ ...r.job, maxAttempts: 9 }, r.history);
    assert.deepEqual(
      bumped.map((m) => [m.path, m.recorded, m.replayed]),
      [['job.maxAttempts', 9, 4]],
    );

    const retry = r.history.findIndex((t) => t.reason === 'RETRY_SCHEDULED');
    const redrawn = structuredClone(r.history);
    const cause = redrawn[retry]!.cause as Extract<RecordedTransition['cause'], { kind: 'event' }>;
    cause.draws = [0.999];
    const m = replayHistory(r.job, redrawn);
    assert.ok(
      m.some((x) => x.seq === redrawn[retry]!.seq && x.path === 'transition.evidence.retryInMs'),
      JSON.stringify(m),
    );

    const edited = structuredClone(r.history);
    (edited[1]!.cause as { event: JobEvent }).event = { kind: 'cancel', source: 'api' };
    assert.equal(replayHistory(r.job, edited)[0]?.path, 'transition.to');

    const old = r.history.map((t, i) => (i === 2 ? { ...t, cause: null } : t));
    assert.deepEqual(replayHistory(r.job, old), [{ seq: 3, path: 'cause', recorded: null, replayed: 'event' }]);
  });
});
