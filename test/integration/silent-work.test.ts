/**
 * Seed 000's stitcher: a Cloud Run Job that never reports. Declared silent (heartbeat null), it is alive while
 * its execution runs: the sweep looks at it by age, the executor says "running", and it runs three times a
 * would-be heartbeat and more on its first attempt, untouched — judged by the Cloud Run fake's own record (one
 * execution, never canceled), not by Verity's documents alone. Time moves; nothing sleeps.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../../shared/src/auth/principal.js';
import { isExecutionOf } from '../../shared/src/evidence/executors/cloud-run-job.js';
import { startFakeCloudRun, type FakeCloudRun } from '../fakes/cloud-run-server.js';
import { testRuntime, type TestRuntime } from '../helpers/runtime.js';

const JOB = 'projects/verity-test/locations/europe-west1/jobs/stitch';
const S = 1000;
const HEARTBEAT = 300; // what the stitcher would get by default, and fail after, were it not declared silent
const alice: Principal = { userId: 'alice', admin: false, workerJobId: null };
let fake: FakeCloudRun;
let rt: TestRuntime;

before(async () => {
  fake = await startFakeCloudRun({ port: 0 });
  fake.addJob(JOB);
  rt = await testRuntime('silent', {
    envOverrides: {
      VERITY_CLOUD_RUN_ENDPOINT: fake.endpoint,
      VERITY_JOB_TYPES: JSON.stringify({
        stitch: {
          executor: { kind: 'cloud-run-job', job: JOB },
          outputTemplates: ['gs://{bucket}/stitched/{jobId}.mp4'],
          policy: { liveness: 'executor', runTimeoutSeconds: 3600 },
        },
        render: {
          executor: { kind: 'cloud-run-job', job: JOB },
          outputTemplates: ['gs://{bucket}/renders/{jobId}.mp4'],
          policy: { heartbeatTimeoutSeconds: HEARTBEAT, runTimeoutSeconds: 3600 },
        },
      }),
    },
  });
});
after(async () => {
  await rt.db.terminate();
  await fake.stop();
});

const executionsOf = (jobId: string) => [...fake.executions.values()].filter((ex) => isExecutionOf(ex, jobId, 1));

/** Sweeps every 30 s of moved time for `seconds`: what the scheduled sweep does, minus the waiting. */
async function sweepFor(seconds: number): Promise<void> {
  for (let t = 0; t < seconds; t += 30) {
    rt.testClock.advance(30 * S);
    await rt.sweeper.sweep();
  }
}

describe('silent work (seed 000: a Cloud Run stitcher that never reports)', () => {
  it('runs 3× its would-be heartbeat on its first attempt, untouched, and succeeds when its output lands', async () => {
    const { job } = await rt.jobs.enqueue(alice, { type: 'stitch', input: {}, reuseExistingOutputs: true });
    assert.equal(job.policy.heartbeatTimeoutSeconds, null, 'the type is silent');
    await sweepFor(3 * HEARTBEAT + 60);
    const mid = (await rt.store.get(job.id))!;
    assert.equal(mid.status, 'running');
    assert.equal(mid.attempt, 1);
    assert.ok(mid.executorAliveAt != null, 'the executor confirmed it running');
    const dx = await rt.jobs.diagnosis(alice, job.id);
    assert.match(dx.cause.explanation, /does not report, so its executor speaks for it/);

    // ground truth: Cloud Run ran one execution for the job and was never told to stop it
    const execs = executionsOf(job.id);
    assert.equal(execs.length, 1, 'one execution');
    assert.equal(fake.calls.CancelExecution, 0, 'never canceled');
    assert.equal(execs[0]!.completionTime ?? null, null, 'still running');

    await rt.storage.bucket(rt.bucket).file(`stitched/${job.id}.mp4`).save('video');
    fake.complete(execs[0]!.name!, 'succeeded');
    await sweepFor(600);
    const done = (await rt.store.get(job.id))!;
    assert.equal(done.status, 'succeeded');
    assert.equal(done.attempt, 1);
    const reasons = (await rt.store.history(job.id)).map((t) => t.reason);
    assert.ok(!reasons.includes('HEARTBEAT_TIMEOUT') && !reasons.includes('RETRY_SCHEDULED'), reasons.join(' '));
  });

  it('the same stitcher on a reporting type is failed HEARTBEAT_TIMEOUT and its execution canceled (why silent exists)', async () => {
    const calls = fake.calls.CancelExecution;
    const { job } = await rt.jobs.enqueue(alice, {
      type: 'render',
      input: {},
      reuseExistingOutputs: true,
      policy: { maxAttempts: 1 },
    });
    // queued until a look finds its execution running (the queue deadline, 900 s), then failed a heartbeat later
    await sweepFor(900 + HEARTBEAT + 60);
    const after = (await rt.store.get(job.id))!;
    assert.equal(after.statusReason, 'HEARTBEAT_TIMEOUT');
    assert.ok(fake.calls.CancelExecution > calls, 'its execution was told to stop');
  });

  it('a request may declare its own worker silent (heartbeatTimeoutSeconds: null) on a reporting type', async () => {
    const { job } = await rt.jobs.enqueue(alice, {
      type: 'render',
      input: {},
      reuseExistingOutputs: true,
      policy: { heartbeatTimeoutSeconds: null, maxAttempts: 1 },
    });
    await sweepFor(2 * HEARTBEAT);
    const after = (await rt.store.get(job.id))!;
    assert.equal(after.status, 'running');
    assert.equal(executionsOf(job.id).length, 1);
  });
});
