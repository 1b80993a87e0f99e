/**
 * Hostile suite, outputs outside Cloud Storage and silent work (issue 28): a request never names an s3:// or
 * http(s):// output, nor bends the liveness fields out of their bounds; a provider's webhook never adds a URL
 * outside its type's declared pattern; the probe never follows a redirect to another host. Nothing written,
 * never a 500.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createJob } from '../../shared/src/core/index.js';
import { createWebhooksHandler } from '../../functions/webhooks/handler.js';
import { readyRuntime } from '../../functions/common/runtime-source.js';
import { signPayload } from '../../shared/src/webhooks/signature.js';
import { startApi, type ApiClient } from '../helpers/api.js';
import { serveHttp, type Served } from '../helpers/functions.js';
import { jobSpec } from '../helpers/jobs.js';
import { countDocuments, testRuntime, type TestRuntime } from '../helpers/runtime.js';

const SECRET = 'hostile-outputs-secret-0123456789';
let rt: TestRuntime;
let api: ApiClient;
let webhooks: Served;
let elsewhere: Server;
let redirector: Server;
const elsewhereHits: string[] = [];
let cdn: string;

const listen = (s: Server): Promise<string> =>
  new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(s.address() as AddressInfo).port}`)));

before(async () => {
  // the object exists on another host; the configured host only redirects there
  elsewhere = createServer((req, res) => {
    elsewhereHits.push(String(req.headers['x-cdn-key'] ?? ''));
    res.writeHead(200, { 'content-length': '5', etag: '"e1"' }).end();
  });
  const other = await listen(elsewhere);
  redirector = createServer((req, res) => res.writeHead(302, { location: `http://${other}${req.url}` }).end());
  cdn = await listen(redirector);
  process.env.HOSTILE_CDN_KEY = 'sesame';
  rt = await testRuntime('hostile-outputs', {
    envOverrides: {
      VERITY_WEBHOOK_SECRETS: JSON.stringify({ voice: SECRET }),
      VERITY_HTTP_OUTPUT_HOSTS: JSON.stringify({ [cdn]: { headers: { 'x-cdn-key': 'HOSTILE_CDN_KEY' } } }),
      VERITY_JOB_TYPES: JSON.stringify({
        voice: {
          executor: {
            kind: 'http',
            provider: 'voice',
            baseUrl: 'http://127.0.0.1:9',
            outputTemplates: [
              { anyOf: [`http://${cdn}/out/{externalJobId}.mp4`], reported: `http://${cdn}/out/{externalJobId}_*.mp4` },
            ],
          },
          outputsFromRequest: false,
        },
        cdn: { executor: { kind: 'external' }, outputTemplates: [`http://${cdn}/out/{jobId}.mp4`] },
      }),
    },
  });
  api = await startApi(rt);
  webhooks = await serveHttp(createWebhooksHandler(readyRuntime(rt)));
});
after(async () => {
  await api.close();
  await webhooks.close();
  elsewhere.close();
  redirector.close();
  await rt.db.terminate();
});

async function nothingWritten<T>(work: () => Promise<T>): Promise<T> {
  const before = await countDocuments(rt.db);
  const out = await work();
  assert.equal(await countDocuments(rt.db), before, 'nothing was written');
  return out;
}

describe('hostile: a request never names an output outside Cloud Storage, nor bends liveness', () => {
  const cases: { name: string; body: Record<string, unknown>; code: string }[] = [
    ...['s3://voicecorp-out/a.mp4', 'https://cdn.example/a.mp4', `http://${'127.0.0.1:1'}/a.mp4`].map((uri) => ({
      name: `outputs: [${uri}]`,
      body: { type: 'external', outputs: [uri] },
      code: 'OUTPUT_NOT_ALLOWED|INVALID_INPUT',
    })),
    {
      name: 'policy.liveness "always"',
      body: { type: 'external', policy: { liveness: 'always' } },
      code: 'INVALID_INPUT',
    },
    {
      name: 'policy.probeEverySeconds 0',
      body: { type: 'external', policy: { probeEverySeconds: 0 } },
      code: 'INVALID_INPUT',
    },
    {
      name: 'policy.probeAfterSeconds "300"',
      body: { type: 'external', policy: { probeAfterSeconds: '300' } },
      code: 'INVALID_INPUT',
    },
  ];
  for (const c of cases)
    it(`${c.name} → 400, nothing written`, async () => {
      const res = await nothingWritten(() => api.call('POST', '/api/jobs', { body: c.body }));
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(res.body.error.code, new RegExp(`^(${c.code})$`));
    });
});

describe('hostile: a provider’s webhook names an output URL', () => {
  it('outside the declared pattern: ignored, the job’s names unchanged (204: the status still counts)', async () => {
    const id = 'job_hostile_voice';
    await rt.store.create((ctx) => createJob(jobSpec({ id, type: 'voice', executorKind: 'http' }), [], ctx));
    await rt.store.apply(id, {
      kind: 'dispatched',
      source: 'executor',
      attempt: 1,
      executionRef: 'http:voice:ext-1',
      outputUris: [`http://${cdn}/out/ext-1.mp4`],
    });
    const before = (await rt.store.get(id))!;
    for (const outputUrl of [
      `http://evil.example/out/ext-1_x.mp4`,
      `http://${cdn}/out/ext-2_x.mp4`,
      `http://${cdn}/out/ext-1_x/../../secret.mp4`,
      `s3://bucket/out/ext-1_x.mp4`,
    ]) {
      const body = JSON.stringify({
        eventId: `e-${outputUrl}`,
        externalJobId: 'ext-1',
        status: 'succeeded',
        outputUrl,
      });
      const res = await fetch(`${webhooks.url}/api/webhooks/voice`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-verity-signature': signPayload(SECRET, body, Math.floor(rt.clock() / 1000)),
        },
        body,
      });
      assert.equal(res.status, 204, outputUrl);
    }
    const after = (await rt.store.get(id))!;
    assert.deepEqual(after.outputUris, before.outputUris);
    assert.deepEqual(after.outputs[0]!.anyOf, undefined);
  });
});

describe('hostile: an output host that redirects to another host', () => {
  it('is not followed: the output is not found there, and the other host never sees the key', async () => {
    const created = await api.call('POST', '/api/jobs', { body: { type: 'cdn' } });
    assert.equal(created.status, 201);
    const id = created.body.job.id;
    const read = await api.call('GET', `/api/jobs/${id}?verify=true`);
    assert.equal(read.status, 200);
    assert.equal(read.body.job.status, 'queued');
    assert.equal(read.body.job.outputs[0].present, false);
    assert.deepEqual(elsewhereHits, [], 'nothing was asked of the other host');
  });
});
