/** decide: a cancel, from the request to the confirmation or the end of its grace. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decide,
  diagnose,
  dispatchDueAt,
  isRejection,
  startLease,
  type JobEvent,
} from '../../shared/src/core/index.js';
import { present, run, running, tableTests, type Row } from '../helpers/decide.js';
import { ctx, newJob, S, T0 } from '../helpers/jobs.js';

describe('decide: cancel', () => {
  const rows: Row[] = [
    {
      name: 'cancel with an execution running → cancel requested, executor asked to stop',
      job: () => running(newJob()),
      event: { kind: 'cancel', source: 'api' },
      at: T0 + 5 * S,
      to: 'running',
      reason: 'STARTED',
      transition: false,
      effects: ['cancelExecution'],
    },
    {
      name: 'cancel while the start is in flight (its lease not over, no execution recorded) → waits for the start',
      job: () => newJob(),
      event: { kind: 'cancel', source: 'api' },
      at: T0 + 5 * S,
      to: 'queued',
      reason: 'ENQUEUED',
      transition: false,
    },
    {
      name: 'cancel after the start lease, no execution recorded → canceled at once, temp cleaned, a start that may have run stopped',
      job: () => newJob(),
      event: { kind: 'cancel', source: 'api' },
      at: T0 + 19 * S, // the lease of a start requested at T0 (a 20 s dispatch retry less 1 s) is over
      to: 'canceled',
      reason: 'CANCELED_BY_USER',
      transition: true,
      effects: ['stopUnrecordedStart', 'cleanupTemp'],
    },
    {
      name: 'cancel of a job whose start was never asked for → canceled at once, nothing to stop',
      job: () => ({ ...newJob(), executor: { ...newJob().executor, startRequestedAt: null } }),
      event: { kind: 'cancel', source: 'api' },
      at: T0 + 5 * S,
      to: 'canceled',
      reason: 'CANCELED_BY_USER',
      transition: true,
      effects: ['cleanupTemp'],
    },
    {
      name: 'cancel of an external job → canceled at once',
      job: () => newJob({ kind: 'external' }),
      event: { kind: 'cancel', source: 'api' },
      at: T0 + 5 * S,
      to: 'canceled',
      reason: 'CANCELED_BY_USER',
      transition: true,
      effects: ['cleanupTemp'],
    },
  ];
  tableTests(rows);

  const requested = () => run(running(newJob()), { kind: 'cancel', source: 'api' }, T0 + 5 * S).job;
  it('records the request and its grace deadline', () => {
    const job = requested();
    assert.equal(job.executor.cancelRequestedAt, T0 + 5 * S);
    assert.equal(job.nextCheckAt, T0 + 5 * S, 'due at once: every look checks for the confirmation');
  });
  it('a repeated cancel repeats the executor cancel and changes nothing', () => {
    const job = requested();
    const d = run(job, { kind: 'cancel', source: 'api' }, T0 + 6 * S);
    assert.equal(d.job, job);
    assert.deepEqual(
      d.effects.map((e) => e.kind),
      ['cancelExecution'],
    );
  });
  it('is canceled when the executor confirms', () => {
    const d = run(
      requested(),
      {
        kind: 'observed',
        source: 'reconcile',
        probed: true,
        executor: { executionRef: 'local:job_1:1', state: 'canceled' },
      },
      T0 + 6 * S,
    );
    assert.equal(d.job.status, 'canceled');
    assert.equal(d.job.statusReason, 'CANCELED_BY_USER');
    assert.deepEqual(
      d.effects.map((e) => e.kind),
      ['cleanupTemp'],
    );
  });
  it('an execution still running is asked again (repairs a lost cancel effect), deadlines other than the grace wait', () => {
    const d = run(
      requested(),
      {
        kind: 'observed',
        source: 'sweep',
        probed: true,
        executor: { executionRef: 'local:job_1:1', state: 'running' },
      },
      T0 + 40 * S,
    );
    assert.equal(d.job.status, 'running');
    assert.deepEqual(
      d.effects.map((e) => e.kind),
      ['cancelExecution'],
    );
  });
  it('is canceled anyway once the cancel grace passes', () => {
    const job = requested();
    const d = run(
      job,
      {
        kind: 'observed',
        source: 'sweep',
        probed: true,
        executor: { executionRef: 'local:job_1:1', state: 'running' },
      },
      T0 + 5 * S + job.policy.cancelGraceSeconds * S,
    );
    assert.equal(d.job.status, 'canceled');
    assert.equal(d.transition!.evidence.cancelGraceExpired, true);
  });
  it('outputs that land during the cancel still make it succeeded (outputs are the strongest evidence)', () => {
    const e = run(requested(), { kind: 'observed', source: 'gcs', probed: false, outputs: [present()] }, T0 + 6 * S);
    assert.equal(e.job.status, 'succeeded');
  });
  it('cancel of a finished job is rejected', () => {
    const done = run(newJob(), { kind: 'cancel', source: 'api' }, T0 + 20 * S).job;
    const r = decide(done, { kind: 'cancel', source: 'api' }, ctx(T0 + 2 * S));
    assert.ok(isRejection(r));
    assert.equal(r.code, 'JOB_TERMINAL');
  });
});

describe('decide: a cancel that meets a start in flight (issue 26)', () => {
  const cancel = { kind: 'cancel', source: 'api' } as const;
  const waiting = () => run(newJob(), cancel, T0 + 5 * S).job;
  const lease = () => startLease(newJob())!;

  it('records the cancel, makes no new start, and is next checked when the lease ends', () => {
    const job = waiting();
    assert.equal(job.executor.cancelRequestedAt, T0 + 5 * S);
    assert.equal(job.status, 'queued');
    assert.equal(dispatchDueAt(job), null, 'no start while a cancel is pending');
    assert.equal(job.nextCheckAt, lease().until);
    assert.equal(diagnose(job, [], T0 + 6 * S).cause.code, 'CANCELING');
    const again = run(job, cancel, T0 + 6 * S);
    assert.equal(again.transition, null);
    assert.deepEqual(again.effects, [], 'a repeated cancel waits too');
  });

  it('the start names its execution: recorded and stopped; canceled once the executor says it ended', () => {
    const d = run(
      waiting(),
      { kind: 'dispatched', source: 'executor', attempt: 1, executionRef: 'local:job_1:1' },
      T0 + 7 * S,
    );
    assert.equal(d.job.executor.executionRef, 'local:job_1:1');
    assert.equal(d.job.status, 'queued');
    assert.deepEqual(
      d.effects.map((e) => e.kind),
      ['cancelExecution'],
    );
    const ended = run(
      d.job,
      {
        kind: 'observed',
        source: 'sweep',
        probed: true,
        executor: { executionRef: 'local:job_1:1', state: 'canceled' },
      },
      T0 + 8 * S,
    );
    assert.equal(ended.job.status, 'canceled');
    assert.equal(ended.job.statusReason, 'CANCELED_BY_USER');
  });

  it('the start fails: canceled, and an execution a transient failure may have made is looked for', () => {
    const fail = (retryable: boolean) =>
      run(waiting(), { kind: 'dispatchFailed', source: 'executor', attempt: 1, message: 'x', retryable }, T0 + 7 * S);
    const transient = fail(true);
    assert.equal(transient.job.status, 'canceled');
    assert.deepEqual(
      transient.effects.map((e) => e.kind),
      ['stopUnrecordedStart', 'cleanupTemp'],
    );
    const permanent = fail(false);
    assert.equal(permanent.job.status, 'canceled');
    assert.deepEqual(
      permanent.effects.map((e) => e.kind),
      ['cleanupTemp'],
    );
  });

  it('no word from the start: canceled at the lease end, and an execution it made is found and stopped', () => {
    const look: JobEvent = { kind: 'observed', source: 'sweep', probed: true, outputs: [] };
    const before = run(waiting(), look, lease().until - 1);
    assert.equal(before.job.status, 'queued', 'a creating call may still make one');
    const at = run(waiting(), look, lease().until);
    assert.equal(at.job.status, 'canceled');
    assert.equal(at.transition!.evidence.startLeaseOver, true);
    assert.deepEqual(
      at.effects.map((e) => e.kind),
      ['stopUnrecordedStart', 'cleanupTemp'],
    );
  });
});
