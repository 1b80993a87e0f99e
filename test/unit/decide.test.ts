import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createJob, decide, isRejection, type Decision, type Job, type JobEvent } from '../../shared/src/core/index.js';
import { ctx, dispatched, newJob, policy, S, T0 } from '../helpers/jobs.js';

function run(job: Job, event: JobEvent, now: number, random = 0.5): Decision {
  const d = decide(job, event, ctx(now, random));
  assert.ok(!isRejection(d), `unexpected rejection: ${JSON.stringify(d)}`);
  return d;
}

const present = (uri = 'gs://b/out.mp4', timeCreated = T0 + 5 * S) => ({
  uri,
  exists: true,
  generation: '7',
  size: 10,
  timeCreated,
});
const running = (job: Job, at = T0 + S): Job =>
  run(dispatched(job), { kind: 'worker', source: 'worker', report: { kind: 'started' } }, at).job;

describe('createJob', () => {
  it('enqueues with ENQUEUED, version 1 and a start effect recorded before it runs', () => {
    const d = createJob(
      {
        id: 'j',
        type: 't',
        ownerId: 'a',
        resourceKey: null,
        idempotencyKey: null,
        input: {},
        outputUris: ['gs://b/o'],
        reuseExistingOutputs: true,
        executorKind: 'local-process',
        policy: policy(),
      },
      [],
      ctx(T0),
    );
    assert.equal(d.job.status, 'queued');
    assert.equal(d.job.version, 1);
    assert.deepEqual(
      d.transition && {
        seq: d.transition.seq,
        from: d.transition.from,
        to: d.transition.to,
        reason: d.transition.reason,
      },
      { seq: 1, from: null, to: 'queued', reason: 'ENQUEUED' },
    );
    assert.deepEqual(d.effects, [{ kind: 'startExecution', jobId: 'j', attempt: 1 }]);
    assert.equal(d.job.executor.startRequestedAt, T0);
  });
  it('is succeeded with OUTPUT_ALREADY_PRESENT and runs nothing when every output exists', () => {
    const d = createJob(
      {
        id: 'j',
        type: 't',
        ownerId: 'a',
        resourceKey: null,
        idempotencyKey: null,
        input: {},
        outputUris: ['gs://b/o'],
        reuseExistingOutputs: true,
        executorKind: 'local-process',
        policy: policy(),
      },
      [present('gs://b/o', T0 - 1000)],
      ctx(T0),
    );
    assert.equal(d.job.status, 'succeeded');
    assert.equal(d.job.statusReason, 'OUTPUT_ALREADY_PRESENT');
    assert.deepEqual(d.effects, []);
    assert.equal(d.job.nextCheckAt, null);
  });
  it('ignores existing outputs when reuseExistingOutputs is false', () => {
    const d = createJob(
      {
        id: 'j',
        type: 't',
        ownerId: 'a',
        resourceKey: null,
        idempotencyKey: null,
        input: {},
        outputUris: ['gs://b/o'],
        reuseExistingOutputs: false,
        executorKind: 'external',
        policy: policy(),
      },
      [present('gs://b/o', T0 - 1000)],
      ctx(T0),
    );
    assert.equal(d.job.status, 'queued');
    assert.deepEqual(d.effects, []);
  });
});

describe('decide: table', () => {
  type Row = {
    name: string;
    job: () => Job;
    event: JobEvent;
    at: number;
    random?: number;
    to: string;
    reason: string;
    transition: boolean;
    effects?: string[];
  };
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
      name: 'cancel before any execution → canceled at once, temp cleaned',
      job: () => newJob(),
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
      job: () => run(newJob(), { kind: 'cancel', source: 'api' }, T0 + S).job,
      event: { kind: 'dispatched', source: 'executor', attempt: 1, executionRef: 'local:job_1:1' },
      at: T0 + 2 * S,
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
  ];
  for (const row of rows) {
    it(row.name, () => {
      const before = row.job();
      const d = run(before, row.event, row.at, row.random);
      assert.equal(d.job.status, row.to);
      assert.equal(d.job.statusReason, row.reason);
      assert.equal(d.transition !== null, row.transition);
      if (d.transition) {
        assert.equal(d.job.version, before.version + 1);
        assert.equal(d.transition.seq, d.job.version);
        assert.equal(d.transition.from, before.status);
      } else {
        assert.equal(d.job.version, before.version);
      }
      if (row.effects)
        assert.deepEqual(
          d.effects.map((e) => e.kind),
          row.effects,
        );
    });
  }
});

