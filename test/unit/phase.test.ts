/**
 * phaseOf (core/phase.ts): one row per way a job stands — played through decide() with the clock moved, asked at a
 * moment — with the phase and the one line a list shows; and transitionCause, the words for who made a transition.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { phaseOf, transitionCause, type Job, type JobEvent, type Phase } from '../../shared/src/core/index.js';
import { Play } from '../helpers/play.js';
import { dispatched, newJob, S, T0 } from '../helpers/jobs.js';

const REF = 'local:job_1:1';
const worker = (report: Extract<JobEvent, { kind: 'worker' }>['report']): JobEvent => ({
  kind: 'worker',
  source: 'worker',
  report,
});
const started = (p: Play, at = T0 + 2 * S): Play =>
  p.set(dispatched(p.job, REF)).on(worker({ kind: 'started', progress: { pct: 0, step: 'fetch' } }), at);
const exec = (state: 'running' | 'failed'): JobEvent => ({
  kind: 'observed',
  source: 'sweep',
  probed: true,
  executor: { executionRef: REF, state },
});

interface Row {
  name: string;
  job: () => Job;
  at: number;
  phase: Phase;
  reason: string;
}

const ROWS: Row[] = [
  {
    name: 'queued, its start asked for and not yet answered',
    job: () => newJob(),
    at: T0 + 10 * S,
    phase: 'waiting',
    reason: 'waiting for an executor slot (queued 10 s)',
  },
  {
    name: 'queued with its execution named: still waiting, never "running" before the work says so',
    job: () => dispatched(newJob(), REF),
    at: T0 + 10 * S,
    phase: 'waiting',
    reason: `its execution ${REF} is starting; no worker report yet`,
  },
  {
    name: 'an external job waits for its worker',
    job: () => newJob({ kind: 'external' }),
    at: T0 + 5 * S,
    phase: 'waiting',
    reason: "waiting for the worker's first report (queued 5 s)",
  },
  {
    name: 'a start not answered within its dispatch retry is made again',
    job: () => newJob(),
    at: T0 + 25 * S,
    phase: 'recovering',
    reason: 'the executor has not answered its start for 25 s, starting it again',
  },
  {
    name: 'running inside its deadlines',
    job: () =>
      started(new Play(newJob())).on(worker({ kind: 'progress', progress: { pct: 40, step: 'render' } }), T0 + 10 * S)
        .job,
    at: T0 + 20 * S,
    phase: 'running',
    reason: 'running for 18 s at 40 % (render); last report 10 s ago',
  },
  {
    name: 'silent past its heartbeat deadline, not yet acted on',
    job: () => new Play(dispatched(newJob(), REF)).on(exec('running'), T0 + 5 * S).job,
    at: T0 + (4 * 60 + 5) * S,
    phase: 'recovering',
    reason: 'silent for 4 min, checking the execution',
  },
  {
    name: 'the heartbeat deadline failed attempt 1: attempt 2 held by its backoff',
    job: () => new Play(dispatched(newJob(), REF)).on(exec('running'), T0 + 5 * S).on(exec('running'), T0 + 36 * S).job,
    at: T0 + 37 * S,
    phase: 'held',
    reason: 'attempt 2 of 3 held by its retry backoff for 29 s more',
  },
  {
    name: 'past its backoff, attempt 2 is a retry waiting for its start',
    job: () => new Play(dispatched(newJob(), REF)).on(exec('running'), T0 + 5 * S).on(exec('running'), T0 + 36 * S).job,
    at: T0 + 70 * S,
    phase: 'recovering',
    reason: 'retrying, attempt 2 of 3: waiting for an executor slot (queued 4 s)',
  },
  {
    name: 'a deadline held while the probes fail',
    job: () => ({
      ...started(new Play(newJob())).job,
      probeHold: { since: T0 + 40 * S, count: 2, retryAt: T0 + 100 * S },
    }),
    at: T0 + 70 * S,
    phase: 'held',
    reason: 'a deadline passed but the evidence cannot be read (2 failed looks in 30 s); looking again in 30 s',
  },
  {
    name: 'a cancel waiting for the executor to confirm',
    job: () => new Play(started(new Play(newJob())).job).on({ kind: 'cancel', source: 'api' }, T0 + 10 * S).job,
    at: T0 + 15 * S,
    phase: 'held',
    reason: 'canceling: waiting for the executor to confirm the stop (asked 5 s ago)',
  },
  {
    name: 'reported done, its outputs awaited within their grace',
    job: () => started(new Play(newJob())).on(worker({ kind: 'succeeded' }), T0 + 20 * S).job,
    at: T0 + 25 * S,
    phase: 'running',
    reason: 'reported done 5 s ago, waiting for its outputs to land',
  },
  {
    name: 'reported done and the output grace over: the next look fails or finds them',
    job: () => started(new Play(newJob())).on(worker({ kind: 'succeeded' }), T0 + 20 * S).job,
    at: T0 + 45 * S,
    phase: 'recovering',
    reason: 'reported done but its outputs are still missing, checking for them',
  },
  {
    name: 'hung: heartbeats without progress',
    job: () =>
      started(new Play(newJob()))
        .on(worker({ kind: 'progress', progress: { pct: 25, step: 'render' } }), T0 + 5 * S)
        .on(worker({ kind: 'heartbeat' }), T0 + 30 * S)
        .on(worker({ kind: 'heartbeat' }), T0 + 55 * S)
        .on(worker({ kind: 'heartbeat' }), T0 + 80 * S).job,
    at: T0 + 90 * S,
    phase: 'running',
    reason: 'no progress for 1 min 25 s while heartbeats continue; its run deadline ends it in 8 min 32 s',
  },
  {
    name: 'canceled after completing a step: it can be resumed',
    job: () =>
      new Play(
        started(new Play(newJob({ kind: 'external' }))).on(
          worker({ kind: 'progress', progress: { pct: 50, step: 'render', completedSteps: ['fetch'] } }),
          T0 + 5 * S,
        ).job,
      ).on({ kind: 'cancel', source: 'api' }, T0 + 6 * S).job,
    at: T0 + 7 * S,
    phase: 'ended',
    reason: 'canceled: a user canceled it; a retry resumes past 1 completed step',
  },
];

describe('phaseOf: where a job stands, in one line', () => {
  for (const row of ROWS)
    it(row.name, () => {
      assert.deepEqual(phaseOf(row.job(), row.at), { phase: row.phase, reason: row.reason });
    });

  it('a running job is never in the waiting phase, a queued one never running', () => {
    for (const row of ROWS) {
      const job = row.job();
      const { phase } = phaseOf(job, row.at);
      if (job.status === 'queued') assert.notEqual(phase, 'running', row.name);
      if (job.status === 'running') assert.notEqual(phase, 'waiting', row.name);
      assert.equal(phase === 'ended', job.status !== 'queued' && job.status !== 'running', row.name);
    }
  });
});

describe('transitionCause: who made a transition', () => {
  const t = { seq: 2, from: 'queued', to: 'canceled', reason: 'CANCELED_BY_USER', attempt: 1, at: T0 } as const;
  it('names the source, and a bulk action with who asked', () => {
    assert.equal(transitionCause({ ...t, source: 'worker', evidence: {} }), "the worker's report");
    assert.equal(
      transitionCause({ ...t, source: 'api', evidence: { bulk: { bulkId: 'bulk_1', userId: 'alice' } } }),
      'a request: bulk action bulk_1 by alice',
    );
    // a malformed attribution is not shown as one
    assert.equal(transitionCause({ ...t, source: 'api', evidence: { bulk: { bulkId: 7 } } }), 'a request');
  });
});
