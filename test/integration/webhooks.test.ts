/** functions/webhooks: HMAC signature, replay window, constant-time check; unknown provider or bad signature → 401, nothing written. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createJob } from '../../shared/src/core/index.js';
import { createWebhooksHandler } from '../../functions/webhooks/handler.js';
import { signPayload } from '../../shared/src/webhooks/signature.js';
import { serveHttp, type Served } from '../helpers/functions.js';
import { jobSpec } from '../helpers/jobs.js';
import { countDocuments, testRuntime, type TestRuntime } from '../helpers/runtime.js';
import { readyRuntime } from '../../functions/common/runtime-source.js';

const SECRET = 'provider-secret-0123456789';
let rt: TestRuntime;
let fn: Served;
let n = 0;

before(async () => {
  rt = await testRuntime('webhooks', {
    envOverrides: {
      VERITY_WEBHOOK_SECRETS: JSON.stringify({ acme: SECRET }),
      VERITY_JOB_TYPES: JSON.stringify({
        'acme-render': {
          executor: {
            kind: 'http',
            provider: 'acme',
            baseUrl: 'http://127.0.0.1:9',
            outputTemplates: ['gs://{bucket}/acme/{externalJobId}.mp4'],
          },
          outputsFromRequest: false,
        },
      }),
    },
  });
  fn = await serveHttp(createWebhooksHandler(readyRuntime(rt)));
});
after(async () => {
  await fn.close();
  await rt.db.terminate();
});

/** A job as an http executor leaves it: execution ref http:acme:<ext>. */
async function providerJob(outputs: string[] = []): Promise<{ id: string; ext: string }> {
  const ext = `ext-${++n}`;
  const id = `job_wh_${n}`;
  await rt.store.create((ctx) =>
    createJob(jobSpec({ id, type: 'external', outputUris: outputs, executorKind: 'http' }), [], ctx),
  );
  await rt.store.apply(id, { kind: 'dispatched', source: 'executor', attempt: 1, executionRef: `http:acme:${ext}` });
  return { id, ext };
}

/** A queued job of `type` with no execution recorded yet. */
async function queuedJob(id: string, type: string, executorKind: 'http' | 'external'): Promise<void> {
  await rt.store.create((ctx) => createJob(jobSpec({ id, type, executorKind }), [], ctx));
}

