/**
 * GET /api/jobs/:id/diagnosis against the emulators: the owner's only (404 for others, admin sees all), no
 * probe for a job inside its deadlines, a due job reconciled first so the cause is what is true now, and the
 * answer's shape (times as RFC 3339).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Executor } from '../../shared/src/evidence/executors/types.js';
import { createExternalExecutor } from '../../shared/src/evidence/executors/external.js';
import { startApi, type ApiClient } from '../helpers/api.js';
import { testRuntime, type TestRuntime } from '../helpers/runtime.js';

/** An executor whose executions run until told otherwise; counts status probes. */
function countingExecutor(): Executor & { probes: number } {
  const e = {
    kind: 'local-process' as const,
    probes: 0,
    async start(job: { id: string; attempt: number }) {
      return { executionRef: `local:${job.id}:${job.attempt}` };
    },
    async status(executionRef: string) {
      e.probes++;
      return { executionRef, state: 'running' as const };
    },
    async cancel() {},
  };
  return e;
}

let rt: TestRuntime;
let api: ApiClient;
const exec = countingExecutor();

before(async () => {
  rt = await testRuntime('diagnosis', { executors: { external: createExternalExecutor(), 'local-process': exec } });
  api = await startApi(rt);
});
after(async () => {
  await api.close();
  await rt.db.terminate();
});

async function runningJob(): Promise<string> {
  const created = await api.call('POST', '/api/jobs', { body: { type: 'demo-render', input: { steps: 2 } } });
  assert.equal(created.status, 201, created.text);
  const id = created.body.job.id as string;
  const token = await api.token('alice', { workerJobId: id });
  const r = await api.call('POST', `/api/jobs/${id}/updates`, {
    token,
    body: { kind: 'started', progress: { pct: 10, step: 'step-1' } },
  });
  assert.equal(r.status, 202, r.text);
  return id;
}

describe('GET /api/jobs/:id/diagnosis', () => {
  it('explains a running job without probing anything while it is inside its deadlines', async () => {
    const id = await runningJob();
    rt.testClock.advance(5_000);
    const probes = exec.probes;
    const res = await api.call('GET', `/api/jobs/${id}/diagnosis`);
    assert.equal(res.status, 200, res.text);
    const d = res.body.diagnosis;
    assert.equal(d.jobId, id);
    assert.equal(d.status, 'running');
    assert.equal(d.cause.code, 'RUNNING_NORMALLY');
    assert.match(d.summary, /^Running normally at 10 %, in step-1; if nothing changes, at .* UTC attempt 1 fails/);
    assert.equal(d.nextDeadline.kind, 'HEARTBEAT_TIMEOUT');
    assert.match(d.nextDeadline.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(
      d.actions.map((a: { action: string }) => a.action),
      ['cancel', 'wait'],
    );
    assert.ok(d.evidence.some((e: { kind: string; seen: boolean }) => e.kind === 'heartbeat' && e.seen));
    assert.equal(exec.probes, probes, 'no probe for a job inside its deadlines');
  });

  it('past the heartbeat deadline the read reconciles first: the cause is the failed attempt, the retry is named', async () => {
    const id = await runningJob();
    rt.testClock.advance(31_000); // the demo type's heartbeat timeout is 30 s
    const probes = exec.probes;
    const res = await api.call('GET', `/api/jobs/${id}/diagnosis`);
    assert.equal(res.status, 200, res.text);
    const d = res.body.diagnosis;
    assert.ok(exec.probes > probes, 'the due job was probed');
    assert.equal(d.status, 'queued');
    assert.equal(d.cause.code, 'WORKER_SILENT');
    assert.match(
      d.summary,
      /^Attempt 1 failed because the worker went silent; attempt 2 of \d starts after its backoff/,
    );
    const stored = await rt.store.get(id);
    assert.equal(stored!.attempt, 2, 'the store says what the diagnosis says');
  });

  it("another owner's job is 404 and reads nothing more; an admin may look", async () => {
    const id = await runningJob();
    const bob = await api.call('GET', `/api/jobs/${id}/diagnosis`, { token: await api.token('bob') });
    assert.equal(bob.status, 404);
    assert.equal(bob.body.error.code, 'NOT_FOUND');
    const admin = await api.call('GET', `/api/jobs/${id}/diagnosis`, {
      token: await api.token('root', { admin: true }),
    });
    assert.equal(admin.status, 200);
    const worker = await api.call('GET', `/api/jobs/${id}/diagnosis`, {
      token: await api.token('alice', { workerJobId: id }),
    });
    assert.equal(worker.status, 404, 'a worker token only reports: any other route is not found to it');
    assert.equal((await api.call('GET', '/api/jobs/nope/diagnosis')).status, 404);
    assert.equal((await api.call('GET', `/api/jobs/${id}/diagnosis`, { token: null })).status, 401);
  });
});
