/**
 * Seeds 003 and 004 end to end on the stack (issue 28): the demo provider uploads to an S3-compatible store
 * (gofakes3, spoken to by the AWS SDK v3) and says nothing — no webhook, its status "running" for ever — and
 * Verity finds the output by age polling, at an s3:// name or at its HTTP URL; under an alternative name (seed
 * 004); and at a URL the provider's webhook reports, only when it matches the type's declared pattern. Judged
 * by the provider's own record and the store's objects, not by Verity's documents alone. Verity's time moves;
 * the provider renders in real time (50 ms).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Principal } from '../../shared/src/auth/principal.js';
import { REPO_ROOT } from '../../shared/src/config/env.js';
import { SIGNATURE_HEADER, signPayload } from '../../shared/src/webhooks/signature.js';
import { jobView } from '../../shared/src/views.js';
import { startDemoProvider, type DemoProvider } from '../../infra/local/demo-provider.js';
import { startFakeS3, type RunningService } from '../../infra/local/emulators.js';
import { ensureGoTool, GOFAKES3 } from '../../infra/local/tools.js';
import { freePort } from '../helpers/processes.js';
import { requireEmulators, testRuntime, type TestRuntime } from '../helpers/runtime.js';
import { startSubscriber, verifies, type Subscriber } from '../helpers/subscriber.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'voice-provider-secret-0123456789';
const SPACES = 'spaces';
const KEYS = { accessKeyId: 'verity-test', secretAccessKey: 'verity-test-secret' };
const S = 1000;
const alice: Principal = { userId: 'alice', admin: false, workerJobId: null };
let s3: RunningService;
let demo: DemoProvider;
let receiver: Server;
let rt: TestRuntime | undefined;
let client: S3Client;
let app: Subscriber;

before(async () => {
  s3 = await startFakeS3({
    host: '127.0.0.1',
    port: await freePort(),
    logDir: path.join(os.tmpdir(), 'verity-fake-s3'),
    binary: await ensureGoTool(REPO_ROOT, GOFAKES3),
    bucket: SPACES,
  });
  client = new S3Client({ endpoint: s3.url, region: 'us-east-1', forcePathStyle: true, credentials: KEYS });
  // the API's webhook endpoint: each delivery goes to the runtime's webhooks service, as functions/webhooks does
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const sig = req.headers[SIGNATURE_HEADER];
      rt!.webhooks.receive('voice', Buffer.concat(chunks), typeof sig === 'string' ? sig : undefined).then(
        () => res.writeHead(204).end(),
        () => res.writeHead(500).end(),
      );
    });
  });
  const hookPort = await freePort();
  await new Promise<void>((resolve) => receiver.listen(hookPort, '127.0.0.1', resolve));
  const { gcs } = requireEmulators();
  demo = await startDemoProvider({
    port: 0,
    secret: SECRET,
    bucket: 'unused',
    gcsEndpoint: gcs,
    projectId: 'verity-test',
    dropWebhookRate: 0,
    durationMs: 50,
    s3: { endpoint: s3.url, bucket: SPACES, ...KEYS },
    s3Only: true,
  });
  process.env.SPACES_KEY = KEYS.accessKeyId;
  process.env.SPACES_SECRET = KEYS.secretAccessKey;
  const url = `http://${s3.hostPort}/${SPACES}/provider`;
  const voice = (outputTemplates: unknown[]) => ({
    executor: { kind: 'http', provider: 'voice', baseUrl: demo.url, outputTemplates },
    outputsFromRequest: false,
    // seed 003: the provider never reports while it works; check its output after 5 minutes
    policy: { liveness: 'executor', probeAfterSeconds: 300, probeEverySeconds: 120, runTimeoutSeconds: 3600 },
  });
  rt = await testRuntime('provider-outputs', {
    envOverrides: {
      VERITY_WEBHOOK_SECRETS: JSON.stringify({ voice: SECRET }),
      VERITY_WEBHOOK_BASE_URL: `http://127.0.0.1:${hookPort}`,
      VERITY_S3_STORES: JSON.stringify({
        [SPACES]: {
          endpoint: s3.url,
          region: 'us-east-1',
          forcePathStyle: true,
          accessKeyIdEnv: 'SPACES_KEY',
          secretAccessKeyEnv: 'SPACES_SECRET',
        },
      }),
      VERITY_HTTP_OUTPUT_HOSTS: JSON.stringify({ [s3.hostPort]: {} }),
      VERITY_JOB_TYPES: JSON.stringify({
        'voice-s3': voice([`s3://${SPACES}/provider/{externalJobId}_output_0.mp4`]),
        'voice-url': voice([`${url}/{externalJobId}_output_0.mp4`]),
        // seed 004: the provider writes either name; its webhook may name another, matching the pattern
        music: voice([
          {
            anyOf: [
              `s3://${SPACES}/provider/{externalJobId}_output_0.mp4`,
              `s3://${SPACES}/provider/{externalJobId}.mp4`,
            ],
            reported: `${url}/{externalJobId}_*.mp4`,
          },
        ]),
      }),
    },
  });
});
after(async () => {
  await rt?.deliveries.idle();
  await app?.close();
  await rt?.db.terminate();
  await demo?.stop();
  receiver?.close();
  await s3?.stop();
});

/** Sweeps every 30 s of moved time for `seconds`, as the scheduled sweep does. */
async function sweepFor(seconds: number): Promise<void> {
  for (let t = 0; t < seconds; t += 30) {
    rt!.testClock.advance(30 * S);
    await rt!.sweeper.sweep();
  }
}

