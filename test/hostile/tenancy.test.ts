/**
 * Hostile suite, two owners: Bob can neither see, block, claim nor overwrite anything of Alice's — jobs,
 * resourceKeys, idempotency keys, outputs, project artifacts, learning. Every refusal is checked for its
 * status and error body, for what it does not reveal, and (by reading the store) for writing nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDemoProvider, type DemoProvider } from '../../infra/local/demo-provider.js';
import { startApi, type ApiClient } from '../helpers/api.js';
import { countDocuments, requireEmulators, testRuntime, type TestRuntime } from '../helpers/runtime.js';
import { waitFor } from '../helpers/wait.js';

const DEMO_SECRET = 'hostile-demo-secret-0123456789';
let rt: TestRuntime;
let api: ApiClient;
let demo: DemoProvider;
let alice: string;
let bob: string;
let aliceJob: { id: string; version: number };
let aliceOutput: string;
let aliceProject: string;

const as = (token: string) => ({ token });

before(async () => {
  const { gcs } = requireEmulators();
  // a demo provider that takes its time: its jobs stay running until canceled (it never writes an output)
  demo = await startDemoProvider({
    port: 0,
    secret: DEMO_SECRET,
    bucket: 'unused',
    gcsEndpoint: gcs,
    projectId: 'unused',
    dropWebhookRate: 0,
    durationMs: 600_000,
  });
  rt = await testRuntime('hostile', {
    envOverrides: { VERITY_WEBHOOK_SECRETS: JSON.stringify({ demo: DEMO_SECRET }), VERITY_DEMO_PROVIDER_URL: demo.url },
  });
  api = await startApi(rt);
  [alice, bob] = await Promise.all([api.token('alice'), api.token('bob')]);
  aliceOutput = `gs://${rt.bucket}/u/alice/final.mp4`;
  await rt.storage.bucket(rt.bucket).file('u/alice/final.mp4').save('alice bytes');
  const res = await api.call('POST', '/api/jobs', {
    ...as(alice),
    body: {
      type: 'external',
      outputs: [`gs://${rt.bucket}/u/alice/next.mp4`],
      resourceKey: 'film:1',
      idempotencyKey: 'k1',
      input: { secret: 'alice-input' },
    },
  });
  assert.equal(res.status, 201, res.text);
  aliceJob = res.body.job;
  const p = await api.call('POST', '/api/projects', {
    ...as(alice),
    body: { name: 'alice reel', artifacts: [{ key: 'a', uri: aliceOutput }] },
  });
  assert.equal(p.status, 201, p.text);
  aliceProject = p.body.project.id;
});

after(async () => {
  await api.close();
  await demo.stop();
  await rt.db.terminate();
});

/** Runs a request that must be refused, and proves it wrote nothing and left Alice's job as it was. */
/** A job of Alice's at the demo provider (it runs until canceled), once its submit is recorded: its id. */
async function aliceProviderJob(): Promise<string> {
  const res = await api.call('POST', '/api/jobs', {
    ...as(alice),
    body: { type: 'demo-provider', input: { durationMs: 600000 } },
  });
  assert.equal(res.status, 201, res.text);
  const id = res.body.job.id as string;
  await waitFor('submitted', async () => (await rt.store.get(id))?.executor.executionRef !== null);
  return id;
}

async function refused(
  method: string,
  path: string,
  opts: { token: string; body?: unknown },
  status: number,
  code: string,
): Promise<{ text: string; body: any }> {
  const before = await countDocuments(rt.db);
  const res = await api.call(method, path, opts);
  assert.equal(res.status, status, `${method} ${path}: ${res.text}`);
  assert.equal(res.body?.error?.code, code, res.text);
  assert.equal(await countDocuments(rt.db), before, `${method} ${path} wrote nothing`);
  const job = await rt.store.get(aliceJob.id);
  assert.equal(job?.version, aliceJob.version, "Alice's job unchanged");
  return res;
}

