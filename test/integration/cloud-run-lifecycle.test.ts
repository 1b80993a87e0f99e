/**
 * A Cloud Run Job through Verity end to end: enqueue starts an execution with the real @google-cloud/run
 * client (against the local v2 fake), reconcile observes it, cancel reaches it, a forgotten execution is
 * EXECUTOR_LOST and retried, a failed one is EXECUTOR_FAILED. Jobs live in the Firestore emulator.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../../shared/src/auth/principal.js';
import { createJob, dispatchRetryMs } from '../../shared/src/core/index.js';
import { createCloudRunClients, isExecutionOf } from '../../shared/src/evidence/executors/cloud-run-job.js';
import { startFakeCloudRun, type FakeCloudRun } from '../fakes/cloud-run-server.js';
import { jobSpec } from '../helpers/jobs.js';
import { testRuntime, type TestRuntime } from '../helpers/runtime.js';

const JOB = 'projects/verity-test/locations/europe-west1/jobs/render';
const alice: Principal = { userId: 'alice', admin: false, workerJobId: null };
let fake: FakeCloudRun;
let rt: TestRuntime;

before(async () => {
  fake = await startFakeCloudRun({ port: 0 });
  fake.addJob(JOB);
  rt = await testRuntime('cloudrun', {
    envOverrides: {
      VERITY_CLOUD_RUN_ENDPOINT: fake.endpoint,
      VERITY_JOB_TYPES: JSON.stringify({
        render: {
          executor: { kind: 'cloud-run-job', job: JOB },
          outputTemplates: ['gs://{bucket}/renders/{jobId}.mp4'],
        },
      }),
    },
  });
});
after(async () => {
  await rt.db.terminate();
  await fake.stop();
});

const enqueue = async (policy?: Record<string, number>) =>
  (
    await rt.jobs.enqueue(alice, {
      type: 'render',
      input: { scene: 1 },
      reuseExistingOutputs: true,
      ...(policy ? { policy } : {}),
    })
  ).job;

/** A render job committed as the API would, its start effect not run (a process that died after its commit). */
const createUnstarted = (id: string) =>
  rt.store.create((c) => createJob(jobSpec({ id, type: 'render', executorKind: 'cloud-run-job' }), [], c));

