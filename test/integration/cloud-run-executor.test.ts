/**
 * The cloud-run-job executor with the REAL `@google-cloud/run` v2 client (gRPC), against a local fake of the
 * Cloud Run Admin API (test/fakes/cloud-run-server.ts). Needs no emulator.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createJob, type Job } from '../../shared/src/core/index.js';
import { parseEnv } from '../../shared/src/config/env.js';
import { buildRegistry, type JobType } from '../../shared/src/config/job-types.js';
import {
  createCloudRunClients,
  createCloudRunJobExecutor,
  isExecutionOf,
} from '../../shared/src/evidence/executors/cloud-run-job.js';
import { ExecutorStartError, StartLeaseOver, type Executor } from '../../shared/src/evidence/executors/types.js';
import { ctx, jobSpec, policy, T0 } from '../helpers/jobs.js';
import { startFakeCloudRun, type FakeCloudRun } from '../fakes/cloud-run-server.js';

const RENDER = 'projects/p/locations/l/jobs/render';
const MISSING = 'projects/p/locations/l/jobs/missing';

function jobType(name: string, executor: Record<string, unknown>): JobType {
  const env = parseEnv({
    ...process.env,
    VERITY_PROFILE: 'cloud',
    VERITY_JOB_TYPES: JSON.stringify({ [name]: { executor } }),
  });
  const type = buildRegistry(env).get(name);
  assert.ok(type);
  return type;
}

let n = 0;
function newJob(over: { attempt?: number; id?: string } = {}): Job {
  n++;
  const { job } = createJob(
    jobSpec({
      id: over.id ?? `job_crj_${n}`,
      type: 'render',
      input: { scene: n, title: 'café "quoted"' },
      outputUris: [`gs://b/renders/${n}.mp4`],
      reuseExistingOutputs: false,
      executorKind: 'cloud-run-job',
      policy: policy(),
    }),
    [],
    ctx(T0),
  );
  return { ...job, attempt: over.attempt ?? job.attempt };
}

describe('cloud-run-job executor (real client, fake Cloud Run)', () => {
  let fake: FakeCloudRun;
  let clients: ReturnType<typeof createCloudRunClients>;
  let exec: Executor;
  const render = jobType('render', { kind: 'cloud-run-job', job: RENDER });

  before(async () => {
    fake = await startFakeCloudRun();
    fake.addJob(RENDER);
    clients = createCloudRunClients({ endpoint: fake.endpoint, projectId: 'p' });
    exec = createCloudRunJobExecutor({ ...clients, timeoutMs: 5000 });
  });
  after(async () => {
    await clients.jobsClient.close();
    await clients.executionsClient.close();
    await fake.stop();
  });

  it('starts an execution: the ref is its full name, and it is running', async () => {
    const lists = fake.calls.ListExecutions;
    const { executionRef } = await exec.start(newJob(), render);
    assert.equal(
      fake.calls.ListExecutions,
      lists + 2,
      'listed before RunJob and once after it (a racing start), no fallback',
    );
    assert.match(executionRef, /^projects\/p\/locations\/l\/jobs\/render\/executions\/render-[0-9a-f]{5}$/);
    assert.ok(fake.executions.has(executionRef));
    const startTime = fake.executions.get(executionRef)!.startTime!;
    // its own start time, as Cloud Run records it (an attached execution's run timeout counts from it)
    const startedAt = Number(startTime.seconds) * 1000 + Math.floor(Number(startTime.nanos ?? 0) / 1e6);
    assert.deepEqual(await exec.status(executionRef), { executionRef, state: 'running', startedAt });
  });

  it('passes job id, attempt, input and outputs as env overrides', async () => {
    const job = newJob({ attempt: 2 });
    const { executionRef } = await exec.start(job, render);
    const env = fake.executions.get(executionRef)?.template?.containers?.[0]?.env ?? [];
    const vars = Object.fromEntries(env.map((e) => [e.name, e.value]));
    assert.equal(vars.VERITY_JOB_ID, job.id);
    assert.equal(vars.VERITY_ATTEMPT, '2');
    assert.deepEqual(JSON.parse(vars.VERITY_INPUT ?? ''), job.input);
    assert.deepEqual(JSON.parse(vars.VERITY_OUTPUTS ?? ''), job.outputUris);
  });

  it('reports succeeded once the execution completes', async () => {
    const { executionRef } = await exec.start(newJob(), render);
    fake.complete(executionRef, 'succeeded');
    assert.deepEqual(await exec.status(executionRef), { executionRef, state: 'succeeded' });
  });

  it('reports failed with a detail', async () => {
    const { executionRef } = await exec.start(newJob(), render);
    fake.complete(executionRef, 'failed');
    const obs = await exec.status(executionRef);
    assert.equal(obs.state, 'failed');
    assert.match(obs.detail ?? '', /failed with message/);
    assert.match(obs.detail ?? '', /1 of 1 task\(s\) failed/);
  });

  it('cancels, reports canceled, and cancelling again (or after the end) is fine', async () => {
    const { executionRef } = await exec.start(newJob(), render);
    await exec.cancel(executionRef);
    assert.equal(fake.executions.get(executionRef)?.cancelledCount, 1);
    assert.equal((await exec.status(executionRef)).state, 'canceled');
    await exec.cancel(executionRef); // FAILED_PRECONDITION: already finished
    fake.forget(executionRef);
    await exec.cancel(executionRef); // NOT_FOUND
  });

  it('reports lost when Cloud Run no longer knows the execution', async () => {
    const { executionRef } = await exec.start(newJob(), render);
    fake.forget(executionRef);
    assert.deepEqual(await exec.status(executionRef), {
      executionRef,
      state: 'lost',
      detail: 'Cloud Run no longer knows this execution',
    });
  });

  it('reports pending until a task has started', async () => {
    const slow = await startFakeCloudRun({ startImmediately: false });
    slow.addJob(RENDER);
    const c = createCloudRunClients({ endpoint: slow.endpoint });
    try {
      const e = createCloudRunJobExecutor(c);
      const { executionRef } = await e.start(newJob(), render);
      assert.equal((await e.status(executionRef)).state, 'pending');
      slow.begin(executionRef);
      assert.equal((await e.status(executionRef)).state, 'running');
    } finally {
      await c.jobsClient.close();
      await c.executionsClient.close();
      await slow.stop();
    }
  });

  it('is idempotent per job and attempt: one RunJob, same ref; a new attempt is a new execution', async () => {
    const job = newJob();
    const calls = fake.runJobCalls;
    const first = await exec.start(job, render);
    const again = await exec.start(job, render);
    assert.equal(again.executionRef, first.executionRef);
    assert.equal(fake.runJobCalls, calls + 1);
    const next = await exec.start({ ...job, attempt: job.attempt + 1 }, render);
    assert.notEqual(next.executionRef, first.executionRef);
    assert.equal(fake.runJobCalls, calls + 2);
  });

  it('two starts of one attempt at once: both name the same execution, every other one is cancelled', async () => {
    const job = newJob();
    const refs = await Promise.all([exec.start(job, render), exec.start(job, render), exec.start(job, render)]);
    assert.equal(
      new Set(refs.map((r) => r.executionRef)).size,
      1,
      `one ref: ${refs.map((r) => r.executionRef).join(', ')}`,
    );
    const mine = [...fake.executions.values()].filter((ex) => isExecutionOf(ex, job.id, job.attempt));
    const live = mine.filter((ex) => !ex.completionTime);
    assert.deepEqual(
      live.map((ex) => ex.name),
      [refs[0]!.executionRef],
      'exactly one execution runs: the one named',
    );
    for (const ex of mine.filter((e) => e.name !== refs[0]!.executionRef))
      assert.equal((await exec.status(ex.name!)).state, 'canceled');
  });

  it('a start that finds the attempt run twice adopts the oldest execution, not a cancelled duplicate', async () => {
    const job = newJob();
    const [a, b] = await Promise.all([exec.start(job, render), exec.start(job, render)]);
    const again = await exec.start(job, render);
    assert.equal(again.executionRef, a.executionRef);
    assert.equal(again.executionRef, b.executionRef);
    assert.equal((await exec.status(again.executionRef)).state, 'running');
  });

  it('finds the execution by its env when the operation metadata lacks a name', async () => {
    fake.omitOperationMetadata = true;
    try {
      const job = newJob();
      const lists = fake.calls.ListExecutions;
      const { executionRef } = await exec.start(job, render);
      assert.equal(fake.calls.ListExecutions, lists + 3, 'listed again after RunJob to find it, then to settle a race');
      const env = fake.executions.get(executionRef)?.template?.containers?.[0]?.env ?? [];
      assert.ok(env.some((e) => e.name === 'VERITY_JOB_ID' && e.value === job.id));
    } finally {
      fake.omitOperationMetadata = false;
    }
  });

  it('honours container, taskCount and timeout from the type', async () => {
    fake.addJob('projects/p/locations/l/jobs/multi', ['sidecar', 'worker']);
    const type = jobType('multi', {
      kind: 'cloud-run-job',
      job: 'projects/p/locations/l/jobs/multi',
      container: 'worker',
      taskCount: 3,
      timeoutSeconds: 900,
    });
    const { executionRef } = await exec.start(newJob(), type);
    const ex = fake.executions.get(executionRef);
    assert.equal(ex?.taskCount, 3);
    assert.equal(String(ex?.template?.timeout?.seconds), '900');
    const [sidecar, worker] = ex?.template?.containers ?? [];
    assert.equal(sidecar?.env?.length, 0);
    assert.ok(worker?.env?.some((e) => e.name === 'VERITY_JOB_ID'));
  });

  it('RunJob on an unknown job is a non-retryable start error', async () => {
    const calls = fake.runJobCalls;
    const type = jobType('missing', { kind: 'cloud-run-job', job: MISSING });
    await assert.rejects(
      exec.start(newJob(), type),
      (err: unknown) => err instanceof ExecutorStartError && !err.retryable && /missing/.test(err.message),
    );
    assert.equal(fake.runJobCalls, calls + 1);
  });

  it('a start whose lease has run out runs no RunJob, and one within its lease runs it bounded by it', async () => {
    const job = newJob();
    const calls = fake.runJobCalls;
    const past = { startWithinMs: -1, endWithinMs: 10_000 };
    await assert.rejects(exec.start(job, render, { lease: past }), (err: unknown) => err instanceof StartLeaseOver);
    assert.equal(fake.runJobCalls, calls, 'no RunJob after startBy');
    assert.equal(
      [...fake.executions.values()].filter((ex) => isExecutionOf(ex, job.id, job.attempt)).length,
      0,
      'nothing was created',
    );
    // a slow RunJob (2 s) within a lease that ends in 1 s: the call is cut at the lease's end
    fake.chaos = (m) => (m === 'RunJob' ? { delayMs: 2000 } : null);
    try {
      const short = { startWithinMs: 500, endWithinMs: 1000 };
      const t0 = Date.now();
      await assert.rejects(exec.start(newJob(), render, { lease: short }), (err: unknown) => {
        return err instanceof ExecutorStartError && err.retryable && /DEADLINE_EXCEEDED/.test(err.message);
      });
      assert.ok(Date.now() - t0 < 1900, `the call ended by the lease's end (${Date.now() - t0} ms)`);
    } finally {
      fake.chaos = null;
    }
    const { executionRef } = await exec.start(job, render, { lease: { startWithinMs: 5000, endWithinMs: 9000 } });
    assert.deepEqual(
      [...fake.executions.values()].filter((ex) => isExecutionOf(ex, job.id, job.attempt)).map((ex) => ex.name),
      [executionRef],
      'the start within its lease ran the one execution',
    );
  });

  it('an unavailable API is a retryable start error; another executor kind is not retryable', async () => {
    fake.failNext('RunJob', 14);
    await assert.rejects(
      exec.start(newJob(), render),
      (err: unknown) => err instanceof ExecutorStartError && err.retryable,
    );
    const external = jobType('ext', { kind: 'external' });
    await assert.rejects(
      exec.start(newJob(), external),
      (err: unknown) => err instanceof ExecutorStartError && !err.retryable,
    );
  });

  it('a failed status probe throws (no evidence) rather than guessing', async () => {
    const { executionRef } = await exec.start(newJob(), render);
    fake.failNext('GetExecution', 14);
    await assert.rejects(exec.status(executionRef), (err: unknown) => (err as { code?: number }).code === 14);
  });
});
