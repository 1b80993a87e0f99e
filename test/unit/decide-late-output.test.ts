/**
 * decide: a failed job's one late-output check (issue 14's soak found a job failed QUEUE_TIMEOUT whose outputs
 * landed afterwards while their notification was dropped; nothing looked at it again).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROBE_HOLD_INITIAL_MS, type Job, type JobEvent } from '../../shared/src/core/index.js';
import { present, run } from '../helpers/decide.js';
import { dispatched, newJob, S, T0 } from '../helpers/jobs.js';

const missing = { uri: 'gs://b/out.mp4', exists: false };
/** Failed QUEUE_TIMEOUT by the sweep at 61 s (queue timeout 60 s, not retryable); output grace 20 s. */
const failed = (): Job => {
  const d = run(
    dispatched(newJob()),
    { kind: 'observed', source: 'sweep', probed: true, outputs: [missing] },
    T0 + 61 * S,
  );
  assert.equal(d.job.status, 'failed');
  return d.job;
};
const DUE = T0 + 81 * S;

describe('decide: the late-output check of a failed job', () => {
  it('is due one output grace after the failure', () => {
    assert.equal(failed().nextCheckAt, DUE);
  });

  it('waits the cancel grace too when the start was asked for and never recorded (its execution cannot be asked)', () => {
    const unseen = newJob();
    assert.equal(unseen.executor.executionRef, null);
    assert.notEqual(unseen.executor.startRequestedAt, null, 'its start was asked for at creation');
    const d = run(unseen, { kind: 'observed', source: 'sweep', probed: true, outputs: [missing] }, T0 + 61 * S);
    assert.equal(d.job.statusReason, 'QUEUE_TIMEOUT');
    assert.equal(d.job.nextCheckAt, T0 + (61 + 20 + 60) * S, 'output grace 20 s, cancel grace 60 s');
    const external = run(
      newJob({ kind: 'external' }),
      { kind: 'observed', source: 'sweep', probed: true },
      T0 + 61 * S,
    );
    assert.equal(external.job.nextCheckAt, T0 + 81 * S, 'nothing to stop: the output grace alone');
  });

  it('a look before it is due changes nothing', () => {
    const job = failed();
    const d = run(job, { kind: 'observed', source: 'read', probed: true, outputs: [missing] }, DUE - S);
    assert.equal(d.job, job);
  });

  it('outputs found by it → succeeded LATE_OUTPUT, corrected from the failure', () => {
    const d = run(failed(), { kind: 'observed', source: 'sweep', probed: true, outputs: [present()] }, DUE + S);
    assert.equal(d.job.status, 'succeeded');
    assert.equal(d.job.statusReason, 'LATE_OUTPUT');
    assert.equal(d.transition?.evidence.correctedFrom, 'QUEUE_TIMEOUT');
    assert.equal(d.job.nextCheckAt, null);
  });

  it('outputs still missing → the check is done: no transition, no next check, the same look again is a no-op', () => {
    const job = failed();
    const look: JobEvent = { kind: 'observed', source: 'sweep', probed: true, outputs: [missing] };
    const d = run(job, look, DUE + S);
    assert.equal(d.transition, null);
    assert.equal(d.job.status, 'failed');
    assert.equal(d.job.version, job.version);
    assert.equal(d.job.nextCheckAt, null);
    assert.equal(run(d.job, look, DUE + 2 * S).job, d.job);
  });

  it('an event that probed nothing (a finalize of another object) does not end it', () => {
    const job = failed();
    const d = run(job, { kind: 'observed', source: 'gcs', probed: false }, DUE + S);
    assert.equal(d.job, job);
    assert.equal(d.job.nextCheckAt, DUE);
  });

  it('failing probes hold it with backoff, then give it up after the probe-failure grace', () => {
    const job = failed();
    const broken: JobEvent = { kind: 'observed', source: 'sweep', probed: false, probeErrors: ['gcs: 503'] };
    const held = run(job, broken, DUE + S).job;
    assert.equal(held.status, 'failed');
    assert.equal(held.nextCheckAt, DUE + S + PROBE_HOLD_INITIAL_MS);
    let j = held;
    let now = DUE + S;
    for (let i = 0; i < 50 && j.nextCheckAt !== null; i++) {
      now = j.nextCheckAt;
      j = run(j, broken, now).job;
    }
    assert.equal(j.nextCheckAt, null, 'given up');
    assert.equal(j.status, 'failed');
    assert.ok(now - (DUE + S) >= job.policy.probeFailureGraceSeconds * S, 'not before the grace');
  });

  it('an execution told to stop that still runs holds it: the check is final only once the execution has ended', () => {
    const job = failed();
    const ref = job.executor.executionRef!;
    const look = (state: 'running' | 'canceled', outputs = [missing]): JobEvent => ({
      kind: 'observed',
      source: 'sweep',
      probed: true,
      outputs,
      executor: { executionRef: ref, state },
    });
    const held = run(job, look('running'), DUE + S);
    assert.equal(held.transition, null);
    assert.equal(held.job.probeHold?.count, 1);
    assert.equal(held.job.nextCheckAt, DUE + S + PROBE_HOLD_INITIAL_MS, 'looked at again, not given up');
    // told to stop again on every look while it runs (a stop lost with its process: the soak's ground truth)
    assert.deepEqual(held.effects, [
      { kind: 'cancelExecution', jobId: job.id, attempt: job.attempt, executionRef: ref },
    ]);
    const ended = run(held.job, look('canceled'), held.job.nextCheckAt!);
    assert.deepEqual(ended.effects, [], 'ended: nothing to stop');
    assert.equal(ended.job.nextCheckAt, null, 'ended without them: the check is done');
    assert.equal(ended.job.status, 'failed');
    const wrote = run(held.job, look('canceled', [present()]), held.job.nextCheckAt!);
    assert.equal(wrote.job.statusReason, 'LATE_OUTPUT', 'it wrote them before it ended');
  });

  it('outputs found by looking ask the other jobs expecting them to look too; found by their event, not', () => {
    const look = run(failed(), { kind: 'observed', source: 'sweep', probed: true, outputs: [present()] }, DUE + S);
    assert.deepEqual(
      look.effects.find((e) => e.kind === 'shareOutputs'),
      { kind: 'shareOutputs', jobId: 'job_1', uris: ['gs://b/out.mp4'] },
    );
    const event = run(failed(), { kind: 'observed', source: 'gcs', probed: false, outputs: [present()] }, DUE + S);
    assert.equal(event.job.statusReason, 'LATE_OUTPUT');
    assert.equal(
      event.effects.find((e) => e.kind === 'shareOutputs'),
      undefined,
    );
  });

  it('a failed job without declared outputs has no check', () => {
    const d = run(
      dispatched(newJob({ outputs: [] })),
      { kind: 'observed', source: 'sweep', probed: true, outputs: [] },
      T0 + 61 * S,
    );
    assert.equal(d.job.status, 'failed');
    assert.equal(d.job.nextCheckAt, null);
  });
});
