/** Progress with a learned ETA, and the OpenAPI document generated from the request schemas. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApi, type ApiClient } from '../helpers/api.js';
import { testRuntime, type TestRuntime } from '../helpers/runtime.js';

let rt: TestRuntime;
let api: ApiClient;
before(async () => {
  rt = await testRuntime('progress');
  api = await startApi(rt);
});
after(async () => {
  await api.close();
  await rt.db.terminate();
});

async function run(seconds: number): Promise<string> {
  const id = (await api.call('POST', '/api/jobs', { body: { type: 'external', outputs: [] } })).body.job.id as string;
  await rt.jobs.report(null, { jobId: id, kind: 'started' });
  rt.testClock.advance(seconds * 1000);
  await rt.jobs.report(null, { jobId: id, kind: 'succeeded' });
  return id;
}

describe('GET /api/jobs/:id/progress', () => {
  it('has no ETA with nothing to learn from, then learns it from finished jobs of the type', async () => {
    const start = async () => {
      const id = (await api.call('POST', '/api/jobs', { body: { type: 'external', outputs: [] } })).body.job.id as string;
      await rt.jobs.report(null, { jobId: id, kind: 'progress', progress: { pct: 25, step: 'voice', completedSteps: ['script'] } });
      rt.testClock.advance(10_000);
      return id;
    };
    const first = await start();
    const none = (await api.call('GET', `/api/jobs/${first}/progress`)).body;
    assert.deepEqual(
      { pct: none.progressPct, elapsed: none.elapsedSeconds, est: none.estimatedTotalSeconds, rem: none.remainingSeconds, step: none.currentStep, done: none.completedSteps },
      { pct: 25, elapsed: 10, est: null, rem: null, step: 'voice', done: ['script'] },
    );
    await run(100);
    await run(120);
    await run(290);
    const second = await start();
    const learned = (await api.call('GET', `/api/jobs/${second}/progress`)).body;
    assert.equal(learned.estimatedTotalSeconds, 120, 'the median of 100, 120 and 290 s');
    assert.equal(learned.elapsedSeconds, 10);
    assert.equal(learned.remainingSeconds, 110);
    assert.equal(learned.hasErrors, false);
    assert.equal((await api.call('GET', `/api/jobs/${second}/progress`, { token: await api.token('bob') })).status, 404);
  });
});

describe('GET /api/openapi.json', () => {
  it('is OpenAPI 3.1, needs no token, and describes every route with the request schemas that validate it', async () => {
    const res = await api.call('GET', '/api/openapi.json', { token: null });
    assert.equal(res.status, 200);
    const doc = res.body;
    assert.equal(doc.openapi, '3.1.0');
    for (const path of ['/api/jobs', '/api/jobs/{id}', '/api/jobs/{id}/reconcile', '/api/jobs/{id}/cancel', '/api/jobs/{id}/updates', '/api/jobs/{id}/history', '/api/jobs/{id}/progress', '/api/jobs/{id}/events', '/api/events', '/api/sweep', '/api/webhooks/{provider}', '/api/projects', '/api/projects/{id}', '/api/projects/{id}/reconcile', '/api/projects/{id}/generate']) {
      assert.ok(doc.paths[path], `${path} documented`);
    }
    const enqueue = doc.paths['/api/jobs'].post.requestBody.content['application/json'].schema;
    assert.equal(enqueue.additionalProperties, false, 'strict, like the zod schema');
    assert.deepEqual(enqueue.required, ['type']);
    assert.equal(enqueue.properties.reuseExistingOutputs.default, true);
    const list = doc.paths['/api/jobs'].get.parameters.map((p: { name: string }) => p.name).sort();
    assert.deepEqual(list, ['cursor', 'limit', 'resourceKey', 'status', 'type']);
    // every documented operation of a job answers something other than 405 (the route exists)
    const job = (await api.call('POST', '/api/jobs', { body: { type: 'external', outputs: [] } })).body.job.id;
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      if (!path.startsWith('/api/jobs/{id}') || path.endsWith('/events')) continue;
      for (const method of Object.keys(ops)) {
        const r = await api.call(method.toUpperCase(), path.replace('{id}', job), method === 'post' && path.endsWith('/updates') ? { body: { kind: 'heartbeat' } } : {});
        assert.notEqual(r.status, 405, `${method} ${path}`);
        assert.notEqual(r.status, 404, `${method} ${path}`);
      }
    }
  });
});