describe('decide: cancel', () => {
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
});

describe('decide: details', () => {
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
  it('cancel of a finished job is rejected', () => {
    const done = run(newJob(), { kind: 'cancel', source: 'api' }, T0 + S).job;
    const r = decide(done, { kind: 'cancel', source: 'api' }, ctx(T0 + 2 * S));
    assert.ok(isRejection(r));
    assert.equal(r.code, 'JOB_TERMINAL');
  });
  it('nextCheckAt is the earliest deadline; terminal jobs have none', () => {
    const job = running(newJob(), T0 + S);
    assert.equal(job.nextCheckAt, T0 + 31 * S); // heartbeat 30 s before run 600 s
    const done = run(
      job,
      { kind: 'worker', source: 'worker', report: { kind: 'failed', error: { code: 'X', message: 'm' } } },
      T0 + 2 * S,
    ).job;
    assert.equal(done.status, 'failed');
    assert.equal(done.nextCheckAt, null);
  });
});

describe('decide: deadlines held while probes fail', () => {
  const failing = (errors = ['gs://b/out.mp4: 503 backend error']): JobEvent => ({
    kind: 'observed',
    source: 'sweep',
    probed: false,
    probeErrors: errors,
  });
  const dueAt = T0 + 60 * S; // the queue timeout of newJob()

  it('each held check pushes nextCheckAt out (30 s doubling, at most 5 min), then EVIDENCE_UNAVAILABLE at the grace', () => {
    // [seconds after the deadline of this check, next check expected (seconds after the deadline) | 'failed']
    const steps: [number, number | 'failed'][] = [
      [0, 30],
      [30, 90],
      [90, 210],
      [210, 450],
      [450, 750],
      [750, 900],
      [900, 'failed'],
    ];
    let job = dispatched(newJob());
    for (const [at, next] of steps) {
      const d = run(job, failing(), dueAt + at * S);
      if (next === 'failed') {
        assert.equal(d.job.status, 'failed');
        assert.equal(d.job.statusReason, 'EVIDENCE_UNAVAILABLE');
        assert.equal(d.transition!.evidence.deadline, 'QUEUE_TIMEOUT');
        assert.equal(d.transition!.evidence.heldChecks, 6);
        assert.deepEqual(d.transition!.evidence.probeErrors, ['gs://b/out.mp4: 503 backend error']);
        assert.deepEqual(
          d.effects.map((e) => e.kind),
          ['cancelExecution', 'cleanupTemp'],
        );
        assert.equal(d.job.probeHold, null);
      } else {
        assert.equal(d.transition, null, `held at +${at} s`);
        assert.equal(d.job.status, 'queued');
        assert.equal(d.job.probeHold?.since, dueAt);
        assert.equal(d.job.nextCheckAt, dueAt + next * S, `at +${at} s the next check is at +${next} s`);
        assert.ok(d.job.nextCheckAt! > dueAt + at * S, 'moved past now: the sweep query moves on to other jobs');
      }
      job = d.job;
    }
  });

  it('a look before the planned check (a read, a verify) changes nothing', () => {
    const held = run(dispatched(newJob()), failing(), dueAt).job;
    const d = run(held, failing(), dueAt + 10 * S);
    assert.equal(d.job, held);
  });

  it('the grace comes from the policy', () => {
    let job = dispatched(newJob({ policy: { probeFailureGraceSeconds: 120 } }));
    job = run(job, failing(), dueAt).job;
    job = run(job, failing(), dueAt + 30 * S).job;
    assert.equal(job.nextCheckAt, dueAt + 90 * S);
    job = run(job, failing(), dueAt + 90 * S).job;
    assert.equal(job.nextCheckAt, dueAt + 120 * S, 'the last check lands on the end of the grace');
    assert.equal(run(job, failing(), dueAt + 120 * S).job.statusReason, 'EVIDENCE_UNAVAILABLE');
  });

  it('a job stored before the policy field existed gets the default grace', () => {
    const old = dispatched(newJob());
    delete (old.policy as Partial<typeof old.policy>).probeFailureGraceSeconds;
    const held = run(old, failing(), dueAt).job;
    assert.equal(run(held, failing(), dueAt + 899 * S).job.status, 'queued');
    assert.equal(run(held, failing(), dueAt + 900 * S).job.statusReason, 'EVIDENCE_UNAVAILABLE');
  });

  type Row = { name: string; event: JobEvent; status: string; reason: string; hold: 'kept' | 'cleared' | 'n/a' };
  const rows: Row[] = [
    {
      name: 'probes back, outputs present → OUTPUT_FOUND',
      event: { kind: 'observed', source: 'sweep', probed: true, outputs: [present()] },
      status: 'succeeded',
      reason: 'OUTPUT_FOUND',
      hold: 'cleared',
    },
    {
      name: 'probes back, nothing better → the deadline fires as usual',
      event: { kind: 'observed', source: 'sweep', probed: true, outputs: [{ uri: 'gs://b/out.mp4', exists: false }] },
      status: 'failed',
      reason: 'QUEUE_TIMEOUT',
      hold: 'cleared',
    },
    {
      name: 'a finalize event (partial evidence, nothing failed) keeps the hold as it is',
      event: { kind: 'observed', source: 'gcs', probed: false, outputs: [{ uri: 'gs://b/other.mp4', exists: true }] },
      status: 'queued',
      reason: 'ENQUEUED',
      hold: 'kept',
    },
    {
      name: 'the executor says running → STARTED, the hold ends with the state',
      event: {
        kind: 'observed',
        source: 'sweep',
        probed: false,
        probeErrors: ['x'],
        executor: { executionRef: 'local:job_1:1', state: 'running' },
      },
      status: 'running',
      reason: 'STARTED',
      hold: 'cleared',
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const held = run(dispatched(newJob()), failing(), dueAt).job;
      const d = run(held, row.event, dueAt + 40 * S);
      assert.equal(d.job.status, row.status);
      assert.equal(d.job.statusReason, row.reason);
      if (row.hold === 'kept') assert.deepEqual(d.job.probeHold, held.probeHold);
      if (row.hold === 'cleared') assert.equal(d.job.probeHold ?? null, null);
    });
  }

  it('a hold ends when its deadline is no longer due (a heartbeat came)', () => {
    const job = running(newJob(), T0 + S); // heartbeat deadline T0 + 31 s
    const held = run(job, failing(), T0 + 31 * S).job;
    assert.equal(held.nextCheckAt, T0 + 61 * S);
    const beat = run(held, { kind: 'worker', source: 'worker', report: { kind: 'heartbeat' } }, T0 + 40 * S).job;
    const d = run(beat, failing(), T0 + 61 * S);
    assert.equal(d.job.probeHold, null);
    assert.equal(d.job.nextCheckAt, T0 + 70 * S, 'the next heartbeat deadline');
  });

  it('a pending cancel whose executor cannot be asked is held after its grace, then canceled anyway', () => {
    const requested = run(running(newJob()), { kind: 'cancel', source: 'api' }, T0 + 5 * S).job;
    const graceEnd = T0 + 5 * S + requested.policy.cancelGraceSeconds * S;
    const statusFails = failing(['status of local:job_1:1: UNAVAILABLE']);
    assert.equal(
      run(requested, statusFails, graceEnd - S).job,
      requested,
      'before the grace: looked at on every sweep, nothing written',
    );
    const held = run(requested, statusFails, graceEnd).job;
    assert.equal(held.status, 'running');
    assert.equal(held.nextCheckAt, graceEnd + 30 * S);
    const d = run(held, statusFails, graceEnd + 900 * S);
    assert.equal(d.job.status, 'canceled');
    assert.equal(d.transition!.evidence.cancelGraceExpired, true);
    assert.deepEqual(d.transition!.evidence.probeErrors, ['status of local:job_1:1: UNAVAILABLE']);
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