describe('hostile: two owners', () => {
  it("every route on Alice's job answers Bob 404, reveals nothing and changes nothing", async () => {
    const id = aliceJob.id;
    const routes: [string, string, unknown?][] = [
      ['GET', `/api/jobs/${id}`],
      ['GET', `/api/jobs/${id}?verify=true`],
      ['POST', `/api/jobs/${id}/reconcile`],
      ['POST', `/api/jobs/${id}/cancel`],
      ['POST', `/api/jobs/${id}/retry`],
      ['POST', `/api/jobs/${id}/updates`, { kind: 'succeeded' }],
      ['GET', `/api/jobs/${id}/history`],
      ['GET', `/api/jobs/${id}/progress`],
      ['GET', `/api/jobs/${id}/diagnosis`],
      ['GET', `/api/jobs/${id}/events`],
      ['GET', `/api/projects/${aliceProject}`],
      ['POST', `/api/projects/${aliceProject}/reconcile`],
      ['POST', `/api/projects/${aliceProject}/generate`],
    ];
    for (const [method, path, body] of routes) {
      const res = await refused(method, path, { token: bob, ...(body ? { body } : {}) }, 404, 'NOT_FOUND');
      assert.doesNotMatch(res.text, /alice/, `${method} ${path} reveals nothing of Alice's`);
    }
    const list = await api.call('GET', '/api/jobs', as(bob));
    assert.equal(list.status, 200);
    assert.equal(list.body.jobs.length, 0, "Bob's list holds none of Alice's jobs");
    const stats = await api.call('GET', '/api/stats/recoveries', as(bob));
    assert.equal(stats.status, 200);
    assert.equal(stats.body.transitions, 0, "Bob's stats count none of Alice's transitions");
    assert.deepEqual(stats.body.byType, {});
    const projects = await api.call('GET', '/api/projects', as(bob));
    assert.equal(projects.body.projects.length, 0);
  });

  it("Bob's resourceKey and idempotencyKey are his own: he neither blocks, squats nor receives Alice's job", async () => {
    const bobs = await api.call('POST', '/api/jobs', {
      ...as(bob),
      body: { type: 'external', resourceKey: 'film:1', idempotencyKey: 'k1' },
    });
    assert.equal(bobs.status, 201, `another owner's key is another key: ${bobs.text}`);
    assert.notEqual(bobs.body.job.id, aliceJob.id);
    assert.equal(bobs.body.job.ownerId, 'bob');
    assert.doesNotMatch(bobs.text, /alice-input/);
    // each owner's step checkpoints live under their own folder (resume never reads another owner's)
    assert.match(bobs.body.job.checkpointPrefix, /\/ckpt\/bob\/job_[^/]+\/$/);
    assert.match((await rt.store.get(aliceJob.id))!.checkpointPrefix!, /\/ckpt\/alice\/job_[^/]+\/$/);
    // Alice still holds her key: her own second try is a 409 that shows her own job
    const again = await api.call('POST', '/api/jobs', {
      ...as(alice),
      body: { type: 'external', resourceKey: 'film:1' },
    });
    assert.equal(again.status, 409, again.text);
    assert.equal(again.body.activeJob.id, aliceJob.id);
    // and Bob's second try is a 409 on his own job, never Alice's
    const bobAgain = await api.call('POST', '/api/jobs', {
      ...as(bob),
      body: { type: 'external', resourceKey: 'film:1' },
    });
    assert.equal(bobAgain.status, 409);
    assert.equal(bobAgain.body.activeJob.id, bobs.body.job.id);
    assert.doesNotMatch(bobAgain.text, new RegExp(aliceJob.id));
  });

  it("Bob cannot name Alice's output: OUTPUT_NOT_ALLOWED, nothing about the object revealed, nothing written", async () => {
    for (const reuseExistingOutputs of [true, false]) {
      const res = await refused(
        'POST',
        '/api/jobs',
        { token: bob, body: { type: 'external', outputs: [aliceOutput], reuseExistingOutputs } },
        400,
        'OUTPUT_NOT_ALLOWED',
      );
      assert.doesNotMatch(res.text, /generation|size|timeCreated|"present"/, 'no existence oracle');
    }
    // the same answer for an object that does not exist: the refusal says nothing about existence
    const missing = await refused(
      'POST',
      '/api/jobs',
      { token: bob, body: { type: 'external', outputs: [`gs://${rt.bucket}/u/alice/nothing.mp4`] } },
      400,
      'OUTPUT_NOT_ALLOWED',
    );
    const present = await refused(
      'POST',
      '/api/jobs',
      { token: bob, body: { type: 'external', outputs: [aliceOutput] } },
      400,
      'OUTPUT_NOT_ALLOWED',
    );
    assert.equal(missing.body.error.message, present.body.error.message);
    // outside any owner folder, under a temporary prefix, or an owner id crafted to reach into Alice's folder
    await refused(
      'POST',
      '/api/jobs',
      { token: bob, body: { type: 'external', outputs: [`gs://${rt.bucket}/renders/x.mp4`] } },
      400,
      'OUTPUT_NOT_ALLOWED',
    );
    await refused(
      'POST',
      '/api/jobs',
      { token: bob, body: { type: 'external', outputs: [`gs://${rt.bucket}/tmp/u/bob/x.mp4`] } },
      400,
      'OUTPUT_NOT_ALLOWED',
    );
    const crafted = await api.token('alice/x'); // an owner id that would name a folder inside Alice's: refused at the door
    await refused(
      'POST',
      '/api/jobs',
      { token: crafted, body: { type: 'external', outputs: [`gs://${rt.bucket}/u/alice/x/y.mp4`] } },
      401,
      'UNAUTHENTICATED',
    );
    // a project naming Alice's object is refused the same way
    await refused(
      'POST',
      '/api/projects',
      { token: bob, body: { name: 'mine', artifacts: [{ key: 'a', uri: aliceOutput }] } },
      400,
      'OUTPUT_NOT_ALLOWED',
    );
    // Bob's own folder works, and the object of Alice's is untouched
    const own = await api.call('POST', '/api/jobs', {
      ...as(bob),
      body: { type: 'external', outputs: [`gs://${rt.bucket}/u/bob/final.mp4`] },
    });
    assert.equal(own.status, 201, own.text);
    const [bytes] = await rt.storage.bucket(rt.bucket).file('u/alice/final.mp4').download();
    assert.equal(bytes.toString(), 'alice bytes');
  });

  it("Alice's progress view learns step names and ETA from her own jobs only", async () => {
    // Bob finishes jobs of the type with injected step names
    for (let i = 0; i < 3; i++) {
      const b = await api.call('POST', '/api/jobs', { ...as(bob), body: { type: 'external', outputs: [] } });
      const id = b.body.job.id;
      await api.call('POST', `/api/jobs/${id}/updates`, { ...as(bob), body: { kind: 'started' } });
      await api.call('POST', `/api/jobs/${id}/updates`, {
        ...as(bob),
        body: { kind: 'progress', progress: { step: 'INJECTED-BY-BOB', pct: 50 } },
      });
      rt.testClock.advance(5_000);
      const done = await api.call('POST', `/api/jobs/${id}/updates`, { ...as(bob), body: { kind: 'succeeded' } });
      assert.equal(done.status, 202, done.text);
    }
    assert.equal(
      (await rt.db.collection('jobs').where('ownerId', '==', 'bob').where('status', '==', 'succeeded').get()).size,
      3,
    );
    const view = await api.call('GET', `/api/jobs/${aliceJob.id}/progress`, as(alice));
    assert.equal(view.status, 200, view.text);
    assert.doesNotMatch(view.text, /INJECTED-BY-BOB/);
    assert.equal(view.body.etaSamples, 0, "none of Bob's jobs taught Alice's ETA");
    assert.equal(view.body.estimatedTotalSeconds, null);
  });

  it('retry works for a type whose outputs the type derives (http provider), and the retry is the owner’s own', async () => {
    const id = await aliceProviderJob();
    const canceled = await api.call('POST', `/api/jobs/${id}/cancel`, as(alice));
    assert.equal(canceled.status, 202, canceled.text);
    await waitFor(
      'canceled',
      async () => (await api.call('GET', `/api/jobs/${id}?verify=true`, as(alice))).body.job.status === 'canceled',
    );
    await refused('POST', `/api/jobs/${id}/retry`, { token: bob }, 404, 'NOT_FOUND');
    const retried = await api.call('POST', `/api/jobs/${id}/retry`, as(alice));
    assert.equal(retried.status, 202, retried.text);
    assert.notEqual(retried.body.job.id, id);
    assert.equal(retried.body.job.ownerId, 'alice');
    assert.equal(retried.body.job.type, 'demo-provider');
    await api.call('POST', `/api/jobs/${retried.body.job.id}/cancel`, as(alice));
  });

  it("Bob cannot attach Alice's running execution (only an admin attaches), nor an admin a made-up one", async () => {
    const id = await aliceProviderJob();
    const externalId = (await rt.store.get(id))!.executor.executionRef!.split(':').at(-1)!;
    const attach = { type: 'demo-provider', attach: { execution: externalId } };
    await refused('POST', '/api/jobs', { token: bob, body: attach }, 403, 'FORBIDDEN');
    const admin = await api.token('ops', { admin: true });
    const madeUp = { type: 'demo-provider', attach: { execution: 'no-such-job-0001' } };
    await refused('POST', '/api/jobs', { token: admin, body: madeUp }, 404, 'EXECUTION_NOT_FOUND');
    await api.call('POST', `/api/jobs/${id}/cancel`, as(alice));
  });

  it("Bob's bulk actions never reach Alice's jobs; naming her is 403; her bulk is 404 to him", async () => {
    const naming = { action: 'cancel', filter: { ownerId: 'alice' } };
    await refused('POST', '/api/jobs/bulk', { token: bob, body: naming }, 403, 'FORBIDDEN');
    // his bulk over every state matches only his own (none here that Alice holds)
    const dry = await api.call('POST', '/api/jobs/bulk', {
      ...as(bob),
      body: { action: 'cancel', filter: {}, dryRun: true },
    });
    assert.equal(dry.status, 200);
    assert.ok(dry.body.bulk.sample.every((j: { ownerId: string }) => j.ownerId === 'bob'));
    assert.doesNotMatch(dry.text, /alice/);
    const hers = await api.call('POST', '/api/jobs/bulk', {
      ...as(alice),
      body: { action: 'reconcile', filter: { status: 'succeeded' }, dryRun: false },
    });
    assert.equal(hers.status, 202, hers.text);
    await rt.bulks.idle(); // her bulk's work done: what follows must write nothing
    await refused('GET', `/api/jobs/bulk/${hers.body.bulk.id}`, { token: bob }, 404, 'NOT_FOUND');
    await refused('GET', `/api/jobs/bulk/${hers.body.bulk.id}/items`, { token: bob }, 404, 'NOT_FOUND');
  });
});
