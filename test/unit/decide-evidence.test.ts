/** decide: observed evidence (outputs, executor states) against the deadlines. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { present, run, running, tableTests, type Row } from '../helpers/decide.js';
import { dispatched, newJob, S, T0 } from '../helpers/jobs.js';

describe('decide: evidence and deadlines', () => {
  const rows: Row[] = [
    {
      name: 'outputs present on queued → succeeded OUTPUT_FOUND',
      job: () => newJob(),
      event: { kind: 'observed', source: 'read', probed: true, outputs: [present()] },
      at: T0 + 10 * S,
      to: 'succeeded',
      reason: 'OUTPUT_FOUND',
      transition: true,
    },
    {
      name: 'outputs beat a passed deadline',
      job: () => newJob(),
      event: { kind: 'observed', source: 'sweep', probed: true, outputs: [present()] },
      at: T0 + 3600 * S,
      to: 'succeeded',
      reason: 'OUTPUT_FOUND',
      transition: true,
    },
    {
      name: 'queue timeout → failed (not retryable by default)',
      job: () => dispatched(newJob()),
      event: { kind: 'observed', source: 'read', probed: true, outputs: [{ uri: 'gs://b/out.mp4', exists: false }] },
      at: T0 + 61 * S,
      to: 'failed',
      reason: 'QUEUE_TIMEOUT',
      transition: true,
      effects: ['cancelExecution', 'cleanupTemp'],
    },
    {
      name: 'deadline held back when probes were incomplete',
      job: () => dispatched(newJob()),
      event: { kind: 'observed', source: 'read', probed: false },
      at: T0 + 61 * S,
      to: 'queued',
      reason: 'ENQUEUED',
      transition: false,
    },
    {
      name: 'heartbeat timeout → retry (queued, attempt 2)',
      job: () => running(newJob()),
      event: {
        kind: 'observed',
        source: 'sweep',
        probed: true,
        executor: { executionRef: 'local:job_1:1', state: 'running' },
      },
      at: T0 + 40 * S,
      to: 'queued',
      reason: 'RETRY_SCHEDULED',
      transition: true,
      effects: ['cancelExecution'],
    },
    {
      name: 'run timeout (heartbeats fine) → failed RUN_TIMEOUT',
      job: () => ({ ...running(newJob()), heartbeatAt: T0 + 600 * S }),
      event: { kind: 'observed', source: 'sweep', probed: true },
      at: T0 + 602 * S,
      to: 'failed',
      reason: 'RUN_TIMEOUT',
      transition: true,
      effects: ['cancelExecution', 'cleanupTemp'],
    },
    {
      name: 'executor failed → retry',
      job: () => running(newJob()),
      event: {
        kind: 'observed',
        source: 'reconcile',
        probed: true,
        executor: { executionRef: 'local:job_1:1', state: 'failed', detail: 'exit code 1' },
      },
      at: T0 + 5 * S,
      to: 'queued',
      reason: 'RETRY_SCHEDULED',
      transition: true,
    },
    {
      name: 'executor lost → retry',
      job: () => running(newJob()),
      event: {
        kind: 'observed',
        source: 'reconcile',
        probed: true,
        executor: { executionRef: 'local:job_1:1', state: 'lost' },
      },
      at: T0 + 5 * S,
      to: 'queued',
      reason: 'RETRY_SCHEDULED',
      transition: true,
    },
    {
      name: 'executor running on queued job → running',
      job: () => dispatched(newJob()),
      event: {
        kind: 'observed',
        source: 'read',
        probed: true,
        executor: { executionRef: 'local:job_1:1', state: 'running' },
      },
      at: T0 + 5 * S,
      to: 'running',
      reason: 'STARTED',
      transition: true,
    },
    {
      name: 'status of another execution is ignored',
      job: () => running(newJob()),
      event: {
        kind: 'observed',
        source: 'read',
        probed: true,
        executor: { executionRef: 'local:job_1:0', state: 'failed' },
      },
      at: T0 + 5 * S,
      to: 'running',
      reason: 'STARTED',
      transition: false,
    },
    {
      name: 'executor succeeded, no outputs declared → succeeded',
      job: () => running(newJob({ outputs: [] })),
      event: {
        kind: 'observed',
        source: 'read',
        probed: true,
        executor: { executionRef: 'local:job_1:1', state: 'succeeded' },
      },
      at: T0 + 5 * S,
      to: 'succeeded',
      reason: 'EXECUTOR_SUCCEEDED',
      transition: true,
    },
    {
      name: 'executor succeeded, outputs missing → waits (grace)',
      job: () => running(newJob()),
      event: {
        kind: 'observed',
        source: 'read',
        probed: true,
        executor: { executionRef: 'local:job_1:1', state: 'succeeded' },
        outputs: [{ uri: 'gs://b/out.mp4', exists: false }],
      },
      at: T0 + 5 * S,
      to: 'running',
      reason: 'STARTED',
      transition: false,
    },
    {
      name: 'late output after an inferred failure → succeeded LATE_OUTPUT',
      job: () => run(dispatched(newJob()), { kind: 'observed', source: 'sweep', probed: true }, T0 + 61 * S).job,
      event: { kind: 'observed', source: 'gcs', probed: true, outputs: [present('gs://b/out.mp4', T0 + 70 * S)] },
      at: T0 + 71 * S,
      to: 'succeeded',
      reason: 'LATE_OUTPUT',
      transition: true,
    },
    {
      name: 'output older than the job does not count without reuse',
      job: () => newJob({ reuse: false }),
      event: { kind: 'observed', source: 'read', probed: false, outputs: [present('gs://b/out.mp4', T0 - 5 * S)] },
      at: T0 + 5 * S,
      to: 'queued',
      reason: 'ENQUEUED',
      transition: false,
    },
  ];
  tableTests(rows);

  it('nextCheckAt is the earliest deadline; a failed job has only its late-output check', () => {
    const job = running(newJob(), T0 + S);
    assert.equal(job.nextCheckAt, T0 + 31 * S); // heartbeat 30 s before run 600 s
    const done = run(
      job,
      { kind: 'worker', source: 'worker', report: { kind: 'failed', error: { code: 'X', message: 'm' } } },
      T0 + 2 * S,
    ).job;
    assert.equal(done.status, 'failed');
    assert.equal(done.nextCheckAt, T0 + 22 * S); // failed at 2 s, output grace 20 s
  });
});