/** Enqueues a job of `type`; returns it with the provider's record of its render, once the render has ended. */
async function rendered(type: string, input: Record<string, unknown>) {
  // reuse: an object older than the job counts (Verity's clock runs ahead of the store's here, moved by sweepFor)
  const { job } = await rt!.jobs.enqueue(alice, { type, input, reuseExistingOutputs: true });
  const ext = await waitFor(
    'the provider got the job',
    async () => (await rt!.store.get(job.id))?.executor.executionRef,
  );
  const mine = demo.jobs.get(ext.split(':')[2]!)!;
  await waitFor('the render ended', async () => mine.endedAt !== undefined || null, 10_000, 20);
  return { id: job.id, ext: mine.externalJobId, provider: mine };
}

const stored = async (key: string): Promise<boolean> =>
  client.send(new HeadObjectCommand({ Bucket: SPACES, Key: key })).then(
    () => true,
    () => false,
  );

// first, while Verity's clock is the provider's: its webhook is signed with real time (sweepFor moves Verity's)
describe('seed 004: the name a provider’s webhook reports', () => {
  it('a webhook’s outputUrl matching the pattern is looked for, and found', async () => {
    const { id, ext, provider } = await rendered('music', { outputName: '{externalJobId}_final.mp4' });
    assert.equal(provider.webhook, 'sent');
    const url = `http://${s3.hostPort}/${SPACES}/provider/${ext}_final.mp4`;
    const done = await waitFor('succeeded', async () => {
      const j = (await rt!.store.get(id))!;
      return j.status === 'succeeded' ? j : null;
    });
    assert.equal(done.outputs[0]!.foundUri, url);
    assert.ok(done.outputUris.includes(url));
  });
});

describe('seed 003: a provider that uploads to an S3-compatible store and never says so', () => {
  for (const type of ['voice-s3', 'voice-url'])
    it(`${type}: completed by age polling within one probe interval, on its first attempt`, async () => {
      const { id, ext, provider } = await rendered(type, { silent: true });
      assert.equal(provider.webhook, 'dropped', 'no webhook came');
      assert.ok(await stored(`provider/${ext}_output_0.mp4`), 'the store has the output');
      await sweepFor(240); // before the first age probe (5 min): nothing says it is done
      assert.equal((await rt!.store.get(id))!.status, 'queued');
      await sweepFor(120); // the 5-minute probe finds it
      const done = (await rt!.store.get(id))!;
      assert.equal(done.status, 'succeeded', done.statusReason);
      assert.equal(done.statusReason, 'OUTPUT_FOUND');
      assert.equal(done.attempt, 1);
      assert.equal(done.outputs[0]!.present, true);
      assert.equal(demo.jobs.size > 0 && [...demo.jobs.values()].filter((j) => j.clientRef.startsWith(id)).length, 1);
    });
});

