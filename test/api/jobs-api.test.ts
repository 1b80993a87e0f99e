import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createExternalExecutor } from '../../shared/src/evidence/executors/external.js';
import { startApi, type ApiClient } from '../helpers/api.js';
import { recordingExecutor } from '../helpers/executors.js';
import { countDocuments, testRuntime, type TestRuntime } from '../helpers/runtime.js';

let rt: TestRuntime;
let api: ApiClient;
const exec = recordingExecutor();

before(async () => {
  rt = await testRuntime('api', { executors: { external: createExternalExecutor(), 'local-process': exec } });
  api = await startApi(rt);
});
after(async () => {
  await api.close();
  await rt.db.terminate();
});

const out = (name: string) => `gs://${rt.bucket}/u/alice/renders/${name}.mp4`;
const put = (name: string) => rt.storage.bucket(rt.bucket).file(`u/alice/renders/${name}.mp4`).save('video');

describe('jobs API: enqueue and read', () => {
  it('enqueues, reads back, and lists the history', async () => {
    const created = await api.call('POST', '/api/jobs', { body: { type: 'demo-render', input: { steps: 2 } } });
    assert.equal(created.status, 201, created.text);
    const job = created.body.job;
    assert.equal(job.status, 'queued');
    assert.equal(job.ownerId, 'alice');
    assert.equal(job.outputs[0].uri, `gs://${rt.bucket}/renders/${job.id}.mp4`);
    assert.deepEqual(job.input, { steps: 2, durationMs: 3000, fault: 'none' });
    assert.ok(exec.started.includes(`${job.id}:1`), 'the executor was started');
    const read = await api.call('GET', `/api/jobs/${job.id}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.job.executor.executionRef, `local:${job.id}:1`);
    assert.match(read.body.job.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const h = await api.call('GET', `/api/jobs/${job.id}/history`);
    assert.deepEqual(
      h.body.transitions.map((t: { seq: number; to: string; reason: string }) => [t.seq, t.to, t.reason]),
      [[1, 'queued', 'ENQUEUED']],
    );
  });

  it('a repeated idempotencyKey answers 200 with the same job', async () => {
    const a = await api.call('POST', '/api/jobs', {
      body: { type: 'external', idempotencyKey: 'same', outputs: [out('idem')] },
    });
    const b = await api.call('POST', '/api/jobs', {
      body: { type: 'external', idempotencyKey: 'same', outputs: [out('idem')] },
    });
    assert.equal(a.status, 201);
    assert.equal(b.status, 200);
    assert.equal(b.body.job.id, a.body.job.id);
  });

  it('owner isolation: another user gets 404, an admin sees it', async () => {
    const a = await api.call('POST', '/api/jobs', { body: { type: 'external', outputs: [out('iso')] } });
    const id = a.body.job.id;
    const bob = await api.call('GET', `/api/jobs/${id}`, { token: await api.token('bob') });
    assert.equal(bob.status, 404);
    assert.equal(bob.body.error.code, 'NOT_FOUND');
    const bobCancel = await api.call('POST', `/api/jobs/${id}/cancel`, { token: await api.token('bob') });
    assert.equal(bobCancel.status, 404);
    assert.equal((await rt.store.get(id))!.status, 'queued', "bob's cancel changed nothing");
    const admin = await api.call('GET', `/api/jobs/${id}`, { token: await api.token('root', { admin: true }) });
    assert.equal(admin.status, 200);
  });

  it('cancel answers 202, then 409 once the job is terminal', async () => {
    const a = await api.call('POST', '/api/jobs', { body: { type: 'demo-render' } });
    const id = a.body.job.id;
    const c = await api.call('POST', `/api/jobs/${id}/cancel`);
    assert.equal(c.status, 202);
    assert.equal(c.body.job.status, 'canceled');
    assert.equal(c.body.job.statusReason, 'CANCELED_BY_USER');
    const again = await api.call('POST', `/api/jobs/${id}/cancel`);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'JOB_TERMINAL');
    assert.deepEqual(
      (await rt.store.history(id)).map((t) => t.to),
      ['queued', 'canceled'],
    );
  });

  it('worker updates move the job; a worker token reaches only its own job', async () => {
    const a = await api.call('POST', '/api/jobs', { body: { type: 'external', outputs: [] } });
    const id = a.body.job.id;
    const worker = await api.token('alice', { workerJobId: id });
    const s = await api.call('POST', `/api/jobs/${id}/updates`, {
      token: worker,
      body: { kind: 'progress', progress: { pct: 40, step: 'render', completedSteps: ['fetch'] } },
    });
    assert.equal(s.status, 202, s.text);
    const job = (await api.call('GET', `/api/jobs/${id}`)).body.job;
    assert.equal(job.status, 'running');
    assert.deepEqual(
      {
        ...job.progress,
        steps: job.progress.steps.map((s: { name: string; completedAt: string | null }) => [
          s.name,
          s.completedAt === null,
        ]),
      },
      {
        pct: 40,
        step: 'render',
        stepPct: null,
        completedSteps: ['fetch'],
        skippedSteps: [],
        steps: [
          ['fetch', false],
          ['render', true],
        ],
      },
    );
    const other = await api.call('POST', '/api/jobs', { body: { type: 'external', outputs: [] } });
    const denied = await api.call('GET', `/api/jobs/${other.body.job.id}`, { token: worker });
    assert.equal(denied.status, 404);
    const done = await api.call('POST', `/api/jobs/${id}/updates`, {
      token: worker,
      body: { id: 'u-9', kind: 'succeeded' },
    });
    assert.equal(done.status, 202);
    const dup = await api.call('POST', `/api/jobs/${id}/updates`, {
      token: worker,
      body: { id: 'u-9', kind: 'succeeded' },
    });
    assert.equal(dup.body.outcome, 'duplicate');
    assert.equal((await rt.store.get(id))!.statusReason, 'WORKER_SUCCEEDED');
  });
});

describe('retry', () => {
  it('a failed job is retried as a new job reusing the outputs that exist; an active one is 409; twice is the same retry', async () => {
    const a = (
      await api.call('POST', '/api/jobs', {
        body: { type: 'external', outputs: [out('r1'), out('r2')], resourceKey: 'reel:retry' },
      })
    ).body.job;
    assert.equal((await api.call('POST', `/api/jobs/${a.id}/retry`)).status, 409, 'still active');
    await rt.jobs.report(null, {
      jobId: a.id,
      kind: 'failed',
      error: { code: 'X', message: 'boom', retryable: false },
    });
    await put('r1');
    const r = await api.call('POST', `/api/jobs/${a.id}/retry`);
    assert.equal(r.status, 202, r.text);
    assert.notEqual(r.body.job.id, a.id);
    assert.deepEqual(
      r.body.job.outputs.map((o: { present: boolean }) => o.present),
      [true, false],
      'the step whose output exists is not redone',
    );
    assert.equal(r.body.job.resourceKey, 'reel:retry');
    assert.equal((await rt.store.get(a.id))!.status, 'failed', 'the failed job stays as it was');
    const again = await api.call('POST', `/api/jobs/${a.id}/retry`);
    assert.equal(again.body.job.id, r.body.job.id, 'retrying the same failure twice gives the same job');
  });
});

describe("seed 000's scenarios through the API", () => {
  it('a job stuck queued whose output is already in the bucket reads back succeeded; a new enqueue on its key proceeds', async () => {
    const stuck = await api.call('POST', '/api/jobs', {
      body: { type: 'external', outputs: [out('reel-1')], resourceKey: 'project:reel-1' },
    });
    assert.equal(stuck.status, 201);
    await put('reel-1'); // the worker wrote it; the completion message was lost
    const read = await api.call('GET', `/api/jobs/${stuck.body.job.id}?verify=true`);
    assert.equal(read.body.job.status, 'succeeded');
    assert.equal(read.body.job.statusReason, 'OUTPUT_FOUND');
    const next = await api.call('POST', '/api/jobs', {
      body: { type: 'external', outputs: [out('reel-1-v2')], resourceKey: 'project:reel-1' },
    });
    assert.equal(next.status, 201, next.text);
  });

  it('a stale job reads back failed with its reason, and releases its key', async () => {
    const stale = await api.call('POST', '/api/jobs', {
      body: {
        type: 'external',
        outputs: [out('stale')],
        resourceKey: 'project:stale',
        policy: { queueTimeoutSeconds: 900 },
      },
    });
    rt.testClock.advance(901_000);
    const read = await api.call('GET', `/api/jobs/${stale.body.job.id}`);
    assert.equal(read.body.job.status, 'failed');
    assert.equal(read.body.job.statusReason, 'QUEUE_TIMEOUT');
    assert.equal(read.body.job.error.code, 'QUEUE_TIMEOUT');
    const next = await api.call('POST', '/api/jobs', {
      body: { type: 'external', outputs: [out('stale-2')], resourceKey: 'project:stale' },
    });
    assert.equal(next.status, 201);
  });

  it('enqueue on a key whose stuck holder is stale reconciles the holder first, then proceeds', async () => {
    const holder = await api.call('POST', '/api/jobs', {
      body: { type: 'external', outputs: [out('h')], resourceKey: 'project:h', policy: { queueTimeoutSeconds: 60 } },
    });
    rt.testClock.advance(61_000);
    const next = await api.call('POST', '/api/jobs', {
      body: { type: 'external', outputs: [out('h2')], resourceKey: 'project:h' },
    });
    assert.equal(next.status, 201, next.text);
    const h = (await rt.store.get(holder.body.job.id))!;
    assert.equal(h.status, 'failed');
    assert.equal(h.statusReason, 'QUEUE_TIMEOUT');
  });

  it('a really active holder yields 409 with activeJob, and nothing is written', async () => {
    const holder = await api.call('POST', '/api/jobs', { body: { type: 'demo-render', resourceKey: 'project:busy' } });
    await api.call('POST', `/api/jobs/${holder.body.job.id}/updates`, {
      token: await api.token('alice', { workerJobId: holder.body.job.id }),
      body: { kind: 'started' },
    });
    const before = await countDocuments(rt.db);
    const res = await api.call('POST', '/api/jobs', { body: { type: 'demo-render', resourceKey: 'project:busy' } });
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'ACTIVE_JOB_EXISTS');
    assert.equal(res.body.activeJob.id, holder.body.job.id);
    assert.equal(res.body.activeJob.status, 'running');
    assert.equal(await countDocuments(rt.db), before);
  });

  it('enqueue with every output present is succeeded with OUTPUT_ALREADY_PRESENT and runs nothing', async () => {
    await put('done');
    const startedBefore = exec.started.length;
    const res = await api.call('POST', '/api/jobs', { body: { type: 'demo-render', outputs: [out('done')] } });
    assert.equal(res.status, 201);
    assert.equal(res.body.job.status, 'succeeded');
    assert.equal(res.body.job.statusReason, 'OUTPUT_ALREADY_PRESENT');
    assert.equal(res.body.job.executor.executionRef, null);
    assert.equal(exec.started.length, startedBefore, 'no execution was started');
  });

  it('concurrent reconciles of one job over HTTP produce one transition', async () => {
    const job = await api.call('POST', '/api/jobs', { body: { type: 'external', outputs: [out('conc')] } });
    await put('conc');
    const results = await Promise.all(
      Array.from({ length: 4 }, () => api.call('POST', `/api/jobs/${job.body.job.id}/reconcile`)),
    );
    assert.ok(results.every((r) => r.status === 200));
    const actions = results.map((r) => r.body.report.action).sort();
    assert.deepEqual(actions, ['corrected', 'unchanged', 'unchanged', 'unchanged']);
    const corrected = results.find((r) => r.body.report.action === 'corrected')!.body.report;
    assert.equal(corrected.originalStatus, 'queued');
    assert.equal(corrected.correctedStatus, 'succeeded');
    assert.equal(corrected.evidence[0].source, 'gcs');
    assert.equal((await rt.store.history(job.body.job.id)).length, 2);
  });
});
