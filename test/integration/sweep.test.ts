/**
 * The sweep, moving time instead of sleeping: every deadline kind, retries with backoff, exhausted and
 * non-retryable failures, lost evidence of each kind recovered within deadline + one sweep, two sweeps at
 * once acting once, paging through due jobs, and a sweep over many jobs reading only the due ones.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Principal } from '../../shared/src/auth/principal.js';
import type { ExecutionState } from '../../shared/src/core/index.js';
import { createExternalExecutor } from '../../shared/src/evidence/executors/external.js';
import type { Executor } from '../../shared/src/evidence/executors/types.js';
import { otherSweeper, testRuntime, type TestRuntime } from '../helpers/runtime.js';

const alice: Principal = { userId: 'alice', admin: false, workerJobId: null };

/** An executor whose executions report what the test says. */
function scriptedExecutor(): Executor & { states: Map<string, ExecutionState>; starts: string[]; cancels: string[] } {
  const states = new Map<string, ExecutionState>();
  const starts: string[] = [];
  const cancels: string[] = [];
  return {
    kind: 'local-process',
    states,
    starts,
    cancels,
    async start(job) {
      const ref = `local:${job.id}:${job.attempt}`;
      starts.push(ref);
      if (!states.has(ref)) states.set(ref, 'running');
      return { executionRef: ref };
    },
    async status(executionRef) {
      return { executionRef, state: states.get(executionRef) ?? 'lost' };
    },
    async cancel(executionRef) {
      cancels.push(executionRef);
      states.set(executionRef, 'canceled');
    },
  };
}

let rt: TestRuntime;
const exec = scriptedExecutor();
const S = 1000;

before(async () => {
  rt = await testRuntime('sweep', {
    executors: { external: createExternalExecutor(), 'local-process': exec },
    envOverrides: {
      VERITY_JOB_TYPES: JSON.stringify({
        flaky: {
          executor: { kind: 'external' },
          policy: { retryableErrorCodes: ['TRANSIENT_UPSTREAM'], maxAttempts: 3 },
        },
      }),
      VERITY_MAX_ACTIVE_JOBS: '1000', // one owner holds 150+ active jobs here
    },
  });
});
after(async () => {
  await rt.db.terminate();
});

/** Every test starts with nothing due: jobs of earlier tests are finished by sweeping far ahead. */
beforeEach(async () => {
  rt.testClock.advance(48 * 3600 * S);
  for (let i = 0; i < 5 && (await rt.sweeper.sweep()).checked > 0; i++) rt.testClock.advance(3600 * S);
});

const enqueue = async (body: Record<string, unknown>) =>
  (await rt.jobs.enqueue(alice, { reuseExistingOutputs: true, ...body } as never)).job;
const out = (name: string) => `gs://${rt.bucket}/u/alice/sweep/${name}.mp4`;
const put = (name: string) => rt.storage.bucket(rt.bucket).file(`u/alice/sweep/${name}.mp4`).save('v');
const get = async (id: string) => (await rt.store.get(id))!;

describe('sweep: each deadline kind', () => {
  it('queue timeout', async () => {
    const j = await enqueue({ type: 'external', outputs: [out('q')], policy: { queueTimeoutSeconds: 30 } });
    rt.testClock.advance(29 * S);
    assert.equal((await rt.sweeper.sweep()).checked, 0, 'nothing due before the deadline');
    rt.testClock.advance(2 * S);
    const r = await rt.sweeper.sweep();
    assert.deepEqual([r.checked, r.corrected, r.outcomes.QUEUE_TIMEOUT], [1, 1, 1]);
    assert.equal((await get(j.id)).statusReason, 'QUEUE_TIMEOUT');
  });

  it('heartbeat timeout of a hung execution: the attempt fails, the execution is stopped, a retry is queued', async () => {
    const j = await enqueue({ type: 'demo-render', policy: { heartbeatTimeoutSeconds: 20 } });
    await rt.jobs.report(null, { jobId: j.id, kind: 'started' });
    rt.testClock.advance(21 * S);
    await rt.sweeper.sweep();
    const after = await get(j.id);
    assert.equal(after.status, 'queued');
    assert.equal(after.error?.code, 'HEARTBEAT_TIMEOUT');
    assert.ok(exec.cancels.includes(`local:${j.id}:1`), 'the hung execution was stopped');
  });

  it('run timeout', async () => {
    const j = await enqueue({
      type: 'demo-render',
      policy: { runTimeoutSeconds: 60, heartbeatTimeoutSeconds: 3600, maxAttempts: 1 },
    });
    await rt.jobs.report(null, { jobId: j.id, kind: 'started' });
    rt.testClock.advance(61 * S);
    await rt.sweeper.sweep();
    assert.equal((await get(j.id)).statusReason, 'RUN_TIMEOUT');
  });

  it('output missing after the worker said succeeded', async () => {
    const j = await enqueue({ type: 'external', outputs: [out('missing')], policy: { outputGraceSeconds: 10 } });
    await rt.jobs.report(null, { jobId: j.id, kind: 'succeeded' });
    rt.testClock.advance(11 * S);
    await rt.sweeper.sweep();
    assert.equal((await get(j.id)).statusReason, 'OUTPUT_MISSING');
  });
});

