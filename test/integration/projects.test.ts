/** Seed 001's projects through the API on the emulators: verify every clip, derive the status, generate only what is missing. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createObjectFinalizedHandler } from '../../functions/object-finalized/handler.js';
import { startApi, type ApiClient } from '../helpers/api.js';
import { pushMessage, serveCloudEvent, type Served } from '../helpers/functions.js';
import { countDocuments, testRuntime, type TestRuntime } from '../helpers/runtime.js';
import { readyRuntime } from '../../functions/common/runtime-source.js';

let rt: TestRuntime;
let api: ApiClient;
let fin: Served;
let n = 0;

before(async () => {
  rt = await testRuntime('projects', { envOverrides: { VERITY_PROJECT_JOB_TYPE: 'external' } });
  api = await startApi(rt);
  fin = await serveCloudEvent(createObjectFinalizedHandler(readyRuntime(rt)));
});
after(async () => {
  await fin.close();
  await api.close();
  await rt.db.terminate();
});

async function project(count: number): Promise<{ id: string; uris: string[]; names: string[] }> {
  const p = ++n;
  const names = Array.from({ length: count }, (_, i) => `u/alice/reels/p${p}/clip-${String(i).padStart(2, '0')}.mp4`);
  const res = await api.call('POST', '/api/projects', {
    body: {
      name: `reel ${p}`,
      artifacts: names.map((name, i) => ({ key: `clip-${i}`, uri: `gs://${rt.bucket}/${name}` })),
    },
  });
  assert.equal(res.status, 201, res.text);
  return { id: res.body.project.id, uris: names.map((x) => `gs://${rt.bucket}/${x}`), names };
}
const write = (names: string[]) =>
  Promise.all(names.map((name) => rt.storage.bucket(rt.bucket).file(name).save('clip', { resumable: false })));
const get = async (id: string) => (await api.call('GET', `/api/projects/${id}`)).body.project;
const finalize = (name: string, generation = '1') =>
  pushMessage(fin.url, rt.projectId, 'verity-gcs-notifications', {
    messageId: `${name}#${generation}#${Math.random()}`,
    attributes: { eventType: 'OBJECT_FINALIZE', bucketId: rt.bucket, objectId: name, objectGeneration: generation },
    data: JSON.stringify({ bucket: rt.bucket, name, generation, size: '4', timeCreated: new Date().toISOString() }),
  });

describe("projects: seed 001's scenarios", () => {
  it('1. stuck "generating" with 15/15 clips in the bucket → ready on open, and generate makes nothing', async () => {
    const p = await project(15);
    const gen = await api.call('POST', `/api/projects/${p.id}/generate`);
    assert.equal(gen.status, 202);
    assert.equal(gen.body.project.status, 'generating');
    assert.deepEqual(
      gen.body.job.outputs.map((o: { uri: string }) => o.uri),
      p.uris,
    );
    await write(p.names); // the clips landed; every notification was lost
    const opened = await get(p.id);
    assert.equal(opened.status, 'ready');
    assert.equal(opened.artifacts.filter((a: { present: boolean }) => a.present).length, 15);
    const again = await api.call('POST', `/api/projects/${p.id}/generate`);
    assert.equal(again.status, 200, 'nothing is missing: no job');
    assert.equal(again.body.job, undefined);
  });

  it('2. interrupted at 7/15 → keeps the 7; the next generate makes exactly the 8 missing', async () => {
    const p = await project(15);
    const first = (await api.call('POST', `/api/projects/${p.id}/generate`)).body.job;
    await write(p.names.slice(0, 7));
    assert.equal((await get(p.id)).status, 'generating', 'the job is still active');
    const busy = await api.call('POST', `/api/projects/${p.id}/generate`);
    assert.equal(busy.status, 409);
    assert.equal(busy.body.activeJob.id, first.id);
    await rt.jobs.report(null, {
      jobId: first.id,
      kind: 'failed',
      error: { code: 'CRASH', message: 'worker died', retryable: false },
    });
    const after = await get(p.id);
    assert.equal(after.status, 'draft');
    assert.equal(after.activeJobId, null);
    const next = await api.call('POST', `/api/projects/${p.id}/generate`);
    assert.equal(next.status, 202);
    assert.deepEqual(
      next.body.job.outputs.map((o: { uri: string }) => o.uri),
      p.uris.slice(7),
    );
    assert.deepEqual(
      next.body.job.input.artifacts,
      Array.from({ length: 8 }, (_, i) => `clip-${i + 7}`),
    );
    const [enqueued] = await rt.store.history(next.body.job.id);
    assert.equal(enqueued!.evidence.artifactsReused, 7, 'the 7 not generated again, for the stats');
    assert.equal((await rt.store.history(first.id))[0]!.evidence.artifactsReused, 0);
  });

  it('3. a crashed job (past its deadline) with 3/15 → recoverable draft; with 0/15 → error', async () => {
    const p = await project(15);
    const job = (await api.call('POST', `/api/projects/${p.id}/generate`)).body.job;
    await write(p.names.slice(0, 3));
    rt.testClock.advance((job.policy.queueTimeoutSeconds + 1) * 1000);
    const r = (await api.call('POST', `/api/projects/${p.id}/reconcile`)).body.report;
    assert.deepEqual(
      [r.originalStatus, r.correctedStatus, r.verifiedArtifacts, r.missingArtifacts.length],
      ['generating', 'draft', 3, 12],
    );
    const q = await project(4);
    const j2 = (await api.call('POST', `/api/projects/${q.id}/generate`)).body.job;
    rt.testClock.advance((j2.policy.queueTimeoutSeconds + 1) * 1000);
    assert.equal((await api.call('POST', `/api/projects/${q.id}/reconcile`)).body.report.correctedStatus, 'error');
  });

  it('4. "ready" with 3 clips deleted → draft listing the 3; reconcile never deletes an object', async () => {
    const p = await project(15);
    await write(p.names);
    await Promise.all(p.names.map((name) => finalize(name)));
    assert.equal((await get(p.id)).status, 'ready');
    await Promise.all([2, 5, 9].map((i) => rt.storage.bucket(rt.bucket).file(p.names[i]!).delete()));
    const [before] = await rt.storage.bucket(rt.bucket).getFiles({ prefix: `reels/` });
    const r = (await api.call('POST', `/api/projects/${p.id}/reconcile`)).body.report;
    assert.deepEqual(r, {
      projectId: p.id,
      originalStatus: 'ready',
      correctedStatus: 'draft',
      claimedArtifacts: 15,
      verifiedArtifacts: 12,
      missingArtifacts: ['clip-2', 'clip-5', 'clip-9'],
      changes: [2, 5, 9].map((i) => ({
        key: `clip-${i}`,
        uri: `gs://${rt.bucket}/${p.names[i]}`,
        was: 'present',
        now: 'missing',
      })),
      action: 'corrected',
    });
    const [afterFiles] = await rt.storage.bucket(rt.bucket).getFiles({ prefix: `reels/` });
    assert.equal(afterFiles.length, before.length, 'no object deleted');
  });
});

describe('projects: live artifacts', () => {
  it('50 clips finishing at once through the finalize trigger make the project ready, with no read and no sweep', async () => {
    const p = await project(50);
    const gen = (await api.call('POST', `/api/projects/${p.id}/generate`)).body.job;
    await write(p.names);
    const statuses = await Promise.all(p.names.map((name) => finalize(name)));
    assert.ok(statuses.every((s) => s === 204));
    const stored = await rt.projects.visible({ userId: 'alice', admin: false, workerJobId: null }, p.id);
    assert.equal(stored.status, 'ready', 'the record itself, not a read-time correction');
    const job = (await rt.store.get(gen.id))!;
    assert.equal(job.status, 'succeeded');
    assert.equal(job.statusReason, 'OUTPUT_FOUND');
    const afterJob = await rt.projects.visible({ userId: 'alice', admin: false, workerJobId: null }, p.id);
    assert.equal(afterJob.activeJobId, null);
  });

  it('one finalize marks one artifact; the same generation again changes nothing', async () => {
    const p = await project(3);
    await finalize(p.names[0]!, '9');
    await finalize(p.names[0]!, '9');
    const stored = await rt.projects.visible({ userId: 'alice', admin: false, workerJobId: null }, p.id);
    assert.equal(stored.version, 1, 'a single artifact does not touch the project document');
    assert.equal(await rt.ledger.projects.presentCount(p.id), 1);
  });
});

describe('projects: isolation, listing, bad input', () => {
  it("another owner gets 404 for every project route; the list shows only one's own, paged", async () => {
    const p = await project(2);
    const bob = await api.token('bob');
    for (const [m, path] of [
      ['GET', ''],
      ['POST', '/reconcile'],
      ['POST', '/generate'],
    ] as const) {
      assert.equal((await api.call(m, `/api/projects/${p.id}${path}`, { token: bob })).status, 404);
    }
    const page1 = await api.call('GET', '/api/projects?limit=2');
    assert.equal(page1.body.projects.length, 2);
    assert.ok(page1.body.nextCursor);
    const page2 = await api.call('GET', `/api/projects?limit=2&cursor=${page1.body.nextCursor}`);
    const ids1 = page1.body.projects.map((x: { id: string }) => x.id);
    assert.ok(page2.body.projects.every((x: { id: string }) => !ids1.includes(x.id)));
    assert.deepEqual((await api.call('GET', '/api/projects', { token: bob })).body.projects, []);
    assert.equal((await api.call('GET', '/api/projects?cursor=garbage')).status, 400);
  });

  it("an admin's generate of Alice's project makes Alice's job: under her prefixes, among her keys", async () => {
    const p = await project(2);
    const admin = await api.token('ops', { admin: true });
    const gen = await api.call('POST', `/api/projects/${p.id}/generate`, { token: admin });
    assert.equal(gen.status, 202, gen.text);
    assert.equal(gen.body.job.ownerId, 'alice');
    assert.deepEqual(
      gen.body.job.outputs.map((o: { uri: string }) => o.uri),
      p.uris,
    );
    const again = await api.call('POST', `/api/projects/${p.id}/generate`);
    assert.equal(again.status, 409, "her own generate meets the job her project's key holds");
  });

  it('a key listed twice names one artifact, with its last uri, and the answer warns', async () => {
    const u = (n: string) => `gs://${rt.bucket}/u/alice/dup/${n}.mp4`;
    const body = {
      name: 'dup',
      artifacts: [
        { key: 'a', uri: u('a1') },
        { key: 'b', uri: u('b') },
        { key: 'a', uri: u('a2') },
        { key: 'a', uri: u('a3') },
      ],
    };
    const created = await api.call('POST', '/api/projects', { body });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.body.warnings, ['artifact key "a" was listed 3 times: the last uri is kept']);
    const read = await api.call('GET', `/api/projects/${created.body.project.id}`);
    assert.deepEqual(
      read.body.project.artifacts.map((a: { key: string; uri: string }) => [a.key, a.uri]),
      [
        ['a', u('a3')],
        ['b', u('b')],
      ],
      'stored: one artifact per key, at its first place',
    );
    const plain = await api.call('POST', '/api/projects', {
      body: { name: 'one', artifacts: [{ key: 'a', uri: u('a') }] },
    });
    assert.equal(plain.body.warnings, undefined, 'no warnings without a repeated key');
    // two keys naming one object (found by the fuzzer): generate makes it once
    const shared = {
      name: 'shared',
      artifacts: [
        { key: 'x', uri: u('same') },
        { key: 'y', uri: u('same') },
      ],
    };
    const two = await api.call('POST', '/api/projects', { body: shared });
    const gen = await api.call('POST', `/api/projects/${two.body.project.id}/generate`);
    assert.equal(gen.status, 202, gen.text);
    assert.deepEqual(
      gen.body.job.outputs.map((o: { uri: string }) => o.uri),
      [u('same')],
    );
  });

  it('artifacts outside the allowed buckets or too many are refused and nothing is written', async () => {
    const before = await countDocuments(rt.db);
    const bad = [
      { name: 'x', artifacts: [{ key: 'a', uri: 'gs://elsewhere/a.mp4' }] },
      {
        name: 'x',
        artifacts: Array.from({ length: 500 }, (_, i) => ({ key: `k${i}`, uri: `gs://${rt.bucket}/u/alice/${i}.mp4` })),
      },
      { name: '', artifacts: [] },
    ];
    for (const body of bad) assert.equal((await api.call('POST', '/api/projects', { body })).status, 400);
    assert.equal(await countDocuments(rt.db), before);
  });

  it('with no job type configured for generation, generate answers 503 UNAVAILABLE and enqueues nothing', async () => {
    const bare = await testRuntime('projects-none', { envPatch: { projectJobType: null } });
    const bareApi = await startApi(bare);
    try {
      const created = await bareApi.call('POST', '/api/projects', {
        body: {
          name: 'reel',
          artifacts: [{ key: 'clip-0', uri: `gs://${bare.bucket}/u/alice/reels/none/clip-0.mp4` }],
        },
      });
      assert.equal(created.status, 201, created.text);
      const before = await countDocuments(bare.db);
      const gen = await bareApi.call('POST', `/api/projects/${created.body.project.id}/generate`);
      assert.equal(gen.status, 503);
      assert.equal(gen.body.error.code, 'UNAVAILABLE');
      assert.equal((await bare.db.collection('jobs').count().get()).data().count, 0, 'no job');
      assert.equal(await countDocuments(bare.db), before, 'nothing written');
    } finally {
      await bareApi.close();
      await bare.db.terminate();
    }
  });
});
