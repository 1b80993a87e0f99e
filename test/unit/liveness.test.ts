/** Liveness of silent work (core/liveness.ts): a silent job lives while its executor says so; probes by age. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ageProbeAt,
  diagnose,
  pendingDeadlines,
  PROBE_EVERY_CAP_SECONDS,
  resolvePolicy,
  DEFAULT_LIMITS,
  type ExecutionState,
  type Job,
  type JobEvent,
  type Policy,
} from '../../shared/src/core/index.js';
import { present, run } from '../helpers/decide.js';
import { dispatched, newJob, policy, S, T0 } from '../helpers/jobs.js';

const REF = 'local:job_1:1';
const look = (state: ExecutionState, outputs = [{ uri: 'gs://b/out.mp4', exists: false }]): JobEvent => ({
  kind: 'observed',
  source: 'sweep',
  probed: true,
  outputs,
  executor: { executionRef: REF, state },
});

/** A job of `p`, dispatched, and seen running by its executor at T0 + 2 s (a silent worker never says so). */
function silentRunning(p: Partial<Policy> = {}): Job {
  const job = dispatched(newJob({ policy: { heartbeatTimeoutSeconds: null, ...p } }), REF);
  const d = run(job, look('running'), T0 + 2 * S);
  assert.equal(d.job.status, 'running');
  assert.equal(d.job.statusReason, 'STARTED');
  return d.job;
}

describe('liveness: a silent job (heartbeat null) is alive while its executor says it runs', () => {
  it('has no heartbeat deadline: only the run timeout bounds it', () => {
    const job = silentRunning();
    assert.deepEqual(
      pendingDeadlines(job).map((d) => d.reason),
      ['RUN_TIMEOUT'],
    );
  });

  it('runs 3× a would-be heartbeat and more, untouched, while every scheduled probe finds it running', () => {
    let job = silentRunning();
    const writes: number[] = [];
    // a sweep looks whenever the job is due, until 9 minutes in (the run timeout is 10)
    for (let now = T0 + 2 * S; now < T0 + 540 * S; now += S) {
      if (job.nextCheckAt === null || job.nextCheckAt > now) continue;
      const d = run(job, look('running'), now);
      assert.equal(d.transition, null, `no transition at +${(now - T0) / S} s`);
      assert.equal(d.job.status, 'running');
      assert.ok(d.job.nextCheckAt! > now, 'each look moves the next check on');
      writes.push((now - T0) / S);
      job = d.job;
    }
    // first look 60 s after the start, then every 60 s doubling: +60, +120, +240 (capped at 600)
    assert.deepEqual(writes, [62, 122, 242, 482]);
    assert.equal(job.executorAliveAt, T0 + 482 * S);
    assert.equal(job.attempt, 1);
  });

  it('a look before its scheduled probe writes nothing (reads do not record liveness)', () => {
    const job = silentRunning();
    const d = run(job, look('running'), T0 + 30 * S);
    assert.equal(d.job, job, 'unchanged');
  });

  it('the run timeout still fails it', () => {
    const job = silentRunning();
    const d = run(job, look('running'), T0 + 603 * S);
    assert.equal(d.job.status, 'failed');
    assert.equal(d.job.statusReason, 'RUN_TIMEOUT');
  });

  it('an executor that lost the execution ends the attempt as today (EXECUTOR_LOST)', () => {
    const job = silentRunning();
    const d = run(job, look('lost'), T0 + 62 * S);
    assert.equal(d.transition?.evidence.failure, 'EXECUTOR_LOST');
  });

  it('a probe whose executor call failed is recorded as a check, with no sign of life', () => {
    const job = silentRunning();
    const d = run(
      job,
      { kind: 'observed', source: 'sweep', probed: false, probeErrors: ['executor: down'] },
      T0 + 62 * S,
    );
    assert.equal(d.transition, null);
    assert.equal(d.job.livenessCheckedAt, T0 + 62 * S);
    assert.equal(d.job.executorAliveAt, null);
  });

  it('outputs found by an age probe complete it (a provider whose webhook never came)', () => {
    const job = silentRunning();
    const d = run(job, look('running', [present('gs://b/out.mp4', T0 + 50 * S)]), T0 + 62 * S);
    assert.equal(d.job.status, 'succeeded');
    assert.equal(d.job.statusReason, 'OUTPUT_FOUND');
  });

  it('the diagnosis says the executor keeps it alive', () => {
    const job = run(silentRunning(), look('running'), T0 + 62 * S).job;
    const dx = diagnose(job, [], T0 + 70 * S);
    assert.match(dx.cause.explanation, /does not report, so its executor speaks for it/);
    assert.match(dx.cause.explanation, /confirmed local:job_1:1 running/);
    assert.ok(dx.evidence.some((e) => e.kind === 'executor-alive' && e.seen));
  });
});