describe('seed 003: the app’s records learn of it (outbound webhooks, issue 31)', () => {
  it('one signed event per state change, with the output URL and the operation; duplicates keep their id', async () => {
    app = await startSubscriber();
    const { subscription, secret } = await rt!.subscriptions.create(alice, {
      url: `${app.url}/airtable`,
      types: ['voice-url'],
      statuses: [],
    });
    const { id } = await rendered('voice-url', { silent: true, operation: 'add_music' });
    await sweepFor(360); // recovered by the 5-minute age probe, as above
    const done = (await rt!.store.get(id))!;
    assert.equal(done.status, 'succeeded', done.statusReason);
    await rt!.deliveries.idle();
    const history = await rt!.jobs.history(alice, id);
    const events = await waitFor('every event', async () => {
      const mine = app.firsts('/airtable').filter((r) => r.event.data.jobId === id);
      return mine.length >= history.length ? mine : null;
    });
    assert.deepEqual(
      events.map((e) => [e.event.data.seq, e.event.data.to]),
      history.map((t) => [t.seq, t.to]),
      'one event per state change, in order',
    );
    for (const e of events) assert.ok(verifies(secret, e), 'verified by the reference library');
    const last = events.at(-1)!.event.data;
    assert.equal(last.job.input.operation, 'add_music', 'the operation, as the app routes on it');
    assert.match(last.job.outputs[0].foundUri, /^http:\/\/.*_output_0\.mp4$/, 'the output URL');
    // a replay is a duplicate: the same webhook-id, so the app's dedupe keeps one record per state change
    await rt!.subscriptions.replay(alice, subscription.id, { jobId: id });
    await sweepFor(30);
    await rt!.deliveries.deliverDue();
    const all = app.received.filter((r) => r.event.data.jobId === id);
    assert.ok(all.length > events.length, 'the replay sent them again');
    assert.deepEqual(new Set(all.map((r) => r.id)), new Set(events.map((e) => e.id)), 'with the same ids');
    assert.ok(all.every((r) => verifies(secret, r)));
  });
});

describe('seed 004: alternative names', () => {
  it('found under its alternative name', async () => {
    const { id, ext } = await rendered('music', { silent: true, outputName: '{externalJobId}.mp4' });
    assert.ok(await stored(`provider/${ext}.mp4`));
    assert.ok(!(await stored(`provider/${ext}_output_0.mp4`)), 'the first name was never written');
    await sweepFor(330);
    const done = (await rt!.store.get(id))!;
    assert.equal(done.status, 'succeeded', done.statusReason);
    assert.equal(done.outputs[0]!.foundUri, `s3://${SPACES}/provider/${ext}.mp4`);
    const view = jobView(await rt!.jobs.read(alice, id), rt!.clock());
    assert.equal(view.outputs[0]!.foundUri, `s3://${SPACES}/provider/${ext}.mp4`);
  });

  it('a webhook’s outputUrl outside the pattern is never looked for; its status still counts', async () => {
    const { id, ext } = await rendered('music', { silent: true, outputName: '{externalJobId}_x.mp4' });
    const before = (await rt!.store.get(id))!;
    for (const outputUrl of [
      `http://evil.example/${SPACES}/provider/${ext}_x.mp4`, // another host
      `http://${s3.hostPort}/${SPACES}/provider/other_x.mp4`, // another provider job's name
      `http://${s3.hostPort}/${SPACES}/elsewhere/${ext}_x.mp4`, // outside the pattern's folder
    ]) {
      const body = JSON.stringify({ eventId: `evt-${outputUrl}`, externalJobId: ext, status: 'succeeded', outputUrl });
      const res = await rt!.webhooks.receive(
        'voice',
        Buffer.from(body),
        signPayload(SECRET, body, Math.floor(rt!.clock() / S)),
      );
      assert.equal(res.outputUrl, 'ignored', outputUrl);
    }
    const after = (await rt!.store.get(id))!;
    assert.deepEqual(after.outputUris, before.outputUris, 'no name was added');
    assert.ok(after.reportedSucceededAt !== null, 'the reported success is recorded');
    assert.notEqual(after.status, 'succeeded', 'the output it names is not one of its names: still missing');
  });
});
