/** decide: deadlines held while the probes fail, and the end of the hold. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobEvent } from '../../shared/src/core/index.js';
import { present, run, running } from '../helpers/decide.js';
import { dispatched, newJob, S, T0 } from '../helpers/jobs.js';

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