describe('cloud-run-job through Verity', () => {
  it('enqueue runs the job with the job id in its env and stores the execution name', async () => {
    const job = await enqueue();
    assert.match(job.executor.executionRef ?? '', new RegExp(`^${JOB}/executions/`));
    const ex = fake.executions.get(job.executor.executionRef!)!;
    const env = Object.fromEntries((ex.template?.containers?.[0]?.env ?? []).map((e) => [e.name, e.value]));
    assert.equal(env.VERITY_JOB_ID, job.id);
    assert.equal(env.VERITY_ATTEMPT, '1');
    assert.deepEqual(JSON.parse(env.VERITY_INPUT!), { scene: 1 });
  });

  it('reconcile reads the execution: running, then a failure with attempts left is retried', async () => {
    const job = await enqueue();
    const ref = job.executor.executionRef!;
    const { report } = await rt.reconciler.reconcile(job.id, 'reconcile');
    assert.equal(report.correctedStatus, 'running');
    fake.complete(ref, 'failed');
    const after = (await rt.reconciler.reconcile(job.id, 'reconcile')).job;
    assert.equal(after.status, 'queued');
    assert.equal(after.error?.code, 'EXECUTOR_FAILED');
    assert.equal(after.attempt, 2);
  });

  it('an execution Cloud Run no longer knows is EXECUTOR_LOST', async () => {
    const job = await enqueue({ maxAttempts: 1 });
    fake.forget(job.executor.executionRef!);
    const after = (await rt.reconciler.reconcile(job.id, 'sweep')).job;
    assert.equal(after.status, 'failed');
    assert.equal(after.statusReason, 'EXECUTOR_LOST');
  });

  it('cancel reaches the execution and the job is canceled once Cloud Run confirms', async () => {
    const job = await enqueue();
    const canceled = await rt.jobs.cancel(alice, job.id);
    assert.equal(canceled.status, 'canceled');
    const h = await rt.store.history(job.id);
    assert.equal(h.at(-1)!.reason, 'CANCELED_BY_USER');
    assert.equal((h.at(-1)!.evidence.executor as { state: string }).state, 'canceled');
  });

  it('a succeeded execution with its output present is succeeded', async () => {
    const job = await enqueue();
    await rt.storage.bucket(rt.bucket).file(`renders/${job.id}.mp4`).save('video');
    fake.complete(job.executor.executionRef!, 'succeeded');
    const after = (await rt.reconciler.reconcile(job.id, 'reconcile')).job;
    assert.equal(after.status, 'succeeded');
    assert.equal(after.statusReason, 'OUTPUT_FOUND');
  });

  it('the start effect run twice at once (two processes) for one attempt: one execution runs, and the job names it', async () => {
    let n = 0;
    const created = await createUnstarted(`crdup${++n}${Date.now()}`);
    assert.equal(created.outcome, 'created');
    if (created.outcome !== 'created') return;
    await Promise.all([rt.reconciler.runner.run(created), rt.reconciler.runner.run(created)]);
    const job = (await rt.store.get(created.job.id))!;
    const mine = [...fake.executions.values()].filter((ex) => isExecutionOf(ex, job.id, 1));
    const live = mine.filter((ex) => !ex.completionTime).map((ex) => ex.name);
    assert.deepEqual(
      live,
      [job.executor.executionRef],
      `one live execution, the recorded one (of ${mine.length} started)`,
    );
  });

  it('a start its process left undone: rerun within that start lease starts nothing; after it, one execution', async () => {
    const created = await createUnstarted(`crlease${Date.now()}`);
    assert.equal(created.outcome, 'created');
    if (created.outcome !== 'created') return;
    const id = created.job.id;
    const executionsOf = () => [...fake.executions.values()].filter((ex) => isExecutionOf(ex, id, 1));
    // the API died after its commit; its start may still be under way: the outbox's rerun waits for its lease
    await rt.reconciler.runner.run(created, false);
    assert.equal(executionsOf().length, 0, 'nothing started within the lease of the start the commit recorded');
    assert.equal((await rt.store.get(id))!.executor.executionRef, null);
    rt.testClock.advance(dispatchRetryMs(created.job));
    await rt.reconciler.runner.run(created, false);
    const job = (await rt.store.get(id))!;
    assert.deepEqual(
      executionsOf().map((ex) => ex.name),
      [job.executor.executionRef],
      'one execution, recorded',
    );
    await rt.reconciler.runner.run({ ...created, job }, false);
    assert.equal(executionsOf().length, 1, 'a rerun of a recorded start starts nothing');
  });

  it('a second execution of a recorded attempt (started by a process that did not see the first) is cancelled', async () => {
    const job = await enqueue();
    const recorded = job.executor.executionRef!;
    const clients = createCloudRunClients({ endpoint: fake.endpoint, projectId: 'verity-test' });
    try {
      const env = [
        { name: 'VERITY_JOB_ID', value: job.id },
        { name: 'VERITY_ATTEMPT', value: '1' },
      ];
      const [op] = await clients.jobsClient.runJob({ name: JOB, overrides: { containerOverrides: [{ env }] } });
      const second = (op.metadata as { name?: string }).name!;
      await rt.reconciler.commit(job.id, { kind: 'dispatched', source: 'executor', attempt: 1, executionRef: second });
      assert.equal((await rt.store.get(job.id))!.executor.executionRef, recorded, 'the recorded execution stays');
      assert.ok(fake.executions.get(second)!.completionTime, 'the second execution was stopped');
      assert.equal(fake.executions.get(second)!.cancelledCount, 1);
      assert.equal(fake.executions.get(recorded)!.completionTime, undefined, 'the recorded one still runs');
    } finally {
      await clients.jobsClient.close();
      await clients.executionsClient.close();
    }
  });
});
