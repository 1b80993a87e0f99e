/**
 * The stage of test/infra/cost.test.ts: every deploy unit as deployed (HTTP and Pub/Sub push bodies into
 * functions-framework) on one runtime over the emulators, a fake Cloud Run Admin API, a third-party media API,
 * and the meter (test/helpers/meter.ts) charging each billed operation to the unit that made it. What the
 * workers, Cloud Storage notifications and the scheduler would send is sent by the harness's own calls.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Storage } from '@google-cloud/storage';
import { createApiHandler } from '../../functions/api/handler.js';
import { createJobUpdatesHandler } from '../../functions/job-updates/handler.js';
import { createObjectFinalizedHandler } from '../../functions/object-finalized/handler.js';
import { createSweepHandler } from '../../functions/sweep/handler.js';
import { createWebhooksHandler } from '../../functions/webhooks/handler.js';
import { TOPICS } from '../../functions/units.js';
import type { Measurement } from '../../infra/deploy/cost.js';
import { mintLocalToken } from '../../shared/src/auth/local-issuer.js';
import { createStorage } from '../../shared/src/evidence/storage.js';
import { TTL_POLICIES } from '../../shared/src/store/indexes.js';
import { signPayload } from '../../shared/src/webhooks/signature.js';
import { startFakeCloudRun, type FakeCloudRun, type FakeMethod } from '../fakes/cloud-run-server.js';
import { pushMessage, serveCloudEvent, serveHttp, type Served } from '../helpers/functions.js';
import { createMeter } from '../helpers/meter.js';
import { requireEmulators, TEST_SECRET, testRuntime, type TestRuntime } from '../helpers/runtime.js';
import { readyRuntime } from '../../functions/common/runtime-source.js';

const CLOUD_RUN_JOB = 'projects/verity-test/locations/europe-west1/jobs/render';
const PROVIDER_SECRET = 'voicecorp-secret-0123456789';
const STEPS = ['voice', 'render', 'mux'];

/** A third-party media API as the http executor speaks it: submit, status (callbacks are sent by the test). */
async function startProvider(): Promise<{ server: Server; url: string; status: Map<string, string> }> {
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

export type CostHarness = Awaited<ReturnType<typeof startCostHarness>>;

export async function startCostHarness() {
  const meter = createMeter();
  const fake: FakeCloudRun = await startFakeCloudRun({ port: 0 });
  fake.addJob(CLOUD_RUN_JOB);
  const provider = await startProvider();
  const rt: TestRuntime = await testRuntime('cost', {
    envOverrides: {
      // the hourly orphan pass is priced on its own (docs/deploy.md, below the table), not inside these sweeps
      VERITY_ORPHAN_SWEEP_MINUTES: '0',
      VERITY_CLOUD_RUN_ENDPOINT: fake.endpoint,
      VERITY_WEBHOOK_SECRETS: JSON.stringify({ voicecorp: PROVIDER_SECRET }),
      VERITY_JOB_TYPES: JSON.stringify({
        render: {
          executor: { kind: 'cloud-run-job', job: CLOUD_RUN_JOB },
          outputTemplates: ['gs://{bucket}/renders/{jobId}.mp4'],
          steps: [{ name: 'voice' }, { name: 'render', weight: 3 }, { name: 'mux' }],
        },
        // seed 000's stitcher: never reports; alive while its execution runs, looked at by age
        stitch: {
          executor: { kind: 'cloud-run-job', job: CLOUD_RUN_JOB },
          outputTemplates: ['gs://{bucket}/stitched/{jobId}.mp4'],
          policy: { liveness: 'executor', runTimeoutSeconds: 7200 },
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
  // the worker's and provider's own client: their uploads are not Verity's cost
  const worker: Storage = createStorage(rt.projectId, requireEmulators().gcs);
  const get = readyRuntime(rt);
  const fns = {
    api: await serveHttp(meter.unit('api', createApiHandler(get))),
    'object-finalized': await serveCloudEvent(meter.unit('object-finalized', createObjectFinalizedHandler(get))),
    'job-updates': await serveCloudEvent(meter.unit('job-updates', createJobUpdatesHandler(get))),
    webhooks: await serveHttp(meter.unit('webhooks', createWebhooksHandler(get))),
    sweep: await serveHttp(meter.unit('sweep', createSweepHandler(get))),
  } satisfies Record<string, Served>;
  const alice = await mintLocalToken(TEST_SECRET, 'alice');
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
    assert.equal(await pushMessage(fns[unit].url, rt.projectId, topic, msg), 204);
  }

  /** A call to the api or sweep unit as `bearer` (default alice), asserting a 2xx; its JSON body. */
  async function call(
    unit: 'api' | 'sweep',
    method: string,
    route: string,
    body?: unknown,
    bearer = alice,
  ): Promise<any> {
    const res = await fetch(fns[unit].url + route, {
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

  const enqueue = async (type: string, input: Record<string, unknown>, bearer = alice): Promise<string> =>
    (await call('api', 'POST', '/api/jobs', { type, input }, bearer)).job.id as string;

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
    const res = await fetch(`${fns.webhooks.url}/api/webhooks/voicecorp`, {
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

  const executionOf = async (id: string): Promise<string> => (await rt.store.get(id))!.executor.executionRef!;

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

  /** The steps of a render, one progress report each, at `attempt`. */
  async function reportSteps(id: string, attempt: number): Promise<void> {
    for (const [i, step] of STEPS.entries())
      await report(id, {
        attempt,
        kind: 'progress',
        progress: { step, stepPct: 0, completedSteps: STEPS.slice(0, i) },
      });
  }

  return {
    rt,
    fake,
    provider,
    call,
    enqueue,
    report,
    reportSteps,
    writeObject,
    webhook,
    sweep,
    measure,
    executionOf,
    statusOf: async (id: string): Promise<string> => (await rt.store.get(id))!.status,
    /** A token of another user (their jobs are theirs alone: a list of them is what they made). */
    tokenOf: (user: string): Promise<string> => mintLocalToken(TEST_SECRET, user),
    /** A name no earlier call used. */
    fresh: (prefix: string): string => `${prefix}-${++n}`,

    /** Moves the clock past the job's next deadline or due action. */
    async passDeadline(id: string): Promise<void> {
      const at = (await rt.store.get(id))!.nextCheckAt;
      assert.ok(at !== null, 'the job has a pending deadline');
      rt.testClock.nowMs = at + 1000;
    },

    /**
     * An hour of a silent job (`stitch`) still running: the sweep every minute, as Cloud Scheduler runs it, each
     * looking at the job when its age-based probe is due. Returns the number of sweep runs.
     */
    async silentHour(): Promise<number> {
      const id = await enqueue('stitch', {});
      let runs = 0;
      for (let t = 0; t < 3600; t += 60) {
        rt.testClock.nowMs += 60_000;
        await sweep();
        runs++;
      }
      const job = (await rt.store.get(id))!;
      assert.equal(job.status, 'running', 'alive all hour by its executor’s word');
      assert.equal(job.attempt, 1);
      return runs;
    },

    /** A render on a Cloud Run Job whose worker reports over Pub/Sub (reporter.ts) and writes one output. */
    async renderJob(opts: { silent?: boolean; bearer?: string } = {}): Promise<string> {
      const id = await enqueue('render', { scene: 1 }, opts.bearer);
      if (!opts.silent) {
        await report(id, { attempt: 1, kind: 'started' });
        await reportSteps(id, 1);
      }
      await writeObject(`renders/${id}.mp4`, !opts.silent);
      if (!opts.silent) await report(id, { attempt: 1, kind: 'succeeded' });
      fake.complete(await executionOf(id), 'succeeded');
      return id;
    },

    async close(): Promise<void> {
      await Promise.all(Object.values(fns).map((f) => f.close()));
      await new Promise((r) => provider.server.close(r));
      await rt.db.terminate();
      await rt.pubsub.close();
      await fake.stop();
    },
  };
}
