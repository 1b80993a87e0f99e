/**
 * History is replayable: every transition stored in this run — by the api, integration and e2e tests before
 * this file (test/run.ts runs the replay layer after every other file), and by the workload below — goes
 * through `decide` again and must give the same transitions and the stored job (shared/src/core/replay.ts).
 * A tampered history must not.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createJob, type Job, type JobEvent } from '../../shared/src/core/index.js';
import { Collections } from '../../shared/src/store/firestore.js';
import { jobSpec, policy } from '../helpers/jobs.js';
import { recordedTestProjects, replayProject } from '../helpers/replay.js';
import { testRuntime, type TestRuntime } from '../helpers/runtime.js';

let rt: TestRuntime;
let n = 0;

before(async () => {
  rt = await testRuntime('replay', { random: () => 0.37 });
});
after(async () => {
  await rt.db.terminate();
});

async function created(outputs: number): Promise<Job> {
  n++;
  const res = await rt.reconciler.create(
    (ctx) =>
      createJob(
        jobSpec({
          id: `job_replay_${n}`,
          type: 'external',
          resourceKey: `scene-${n % 2}`,
          input: { n, nested: [[1, 2], { 'a.b': null }] },
          outputUris: Array.from({ length: outputs }, (_, i) => `gs://${rt.bucket}/u/alice/replay/${n}-${i}.mp4`),
          reuseExistingOutputs: false,
          executorKind: 'external',
          policy: policy({ maxAttempts: 3 }),
          stepPlan: [
            { name: 'render', weight: 3 },
            { name: 'mux', weight: 1 },
          ],
        }),
        [],
        ctx,
      ),
    'api',
  );
  assert.equal(res.outcome, 'created');
  return (res as { job: Job }).job;
}

const worker = (report: Extract<JobEvent, { kind: 'worker' }>['report']): JobEvent => ({
  kind: 'worker',
  source: 'worker',
  report,
});

/** A mix of every kind of change: transitions, patches between them, retries with jittered backoff. */
async function workload(): Promise<Job[]> {
  const a = await created(1); // started, progress, fails twice (retries), succeeds by its output
  for (let attempt = 1; attempt <= 3; attempt++) {
    await rt.reconciler.commit(a.id, worker({ kind: 'started', attempt }));
    await rt.reconciler.commit(a.id, worker({ kind: 'progress', attempt, progress: { step: 'render', stepPct: 50 } }));
    rt.testClock.advance(5_000);
    await rt.reconciler.commit(a.id, worker({ kind: 'heartbeat', attempt }));
    if (attempt < 3) {
      await rt.reconciler.commit(
        a.id,
        worker({ kind: 'failed', attempt, error: { code: 'GPU', message: 'gpu lost', retryable: true } }),
      );
      rt.testClock.advance(1_000);
      await rt.reconciler.reconcile(a.id, 'sweep'); // nothing due: a patch at most
    }
  }
  await rt.reconciler.commit(a.id, worker({ kind: 'succeeded', attempt: 3 }));
  await rt.storage.bucket(rt.bucket).file(`u/alice/replay/${n}-0.mp4`).save('video');
  await rt.reconciler.reconcile(a.id, 'gcs');

  const b = await created(2); // one output seen, then canceled
  await rt.reconciler.commit(b.id, worker({ kind: 'started' }));
  await rt.storage.bucket(rt.bucket).file(`u/alice/replay/${n}-0.mp4`).save('video');
  await rt.reconciler.reconcile(b.id, 'read');
  await rt.reconciler.commit(b.id, { kind: 'cancel', source: 'api' });

  const c = await created(1); // silent: the heartbeat deadline fails it, retries, until attempts run out
  for (let attempt = 1; attempt <= 3; attempt++) {
    await rt.reconciler.commit(c.id, worker({ kind: 'started', attempt }));
    rt.testClock.advance(60_000);
    await rt.reconciler.reconcile(c.id, 'sweep');
  }
  return Promise.all([a, b, c].map(async (j) => (await rt.store.get(j.id))!));
}

describe('stored histories replay through decide', () => {
  it('every history this run stored gives its transitions and its job again', async () => {
    const ended = await workload();
    assert.deepEqual(
      ended.map((j) => [j.status, j.statusReason, j.attempt]),
      [
        ['succeeded', 'OUTPUT_FOUND', 3],
        ['canceled', 'CANCELED_BY_USER', 1],
        ['failed', 'HEARTBEAT_TIMEOUT', 3],
      ],
    );
    const own = await replayProject(rt.projectId, rt.db);
    assert.equal(own.mismatches.length, 0);
    assert.ok(own.jobs === 3 && own.transitions >= 12, `the workload stored histories (${JSON.stringify(own)})`);
    let jobs = 0;
    let transitions = 0;
    const mismatches = [...own.mismatches];
    for (const projectId of recordedTestProjects().filter((p) => p !== rt.projectId)) {
      const r = await replayProject(projectId);
      jobs += r.jobs;
      transitions += r.transitions;
      mismatches.push(...r.mismatches);
    }
    process.stdout.write(`# replayed ${jobs + own.jobs} histories, ${transitions + own.transitions} transitions\n`);
    assert.deepEqual(mismatches.slice(0, 10), []);
  });

  it('a history changed after the fact does not replay', async () => {
    const job = await created(1);
    await rt.reconciler.commit(job.id, worker({ kind: 'started' }));
    await rt.reconciler.commit(
      job.id,
      worker({ kind: 'failed', error: { code: 'X', message: 'x', retryable: false } }),
    );
    assert.deepEqual((await replayProject(rt.projectId, rt.db)).mismatches, []);
    const history = rt.db.collection(Collections.jobs).doc(job.id).collection(Collections.transitions);

    await history.doc('3').update({ reason: 'OUTPUT_FOUND' });
    const reason = (await replayProject(rt.projectId, rt.db)).mismatches;
    assert.deepEqual(
      reason.map((m) => [m.jobId, m.seq, m.path, m.recorded, m.replayed]),
      [[job.id, 3, 'transition.reason', 'OUTPUT_FOUND', 'WORKER_FAILED']],
    );
    await history.doc('3').update({ reason: 'WORKER_FAILED' });

    await rt.db.collection(Collections.jobs).doc(job.id).update({ attempt: 2 });
    const attempt = (await replayProject(rt.projectId, rt.db)).mismatches;
    assert.deepEqual(
      attempt.map((m) => [m.jobId, m.path, m.recorded, m.replayed]),
      [[job.id, 'job.attempt', 2, 1]],
    );
  });
});
