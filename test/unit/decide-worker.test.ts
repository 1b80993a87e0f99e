/** decide: the worker's reports (started, progress, succeeded, failed) and what they change. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { present, run, running, tableTests, type Row } from '../helpers/decide.js';
import { dispatched, newJob, S, T0 } from '../helpers/jobs.js';

describe('decide: worker reports', () => {
  const rows: Row[] = [
    {
      name: 'worker started → running',
      job: () => dispatched(newJob()),
      event: { kind: 'worker', source: 'worker', report: { kind: 'started' } },
      at: T0 + S,
      to: 'running',
      reason: 'STARTED',
      transition: true,
    },
    {
      name: 'progress on queued → running (report implies start)',
      job: () => newJob(),
      event: { kind: 'worker', source: 'worker', report: { kind: 'progress', progress: { pct: 40 } } },
      at: T0 + S,
      to: 'running',
      reason: 'STARTED',
      transition: true,
    },
    {
      name: 'progress on running → patch only',
      job: () => running(newJob()),
      event: { kind: 'worker', source: 'worker', report: { kind: 'progress', progress: { pct: 40 } } },
      at: T0 + 2 * S,
      to: 'running',
      reason: 'STARTED',
      transition: false,
    },
    {
      name: 'worker succeeded, no outputs → succeeded',
      job: () => running(newJob({ outputs: [] })),
      event: { kind: 'worker', source: 'worker', report: { kind: 'succeeded' } },
      at: T0 + 5 * S,
      to: 'succeeded',
      reason: 'WORKER_SUCCEEDED',
      transition: true,
    },
    {
      name: 'worker succeeded with outputs → probe, no transition',
      job: () => running(newJob()),
      event: { kind: 'worker', source: 'worker', report: { kind: 'succeeded' } },
      at: T0 + 5 * S,
      to: 'running',
      reason: 'STARTED',
      transition: false,
      effects: ['probe'],
    },
    {
      name: 'worker failed non-retryable → failed',
      job: () => running(newJob()),
      event: {
        kind: 'worker',
        source: 'worker',
        report: { kind: 'failed', error: { code: 'BAD', message: 'no', retryable: false } },
      },
      at: T0 + 5 * S,
      to: 'failed',
      reason: 'WORKER_FAILED',
      transition: true,
    },
    {
      name: 'worker failed retryable → retry',
      job: () => running(newJob()),
      event: {
        kind: 'worker',
        source: 'worker',
        report: { kind: 'failed', error: { code: 'FLAKY', message: 'try again', retryable: true } },
      },
      at: T0 + 5 * S,
      to: 'queued',
      reason: 'RETRY_SCHEDULED',
      transition: true,
    },
    {
      name: 'report of an old attempt is ignored',
      job: () => ({ ...running(newJob()), attempt: 2 }),
      event: { kind: 'worker', source: 'worker', report: { kind: 'failed', attempt: 1 } },
      at: T0 + 5 * S,
      to: 'running',
      reason: 'STARTED',
      transition: false,
    },
    {
      name: 'progress after the end is ignored',
      job: () =>
        run(newJob(), { kind: 'observed', source: 'read', probed: true, outputs: [present()] }, T0 + 10 * S).job,
      event: { kind: 'worker', source: 'worker', report: { kind: 'progress', progress: { pct: 50 } } },
      at: T0 + 11 * S,
      to: 'succeeded',
      reason: 'OUTPUT_FOUND',
      transition: false,
    },
  ];
  tableTests(rows);

  it('worker succeeded with outputs missing fails OUTPUT_MISSING after the grace', () => {
    const waiting = run(
      running(newJob()),
      { kind: 'worker', source: 'worker', report: { kind: 'succeeded' } },
      T0 + 5 * S,
    ).job;
    assert.equal(waiting.nextCheckAt, T0 + 25 * S);
    const d = run(
      waiting,
      { kind: 'observed', source: 'sweep', probed: true, outputs: [{ uri: 'gs://b/out.mp4', exists: false }] },
      T0 + 26 * S,
    );
    assert.equal(d.job.status, 'failed');
    assert.equal(d.job.statusReason, 'OUTPUT_MISSING');
  });

  it('once the work reports done, only the output grace counts: no heartbeat timeout before it', () => {
    // a worker that succeeded stops heartbeating: with a 10 s heartbeat timeout, its output grace (20 s) decides
    const base = newJob();
    const job = running({ ...base, policy: { ...base.policy, heartbeatTimeoutSeconds: 10 } });
    const waiting = run(job, { kind: 'worker', source: 'worker', report: { kind: 'succeeded' } }, T0 + 25 * S).job;
    const look = {
      kind: 'observed',
      source: 'sweep',
      probed: true,
      outputs: [{ uri: 'gs://b/out.mp4', exists: false }],
    };
    const d = run(waiting, look as never, T0 + 40 * S);
    assert.equal(d.job.status, 'running', 'past the heartbeat deadline, within the output grace');
    assert.equal(d.job.nextCheckAt, T0 + 45 * S);
  });

  it('the executor reporting success exactly at the queue timeout: the second look changes nothing more', () => {
    // found by the properties test: the first look recorded the report, the second failed QUEUE_TIMEOUT
    const job = dispatched(newJob());
    const at = job.attemptQueuedAt + job.policy.queueTimeoutSeconds * S;
    const ev = {
      kind: 'observed',
      source: 'read',
      probed: true,
      executor: { executionRef: job.executor.executionRef!, state: 'succeeded' },
    } as const;
    const once = run(job, ev, at);
    assert.equal(once.job.reportedSucceededAt, at);
    const twice = run(once.job, ev, at);
    assert.equal(twice.transition, null);
    assert.equal(twice.job, once.job);
    assert.equal(twice.job.nextCheckAt, at + job.policy.outputGraceSeconds * S);
  });
});
