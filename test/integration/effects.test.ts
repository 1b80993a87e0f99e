/**
 * After-commit work: events out (every transition exactly once after consumer dedupe, even when a publish
 * was lost), effects that survive a crash between commit and effect, temp cleanup that never touches outputs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Message } from '@google-cloud/pubsub';
import { createJob, DEFAULT_POLICY, type Job } from '../../shared/src/core/index.js';
import type { Principal } from '../../shared/src/auth/principal.js';
import type { Executor } from '../../shared/src/evidence/executors/types.js';
import { createExternalExecutor } from '../../shared/src/evidence/executors/external.js';
import { jobSpec } from '../helpers/jobs.js';
import { testRuntime, type TestRuntime } from '../helpers/runtime.js';
import { waitFor } from '../helpers/wait.js';

const alice: Principal = { userId: 'alice', admin: false, workerJobId: null };

function fakeExecutor(): Executor & { starts: number; cancels: string[]; canceled: Set<string> } {
  const canceled = new Set<string>();
  const started = new Set<string>();
  const ex = {
    kind: 'local-process' as const,
    starts: 0,
    cancels: [] as string[],
    canceled,
    async start(job: Job) {
      ex.starts++;
      started.add(`local:${job.id}:${job.attempt}`);
      return { executionRef: `local:${job.id}:${job.attempt}` };
    },
    async find(job: Job, _type: unknown, attempt: number) {
      const ref = `local:${job.id}:${attempt}`;
      return started.has(ref) ? ref : null;
    },
    async status(executionRef: string) {
      return { executionRef, state: canceled.has(executionRef) ? ('canceled' as const) : ('running' as const) };
    },
    async cancel(executionRef: string) {
      ex.cancels.push(executionRef);
      canceled.add(executionRef);
    },
  };
  return ex;
}

let rt: TestRuntime;
const exec = fakeExecutor();

before(async () => {
  rt = await testRuntime('effects', { executors: { external: createExternalExecutor(), 'local-process': exec } });
});
after(async () => {
  await rt.db.terminate();
});

const spec = (id: string, over: Partial<Parameters<typeof createJob>[0]> = {}) =>
  jobSpec({ id, type: 'demo-render', executorKind: 'local-process', ...over });

describe('events out', () => {
  it('the sweep drains a backlog of events page after page in one run, not a page a run', async () => {
    for (let i = 0; i < 5; i++)
      // functions that died after their commits: nothing published
      await rt.store.create((ctx) =>
        createJob(spec(`job_backlog_${i}`, { executorKind: 'external', type: 'external' }), [], ctx),
      );
    rt.testClock.advance(2 * 60_000);
    const r = await rt.sweeper.sweep({ outboxPageSize: 2 });
    assert.equal(r.republished, 5, 'pages of 2, 2 and 1');
    assert.equal((await rt.sweeper.sweep({ outboxPageSize: 2 })).republished, 0, 'none left');
  });

  it('every applied transition appears on verity-job-events exactly once after dedupe, lost publishes included', async () => {
    const [sub] = await rt.pubsub.topic(rt.env.eventsTopic).createSubscription(`events-${Date.now()}`);
    const seen: { dedupeId: string; data: any }[] = [];
    sub.on('message', (m: Message) => {
      seen.push({ dedupeId: m.attributes.dedupeId!, data: JSON.parse(m.data.toString()) });
      m.ack();
    });
    // through the normal path: published right after each commit
    const a = (await rt.jobs.enqueue(alice, { type: 'external', outputs: [], reuseExistingOutputs: true })).job.id;
    await rt.jobs.report(null, { jobId: a, kind: 'started' });
    await rt.jobs.report(null, { jobId: a, kind: 'succeeded' });
    // a function that died after its commits: nothing published
    await rt.store.create((ctx) =>
      createJob(spec('job_lost_pub', { executorKind: 'external', type: 'external' }), [], ctx),
    );
    await rt.store.apply('job_lost_pub', { kind: 'worker', source: 'worker', report: { kind: 'started' } });
    await rt.store.apply('job_lost_pub', {
      kind: 'worker',
      source: 'worker',
      report: { kind: 'failed', error: { code: 'X', message: 'y' } },
    });
    assert.equal(await rt.reconciler.drainPending(rt.testClock.now()), 0, 'too recent: maybe still being published');
    rt.testClock.advance(2 * 60_000);
    assert.equal(await rt.reconciler.drainPending(rt.testClock.now()), 3);
    assert.equal(await rt.reconciler.drainPending(rt.testClock.now()), 0, 'published once, then marked');

    const expected = [
      ...(await rt.store.history(a)).map((t) => `${a}:${t.seq}`),
      ...(await rt.store.history('job_lost_pub')).map((t) => `job_lost_pub:${t.seq}`),
    ].sort();
    await waitFor('all events', async () => new Set(seen.map((s) => s.dedupeId)).size >= expected.length);
    await sub.close();
    await sub.delete();
    assert.deepEqual([...new Set(seen.map((s) => s.dedupeId))].sort(), expected);
    const last = seen.find((s) => s.dedupeId === `${a}:3`)!.data;
    assert.deepEqual(
      { jobId: last.jobId, seq: last.seq, from: last.from, to: last.to, reason: last.reason },
      { jobId: a, seq: 3, from: 'running', to: 'succeeded', reason: 'WORKER_SUCCEEDED' },
    );
    assert.equal(last.job.status, 'succeeded');
  });
});

describe('effects survive a crash between commit and effect', () => {
  it('a start that never ran is started by the next reconcile once the dispatch retry is due', async () => {
    await rt.store.create((ctx) => createJob(spec('job_crash_start'), [], ctx)); // committed; the process died before starting it
    const before = exec.starts;
    await rt.reconciler.reconcile('job_crash_start', 'sweep');
    assert.equal(exec.starts, before, 'the start may still be in flight: not yet');
    rt.testClock.advance(31_000);
    await rt.reconciler.reconcile('job_crash_start', 'sweep');
    assert.equal(exec.starts, before + 1);
    assert.equal((await rt.store.get('job_crash_start'))!.executor.executionRef, 'local:job_crash_start:1');
  });

  it('a cancel whose executor call never ran is repeated by the next reconcile, then confirmed', async () => {
    await rt.store.create((ctx) => createJob(spec('job_crash_cancel'), [], ctx));
    await rt.store.apply('job_crash_cancel', {
      kind: 'dispatched',
      source: 'executor',
      attempt: 1,
      executionRef: 'local:job_crash_cancel:1',
    });
    await rt.store.apply('job_crash_cancel', { kind: 'cancel', source: 'api' }); // the process died before calling the executor
    assert.equal(exec.cancels.includes('local:job_crash_cancel:1'), false);
    await rt.reconciler.reconcile('job_crash_cancel', 'sweep');
    assert.ok(exec.cancels.includes('local:job_crash_cancel:1'), 'cancel repeated');
    const { job } = await rt.reconciler.reconcile('job_crash_cancel', 'sweep');
    assert.equal(job.status, 'canceled');
  });
});

describe('an execution whose start was never recorded (found by the fault soak)', () => {
  const policy = { ...DEFAULT_POLICY, queueTimeoutSeconds: 60 };

  it('is stopped when its attempt fails: the executor finds it by job and attempt', async () => {
    const { job } = (await rt.store.create((ctx) => createJob(spec('job_lost_record', { policy }), [], ctx))) as {
      job: Job;
    };
    await exec.start(job, rt.registry.get('demo-render')!); // started; the process died before the dispatched commit
    rt.testClock.advance(61_000);
    const { job: after } = await rt.reconciler.reconcile(job.id, 'sweep');
    assert.deepEqual([after.status, after.statusReason], ['failed', 'QUEUE_TIMEOUT']);
    assert.ok(exec.cancels.includes('local:job_lost_record:1'), 'the unrecorded execution was stopped');
  });

  it('is stopped when a cancel meets it unrecorded (at the start lease end); nothing is asked of a job never started', async () => {
    const { job } = (await rt.store.create((ctx) => createJob(spec('job_lost_cancel', { policy }), [], ctx))) as {
      job: Job;
    };
    await exec.start(job, rt.registry.get('demo-render')!); // started; its dispatched never committed
    const starts = exec.starts;
    const waiting = await rt.reconciler.commit(job.id, { kind: 'cancel', source: 'api' });
    assert.equal(waiting.job?.status, 'queued', 'the start may still be creating an execution: the cancel waits');
    assert.equal(waiting.job?.executor.cancelRequestedAt, rt.testClock.now());
    assert.deepEqual(waiting.effects, []);
    rt.testClock.advance(20_000); // the start's lease (a 20 s dispatch retry, less 1 s) is over
    const { job: canceled } = await rt.reconciler.reconcile(job.id, 'sweep');
    assert.equal(canceled.status, 'canceled');
    assert.equal(exec.starts, starts, 'no second start while the cancel waited');
    await waitFor('the unrecorded execution stopped', async () => exec.cancels.includes('local:job_lost_cancel:1'));

    const never = (await rt.store.create((ctx) => createJob(spec('job_never', { policy }), [], ctx))) as { job: Job };
    const cancels = exec.cancels.length;
    await rt.reconciler.commit(never.job.id, { kind: 'cancel', source: 'api' });
    rt.testClock.advance(20_000);
    const { job: ended } = await rt.reconciler.reconcile(never.job.id, 'sweep');
    assert.equal(ended.status, 'canceled');
    assert.equal(exec.cancels.length, cancels, 'find returned nothing: no cancel');
  });

  it('a cancel that meets a start in flight stops the execution the start names, then confirms', async () => {
    const { job } = (await rt.store.create((ctx) => createJob(spec('job_cancel_inflight', { policy }), [], ctx))) as {
      job: Job;
    };
    await rt.reconciler.commit(job.id, { kind: 'cancel', source: 'api' });
    const started = await exec.start(job, rt.registry.get('demo-render')!);
    const named = await rt.reconciler.commit(job.id, {
      kind: 'dispatched',
      source: 'executor',
      attempt: 1,
      ...started,
    });
    assert.equal(named.job?.executor.executionRef, started.executionRef);
    assert.deepEqual(
      named.effects.map((e) => e.kind),
      ['cancelExecution'],
    );
    await waitFor('the execution stopped', async () => exec.cancels.includes(started.executionRef));
    const { job: after } = await rt.reconciler.reconcile(job.id, 'sweep');
    assert.equal(after.status, 'canceled');
  });
});

describe('effects recorded with their transition (found by the fault soak, infra/soak/)', () => {
  it('a start lost with its process is tried again before a short queue timeout fails the attempt', async () => {
    const policy = { ...DEFAULT_POLICY, queueTimeoutSeconds: 15 };
    await rt.store.create((ctx) => createJob(spec('job_lost_start_short', { policy }), [], ctx)); // died before starting
    const before = exec.starts;
    rt.testClock.advance(6_000); // a third of the queue timeout: the start is due again
    await rt.reconciler.reconcile('job_lost_start_short', 'sweep');
    assert.equal(exec.starts, before + 1);
    const job = (await rt.store.get('job_lost_start_short'))!;
    assert.equal(job.status, 'queued');
    assert.equal(job.executor.executionRef, 'local:job_lost_start_short:1');
  });

  it('the stop of a timed-out execution, lost with its process, is run by the sweep from the outbox', async () => {
    const policy = { ...DEFAULT_POLICY, heartbeatTimeoutSeconds: 5, maxAttempts: 1 };
    const id = 'job_lost_stop';
    const ref = `local:${id}:1`;
    await rt.store.create((ctx) => createJob(spec(id, { policy }), [], ctx));
    await rt.store.apply(id, { kind: 'dispatched', source: 'executor', attempt: 1, executionRef: ref });
    await rt.store.apply(id, { kind: 'worker', source: 'worker', report: { kind: 'started' } });
    rt.testClock.advance(6_000);
    // the heartbeat deadline fails the job; the process that committed it dies before stopping the execution
    const res = await rt.store.apply(id, {
      kind: 'observed',
      source: 'sweep',
      probed: true,
      executor: { executionRef: ref, state: 'running' },
    });
    assert.equal(res.job!.status, 'failed');
    assert.deepEqual(
      res.effects.filter((e) => e.kind === 'cancelExecution'),
      [{ kind: 'cancelExecution', jobId: id, attempt: 1, executionRef: ref }],
    );
    assert.equal(exec.cancels.includes(ref), false);
    // nothing looks at an ended job again but the outbox: its entry keeps the effects until they have run
    rt.testClock.advance(2 * 60_000);
    await rt.sweeper.sweep();
    assert.ok(exec.cancels.includes(ref), 'the recorded stop was run');
    const again = exec.cancels.length;
    await rt.sweeper.sweep();
    assert.equal(exec.cancels.length, again, 'run once, then the entry is marked');
  });
});

describe('temporary artifacts', () => {
  it('the end of a job deletes its temp objects and never a declared output', async () => {
    const id = 'job_tmp_1';
    const output = `gs://${rt.bucket}/tmp/${id}/final.mp4`;
    await rt.store.create((ctx) => createJob(spec(id, { outputUris: [output] }), [], ctx));
    await rt.store.apply(id, { kind: 'dispatched', source: 'executor', attempt: 1, executionRef: `local:${id}:1` });
    const bucket = rt.storage.bucket(rt.bucket);
    await Promise.all([
      bucket.file(`tmp/${id}/final.mp4`).save('keep'),
      bucket.file(`tmp/${id}/part-1.wav`).save('x'),
      bucket.file(`tmp/${id}/proxy/p.mp4`).save('x'),
      bucket.file('tmp/other-job/keep.wav').save('x'),
    ]);
    // the declared output is already there, so the cancel ends in `succeeded` (outputs win); either way the job ended
    await rt.jobs.cancel(alice, id);
    await waitFor('the end', async () => ['canceled', 'succeeded'].includes((await rt.jobs.read(alice, id)).status));
    const [left] = await bucket.getFiles({ prefix: 'tmp/' });
    assert.deepEqual(left.map((f) => f.name).sort(), [`tmp/${id}/final.mp4`, 'tmp/other-job/keep.wav']);
  });
});
