/**
 * The Python worker client (clients/python, issue 30) against the local stack: pytest, from a pinned venv,
 * reports over HTTP (with the job's worker credential) and over the Pub/Sub emulator; then this test reads what
 * really happened — the job's status and progress in Verity's store, the published message, the checkpoints
 * in the bucket (read back by the TypeScript SDK: one layout for both).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PubSub } from '@google-cloud/pubsub';
import { workerKeyOf } from '../../shared/src/auth/index.js';
import { credentialExpiry, mintWorkerCredential } from '../../shared/src/auth/worker-credential.js';
import { REPO_ROOT } from '../../shared/src/config/env.js';
import type { Job } from '../../shared/src/core/index.js';
import { WorkerUpdateSchema } from '../../shared/src/schemas.js';
import { Checkpoints, restObjectIO } from '../../shared/src/worker/checkpoints.js';
import { ensurePytest } from '../../infra/local/python-tools.js';
import { startApi, type ApiClient } from '../helpers/api.js';
import { requireEmulators, testRuntime, uniqueName, type TestRuntime } from '../helpers/runtime.js';

let rt: TestRuntime;
let api: ApiClient;
let pytest: { code: number | null; out: string };
let httpJob: Job;
let pubsubJob: Job;
let pubsubCredential: string;
const pulled: { data: unknown; attributes: Record<string, string> }[] = [];

const credential = (job: Job): string =>
  mintWorkerCredential(workerKeyOf(rt.env), {
    jobId: job.id,
    attempt: job.attempt,
    ownerId: job.ownerId,
    exp: credentialExpiry(Date.now(), 600, 600),
  });

before(async () => {
  const { gcs } = requireEmulators();
  const tool = await ensurePytest(REPO_ROOT);
  rt = await testRuntime('python', {
    envOverrides: { VERITY_JOB_TYPES: JSON.stringify({ voice: { executor: { kind: 'external' } } }) },
  });
  api = await startApi(rt);
  const alice = { userId: 'alice', admin: false, workerJobId: null };
  httpJob = (await rt.jobs.enqueue(alice, { type: 'voice', outputs: [], reuseExistingOutputs: true })).job;
  pubsubJob = (await rt.jobs.enqueue(alice, { type: 'voice', outputs: [], reuseExistingOutputs: true })).job;
  const pubsub = new PubSub({ projectId: rt.projectId });
  const [sub] = await pubsub.topic(rt.env.updatesTopic).createSubscription(uniqueName('py-updates'));
  pytest = await new Promise((resolve) => {
    const child = spawn(tool.command, [...tool.args, '-q', '-p', 'no:cacheprovider', 'tests'], {
      cwd: path.join(REPO_ROOT, 'clients/python'),
      env: {
        ...process.env,
        PYTHONPATH: path.join(REPO_ROOT, 'clients/python'),
        PYTHONDONTWRITEBYTECODE: '1',
        VERITY_API_URL: api.url,
        VERITY_GCS_ENDPOINT: gcs,
        GOOGLE_CLOUD_PROJECT: rt.projectId,
        VERITY_UPDATES_TOPIC: rt.env.updatesTopic,
        PY_HTTP_JOB: httpJob.id,
        PY_HTTP_TOKEN: credential(httpJob),
        PY_PUBSUB_JOB: pubsubJob.id,
        PY_PUBSUB_CREDENTIAL: (pubsubCredential = credential(pubsubJob)),
        PY_CHECKPOINT_PREFIX: httpJob.checkpointPrefix!,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
  // a synchronous pull from the emulator (its REST API): every message the client published
  const res = await fetch(`http://${process.env.PUBSUB_EMULATOR_HOST}/v1/${sub.name}:pull`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ maxMessages: 10 }),
  });
  type Pulled = { receivedMessages?: { message: { data: string; attributes?: Record<string, string> } }[] };
  for (const { message } of ((await res.json()) as Pulled).receivedMessages ?? [])
    pulled.push({
      data: JSON.parse(Buffer.from(message.data, 'base64').toString()),
      attributes: message.attributes ?? {},
    });
  await sub.delete();
  await pubsub.close();
});
after(async () => {
  await api?.close();
  await rt?.db.terminate();
});

describe('the demo Python worker (type demo-python), started by Verity', () => {
  it('runs as a local process, reports, checkpoints its steps and writes its output', async () => {
    const demo = await testRuntime('pydemo'); // the local stack's own job types
    const bob = { userId: 'bob', admin: false, workerJobId: null };
    const { job } = await demo.jobs.enqueue(bob, {
      type: 'demo-python',
      input: { frames: 48 },
      reuseExistingOutputs: true,
    });
    const out = job.outputs[0]!.uri;
    let seen = job;
    for (let i = 0; i < 100 && seen.status !== 'succeeded'; i++) {
      await new Promise((r) => setTimeout(r, 300));
      seen = (await demo.reconciler.reconcile(job.id, 'reconcile')).job;
    }
    assert.equal(seen.status, 'succeeded', JSON.stringify(seen.error));
    const [bytes] = await demo.storage
      .bucket(demo.bucket)
      .file(out.split(`${demo.bucket}/`)[1]!)
      .download();
    assert.equal(bytes.toString(), '48 frames, rendered in Python');
    const ckpt = new Checkpoints(restObjectIO(requireEmulators().gcs), job.checkpointPrefix!);
    assert.deepEqual(JSON.parse((await ckpt.load('render'))!.data.toString()), { frames: 48 });
    await demo.db.terminate();
  });
});

describe('the Python worker client on the local stack', () => {
  it('pytest passes', () => {
    assert.equal(pytest.code, 0, pytest.out);
  });

  it('over HTTP: the job ran its steps and succeeded, as Verity recorded it', async () => {
    const job = (await rt.store.get(httpJob.id))!;
    assert.equal(job.status, 'succeeded');
    assert.deepEqual(job.progress?.completedSteps, ['render', 'mux']);
    const kinds = (await rt.store.history(job.id)).map((t) => t.reason);
    assert.deepEqual(kinds, ['ENQUEUED', 'STARTED', 'WORKER_SUCCEEDED']);
  });

  it('the checkpoints it wrote are read back whole by the TypeScript SDK', async () => {
    const ckpt = new Checkpoints(restObjectIO(requireEmulators().gcs), httpJob.checkpointPrefix!);
    const render = await ckpt.load('render');
    assert.deepEqual(JSON.parse(render!.data.toString()), { frames: 240 });
    assert.equal(render!.manifest.attempt, 1);
    assert.ok(await ckpt.load('mux'));
  });

  it('over Pub/Sub: each message carries its job and the credential, and applies as a report', async () => {
    assert.equal(pulled.length, 3);
    for (const m of pulled) {
      assert.equal(m.attributes.jobId, pubsubJob.id);
      assert.equal(m.attributes.verityCredential, pubsubCredential);
      const update = WorkerUpdateSchema.parse(m.data);
      await rt.jobs.report(null, update, update.id);
    }
    const job = (await rt.store.get(pubsubJob.id))!;
    assert.equal(job.status, 'failed');
    assert.equal(job.error?.code, 'VOICE_MODEL_DOWN');
  });
});
