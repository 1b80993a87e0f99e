/**
 * End to end on the local stack: every deploy unit in its own functions-framework process (as deployed) on
 * the test harness's emulators — fake-gcs-server's finalize notifications and the workers' Pub/Sub reports
 * reach the functions through push subscriptions — with the local-process executor running the real demo
 * worker and a demo third-party provider that drops webhooks on demand.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Firestore } from '@google-cloud/firestore';
import { mintLocalToken } from '../../shared/src/auth/local-issuer.js';
import { createStorage } from '../../shared/src/evidence/storage.js';
import { JobStore } from '../../shared/src/store/job-store.js';
import { startDemoProvider, type DemoProvider } from '../../infra/local/demo-provider.js';
import { deleteSubscription, freePort, pushTo, startFunction, type FunctionProcess } from '../helpers/processes.js';
import { requireEmulators, TEST_SECRET, uniqueName } from '../helpers/runtime.js';
import { openSse } from '../helpers/sse.js';
import { waitFor } from '../helpers/wait.js';

/** fake-gcs-server in the harness notifies this project's topic, so the end-to-end run uses it. */
const PROJECT = process.env.GOOGLE_CLOUD_PROJECT ?? 'verity-test';
const PROVIDER_SECRET = 'e2e-provider-secret-0123456789';

let fns: FunctionProcess[] = [];
let provider: DemoProvider;
let dropWebhooks = false;
let url: string;
let token: string;
let stateDir: string;
let store: JobStore;
let db: Firestore;
const subs: string[] = [];

async function call(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url + p, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: await res.json() };
}

const exitOf = (jobId: string, attempt = 1): { code: number | null; signal: string | null } | null => {
  try {
    return JSON.parse(readFileSync(path.join(stateDir, 'executions', `${jobId}.${attempt}`, 'exit.json'), 'utf8'));
  } catch {
    return null;
  }
};

/** Reads the ledger directly: proof that nobody's read (no reconcile-on-read) moved the job. */
const ledger = (id: string) => store.get(id);

before(async () => {
  const { firestore, gcs } = requireEmulators();
  const pubsubHost = process.env.PUBSUB_EMULATOR_HOST!;
  const bucket = uniqueName('verity-e2e');
  stateDir = mkdtempSync(path.join(os.tmpdir(), 'verity-e2e-'));
  await createStorage(PROJECT, gcs).createBucket(bucket);
  const apiPort = await freePort();
  const webhooksPort = await freePort();
  url = `http://127.0.0.1:${apiPort}`;
  provider = await startDemoProvider({
    port: 0,
    secret: PROVIDER_SECRET,
    bucket,
    gcsEndpoint: gcs,
    projectId: PROJECT,
    dropWebhookRate: 0.5,
    durationMs: 300,
    random: () => (dropWebhooks ? 0 : 0.99),
  });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GOOGLE_CLOUD_PROJECT: PROJECT,
    FIRESTORE_EMULATOR_HOST: firestore,
    VERITY_GCS_ENDPOINT: gcs,
    VERITY_BUCKET: bucket,
    VERITY_PROFILE: 'local',
    VERITY_LOCAL_JWT_SECRET: TEST_SECRET,
    VERITY_STATE_DIR: stateDir,
    VERITY_API_URL: url,
    VERITY_WEBHOOK_BASE_URL: `http://127.0.0.1:${webhooksPort}`,
    VERITY_WEBHOOK_SECRETS: JSON.stringify({ demo: PROVIDER_SECRET }),
    VERITY_DEMO_PROVIDER_URL: provider.url,
    VERITY_LOG_LEVEL: 'warn',
    METADATA_SERVER_DETECTION: 'none',
    VERITY_JOB_TYPES: JSON.stringify({
      'provider-bare': { executor: { kind: 'http', provider: 'demo', baseUrl: provider.url } },
    }),
  };
  fns = await Promise.all([
    startFunction('api', 'dist/functions/api/index.js', 'http', env, stateDir, apiPort),
    startFunction('objectFinalized', 'dist/functions/object-finalized/index.js', 'cloudevent', env, stateDir),
    startFunction('jobUpdates', 'dist/functions/job-updates/index.js', 'cloudevent', env, stateDir),
    startFunction('webhooks', 'dist/functions/webhooks/index.js', 'http', env, stateDir, webhooksPort),
  ]);
  const finalize = uniqueName('e2e-finalize');
  const updates = uniqueName('e2e-updates');
  subs.push(finalize, updates);
  await pushTo(pubsubHost, PROJECT, finalize, 'verity-gcs-notifications', fns[1]!);
  await pushTo(pubsubHost, PROJECT, updates, 'verity-job-updates', fns[2]!);
  db = new Firestore({ projectId: PROJECT });
  store = new JobStore({ db, clock: Date.now });
  token = await mintLocalToken(TEST_SECRET, 'alice');
});

