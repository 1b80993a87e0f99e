/**
 * What a job costs, measured: typical lifecycles run through every deploy unit as deployed (HTTP and
 * Pub/Sub push bodies into functions-framework), on the emulators, with the meter (test/helpers/meter.ts)
 * counting billed operations per unit. The measurement renders docs/deploy.md's cost section
 * (infra/deploy/cost.ts); the test fails when the committed section is not what the code does now.
 * `VERITY_WRITE_DOCS=1 npm test -- cost` rewrites it.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Storage } from '@google-cloud/storage';
import { createApiHandler } from '../../functions/api/handler.js';
import { createJobUpdatesHandler } from '../../functions/job-updates/handler.js';
import { createObjectFinalizedHandler } from '../../functions/object-finalized/handler.js';
import { createSweepHandler } from '../../functions/sweep/handler.js';
import { createWebhooksHandler } from '../../functions/webhooks/handler.js';
import { DEPLOY_UNITS, TOPICS } from '../../functions/units.js';
import {
  LIST_LIMIT_MEASURED,
  replaceCostSection,
  renderCostSection,
  type Measured,
  type Measurement,
} from '../../infra/deploy/cost.js';
import { mintLocalToken } from '../../shared/src/auth/local-issuer.js';
import { REPO_ROOT } from '../../shared/src/config/env.js';
import { createStorage } from '../../shared/src/evidence/storage.js';
import { TTL_POLICIES } from '../../shared/src/store/queries.js';
import { signPayload } from '../../shared/src/webhooks/signature.js';
import { startFakeCloudRun, type FakeCloudRun, type FakeMethod } from '../fakes/cloud-run-server.js';
import { pushMessage, serveCloudEvent, serveHttp, type Served } from '../helpers/functions.js';
import { createMeter } from '../helpers/meter.js';
import { requireEmulators, TEST_SECRET, testRuntime, type TestRuntime } from '../helpers/runtime.js';

const CLOUD_RUN_JOB = 'projects/verity-test/locations/europe-west1/jobs/render';
const PROVIDER_SECRET = 'voicecorp-secret-0123456789';
const DOC = path.join(REPO_ROOT, 'docs/deploy.md');

const meter = createMeter();
let fake: FakeCloudRun;
let rt: TestRuntime;
let worker: Storage; // the worker's and provider's own client: their uploads are not Verity's cost
let provider: { server: Server; url: string; status: Map<string, string> };
const fns = {} as Record<string, Served>;
let token: string;
let n = 0;
/** Messages pushed to Verity's subscriptions during the current measurement, and their bytes. */
let delivered = { count: 0, bytes: 0 };

