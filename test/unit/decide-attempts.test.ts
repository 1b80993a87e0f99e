/** decide: starting executions, retries and their attempts. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  dispatchDueAt,
  dispatchRetryMs,
  onlyDispatchDue,
  START_RETRY_MS,
  startLease,
} from '../../shared/src/core/deadlines.js';
import { run, running, tableTests, type Row } from '../helpers/decide.js';
import { dispatched, newJob, S, T0 } from '../helpers/jobs.js';

describe('decide: dispatch', () => {
  const rows: Row[] = [
    {
      name: 'dispatched names the execution',
      job: () => newJob(),
      event: { kind: 'dispatched', source: 'executor', attempt: 1, executionRef: 'local:job_1:1' },
      at: T0 + S,
      to: 'queued',
      reason: 'ENQUEUED',
      transition: false,
    },
    {
      name: 'dispatched for a finished job cancels the orphan',
      job: () => run(newJob(), { kind: 'cancel', source: 'api' }, T0 + 25 * S).job, // after the start's lease
      event: { kind: 'dispatched', source: 'executor', attempt: 1, executionRef: 'local:job_1:1' },
      at: T0 + 26 * S,
      to: 'canceled',
      reason: 'CANCELED_BY_USER',
      transition: false,
      effects: ['cancelExecution'],
    },
    {
      name: 'start failure (config) → failed',
      job: () => newJob(),
      event: { kind: 'dispatchFailed', source: 'executor', attempt: 1, message: 'no such type', retryable: false },
      at: T0 + S,
      to: 'failed',
      reason: 'EXECUTOR_START_FAILED',
      transition: true,
    },
    {
      name: 'start failure (transient) → the same attempt, queued, is started again later',
      job: () => newJob(),
      event: { kind: 'dispatchFailed', source: 'executor', attempt: 1, message: '14 UNAVAILABLE', retryable: true },
      at: T0 + S,
      to: 'queued',
      reason: 'ENQUEUED',
      transition: false,
    },
  ];
  tableTests(rows);

  it('a transient start failure spends no attempt: the start is due again a few seconds later', () => {
    const job = newJob();
    const failed = run(
      job,
      { kind: 'dispatchFailed', source: 'executor', attempt: 1, message: '14 UNAVAILABLE', retryable: true },
      T0 + 5 * S,
    ).job;
    assert.equal(failed.attempt, 1);
    assert.equal(dispatchDueAt(failed), T0 + 5 * S + START_RETRY_MS, 'not the full dispatch retry');
    assert.ok(START_RETRY_MS < dispatchRetryMs(job));
    assert.equal(failed.nextCheckAt, T0 + 5 * S + START_RETRY_MS);
    assert.equal(startLease(failed)!.until, T0 + 5 * S + START_RETRY_MS - 1000, 'the failed call ended its lease');
    const early = run(failed, { kind: 'observed', source: 'sweep', probed: true, outputs: [] }, T0 + 9 * S);
    assert.deepEqual(early.effects, [], 'not before the retry');
    const again = run(failed, { kind: 'observed', source: 'sweep', probed: true, outputs: [] }, T0 + 10 * S);
    assert.deepEqual(
      again.effects.map((e) => e.kind),
      ['startExecution'],
      'the sweep starts attempt 1 again',
    );
    // a run of failures: each retry a few seconds after the last, all within the queue timeout
    let j = failed;
    for (let t = T0 + 10 * S; t < T0 + 50 * S; t += 5 * S) {
      j = run(j, { kind: 'observed', source: 'sweep', probed: true, outputs: [] }, t).job;
      const f = { kind: 'dispatchFailed', source: 'executor', attempt: 1, message: '14', retryable: true } as const;
      j = run(j, f, t).job;
      assert.equal(dispatchDueAt(j), t + START_RETRY_MS);
    }
    assert.equal(j.status, 'queued');
  });
});

describe('start lease', () => {
  it('ends before the next dispatch is due, and leaves its creating call half of it, at most 5 s', () => {
    const job = newJob(); // created at T0 with its start requested
    const lease = startLease(job)!;
    const due = dispatchDueAt(job)!;
    assert.equal(due, T0 + dispatchRetryMs(job), 'the next start is due when the lease has passed');
    assert.equal(lease.until, due - 1000, 'the holder ends its calls a second before (clocks)');
    assert.equal(lease.startBy, lease.until - Math.min(5000, Math.floor((lease.until - T0) / 2)));
    assert.ok(lease.startBy > T0 && lease.startBy < lease.until);
    const short = newJob({ policy: { queueTimeoutSeconds: 6 } }); // a 2 s retry: half of its 1 s lease to call
    assert.deepEqual(startLease(short), { startBy: T0 + 500, until: T0 + 1000 });
  });

  it('a job whose start was never requested for this attempt has none', () => {
    const job = newJob();
    assert.equal(startLease({ ...job, executor: { ...job.executor, startRequestedAt: null } }), null);
    assert.equal(startLease({ ...job, attempt: 2 }), null);
  });
});

describe('a look with only a start to make (it skips the probes)', () => {
  it('is one whose start is due and no deadline is, and no probes are held', () => {
    const job = newJob();
    const due = dispatchDueAt(job)!;
    assert.equal(onlyDispatchDue(job, due - 1), false, 'the start lease still runs');
    assert.equal(onlyDispatchDue(job, due), true);
    const queueDeadline = T0 + job.policy.queueTimeoutSeconds * S;
    assert.equal(onlyDispatchDue(job, queueDeadline), false, 'the queue deadline is due: the look needs evidence');
    const held = { ...job, probeHold: { since: T0, count: 1, retryAt: due } };
    assert.equal(onlyDispatchDue(held, due), false, 'a held look keeps probing');
    assert.equal(onlyDispatchDue(running(job), due), false, 'a running job has no start to make');
  });
});

describe('decide: retries', () => {
  it('a retry gets attempt + 1, a backoff from the injected random source, and a fresh executor slot', () => {
    const job = running(newJob());
    const low = run(
      job,
      {
        kind: 'worker',
        source: 'worker',
        report: { kind: 'failed', error: { code: 'X', message: 'm', retryable: true } },
      },
      T0 + 5 * S,
      0,
    ).job;
    const high = run(
      job,
      {
        kind: 'worker',
        source: 'worker',
        report: { kind: 'failed', error: { code: 'X', message: 'm', retryable: true } },
      },
      T0 + 5 * S,
      0.999,
    ).job;
    assert.equal(low.attempt, 2);
    assert.equal(low.executor.executionRef, null);
    // 30 s initial, ±20 % jitter
    assert.equal(low.notBefore, T0 + 5 * S + 24 * S);
    assert.ok(high.notBefore! > T0 + 5 * S + 35 * S && high.notBefore! <= T0 + 5 * S + 36 * S);
  });
  it('the retried attempt is started once its backoff has passed, not before', () => {
    const retried = run(
      running(newJob()),
      { kind: 'observed', source: 'read', probed: true, executor: { executionRef: 'local:job_1:1', state: 'failed' } },
      T0 + 5 * S,
      0.5,
    ).job;
    const early = run(retried, { kind: 'observed', source: 'sweep', probed: true }, retried.notBefore! - 1);
    assert.deepEqual(early.effects, []);
    const due = run(retried, { kind: 'observed', source: 'sweep', probed: true }, retried.notBefore!);
    assert.deepEqual(due.effects, [{ kind: 'startExecution', jobId: 'job_1', attempt: 2 }]);
    assert.equal(due.job.executor.startRequestedAt, retried.notBefore);
  });
  it('the last attempt fails for good', () => {
    const job = { ...running(newJob()), attempt: 3 };
    const d = run(
      job,
      { kind: 'observed', source: 'read', probed: true, executor: { executionRef: 'local:job_1:1', state: 'failed' } },
      T0 + 5 * S,
    );
    assert.equal(d.job.status, 'running'); // executor ref belongs to attempt 1 → ignored
    const current = { ...job, executor: { ...job.executor, attempt: 3, executionRef: 'local:job_1:3' } };
    const e = run(
      current,
      { kind: 'observed', source: 'read', probed: true, executor: { executionRef: 'local:job_1:3', state: 'failed' } },
      T0 + 5 * S,
    );
    assert.equal(e.job.status, 'failed');
    assert.equal(e.job.statusReason, 'EXECUTOR_FAILED');
  });
});

describe('decide: a second start of one attempt', () => {
  it('keeps the recorded execution and stops the other', () => {
    const job = dispatched(newJob(), 'local:job_1:1');
    const d = run(job, { kind: 'dispatched', source: 'executor', attempt: 1, executionRef: 'other-execution' }, T0 + S);
    assert.equal(d.job, job);
    assert.equal(d.job.executor.executionRef, 'local:job_1:1');
    assert.deepEqual(d.effects, [
      { kind: 'cancelExecution', jobId: 'job_1', attempt: 1, executionRef: 'other-execution' },
    ]);
  });
  it('the same execution reported twice changes nothing and stops nothing', () => {
    const job = dispatched(newJob(), 'local:job_1:1');
    const d = run(job, { kind: 'dispatched', source: 'executor', attempt: 1, executionRef: 'local:job_1:1' }, T0 + S);
    assert.deepEqual(d.effects, []);
  });
});