describe('sweep: retries', () => {
  it('retry then success: the backoff is respected, the next attempt is started by the sweep, history shows each attempt', async () => {
    const j = await enqueue({ type: 'demo-render', outputs: [], policy: { maxAttempts: 3 } });
    exec.states.set(`local:${j.id}:1`, 'failed');
    rt.testClock.advance(S);
    await rt.reconciler.reconcile(j.id, 'reconcile');
    const retried = await get(j.id);
    assert.equal(retried.attempt, 2);
    const wait = retried.notBefore! - rt.testClock.now();
    assert.ok(wait >= 24 * S && wait <= 36 * S, `30 s ± 20 %: ${wait}`);
    rt.testClock.advance(wait - S);
    await rt.sweeper.sweep();
    assert.equal(exec.starts.includes(`local:${j.id}:2`), false, 'not before its backoff');
    rt.testClock.advance(S);
    await rt.sweeper.sweep();
    assert.ok(exec.starts.includes(`local:${j.id}:2`), 'started by the sweep once due');
    await rt.jobs.report(null, { jobId: j.id, attempt: 2, kind: 'succeeded' });
    const h = await rt.store.history(j.id);
    assert.deepEqual(
      h.map((t) => `${t.attempt}:${t.to}:${t.reason}`),
      ['1:queued:ENQUEUED', '1:queued:RETRY_SCHEDULED', '2:succeeded:WORKER_SUCCEEDED'].map((x) => x),
    );
    assert.equal(h[1]!.evidence.failure, 'EXECUTOR_FAILED');
  });

  it('retries exhausted: the last attempt fails for good', async () => {
    const j = await enqueue({ type: 'demo-render', policy: { maxAttempts: 2 } });
    exec.states.set(`local:${j.id}:1`, 'failed');
    exec.states.set(`local:${j.id}:2`, 'failed');
    rt.testClock.advance(S);
    await rt.sweeper.sweep(); // nothing due yet…
    await rt.reconciler.reconcile(j.id, 'reconcile'); // …a read notices the failure: retry
    rt.testClock.advance(40 * S);
    await rt.sweeper.sweep(); // starts attempt 2
    rt.testClock.advance(S);
    await rt.reconciler.reconcile(j.id, 'reconcile');
    const done = await get(j.id);
    assert.equal(done.status, 'failed');
    assert.equal(done.attempt, 2);
    assert.equal(done.statusReason, 'EXECUTOR_FAILED');
  });

  it('a non-retryable worker error fails at once, attempts left or not', async () => {
    const j = await enqueue({ type: 'demo-render', policy: { maxAttempts: 5 } });
    await rt.jobs.report(null, {
      jobId: j.id,
      kind: 'failed',
      error: { code: 'BAD_INPUT', message: 'cannot decode', retryable: false },
    });
    const done = await get(j.id);
    assert.equal(done.status, 'failed');
    assert.equal(done.attempt, 1);
  });

  it('a worker error code the type lists as retryable is retried; others are not; a per-job backoff applies', async () => {
    const j = await enqueue({ type: 'flaky', outputs: [], policy: { backoff: { initialSeconds: 5, jitter: 0 } } });
    await rt.jobs.report(null, { jobId: j.id, kind: 'failed', error: { code: 'TRANSIENT_UPSTREAM', message: 'x' } });
    const retried = await get(j.id);
    assert.equal(retried.status, 'queued');
    assert.equal(retried.notBefore! - retried.updatedAt, 5 * S);
    await rt.jobs.report(null, { jobId: j.id, kind: 'failed', error: { code: 'DISK_FULL', message: 'x' } });
    assert.equal((await get(j.id)).status, 'failed', 'a code not listed, without a retryable flag, fails');
  });
});

describe('sweep: lost evidence is recovered within deadline + one sweep', () => {
  it('a worker killed with no word', async () => {
    const j = await enqueue({ type: 'demo-render', policy: { heartbeatTimeoutSeconds: 30, maxAttempts: 1 } });
    await rt.jobs.report(null, { jobId: j.id, kind: 'started' });
    exec.states.set(`local:${j.id}:1`, 'failed'); // killed: the process is gone, nobody reported
    rt.testClock.advance(30 * S);
    await rt.sweeper.sweep();
    assert.equal((await get(j.id)).statusReason, 'EXECUTOR_FAILED');
  });

  it('a lost finalize event', async () => {
    const j = await enqueue({ type: 'external', outputs: [out('lostfinalize')], policy: { queueTimeoutSeconds: 60 } });
    await put('lostfinalize'); // written; the notification never came
    rt.testClock.advance(60 * S);
    await rt.sweeper.sweep();
    const done = await get(j.id);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.statusReason, 'OUTPUT_FOUND');
  });

  it('a lost webhook (the provider says succeeded when asked)', async () => {
    const j = await enqueue({ type: 'demo-render', outputs: [], policy: { queueTimeoutSeconds: 60 } });
    exec.states.set(`local:${j.id}:1`, 'succeeded');
    rt.testClock.advance(60 * S);
    await rt.sweeper.sweep();
    assert.equal((await get(j.id)).statusReason, 'EXECUTOR_SUCCEEDED');
  });

  it('late success: a job failed by a deadline whose output then appears is corrected on the next look', async () => {
    const j = await enqueue({ type: 'external', outputs: [out('late')], policy: { queueTimeoutSeconds: 60 } });
    rt.testClock.advance(61 * S);
    await rt.sweeper.sweep();
    assert.equal((await get(j.id)).statusReason, 'QUEUE_TIMEOUT');
    await put('late');
    const read = await rt.jobs.read(alice, j.id, { verify: true });
    assert.equal(read.statusReason, 'LATE_OUTPUT');
    const h = await rt.store.history(j.id);
    assert.deepEqual(
      h.map((t) => t.reason),
      ['ENQUEUED', 'QUEUE_TIMEOUT', 'LATE_OUTPUT'],
    );
    assert.equal(h[2]!.evidence.correctedFrom, 'QUEUE_TIMEOUT');
  });
});