after(async () => {
  for (const s of subs) await deleteSubscription(process.env.PUBSUB_EMULATOR_HOST!, PROJECT, s).catch(() => undefined);
  await Promise.all(fns.map((f) => f.proc.stop()));
  await provider?.stop();
  await db?.terminate();
});

describe('local stack end to end (real processes, real events)', () => {
  it('a normal render reports progress over Pub/Sub, writes its output and ends succeeded', async () => {
    // long enough to be seen running on a loaded machine: the first Pub/Sub push to a cold function can take seconds
    const { status, body } = await call('POST', '/api/jobs', {
      type: 'demo-render',
      input: { durationMs: 6000, steps: 3 },
    });
    assert.equal(status, 201);
    const id = body.job.id;
    const running = await waitFor('progress while running', async () => {
      const j = await ledger(id);
      return j?.status === 'running' && (j.progress?.pct ?? 0) > 0 ? j : null;
    });
    assert.ok(running.progress!.completedSteps.length >= 1);
    const job = await waitFor('succeeded', async () => {
      const j = (await call('GET', `/api/jobs/${id}`)).body.job;
      return j.status === 'succeeded' ? j : null;
    });
    assert.equal(job.statusReason, 'OUTPUT_FOUND');
    assert.equal(job.outputs[0].present, true);
    const h = (await call('GET', `/api/jobs/${id}/history`)).body.transitions;
    // the finalize event and the worker's "succeeded" race; either one may record the end
    assert.deepEqual(
      h.map((t: any) => [t.to, t.reason]),
      [
        ['queued', 'ENQUEUED'],
        ['running', 'STARTED'],
        ['succeeded', 'OUTPUT_FOUND'],
      ],
    );
    assert.equal(h[1].source, 'worker');
    assert.ok(['gcs', 'worker'].includes(h[2].source));
    // the worker's step plan (last step weighs double) and each step's timing reached the progress view
    const p = (await call('GET', `/api/jobs/${id}/progress`)).body;
    assert.deepEqual(
      p.steps.map((s: any) => [s.name, s.status, s.weight]),
      [
        ['step-1', 'completed', 1],
        ['step-2', 'completed', 1],
        ['step-3', 'completed', 2],
      ],
    );
    // the output may land before the worker's last report (then that report changes nothing): step-1 is timed
    assert.ok(
      p.steps[0].startedAt !== null &&
        p.steps[0].completedAt !== null &&
        p.steps[0].startedAt <= p.steps[0].completedAt,
    );
  });

  it('SSE through the API function process: a client that drops mid-run and reconnects sees every transition once', async () => {
    const { body } = await call('POST', '/api/jobs', { type: 'demo-render', input: { durationMs: 1500, steps: 3 } });
    const id = body.job.id as string;
    const headers = { authorization: `Bearer ${token}` };
    const first = openSse(`${url}/api/jobs/${id}/events`, headers);
    assert.equal(await first.status, 200);
    await waitFor('the first transition', async () => first.events.some((e) => e.event === 'transition') || null);
    first.close();
    await first.ended;
    const seen = first.events.filter((e) => e.event === 'transition').map((e) => Number(e.id));
    await waitFor('succeeded', async () => ((await ledger(id))?.status === 'succeeded' ? true : null));
    // minutes away are the same as seconds: the replay comes from the stored history
    const again = openSse(`${url}/api/jobs/${id}/events`, {
      ...headers,
      'last-event-id': String(seen[seen.length - 1]),
    });
    await again.ended; // the per-job stream ends after the terminal transition
    const replayed = again.events.filter((e) => e.event === 'transition');
    const all = [...seen, ...replayed.map((e) => Number(e.id))];
    const stored = (await call('GET', `/api/jobs/${id}/history`)).body.transitions.map((t: any) => t.seq);
    assert.deepEqual(all, stored, 'every stored transition exactly once, in order');
    assert.equal(replayed[replayed.length - 1]!.data.to, 'succeeded');
  });

  it('fault "crash": the executor reports the failed execution; with attempts left it is retried', async () => {
    const { body } = await call('POST', '/api/jobs', {
      type: 'demo-render',
      input: { durationMs: 400, steps: 2, fault: 'crash' },
      policy: { maxAttempts: 2 },
    });
    const id = body.job.id;
    await waitFor('the crash', async () => exitOf(id));
    const job = (await call('GET', `/api/jobs/${id}?verify=true`)).body.job;
    assert.equal(job.status, 'queued');
    assert.equal(job.statusReason, 'RETRY_SCHEDULED');
    assert.equal(job.attempt, 2);
    assert.equal(job.error.code, 'EXECUTOR_FAILED');
    assert.ok(Date.parse(job.notBefore) > Date.parse(job.updatedAt), 'the next attempt waits for its backoff');
  });

  it('fault "hang": the heartbeat deadline fails it and the hung process is killed', async () => {
    const { body } = await call('POST', '/api/jobs', {
      type: 'demo-render',
      input: { durationMs: 600, steps: 3, fault: 'hang' },
      policy: { heartbeatTimeoutSeconds: 1, maxAttempts: 1 },
    });
    const id = body.job.id;
    const job = await waitFor('heartbeat timeout', async () => {
      const j = (await call('GET', `/api/jobs/${id}`)).body.job;
      return j.status === 'failed' ? j : null;
    });
    assert.equal(job.statusReason, 'HEARTBEAT_TIMEOUT');
    const exit = await waitFor('the hung worker to be killed', async () => exitOf(id));
    assert.equal(exit.signal, 'SIGTERM');
  });

  it('fault "fail": the worker reports a non-retryable failure', async () => {
    const { body } = await call('POST', '/api/jobs', {
      type: 'demo-render',
      input: { durationMs: 200, steps: 1, fault: 'fail' },
    });
    const id = body.job.id;
    const job = await waitFor('failed', async () => {
      const j = (await call('GET', `/api/jobs/${id}`)).body.job;
      return j.status === 'failed' ? j : null;
    });
    assert.equal(job.statusReason, 'WORKER_FAILED');
    assert.deepEqual(job.error, {
      code: 'RENDER_FAILED',
      message: 'the demo renderer was told to fail',
      retryable: false,
    });
  });

  it('cancel stops a running execution and frees its resourceKey', async () => {
    const { body } = await call('POST', '/api/jobs', {
      type: 'demo-render',
      resourceKey: 'reel:e2e',
      input: { durationMs: 30_000, steps: 30 },
    });
    const id = body.job.id;
    await waitFor('running', async () => (await call('GET', `/api/jobs/${id}`)).body.job.status === 'running');
    const busy = await call('POST', '/api/jobs', { type: 'demo-render', resourceKey: 'reel:e2e' });
    assert.equal(busy.status, 409);
    const c = await call('POST', `/api/jobs/${id}/cancel`);
    assert.equal(c.status, 202);
    assert.ok(['running', 'canceled'].includes(c.body.job.status), 'canceled, or waiting for the executor to confirm');
    const exit = await waitFor('the worker to be stopped', async () => exitOf(id));
    assert.equal(exit.signal, 'SIGTERM');
    const job = await waitFor('canceled', async () => {
      const j = (await call('GET', `/api/jobs/${id}`)).body.job; // a pending cancel is reconciled on every read
      return j.status === 'canceled' ? j : null;
    });
    assert.equal(job.statusReason, 'CANCELED_BY_USER');
    const h = (await call('GET', `/api/jobs/${id}/history`)).body.transitions;
    assert.equal(h.at(-1).evidence.executor.state, 'canceled', 'the executor confirmed the cancel');
    const next = await call('POST', '/api/jobs', { type: 'external', resourceKey: 'reel:e2e' });
    assert.equal(next.status, 201);
  });
  it('fault "silent": the finalize event completes the job within moments, with no read and no sweep', async () => {
    const { body } = await call('POST', '/api/jobs', {
      type: 'demo-render',
      input: { durationMs: 200, fault: 'silent' },
    });
    const id = body.job.id;
    const job = await waitFor('succeeded in the ledger', async () => {
      const j = await ledger(id);
      return j?.status === 'succeeded' ? j : null;
    });
    assert.equal(job.statusReason, 'OUTPUT_FOUND');
    const h = await store.history(id);
    assert.deepEqual(
      h.map((t) => [t.to, t.source]),
      [
        ['queued', 'api'],
        ['succeeded', 'gcs'],
      ],
    );
  });

  it('a provider job whose webhook is dropped completes from its predictable output', async () => {
    dropWebhooks = true;
    const { body } = await call('POST', '/api/jobs', { type: 'demo-provider', input: { durationMs: 200 } });
    const id = body.job.id;
    const job = await waitFor('succeeded in the ledger', async () => {
      const j = await ledger(id);
      return j?.status === 'succeeded' ? j : null;
    });
    assert.equal(job.statusReason, 'OUTPUT_FOUND');
    assert.match(job.outputUris[0]!, /\/provider\/ext_[^/]+_output_0\.mp4$/);
    assert.ok(provider.webhooksDropped >= 1);
    assert.equal((await store.history(id)).at(-1)!.source, 'gcs');
  });

  it('a provider job without outputs whose webhook is dropped is recovered from the provider status on reconcile', async () => {
    dropWebhooks = true;
    const { body } = await call('POST', '/api/jobs', { type: 'provider-bare', input: { durationMs: 100 } });
    const id = body.job.id;
    const ext = await waitFor('the provider to finish', async () => {
      const j = await ledger(id);
      const ref = j?.executor.executionRef;
      return ref && provider.jobs.get(ref.split(':')[2]!)?.status === 'succeeded' ? ref : null;
    });
    assert.ok(ext);
    assert.equal((await ledger(id))!.status, 'queued', 'no webhook, no output: the ledger has not heard');
    const r = (await call('POST', `/api/jobs/${id}/reconcile`)).body.report;
    assert.equal(r.correctedStatus, 'succeeded');
    assert.equal(r.reason, 'EXECUTOR_SUCCEEDED');
  });

  it('a provider job whose webhook arrives is completed by it (signed, through the webhooks function)', async () => {
    dropWebhooks = false;
    const { body } = await call('POST', '/api/jobs', { type: 'provider-bare', input: { durationMs: 100 } });
    const id = body.job.id;
    const job = await waitFor('succeeded in the ledger', async () => {
      const j = await ledger(id);
      return j?.status === 'succeeded' ? j : null;
    });
    assert.equal(job.statusReason, 'WORKER_SUCCEEDED');
    assert.equal((await store.history(id)).at(-1)!.source, 'webhook');
  });
});
