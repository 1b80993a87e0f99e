/** Progress with a learned ETA, and the OpenAPI document generated from the request schemas. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { renderApiReference } from '../../functions/api/openapi/reference.js';
import { localApiDocument } from '../../functions/api/openapi/document.js';
import { REPO_ROOT } from '../../shared/src/config/env.js';
import { startApi, type ApiClient } from '../helpers/api.js';
import { testRuntime, type TestRuntime } from '../helpers/runtime.js';

let rt: TestRuntime;
let api: ApiClient;
before(async () => {
  rt = await testRuntime('progress', {
    envOverrides: {
      VERITY_JOB_TYPES: JSON.stringify({
        stepped: {
          executor: { kind: 'external' },
          steps: [{ name: 'voice' }, { name: 'render', weight: 3 }, { name: 'mux' }],
        },
      }),
    },
  });
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
      const id = (await api.call('POST', '/api/jobs', { body: { type: 'external', outputs: [] } })).body.job
        .id as string;
      await rt.jobs.report(null, {
        jobId: id,
        kind: 'progress',
        progress: { pct: 25, step: 'voice', completedSteps: ['script'] },
      });
      rt.testClock.advance(10_000);
      return id;
    };
    const first = await start();
    const none = (await api.call('GET', `/api/jobs/${first}/progress`)).body;
    assert.deepEqual(
      {
        pct: none.progressPct,
        elapsed: none.elapsedSeconds,
        est: none.estimatedTotalSeconds,
        rem: none.remainingSeconds,
        step: none.currentStep,
        done: none.completedSteps,
      },
      {
        pct: 25,
        elapsed: 10,
        est: null,
        rem: null,
        step: {
          name: 'voice',
          status: 'running',
          weight: null,
          startedAt: none.currentStep.startedAt,
          completedAt: null,
          estimatedSeconds: null,
          remainingSeconds: null,
          checkpointAt: null,
          progressPct: null,
        },
        done: ['script'],
      },
    );
    await run(100);
    await run(120);
    await run(290);
    const second = await start();
    const learned = (await api.call('GET', `/api/jobs/${second}/progress`)).body;
    assert.equal(learned.estimatedTotalSeconds, 120, 'the median of 100, 120 and 290 s');
    assert.equal(learned.elapsedSeconds, 10);
    assert.equal(learned.remainingSeconds, 110);
    assert.equal(learned.etaBasis, 'runs', 'the earlier runs reported no steps');
    assert.equal(learned.etaSamples, 3);
    assert.equal(learned.hasErrors, false);
    assert.equal(
      (await api.call('GET', `/api/jobs/${second}/progress`, { token: await api.token('bob') })).status,
      404,
    );
  });
});

describe('GET /api/jobs/:id/progress with a weighted step plan', () => {
  // a type with declared steps: voice 1, render 3, mux 1
  const stepped = async (): Promise<string> =>
    (await api.call('POST', '/api/jobs', { body: { type: 'stepped', outputs: [] } })).body.job.id as string;
  const step = (id: string, progress: Record<string, unknown>) =>
    rt.jobs.report(null, { jobId: id, kind: 'progress', progress });

  it('weights the percent by the plan and learns each step’s time from finished jobs', async () => {
    // history: voice 10/20/30 s, render 60/80/100 s, mux 5 s, then 5 s to completion
    for (const [voice, render] of [
      [10, 60],
      [20, 80],
      [30, 100],
    ] as const) {
      const id = await stepped();
      await step(id, { step: 'voice', stepPct: 0 });
      rt.testClock.advance(voice * 1000);
      await step(id, { step: 'render', completedSteps: ['voice'] });
      rt.testClock.advance(render * 1000);
      await step(id, { step: 'mux', completedSteps: ['voice', 'render'] });
      rt.testClock.advance(5000);
      await step(id, { step: null, completedSteps: ['voice', 'render', 'mux'] });
      rt.testClock.advance(5000);
      await rt.jobs.report(null, { jobId: id, kind: 'succeeded' });
    }
    const id = await stepped();
    await step(id, { step: 'voice', stepPct: 0 });
    rt.testClock.advance(20_000);
    await step(id, { step: 'render', stepPct: 50, completedSteps: ['voice'] });
    rt.testClock.advance(30_000);
    const p = (await api.call('GET', `/api/jobs/${id}/progress`)).body;
    assert.equal(p.progressPct, 50, '(1 + 3 × 0.5) / 5');
    assert.equal(p.etaBasis, 'steps');
    assert.equal(p.elapsedSeconds, 50);
    assert.equal(p.remainingSeconds, 60, 'render 80 − 30 s so far, mux 5, tail 5');
    assert.equal(p.estimatedTotalSeconds, 110);
    assert.deepEqual(
      { name: p.currentStep.name, pct: p.currentStep.progressPct, left: p.currentStep.remainingSeconds },
      { name: 'render', pct: 50, left: 50 },
    );
    assert.deepEqual(
      p.steps.map((s: any) => [s.name, s.status, s.weight, s.estimatedSeconds]),
      [
        ['voice', 'completed', 1, 20],
        ['render', 'running', 3, 80],
        ['mux', 'pending', 1, 5],
      ],
    );
    // the job's own view carries the plan and the timings too
    const job = (await api.call('GET', `/api/jobs/${id}`)).body.job;
    assert.deepEqual(job.stepPlan, [
      { name: 'voice', weight: 1 },
      { name: 'render', weight: 3 },
      { name: 'mux', weight: 1 },
    ]);
    assert.deepEqual(
      job.progress.steps.map((s: any) => s.name),
      ['voice', 'render'],
    );
  });

  it('a progress report with nothing in it is refused and changes nothing', async () => {
    const id = await stepped();
    const worker = await api.token('alice', { workerJobId: id });
    const before = (await rt.store.get(id))!;
    const r = await api.call('POST', `/api/jobs/${id}/updates`, {
      token: worker,
      body: { kind: 'progress', progress: {} },
    });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'INVALID_INPUT');
    assert.deepEqual(await rt.store.get(id), before);
  });
});

describe('docs/api.md', () => {
  it('is what the OpenAPI document renders to (run `npm run docs:api` after changing the API)', () => {
    const file = readFileSync(path.join(REPO_ROOT, 'docs/api.md'), 'utf8');
    assert.equal(file, renderApiReference(localApiDocument()));
    for (const p of Object.keys(localApiDocument().paths as object)) assert.ok(file.includes(`\`${p}\``), p);
  });
});

describe('GET /api/openapi.json', () => {
  it('is OpenAPI 3.1, needs no token, and describes every route with the request schemas that validate it', async () => {
    const res = await api.call('GET', '/api/openapi.json', { token: null });
    assert.equal(res.status, 200);
    const doc = res.body;
    assert.equal(doc.openapi, '3.1.0');
    for (const path of [
      '/api/jobs',
      '/api/jobs/{id}',
      '/api/jobs/{id}/reconcile',
      '/api/jobs/{id}/cancel',
      '/api/jobs/{id}/updates',
      '/api/jobs/{id}/history',
      '/api/jobs/{id}/progress',
      '/api/jobs/{id}/events',
      '/api/events',
      '/api/sweep',
      '/api/webhooks/{provider}',
      '/api/projects',
      '/api/projects/{id}',
      '/api/projects/{id}/reconcile',
      '/api/projects/{id}/generate',
    ]) {
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
        const r = await api.call(
          method.toUpperCase(),
          path.replace('{id}', job),
          method === 'post' && path.endsWith('/updates') ? { body: { kind: 'heartbeat' } } : {},
        );
        assert.notEqual(r.status, 405, `${method} ${path}`);
        assert.notEqual(r.status, 404, `${method} ${path}`);
      }
    }
  });
});

/** A raw request (fetch refuses TRACE): status, headers and body text. */
function raw(
  method: string,
  url: string,
  token: string,
): Promise<{ status: number; allow: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, allow: res.headers.allow, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('undeclared methods and HEAD', () => {
  it('every documented path answers an undeclared method with 405, the error body, and `Allow` listing its methods', async () => {
    const doc = localApiDocument() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    const job = (await api.call('POST', '/api/jobs', { body: { type: 'external', outputs: [] } })).body.job
      .id as string;
    const project = (await api.call('POST', '/api/projects', { body: { name: 'p', artifacts: [] } })).body.project
      .id as string;
    const token = await api.token('alice');
    for (const [template, ops] of Object.entries(doc.paths)) {
      const url =
        api.url +
        template.replace('{id}', template.startsWith('/api/projects') ? project : job).replace('{provider}', 'demo');
      const declared = Object.keys(ops).map((m) => m.toUpperCase());
      const streams = template.endsWith('/events');
      const allow = [...declared, ...(declared.includes('GET') && !streams ? ['HEAD'] : [])].sort().join(', ');
      for (const method of [
        'GET',
        'POST',
        'PUT',
        'PATCH',
        'DELETE',
        'OPTIONS',
        'TRACE',
        ...(streams ? ['HEAD'] : []),
      ].filter((m) => !declared.includes(m))) {
        const r = await raw(method, url, token);
        assert.equal(r.status, 405, `${method} ${template}`);
        assert.equal(r.allow, allow, `${method} ${template}`);
        if (method !== 'HEAD') assert.equal(JSON.parse(r.body).error.code, 'METHOD_NOT_ALLOWED');
      }
      for (const op of Object.values(ops)) assert.ok(op.responses['405'], `${template} documents 405`);
    }
  });

  it('HEAD is answered like GET without a body', async () => {
    const token = await api.token('alice');
    const health = await raw('HEAD', `${api.url}/healthz`, token);
    assert.deepEqual([health.status, health.body], [200, '']);
    const jobs = await raw('HEAD', `${api.url}/api/jobs`, token);
    assert.deepEqual([jobs.status, jobs.body], [200, '']);
    assert.equal((await raw('HEAD', `${api.url}/api/jobs`, 'not-a-token')).status, 401);
  });
});

describe('links of the document', () => {
  it('lead from a new job and a new project to every operation on its id', () => {
    const doc = localApiDocument() as any;
    const byId = new Map<string, string>();
    for (const [p, ops] of Object.entries(doc.paths as Record<string, Record<string, { operationId: string }>>)) {
      for (const [m, op] of Object.entries(ops)) byId.set(op.operationId, `${m} ${p}`);
    }
    const targets = (
      links: Record<string, { operationId: string; parameters: Record<string, string> }>,
      param: string,
    ) =>
      Object.values(links)
        .map((l) => (assert.deepEqual(l.parameters, { id: param }), byId.get(l.operationId)!))
        .sort();
    const on = (prefix: string) => [...byId.values()].filter((x) => x.split(' ')[1]!.startsWith(prefix)).sort();
    for (const status of ['201', '200']) {
      assert.deepEqual(
        targets(doc.paths['/api/jobs'].post.responses[status].links, '$response.body#/job/id'),
        on('/api/jobs/{id}'),
      );
    }
    assert.deepEqual(
      targets(doc.paths['/api/projects'].post.responses['201'].links, '$response.body#/project/id'),
      on('/api/projects/{id}'),
    );
    assert.ok(doc.components.responses.E429.headers['Retry-After']);
    assert.ok(doc.components.responses.E405.headers.Allow);
  });
});