async function deliver(
  provider: string,
  body: unknown,
  opts: { secret?: string; at?: number; header?: string } = {},
): Promise<number> {
  const raw = JSON.stringify(body);
  const t = Math.floor((opts.at ?? rt.testClock.now()) / 1000);
  const res = await fetch(`${fn.url}/api/webhooks/${provider}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-verity-signature': opts.header ?? signPayload(opts.secret ?? SECRET, raw, t),
    },
    body: raw,
  });
  await res.arrayBuffer();
  return res.status;
}

describe('webhooks', () => {
  it('a signed success completes a job without outputs; a replay of the same event changes nothing', async () => {
    const { id, ext } = await providerJob();
    const body = { eventId: 'evt-1', externalJobId: ext, status: 'succeeded' };
    assert.equal(await deliver('acme', body), 204);
    assert.equal(await deliver('acme', body), 204);
    const h = await rt.store.history(id);
    assert.deepEqual(
      h.map((t) => [t.to, t.reason, t.source]),
      [
        ['queued', 'ENQUEUED', 'api'],
        ['succeeded', 'WORKER_SUCCEEDED', 'webhook'],
      ],
    );
  });

  it('a success for a job with outputs is verified against the bucket first', async () => {
    const uri = `gs://${rt.bucket}/provider/out.mp4`;
    const { id, ext } = await providerJob([uri]);
    assert.equal(await deliver('acme', { eventId: 'evt-2', externalJobId: ext, status: 'succeeded' }), 204);
    assert.equal((await rt.store.get(id))!.status, 'running', 'said succeeded, but the output is not there yet');
    await rt.storage.bucket(rt.bucket).file('provider/out.mp4').save('v');
    assert.equal(await deliver('acme', { eventId: 'evt-3', externalJobId: ext, status: 'succeeded' }), 204);
    assert.equal((await rt.store.get(id))!.statusReason, 'OUTPUT_FOUND');
  });

  it('a failure is recorded with the provider error', async () => {
    const { id, ext } = await providerJob();
    assert.equal(
      await deliver('acme', {
        eventId: 'evt-4',
        externalJobId: ext,
        status: 'failed',
        error: { code: 'BAD_MEDIA', message: 'corrupt' },
      }),
      204,
    );
    const job = (await rt.store.get(id))!;
    assert.equal(job.statusReason, 'WORKER_FAILED');
    assert.equal(job.error!.code, 'BAD_MEDIA');
  });

  it('forged, stale, future, unsigned, malformed and unknown-provider deliveries are 401 and write nothing', async () => {
    const { id, ext } = await providerJob();
    const body = { eventId: 'evt-x', externalJobId: ext, status: 'succeeded' };
    const before = await countDocuments(rt.db);
    assert.equal(await deliver('acme', body, { secret: 'wrong-secret-0123456789' }), 401);
    assert.equal(await deliver('acme', body, { at: rt.testClock.now() - 6 * 60_000 }), 401);
    assert.equal(await deliver('acme', body, { at: rt.testClock.now() + 6 * 60_000 }), 401);
    assert.equal(await deliver('acme', body, { header: '' }), 401);
    assert.equal(await deliver('acme', body, { header: 't=abc,v1=zz' }), 401);
    assert.equal(await deliver('other', body), 401);
    assert.equal(await countDocuments(rt.db), before);
    assert.equal((await rt.store.get(id))!.status, 'queued');
  });

  it('a webhook that beats the commit of the execution reference finds its job by the echoed clientRef', async () => {
    const id = `job_wh_race_${++n}`;
    await queuedJob(id, 'acme-render', 'http');
    assert.equal(
      await deliver('acme', {
        eventId: 'evt-race',
        externalJobId: 'ext-not-yet-recorded',
        clientRef: `${id}:1`,
        status: 'succeeded',
      }),
      204,
    );
    // the webhook proves the execution: recorded first, with the outputs its template names, which the success
    // then waits for (before, it succeeded with no outputs to check: the soak's ground truth found it)
    const raced = (await rt.store.get(id))!;
    assert.equal(raced.executor.executionRef, 'http:acme:ext-not-yet-recorded');
    assert.deepEqual(raced.outputUris, [`gs://${rt.bucket}/acme/ext-not-yet-recorded.mp4`]);
    assert.notEqual(raced.status, 'succeeded', 'its output is not there yet');
    assert.ok(raced.reportedSucceededAt !== null, 'the report is kept: the output grace runs');
    // an id unfit for an object name is not recorded as an execution, and names no output
    const odd = `job_wh_odd_${n}`;
    await queuedJob(odd, 'acme-render', 'http');
    await deliver('acme', { eventId: 'evt-odd', externalJobId: '../x', clientRef: `${odd}:1`, status: 'failed' });
    assert.equal((await rt.store.get(odd))!.executor.executionRef, null);
    // a clientRef naming a job of another type (not this provider's) is not trusted
    const other = `job_wh_other_${n}`;
    await queuedJob(other, 'external', 'external');
    assert.equal(
      await deliver('acme', {
        eventId: 'evt-other',
        externalJobId: 'ext-x',
        clientRef: `${other}:1`,
        status: 'succeeded',
      }),
      204,
    );
    assert.equal((await rt.store.get(other))!.status, 'queued');
  });

  it('a signed body that is not a valid webhook is 400; an unknown external job is acknowledged', async () => {
    const before = await countDocuments(rt.db);
    assert.equal(await deliver('acme', { eventId: 'e', status: 'maybe' }), 400);
    assert.equal(await deliver('acme', { eventId: 'e2', externalJobId: 'nope', status: 'succeeded' }), 204);
    assert.equal(await countDocuments(rt.db), before);
  });
});
