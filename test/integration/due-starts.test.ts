/**
 * Starts a dead process left, made by a unit at work (shared/src/reconcile/due-starts.ts): a commit anywhere looks,
 * at most once per interval, for queued jobs whose start lease is over, and starts each once. Cloud Run Jobs
 * through the real client against the v2 fake; jobs in the Firestore emulator.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../../shared/src/auth/principal.js';
import { createJob, DEFAULT_POLICY, dispatchRetryMs } from '../../shared/src/core/index.js';
import { isExecutionOf } from '../../shared/src/evidence/executors/cloud-run-job.js';
import { startFakeCloudRun, type FakeCloudRun } from '../fakes/cloud-run-server.js';
import { jobSpec } from '../helpers/jobs.js';
import { testRuntime, type TestRuntime } from '../helpers/runtime.js';

const JOB = 'projects/verity-test/locations/europe-west1/jobs/render';
const alice: Principal = { userId: 'alice', admin: false, workerJobId: null };
const EVERY_MS = 5000;
let fake: FakeCloudRun;
let rt: TestRuntime;

before(async () => {
  fake = await startFakeCloudRun({ port: 0 });
  fake.addJob(JOB);
  rt = await testRuntime('duestarts', {
    envOverrides: {
      VERITY_CLOUD_RUN_ENDPOINT: fake.endpoint,
      VERITY_DUE_STARTS_EVERY_MS: String(EVERY_MS),
      VERITY_JOB_TYPES: JSON.stringify({ render: { executor: { kind: 'cloud-run-job', job: JOB } } }),
    },
  });
});
after(async () => {
  await rt.dueStarts.idle();
  await rt.db.terminate();
  await fake.stop();
});

/** A job committed as the API would, its start never made (the process died after its commit). */
async function unstarted(id: string, queueTimeoutSeconds = DEFAULT_POLICY.queueTimeoutSeconds) {
  const created = await rt.store.create((c) =>
    createJob(
      jobSpec({
        id,
        type: 'render',
        executorKind: 'cloud-run-job',
        policy: { ...DEFAULT_POLICY, queueTimeoutSeconds },
      }),
      [],
      c,
    ),
  );
  assert.equal(created.outcome, 'created');
  return created.job;
}

const executionsOf = (id: string) => [...fake.executions.values()].filter((ex) => isExecutionOf(ex, id, 1));
/** Some other work committed by this unit: an enqueue (which starts its own job). */
const otherWork = () => rt.jobs.enqueue(alice, { type: 'render', input: { other: true }, reuseExistingOutputs: true });

describe('due starts: a unit at work makes the starts a dead process left', () => {
  it('within the lease nothing; after it, the next commit starts it once; a look comes at most once per interval', async () => {
    const job = await unstarted(`due${Date.now()}`);
    rt.testClock.advance(EVERY_MS); // a look is allowed
    await otherWork();
    await rt.dueStarts.idle();
    assert.equal(executionsOf(job.id).length, 0, 'its start lease still runs: the dead process may yet start it');

    rt.testClock.advance(dispatchRetryMs(job)); // past the lease, and past the interval
    await otherWork();
    await rt.dueStarts.idle();
    const after = (await rt.store.get(job.id))!;
    assert.deepEqual(
      executionsOf(job.id).map((ex) => ex.name),
      [after.executor.executionRef],
      'started once, and recorded',
    );

    // another left start, whose lease (a 6 s queue timeout: 2 s) ends within the interval: a commit then does
    // not look; the first one after the interval does
    const short = await unstarted(`dueshort${Date.now()}`, 6);
    rt.testClock.advance(dispatchRetryMs(short));
    await otherWork();
    await rt.dueStarts.idle();
    assert.equal(executionsOf(short.id).length, 0, 'no look within the interval');
    rt.testClock.advance(EVERY_MS - dispatchRetryMs(short));
    await otherWork();
    await rt.dueStarts.idle();
    assert.equal(executionsOf(short.id).length, 1, 'the next look, after the interval, starts it');
  });

  it('a start another unit already made is not made again', async () => {
    const job = await unstarted(`dueonce${Date.now()}`);
    rt.testClock.advance(dispatchRetryMs(job) + EVERY_MS);
    // this unit's look and a sweep's reconcile at once: each may decide to start it
    await Promise.all([rt.dueStarts.kick(), rt.reconciler.reconcile(job.id, 'sweep')]);
    await rt.dueStarts.idle();
    assert.equal(executionsOf(job.id).length, 1, 'one execution: the lease is taken by one conditional write');
  });

  it('finds a due start behind more other due jobs than one look reads (issue 26: a start crowded out)', async () => {
    const tag = Date.now();
    const job = await unstarted(`duecrowd${tag}`);
    // 25 queued jobs of an external type, each at its queue deadline before the start comes due: due jobs for
    // the sweep, but none has a start to make; one look reads 20 documents
    for (let i = 0; i < 25; i++)
      await rt.store.create((c) =>
        createJob(
          jobSpec({
            id: `duecrowdext${tag}_${i}`,
            type: 'external',
            executorKind: 'external',
            policy: { ...DEFAULT_POLICY, queueTimeoutSeconds: 1 },
          }),
          [],
          c,
        ),
      );
    rt.testClock.advance(dispatchRetryMs(job) + EVERY_MS);
    assert.ok((await rt.store.due(rt.testClock.now(), 100)).jobs.length >= 26, 'the external jobs are due');
    await rt.dueStarts.kick();
    await rt.dueStarts.idle();
    assert.equal(executionsOf(job.id).length, 1, 'started: the look reads only jobs with a start due');
  });
});
