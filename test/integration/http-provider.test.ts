/**
 * The http executor against the demo provider (infra/local/demo-provider.ts) on ephemeral ports, writing its
 * outputs to the harness's fake-gcs-server; a tiny receiver plays the API's webhook endpoint. How it reads the
 * provider's answers (statuses, errors, timeouts, API keys) against a stubbed fetch: test/unit/http-provider-answers.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Job } from '../../shared/src/core/index.js';
import type { JobType } from '../../shared/src/config/job-types.js';
import { createHttpProviderExecutor, parseHttpRef } from '../../shared/src/evidence/executors/http-provider.js';
import { ExecutorStartError, type Executor } from '../../shared/src/evidence/executors/types.js';
import { parseGcsUri } from '../../shared/src/evidence/gcs-uri.js';
import { createStorage } from '../../shared/src/evidence/storage.js';
import { SIGNATURE_HEADER, verifySignature } from '../../shared/src/webhooks/signature.js';
import { startDemoProvider, type DemoProvider } from '../../infra/local/demo-provider.js';
import { httpType, jobOf, registeredTypes, typeIn } from '../helpers/http-provider.js';
import { requireEmulators, uniqueName } from '../helpers/runtime.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'demo-provider-secret-0123456789';

interface Received {
  provider: string;
  raw: Buffer;
  signature: string | undefined;
  body: { eventId: string; externalJobId: string; status: string; outputUrl?: string; error?: { code: string } };
}

let bucket: string;
let storage: ReturnType<typeof createStorage>;
let demo: DemoProvider;
let mute: DemoProvider;
let receiver: Server;
let receiverUrl: string;
let downUrl: string;
let types: Map<string, JobType>;
let exec: Executor;
const received: Received[] = [];

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

const type = (name: string): JobType => typeIn(types, name);
const job = (typeName: string, input: Record<string, unknown> = {}, attempt = 1): Job =>
  jobOf(types, typeName, input, attempt);

const stateOf = async (ref: string): Promise<string> => (await exec.status(ref)).state;
const until = (ref: string, state: string): Promise<true> =>
  waitFor(`${ref} ${state}`, async () => (await stateOf(ref)) === state || null, 10_000, 50);

async function objectExists(uri: string): Promise<boolean> {
  const loc = parseGcsUri(uri);
  assert.ok(loc, uri);
  const [exists] = await storage.bucket(loc.bucket).file(loc.name).exists();
  return exists;
}

before(async () => {
  const { gcs } = requireEmulators();
  const projectId = process.env.GOOGLE_CLOUD_PROJECT ?? 'verity-test';
  bucket = uniqueName('verity-http');
  storage = createStorage(projectId, gcs);
  await storage.createBucket(bucket);

  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const sig = req.headers[SIGNATURE_HEADER];
      received.push({
        provider: (req.url ?? '').split('/').pop() ?? '',
        raw,
        signature: typeof sig === 'string' ? sig : undefined,
        body: JSON.parse(raw.toString('utf8')),
      });
      res.writeHead(200).end('{}');
    });
  });
  receiverUrl = await listen(receiver);

  const common = { port: 0, secret: SECRET, bucket, gcsEndpoint: gcs, projectId, durationMs: 200 };
  demo = await startDemoProvider({ ...common, dropWebhookRate: 0 });
  mute = await startDemoProvider({ ...common, dropWebhookRate: 1 });
  const closed = createServer();
  downUrl = await listen(closed);
  await new Promise((r) => closed.close(r)); // a port nobody listens on

  types = registeredTypes(
    bucket,
    {
      render: httpType('demo', demo.url),
      'mute-render': httpType('mute', mute.url),
      'down-render': httpType('down', downUrl),
      ext: { executor: { kind: 'external' } },
    },
    process.env,
  );
  exec = createHttpProviderExecutor({
    providers: { demo: { baseUrl: demo.url }, mute: { baseUrl: mute.url }, down: { baseUrl: downUrl } },
    callbackUrl: (provider) => `${receiverUrl}/api/webhooks/${provider}`,
    bucket,
    timeoutMs: 2000,
  });
});

after(async () => {
  await Promise.all([demo?.stop(), mute?.stop()]);
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
});

describe('http executor against the demo provider', () => {
  it('submits, names the execution and predicts the outputs; runs, succeeds, writes the output and sends a signed webhook', async () => {
    const j = job('render');
    const started = await exec.start(j, type('render'));
    const p = parseHttpRef(started.executionRef);
    assert.ok(p, started.executionRef);
    assert.equal(p.provider, 'demo');
    assert.equal(started.executionRef, `http:demo:${p.externalJobId}`);
    const predicted = `gs://${bucket}/provider/${p.externalJobId}_output_0.mp4`;
    assert.deepEqual(started.outputUris, [predicted]);
    assert.equal(demo.jobs.get(p.externalJobId)?.clientRef, `${j.id}:1`);

    assert.equal(await stateOf(started.executionRef), 'running');
    assert.equal(await objectExists(predicted), false);
    await until(started.executionRef, 'succeeded');
    assert.equal(await objectExists(predicted), true, 'the output is at the predicted URI');

    const hook = await waitFor(
      'the webhook',
      () => Promise.resolve(received.find((r) => r.body.externalJobId === p.externalJobId)),
      5000,
      20,
    );
    assert.equal(hook.provider, 'demo');
    assert.deepEqual(verifySignature(SECRET, hook.raw, hook.signature, Date.now()), { ok: true });
    assert.deepEqual(verifySignature('another-secret', hook.raw, hook.signature, Date.now()), {
      ok: false,
      reason: 'mismatch',
    });
    assert.equal(hook.body.status, 'succeeded');
    assert.equal(hook.body.outputUrl, predicted);
    assert.match(hook.body.eventId, /^evt_/);
  });

  it('submit is idempotent by clientRef: the same job and attempt get the same execution, a new attempt a new one', async () => {
    const j = job('render', { durationMs: 5000 });
    const before = demo.jobs.size;
    const a = await exec.start(j, type('render'));
    const b = await exec.start(j, type('render'));
    assert.deepEqual(b, a);
    assert.equal(demo.jobs.size, before + 1, 'submitted once');
    const c = await exec.start({ ...j, attempt: 2 }, type('render'));
    assert.notEqual(c.executionRef, a.executionRef);
    await exec.cancel(a.executionRef);
    await exec.cancel(c.executionRef);
  });

  it('two submits of one attempt at once (two processes running the start effect) are one provider job', async () => {
    const j = job('render', { durationMs: 5000 });
    const before = demo.jobs.size;
    const [a, b] = await Promise.all([exec.start(j, type('render')), exec.start(j, type('render'))]);
    assert.deepEqual(b, a);
    assert.equal(demo.jobs.size, before + 1, 'submitted once');
    await exec.cancel(a.executionRef);
  });

  it('a failed render is failed (with the provider error), and its webhook says so', async () => {
    const { executionRef } = await exec.start(job('render', { fail: true, durationMs: 50 }), type('render'));
    await until(executionRef, 'failed');
    const obs = await exec.status(executionRef);
    assert.match(obs.detail ?? '', /^RENDER_FAILED: /);
    const id = parseHttpRef(executionRef)!.externalJobId;
    const hook = await waitFor(
      'the webhook',
      () => Promise.resolve(received.find((r) => r.body.externalJobId === id)),
      5000,
      20,
    );
    assert.deepEqual(verifySignature(SECRET, hook.raw, hook.signature, Date.now()), { ok: true });
    assert.equal(hook.body.status, 'failed');
    assert.equal(hook.body.error?.code, 'RENDER_FAILED');
  });

  it('cancel stops a render (canceled, no output, no webhook) and is idempotent; canceling a finished or unknown job is fine', async () => {
    const started = await exec.start(job('render', { durationMs: 10_000 }), type('render'));
    await exec.cancel(started.executionRef);
    assert.equal(await stateOf(started.executionRef), 'canceled');
    await exec.cancel(started.executionRef);
    assert.equal(await stateOf(started.executionRef), 'canceled');
    const id = parseHttpRef(started.executionRef)!.externalJobId;
    assert.equal(demo.jobs.get(id)?.webhook, undefined);
    assert.equal(await objectExists(started.outputUris![0]!), false);

    const done = await exec.start(job('render', { durationMs: 0 }), type('render'));
    await until(done.executionRef, 'succeeded');
    await exec.cancel(done.executionRef); // 409 from the provider: already finished
    assert.equal(await stateOf(done.executionRef), 'succeeded');
    await exec.cancel('http:demo:ext_unknown'); // 404
    await exec.cancel('not-a-ref');
  });

  it('an id the provider does not know is lost; so is a reference that is not http', async () => {
    assert.equal(await stateOf('http:demo:ext_unknown'), 'lost');
    assert.equal(await stateOf('local:job_1:1'), 'lost');
    await assert.rejects(exec.status('http:nobody:ext_1'), /not configured/);
  });

  it('with every webhook dropped, nothing is delivered, yet status says succeeded and the output is there', async () => {
    const started = await exec.start(job('mute-render', { durationMs: 50 }), type('mute-render'));
    await until(started.executionRef, 'succeeded');
    assert.equal(mute.webhooksSent, 0);
    assert.equal(mute.webhooksDropped, 1);
    const id = parseHttpRef(started.executionRef)!.externalJobId;
    assert.equal(
      received.some((r) => r.body.externalJobId === id),
      false,
    );
    assert.equal(await objectExists(started.outputUris![0]!), true, 'the output probe finds it');
    assert.ok(demo.webhooksSent >= 2);
    assert.equal(demo.webhooksDropped, 0);
  });

  it('start errors: a 4xx is not retryable, an unreachable provider is, a non-http type is not', async () => {
    const isStartError =
      (retryable: boolean) =>
      (err: unknown): boolean => {
        assert.ok(err instanceof ExecutorStartError, String(err));
        assert.equal(err.retryable, retryable, err.message);
        return true;
      };
    await assert.rejects(exec.start(job('render', { durationMs: -1 }), type('render')), isStartError(false));
    await assert.rejects(exec.start(job('down-render'), type('down-render')), isStartError(true));
    await assert.rejects(exec.start(job('ext'), type('ext')), isStartError(false));
  });
});