describe('sweep: leases (found by the fault soak, infra/soak/)', () => {
  it("a job due again soon after a sweep acted on it is not held back by that sweep's lease", async () => {
    const backoff = { initialSeconds: 2, multiplier: 1, maxSeconds: 2, jitter: 0 };
    const j = await enqueue({ type: 'demo-render', policy: { heartbeatTimeoutSeconds: 20, maxAttempts: 2, backoff } });
    await rt.jobs.report(null, { jobId: j.id, kind: 'started' });
    rt.testClock.advance(21 * S);
    await rt.sweeper.sweep(); // heartbeat timeout: a retry, due in 2 s
    assert.equal((await get(j.id)).statusReason, 'RETRY_SCHEDULED');
    rt.testClock.advance(3 * S); // well within the 30 s lease
    const r = await rt.sweeper.sweep();
    assert.equal(r.outcomes.leased, undefined, 'not held by the first sweep');
    assert.ok(exec.starts.includes(`local:${j.id}:2`), 'the retry was started on time');
  });
});

describe('sweep: cost and concurrency', () => {
  it('two sweeps at once act once per job', async () => {
    const jobs = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        enqueue({ type: 'external', outputs: [out(`two-${i}`)], policy: { queueTimeoutSeconds: 10 } }),
      ),
    );
    rt.testClock.advance(11 * S);
    const other = otherSweeper(rt);
    const [a, b] = await Promise.all([rt.sweeper.sweep({ concurrency: 4 }), other.sweep({ concurrency: 4 })]);
    assert.equal(a.corrected + b.corrected, 8, 'each job corrected once');
    for (const j of jobs) assert.equal((await rt.store.history(j.id)).length, 2, `${j.id}: one transition`);
  });

  it('a sweep over many jobs with few due ones reads only the due ones', async () => {
    await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        enqueue({ type: 'external', outputs: [out(`calm-${i}`)], policy: { queueTimeoutSeconds: 3600 } }),
      ),
    );
    const due = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        enqueue({ type: 'external', outputs: [out(`due-${i}`)], policy: { queueTimeoutSeconds: 5 } }),
      ),
    );
    rt.testClock.advance(6 * S);
    const r = await rt.sweeper.sweep();
    assert.equal(r.checked, due.length);
    assert.equal(
      r.documentsRead,
      due.length * 2,
      'the query returned only the due jobs (plus the re-read of each job reconciled)',
    );
  });

  it('pages through due jobs by (nextCheckAt, id) across shards: jobs sharing a deadline are each seen once', async () => {
    const jobs = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        enqueue({ type: 'external', outputs: [out(`page-${i}`)], policy: { queueTimeoutSeconds: 5 } }),
      ),
    );
    rt.testClock.advance(6 * S);
    // the due index is spread over shards (store/shards.ts), read at once and merged: by id at one deadline
    const ids = jobs.map((j) => j.id).sort();
    const dry = await rt.sweeper.sweep({ dryRun: true, pageSize: 2 });
    assert.deepEqual(
      dry.due?.map((d) => d.jobId),
      ids,
      'one deadline, ordered by id, no repeat and no gap',
    );
    assert.equal(dry.documentsRead, 5, 'pages of 2, 2 and 1');
    const r = await rt.sweeper.sweep({ pageSize: 2 });
    assert.equal(r.checked, 5);
    assert.equal(r.corrected, 5);
  });

  it('a dry run lists what is due and changes nothing; a budget of zero stops cleanly', async () => {
    const j = await enqueue({ type: 'external', outputs: [out('dry')], policy: { queueTimeoutSeconds: 5 } });
    rt.testClock.advance(6 * S);
    const dry = await rt.sweeper.sweep({ dryRun: true });
    assert.deepEqual(
      dry.due?.map((d) => d.jobId),
      [j.id],
    );
    assert.equal((await get(j.id)).status, 'queued');
    const cut = await rt.sweeper.sweep({ budgetMs: -1 });
    assert.equal(cut.complete, false);
    assert.equal(cut.checked, 0);
    const full = await rt.sweeper.sweep();
    assert.equal(full.checked, 1);
  });
});
