/**
 * End to end on the local stack: the API in its own functions-framework process (as deployed), the
 * emulators of the test harness, the local-process executor running the real demo worker, which reports
 * over HTTP and writes its output to fake-gcs-server. Each fault of the demo worker ends where it should.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mintLocalToken } from '../../shared/src/auth/local-issuer.js';
import { REPO_ROOT } from '../../shared/src/config/env.js';
import { createStorage } from '../../shared/src/evidence/storage.js';
import { spawnManaged, tcpProbe, waitUntilReady, type ManagedProcess } from '../../infra/local/emulators.js';
import { requireEmulators, TEST_SECRET, uniqueName } from '../helpers/runtime.js';
import { waitFor } from '../helpers/wait.js';

let api: ManagedProcess;
let url: string;
let token: string;
let stateDir: string;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

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

before(async () => {
  const { firestore, gcs } = requireEmulators();
  const port = await freePort();
  const project = uniqueName('e2e').slice(0, 30);
  const bucket = uniqueName('verity-e2e');
  stateDir = mkdtempSync(path.join(os.tmpdir(), 'verity-e2e-'));
  await createStorage(project, gcs).createBucket(bucket);
  url = `http://127.0.0.1:${port}`;
  api = spawnManaged('api', process.execPath, [
    path.join(REPO_ROOT, 'node_modules/@google-cloud/functions-framework/build/src/main.js'),
    '--target=api', `--source=${path.join(REPO_ROOT, 'dist/functions/api/index.js')}`, `--port=${port}`, '--signature-type=http',
  ], {
    env: {
      ...process.env, GOOGLE_CLOUD_PROJECT: project, FIRESTORE_EMULATOR_HOST: firestore, VERITY_GCS_ENDPOINT: gcs, VERITY_BUCKET: bucket,
      VERITY_PROFILE: 'local', VERITY_LOCAL_JWT_SECRET: TEST_SECRET, VERITY_STATE_DIR: stateDir, VERITY_API_URL: url,
      VERITY_LOG_LEVEL: 'warn', METADATA_SERVER_DETECTION: 'none',
    },
    output: { kind: 'file', path: path.join(stateDir, 'api.log') },
  });
  await waitUntilReady(() => tcpProbe('127.0.0.1', port), { what: 'the API function', where: url, timeoutMs: 30_000, proc: api });
  token = await mintLocalToken(TEST_SECRET, 'alice');
});

after(async () => {
  await api?.stop();
});

describe('local stack end to end (real demo worker processes)', () => {
  it('a normal render reports progress, writes its output and ends succeeded (OUTPUT_FOUND from the worker)', async () => {
    const { status, body } = await call('POST', '/api/jobs', { type: 'demo-render', input: { durationMs: 600, steps: 3 } });
    assert.equal(status, 201);
    const id = body.job.id;
    const job = await waitFor('succeeded', async () => ((await call('GET', `/api/jobs/${id}`)).body.job.status === 'succeeded' ? (await call('GET', `/api/jobs/${id}`)).body.job : null));
    assert.equal(job.statusReason, 'OUTPUT_FOUND');
    assert.equal(job.outputs[0].present, true);
    assert.deepEqual(job.progress.completedSteps, ['step-1', 'step-2', 'step-3']);
    const h = (await call('GET', `/api/jobs/${id}/history`)).body.transitions;
    assert.deepEqual(h.map((t: any) => [t.to, t.reason, t.source]), [['queued', 'ENQUEUED', 'api'], ['running', 'STARTED', 'worker'], ['succeeded', 'OUTPUT_FOUND', 'worker']]);
  });

  it('fault "silent": the worker never reports, the output in the bucket makes it succeeded on reconcile', async () => {
    const { body } = await call('POST', '/api/jobs', { type: 'demo-render', input: { durationMs: 300, fault: 'silent' } });
    const id = body.job.id;
    await waitFor('the silent worker to exit', async () => exitOf(id));
    assert.equal((await call('GET', `/api/jobs/${id}`)).body.job.status, 'queued', 'nobody said anything: the ledger still says queued');
    const r = (await call('POST', `/api/jobs/${id}/reconcile`)).body.report;
    assert.equal(r.originalStatus, 'queued');
    assert.equal(r.correctedStatus, 'succeeded');
    assert.equal(r.action, 'corrected');
    assert.equal(r.reason, 'OUTPUT_FOUND');
  });

  it('fault "crash": the executor reports the failed execution; with attempts left it is retried', async () => {
    const { body } = await call('POST', '/api/jobs', { type: 'demo-render', input: { durationMs: 400, steps: 2, fault: 'crash' }, policy: { maxAttempts: 2 } });
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
    const { body } = await call('POST', '/api/jobs', { type: 'demo-render', input: { durationMs: 600, steps: 3, fault: 'hang' }, policy: { heartbeatTimeoutSeconds: 1, maxAttempts: 1 } });
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
    const { body } = await call('POST', '/api/jobs', { type: 'demo-render', input: { durationMs: 200, steps: 1, fault: 'fail' } });
    const id = body.job.id;
    const job = await waitFor('failed', async () => {
      const j = (await call('GET', `/api/jobs/${id}`)).body.job;
      return j.status === 'failed' ? j : null;
    });
    assert.equal(job.statusReason, 'WORKER_FAILED');
    assert.deepEqual(job.error, { code: 'RENDER_FAILED', message: 'the demo renderer was told to fail', retryable: false });
  });

  it('cancel stops a running execution and frees its resourceKey', async () => {
    const { body } = await call('POST', '/api/jobs', { type: 'demo-render', resourceKey: 'reel:e2e', input: { durationMs: 30_000, steps: 30 } });
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
});