async function push(
  unit: 'job-updates' | 'object-finalized',
  topic: string,
  msg: { messageId: string; data: string; attributes: Record<string, string> },
): Promise<void> {
  delivered.count++;
  delivered.bytes +=
    Buffer.byteLength(msg.data) +
    Object.entries(msg.attributes).reduce((b, [k, v]) => b + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  assert.equal(await pushMessage(fns[unit]!.url, rt.projectId, topic, msg), 204);
}

/** A third-party media API as the http executor speaks it: submit, status (callbacks are sent by the test). */
async function startProvider(): Promise<typeof provider> {
  const status = new Map<string, string>();
  const server = createServer((req, res) => {
    const reply = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/jobs') {
        const id = `ext-${status.size + 1}`;
        status.set(id, 'running');
        return reply(201, { externalJobId: id });
      }
      const m = /^\/jobs\/([^/]+)$/.exec(req.url ?? '');
      const s = m ? status.get(m[1]!) : undefined;
      if (req.method === 'GET' && s) return reply(200, { externalJobId: m![1], status: s });
      reply(404, { error: 'not found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, status };
}

before(async () => {
  fake = await startFakeCloudRun({ port: 0 });
  fake.addJob(CLOUD_RUN_JOB);
  provider = await startProvider();
  rt = await testRuntime('cost', {
    envOverrides: {
      VERITY_CLOUD_RUN_ENDPOINT: fake.endpoint,
      VERITY_WEBHOOK_SECRETS: JSON.stringify({ voicecorp: PROVIDER_SECRET }),
      VERITY_JOB_TYPES: JSON.stringify({
        render: {
          executor: { kind: 'cloud-run-job', job: CLOUD_RUN_JOB },
          outputTemplates: ['gs://{bucket}/renders/{jobId}.mp4'],
          steps: [{ name: 'voice' }, { name: 'render', weight: 3 }, { name: 'mux' }],
        },
        narration: {
          executor: {
            kind: 'http',
            provider: 'voicecorp',
            baseUrl: provider.url,
            outputTemplates: ['gs://{bucket}/provider/{externalJobId}_output_0.mp4'],
          },
          outputsFromRequest: false,
        },
      }),
    },
    instrument: ({ db, storage, pubsub }) => {
      meter.firestore(
        db,
        TTL_POLICIES.map((p) => p.collectionGroup),
      );
      meter.storage(storage);
      meter.pubsub(pubsub);
    },
  });
  worker = createStorage(rt.projectId, requireEmulators().gcs);
  const get = () => rt;
  fns.api = await serveHttp(meter.unit('api', createApiHandler(get)));
  fns['object-finalized'] = await serveCloudEvent(meter.unit('object-finalized', createObjectFinalizedHandler(get)));
  fns['job-updates'] = await serveCloudEvent(meter.unit('job-updates', createJobUpdatesHandler(get)));
  fns.webhooks = await serveHttp(meter.unit('webhooks', createWebhooksHandler(get)));
  fns.sweep = await serveHttp(meter.unit('sweep', createSweepHandler(get)));
  token = await mintLocalToken(TEST_SECRET, 'alice');
});
after(async () => {
  await Promise.all(Object.values(fns).map((f) => f.close()));
  await new Promise((r) => provider.server.close(r));
  await rt.db.terminate();
  await rt.pubsub.close();
  await fake.stop();
});

async function call(
  unit: 'api' | 'sweep',
  method: string,
  route: string,
  body?: unknown,
  bearer = token,
): Promise<any> {
  const res = await fetch(fns[unit]!.url + route, {
    method,
    headers: {
      authorization: `Bearer ${bearer}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.json()) as unknown;
  assert.ok(res.ok, `${method} ${route} → ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const enqueue = async (type: string, input: Record<string, unknown>): Promise<string> =>
  (await call('api', 'POST', '/api/jobs', { type, input })).job.id as string;

async function report(jobId: string, update: Record<string, unknown>): Promise<void> {
  await push('job-updates', TOPICS.jobUpdates, {
    messageId: `m-${++n}`,
    data: JSON.stringify({ jobId, ...update }),
    attributes: { jobId },
  });
}

/** The worker (or provider) writes an object; the bucket notification reaches object-finalized. */
async function writeObject(name: string, notify = true): Promise<void> {
  const file = worker.bucket(rt.bucket).file(name);
  await file.save(Buffer.alloc(1024), { resumable: false });
  if (!notify) return;
  const [meta] = await file.getMetadata();
  await push('object-finalized', TOPICS.gcsNotifications, {
    messageId: `n-${++n}`,
    attributes: {
      eventType: 'OBJECT_FINALIZE',
      bucketId: rt.bucket,
      objectId: name,
      objectGeneration: String(meta.generation),
      payloadFormat: 'JSON_API_V1',
    },
    data: JSON.stringify({
      kind: 'storage#object',
      name,
      bucket: rt.bucket,
      generation: String(meta.generation),
      size: String(meta.size),
      timeCreated: meta.timeCreated,
    }),
  });
}

async function webhook(body: Record<string, unknown>): Promise<void> {
  const raw = JSON.stringify(body);
  const res = await fetch(`${fns.webhooks!.url}/api/webhooks/voicecorp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-verity-signature': signPayload(PROVIDER_SECRET, raw, Math.floor(rt.testClock.now() / 1000)),
    },
    body: raw,
  });
  await res.arrayBuffer();
  assert.equal(res.status, 204);
}

async function sweep(): Promise<{ checked: number; corrected: number }> {
  return call('sweep', 'POST', '/', {}, await mintLocalToken(TEST_SECRET, 'ops', { admin: true })) as Promise<{
    checked: number;
    corrected: number;
  }>;
}

const statusOf = async (id: string): Promise<string> => (await rt.store.get(id))!.status;
const executionOf = async (id: string): Promise<string> => (await rt.store.get(id))!.executor.executionRef!;
/** Moves the clock past the job's next deadline or due action. */
async function passDeadline(id: string): Promise<void> {
  const at = (await rt.store.get(id))!.nextCheckAt;
  assert.ok(at !== null, 'the job has a pending deadline');
  rt.testClock.nowMs = at + 1000;
}

/** Runs one scenario from a fresh clock; returns what Verity's units used (not the test's own reads). */
async function measure(scenario: () => Promise<void>): Promise<Measurement> {
  rt.testClock.nowMs = Date.now();
  const calls0 = { ...fake.calls };
  meter.reset();
  delivered = { count: 0, bytes: 0 };
  await scenario();
  const { other: _, ...byUnit } = meter.byUnit();
  const cloudRunCalls = Object.fromEntries(
    Object.entries(fake.calls)
      .map(([m, c]) => [m, c - calls0[m as FakeMethod]])
      .filter(([, c]) => (c as number) > 0),
  ) as Record<string, number>;
  return {
    byUnit,
    ttlDocuments: meter.ttlDocuments(),
    cloudRunCalls,
    delivered: delivered.count,
    deliveredBytes: delivered.bytes,
  };
}

const STEPS = ['voice', 'render', 'mux'];

/** A render on a Cloud Run Job whose worker reports over Pub/Sub (reporter.ts) and writes one output. */
async function renderJob(opts: { silent?: boolean } = {}): Promise<string> {
  const id = await enqueue('render', { scene: 1 });
  if (!opts.silent) {
    await report(id, { attempt: 1, kind: 'started' });
    for (const [i, step] of STEPS.entries())
      await report(id, {
        attempt: 1,
        kind: 'progress',
        progress: { step, stepPct: 0, completedSteps: STEPS.slice(0, i) },
      });
  }
  await writeObject(`renders/${id}.mp4`, !opts.silent);
  if (!opts.silent) await report(id, { attempt: 1, kind: 'succeeded' });
  fake.complete(await executionOf(id), 'succeeded');
  return id;
}

describe('cost per job, measured', () => {
  const measured = {} as Measured;

  it('a render on a Cloud Run Job: enqueue, started, 3 steps, output, succeeded', async () => {
    let id = '';
    measured.render = await measure(async () => {
      id = await renderJob();
    });
    assert.equal(await statusOf(id), 'succeeded');
  });

  it('a narration on a third-party API: enqueue (submit), output notification, signed webhook', async () => {
    let id = '';
    measured.provider = await measure(async () => {
      id = await enqueue('narration', { text: 'hello' });
      const ext = (await executionOf(id)).split(':').at(-1)!;
      await writeObject(`provider/${ext}_output_0.mp4`);
      provider.status.set(ext, 'succeeded');
      await webhook({ eventId: `evt-${ext}`, externalJobId: ext, status: 'succeeded' });
    });
    assert.equal(await statusOf(id), 'succeeded');
  });

  it('an object no job declares (a temp file, a proxy): one notification', async () => {
    measured.strayObject = await measure(() => writeObject(`tmp/job_other/frame-${++n}.png`));
  });

  it('a render whose reports and notification are all lost, corrected by the sweep at its deadline', async () => {
    let id = '';
    measured.recovered = await measure(async () => {
      id = await renderJob({ silent: true });
      assert.equal(await statusOf(id), 'queued', 'nothing told Verity');
      await passDeadline(id);
      const r = await sweep();
      assert.deepEqual([r.checked, r.corrected], [1, 1]);
    });
    assert.equal(await statusOf(id), 'succeeded');
  });

  it('a render whose first attempt fails (retryable), restarted by the sweep after its backoff', async () => {
    let id = '';
    measured.retried = await measure(async () => {
      id = await enqueue('render', { scene: 2 });
      await report(id, { attempt: 1, kind: 'started' });
      await report(id, {
        attempt: 1,
        kind: 'failed',
        error: { code: 'TRANSIENT', message: 'node lost', retryable: true },
      });
      assert.equal((await rt.store.get(id))!.attempt, 2);
      await passDeadline(id);
      await sweep();
      await report(id, { attempt: 2, kind: 'started' });
      for (const [i, step] of STEPS.entries())
        await report(id, {
          attempt: 2,
          kind: 'progress',
          progress: { step, stepPct: 0, completedSteps: STEPS.slice(0, i) },
        });
      await writeObject(`renders/${id}.mp4`);
      await report(id, { attempt: 2, kind: 'succeeded' });
    });
    assert.equal(await statusOf(id), 'succeeded');
  });

  it('what users and the scheduler add: reads, lists, an idle sweep', async () => {
    const [id] = (await call('api', 'GET', '/api/jobs?limit=1')).jobs.map((j: { id: string }) => j.id);
    measured.get = await measure(async () => void (await call('api', 'GET', `/api/jobs/${id}`)));
    measured.getVerified = await measure(async () => void (await call('api', 'GET', `/api/jobs/${id}?verify=true`)));
    measured.list = await measure(async () => {
      const page = await call('api', 'GET', `/api/jobs?limit=${LIST_LIMIT_MEASURED}`);
      assert.equal(page.jobs.length, LIST_LIMIT_MEASURED);
    });
    measured.idleSweep = await measure(async () => {
      const r = await sweep();
      assert.equal(r.checked, 0, 'nothing is due');
    });
  });

  it('docs/deploy.md states what was measured', () => {
    for (const m of Object.values(measured))
      for (const unit of Object.keys(m.byUnit))
        assert.ok(
          DEPLOY_UNITS.some((u) => u.name === unit),
          unit,
        );
    const doc = readFileSync(DOC, 'utf8');
    const updated = replaceCostSection(doc, renderCostSection(measured));
    if (process.env.VERITY_WRITE_DOCS === '1') writeFileSync(DOC, updated);
    else if (doc !== updated) {
      process.stdout.write(`measured:\n${JSON.stringify(measured, null, 1)}\n`);
      assert.equal(
        doc,
        updated,
        'docs/deploy.md cost section is out of date: run VERITY_WRITE_DOCS=1 npm test -- cost',
      );
    }
  });
});