describe('liveness: the probe schedule by age', () => {
  it('first after probeAfterSeconds, then every probeEverySeconds doubling up to the cap', () => {
    let job = silentRunning({ probeAfterSeconds: 300, probeEverySeconds: 120 });
    const at: number[] = [];
    for (let i = 0; i < 6; i++) {
      const next = ageProbeAt(job)!;
      at.push((next - job.startedAt!) / S);
      job = { ...job, livenessCheckedAt: next };
    }
    assert.deepEqual(at, [300, 420, 660, 1140, 1740, 2340]);
    assert.equal(2340 - 1740, PROBE_EVERY_CAP_SECONDS);
  });

  it('a reporting job has none unless its policy names one', () => {
    const plain = dispatched(newJob(), REF);
    assert.equal(ageProbeAt(run(plain, look('running'), T0 + 2 * S).job), null);
    const polled = dispatched(newJob({ policy: { probeAfterSeconds: 300 } }), REF);
    const job = run(polled, look('running'), T0 + 2 * S).job;
    assert.equal(ageProbeAt(job), T0 + 302 * S);
  });

  it('an external job (no executor to ask) is probed by age for its outputs', () => {
    const job = newJob({ kind: 'external', policy: { heartbeatTimeoutSeconds: null, probeAfterSeconds: 300 } });
    assert.equal(ageProbeAt(job), T0 + 300 * S);
    assert.equal(job.nextCheckAt, T0 + 60 * S, 'its queue timeout comes first');
  });
});

describe('liveness: both (reports or the executor)', () => {
  const both = (): Job => {
    const job = dispatched(newJob({ policy: { liveness: 'both' } }), REF);
    return run(job, look('running'), T0 + 2 * S).job;
  };

  it('at the heartbeat deadline, an executor saying it runs keeps it alive and moves the deadline', () => {
    const d = run(both(), look('running'), T0 + 33 * S);
    assert.equal(d.transition, null);
    assert.equal(d.job.executorAliveAt, T0 + 33 * S);
    const hb = pendingDeadlines(d.job).find((x) => x.reason === 'HEARTBEAT_TIMEOUT');
    assert.equal(hb?.at, T0 + 63 * S);
  });

  it('an executor not saying "running" lets the heartbeat deadline fail the attempt', () => {
    const d = run(both(), look('pending'), T0 + 33 * S);
    assert.equal(d.transition?.evidence.failure, 'HEARTBEAT_TIMEOUT');
  });

  it('with reports only (the default), the executor does not count', () => {
    const job = run(dispatched(newJob(), REF), look('running'), T0 + 2 * S).job;
    const d = run(job, look('running'), T0 + 33 * S);
    assert.equal(d.transition?.evidence.failure, 'HEARTBEAT_TIMEOUT');
  });
});

describe('liveness: a request may say its worker does not report', () => {
  it('heartbeatTimeoutSeconds null is taken; absent keeps the type value', () => {
    const base = policy();
    const silent = resolvePolicy(base, DEFAULT_LIMITS, { heartbeatTimeoutSeconds: null });
    assert.ok('policy' in silent && silent.policy.heartbeatTimeoutSeconds === null);
    const kept = resolvePolicy(base, DEFAULT_LIMITS, {});
    assert.ok('policy' in kept && kept.policy.heartbeatTimeoutSeconds === 30);
  });

  it('probe times are held to the type bounds', () => {
    const r = resolvePolicy(policy(), DEFAULT_LIMITS, { probeAfterSeconds: DEFAULT_LIMITS.maxTimeoutSeconds + 1 });
    assert.ok('problems' in r);
    assert.equal(r.problems[0]!.field, 'policy.probeAfterSeconds');
  });
});
