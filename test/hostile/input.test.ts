/**
 * Hostile suite, input: bodies limited before they are decoded, JSON shapes no store accepts, ids that would
 * reach a document path, malformed and impossible messages on every trigger. Never a 500, never a loop,
 * nothing written.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { gzipSync, deflateSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { createJobUpdatesHandler } from '../../functions/job-updates/handler.js';
import { createObjectFinalizedHandler } from '../../functions/object-finalized/handler.js';
import { createSweepHandler } from '../../functions/sweep/handler.js';
import { createWebhooksHandler } from '../../functions/webhooks/handler.js';
import { startApi, type ApiClient } from '../helpers/api.js';
import { pushMessage, serveCloudEvent, serveHttp, type Served } from '../helpers/functions.js';
import { countDocuments, testRuntime, type TestRuntime } from '../helpers/runtime.js';
import { readyRuntime } from '../../functions/common/runtime-source.js';

let rt: TestRuntime;
let api: ApiClient;
let jobId: string;
let sweep: Served;
let webhooks: Served;
let updates: Served;
let finalized: Served;

before(async () => {
  rt = await testRuntime('hostile-in', {
    envOverrides: { VERITY_WEBHOOK_SECRETS: JSON.stringify({ demo: 'hostile-webhook-secret-0123' }) },
  });
  api = await startApi(rt);
  jobId = (await api.call('POST', '/api/jobs', { body: { type: 'external', outputs: [] } })).body.job.id;
  sweep = await serveHttp(createSweepHandler(readyRuntime(rt)));
  webhooks = await serveHttp(createWebhooksHandler(readyRuntime(rt)));
  updates = await serveCloudEvent(createJobUpdatesHandler(readyRuntime(rt)));
  finalized = await serveCloudEvent(createObjectFinalizedHandler(readyRuntime(rt)));
});
after(async () => {
  await api.close();
  await sweep.close();
  await webhooks.close();
  await updates.close();
  await finalized.close();
  await rt.db.terminate();
});

/** A raw HTTP request (headers as given: Content-Encoding, a lying Content-Length). */
function send(
  url: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<{ status: number; body: any; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url + path,
      { method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown = null;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function nothingWritten<T>(work: () => Promise<T>): Promise<T> {
  const before = await countDocuments(rt.db);
  const out = await work();
  assert.equal(await countDocuments(rt.db), before, 'nothing written');
  return out;
}

const bomb = gzipSync(Buffer.from(JSON.stringify({ type: 'external', input: { pad: 'a'.repeat(100 * 1024 * 1024) } })));

describe('hostile: bodies are limited before they are decoded', () => {
  for (const unit of ['api', 'sweep', 'webhooks'] as const) {
    it(`${unit}: a gzip body inflating to 100 MB, without a token → 413 before any check, memory bounded`, async () => {
      assert.ok(bomb.length < 200 * 1024, `the bomb is small as sent (${bomb.length} bytes)`);
      const url = unit === 'api' ? api.url : unit === 'sweep' ? sweep.url : webhooks.url;
      const path = unit === 'webhooks' ? '/api/webhooks/demo' : unit === 'sweep' ? '/' : '/api/jobs';
      const rssBefore = process.memoryUsage().rss;
      const res = await nothingWritten(() => send(url, path, { 'content-encoding': 'gzip' }, bomb));
      const grewMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
      assert.equal(res.status, 413, res.text);
      assert.equal(res.body?.error?.code, 'PAYLOAD_TOO_LARGE');
      // inflated in full, the body alone would take 100 MiB (and its string twice that): the cap stops at 1 MiB
      assert.ok(grewMiB < 64, `the process grew by ${grewMiB.toFixed(1)} MiB`);
    });
  }

  it('a declared Content-Length over 1 MiB is refused before it is read; a deflate body over 1 MiB decoded too', async () => {
    const big = Buffer.from(JSON.stringify({ type: 'external', input: { pad: 'b'.repeat(1100 * 1024) } }));
    const authorization = `Bearer ${await api.token('alice')}`;
    const res = await nothingWritten(() => send(api.url, '/api/jobs', { authorization }, big));
    assert.equal(res.status, 413, res.text);
    const deflated = await nothingWritten(() =>
      send(api.url, '/api/jobs', { 'content-encoding': 'deflate' }, deflateSync(big)),
    );
    assert.equal(deflated.status, 413, deflated.text);
    const unknown = await nothingWritten(() =>
      send(api.url, '/api/jobs', { 'content-encoding': 'compress', authorization }, Buffer.from('{}')),
    );
    assert.equal(unknown.status, 415, unknown.text);
    assert.equal(unknown.body?.error?.code, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('a gzip body within the limits is accepted', async () => {
    const ok = gzipSync(Buffer.from(JSON.stringify({ type: 'external', outputs: [] })));
    const res = await send(
      api.url,
      '/api/jobs',
      { 'content-encoding': 'gzip', authorization: `Bearer ${await api.token('alice')}` },
      ok,
    );
    assert.equal(res.status, 201, res.text);
  });
});

const nest = (depth: number): unknown => (depth === 0 ? 1 : { n: nest(depth - 1) });

describe('hostile: JSON shapes and ids are refused with 4xx, never a 500', () => {
  const cases: { name: string; raw: string; status: number; code: string }[] = [
    {
      name: 'an empty key in input',
      raw: JSON.stringify({ type: 'external', input: { '': 1 } }),
      status: 400,
      code: 'INVALID_INPUT',
    },
    {
      name: 'input nested 25 deep',
      raw: JSON.stringify({ type: 'external', input: nest(25) }),
      status: 400,
      code: 'INVALID_INPUT',
    },
    {
      name: 'a key of 257 characters',
      raw: JSON.stringify({ type: 'external', input: { ['k'.repeat(257)]: 1 } }),
      status: 400,
      code: 'INVALID_INPUT',
    },
    {
      name: 'a lone surrogate in idempotencyKey',
      raw: '{"type":"external","idempotencyKey":"\\ud800"}',
      status: 400,
      code: 'INVALID_INPUT',
    },
    {
      name: 'a lone surrogate in a key',
      raw: '{"type":"external","input":{"\\udc00":1}}',
      status: 400,
      code: 'INVALID_INPUT',
    },
    {
      name: 'an input too large to store',
      raw: JSON.stringify({ type: 'external', input: { pad: 'c'.repeat(600 * 1024) } }),
      status: 413,
      code: 'JOB_TOO_LARGE',
    },
    {
      name: 'an output with a newline',
      raw: JSON.stringify({ type: 'external', outputs: ['gs://verity-local/u/alice/a\nb'] }),
      status: 400,
      code: 'INVALID_INPUT',
    },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.status} ${c.code}`, async () => {
      const res = await nothingWritten(() => api.call('POST', '/api/jobs', { raw: c.raw }));
      assert.equal(res.status, c.status, res.text);
      assert.equal(res.body?.error?.code, c.code, res.text);
    });
  }

  it('a lone-surrogate key cannot collide with another: both are refused, a well-formed one works once', async () => {
    for (const key of ['\\ud800', '\\ud801']) {
      const res = await api.call('POST', '/api/jobs', {
        raw: `{"type":"external","outputs":[],"idempotencyKey":"${key}"}`,
      });
      assert.equal(res.status, 400, res.text);
    }
    const a = await api.call('POST', '/api/jobs', { body: { type: 'external', outputs: [], idempotencyKey: '😀' } });
    const b = await api.call('POST', '/api/jobs', { body: { type: 'external', outputs: [], idempotencyKey: '😀' } });
    assert.deepEqual([a.status, b.status], [201, 200]);
    assert.equal(a.body.job.id, b.body.job.id);
  });

  it('input Firestore could not store as fields (arrays in arrays, reserved names) is kept verbatim', async () => {
    const input = { grid: [[1, 2], [3]], __name__: 'x', 'a.b': { '`': true }, deep: nest(14) };
    const res = await api.call('POST', '/api/jobs', { body: { type: 'external', outputs: [], input } });
    assert.equal(res.status, 201, res.text);
    const read = await api.call('GET', `/api/jobs/${res.body.job.id}`);
    assert.deepEqual(read.body.job.input, input);
  });

  it('ids that would reach a document path are 404 on every route', async () => {
    for (const id of ['a%2Fb', '..', '%2E%2E', 'x'.repeat(129), '__x__%2Fjobs']) {
      for (const [method, path] of [
        ['GET', `/api/jobs/${id}`],
        ['POST', `/api/jobs/${id}/cancel`],
        ['GET', `/api/jobs/${id}/diagnosis`],
        ['GET', `/api/projects/${id}`],
      ] as const) {
        const res = await nothingWritten(() => api.call(method, path));
        assert.ok(res.status === 404 || res.status === 400, `${method} ${path}: ${res.status} ${res.text}`);
        assert.ok(res.body?.error?.code, res.text);
      }
    }
  });
});

describe('hostile: malformed and impossible messages are acknowledged once, never redelivered', () => {
  let n = 0;
  const push = (url: string, topic: string, data: string, attributes: Record<string, string> = {}) =>
    pushMessage(url, rt.projectId, topic, {
      data: data.replace('"JOB"', JSON.stringify(jobId)),
      attributes,
      messageId: `hostile-${++n}`,
    });
  const cases: [string, string, Record<string, string>?][] = [
    ['jobId with a slash', JSON.stringify({ jobId: 'a/b', kind: 'started' })],
    ['jobId of dots', JSON.stringify({ jobId: '..', kind: 'started' })],
    ['a lone surrogate in a step name', '{"jobId":"JOB","kind":"progress","progress":{"step":"\\ud800"}}'],
    [
      'skippedSteps of 501 names',
      JSON.stringify({ jobId: 'JOB', kind: 'progress', progress: { skippedSteps: Array(501).fill('s') } }),
    ],
    ['nested 30 deep', JSON.stringify({ jobId: 'x', kind: 'started', progress: nest(30) })],
    ['not JSON', '{"jobId":'],
    ['an unknown job', JSON.stringify({ jobId: 'job_nobody', kind: 'succeeded' })],
    ['attribute and body disagree', '{"jobId":"JOB","kind":"started"}', { jobId: 'job_other' }],
  ];
  for (const [name, data, attributes] of cases) {
    it(`worker update: ${name} → acknowledged (2xx: no redelivery), nothing written`, async () => {
      const status = await nothingWritten(() => push(updates.url, 'verity-job-updates', data, attributes));
      assert.ok(status >= 200 && status < 300, `acknowledged, not ${status}`);
    });
  }

  it('object-finalized: a malformed notification and one for an object nobody expects are acknowledged', async () => {
    const bad = { eventType: 'OBJECT_FINALIZE', bucketId: rt.bucket, objectId: 'x', objectGeneration: 'nope' };
    assert.ok((await nothingWritten(() => push(finalized.url, 'verity-gcs-notifications', '{}', bad))) < 300);
    const stray = { eventType: 'OBJECT_FINALIZE', bucketId: rt.bucket, objectId: 'u/bob/../x', objectGeneration: '1' };
    assert.ok(
      (await nothingWritten(() =>
        push(finalized.url, 'verity-gcs-notifications', JSON.stringify({ name: 'u/bob/../x' }), stray),
      )) < 300,
    );
  });

  it('webhooks: a body with a lone surrogate or too deep, signed or not, is 4xx and writes nothing', async () => {
    const res = await nothingWritten(() =>
      send(webhooks.url, '/api/webhooks/demo', {}, Buffer.from('{"eventId":"\\ud800"}')),
    );
    assert.equal(res.status, 401, res.text);
    const { signPayload } = await import('../../shared/src/webhooks/signature.js');
    const raw = Buffer.from(
      `{"eventId":"e1","externalJobId":"x","status":"succeeded","error":${JSON.stringify(nest(20))}}`,
    );
    const signed = await nothingWritten(() =>
      send(
        webhooks.url,
        '/api/webhooks/demo',
        { 'x-verity-signature': signPayload('hostile-webhook-secret-0123', raw, Math.floor(rt.clock() / 1000)) },
        raw,
      ),
    );
    assert.equal(signed.status, 400, signed.text);
  });
});
