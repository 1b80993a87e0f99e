/**
 * A look before a fix (issue 31, seed 001's `auto_fix=False`): `?dryRun=true` on a job's or a project's
 * reconcile says what it would correct — the original and corrected status, per artifact for a project — and
 * writes nothing (read back from the store); the same call without it corrects. A bad value is 400.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApi, type ApiClient } from '../helpers/api.js';
import { testRuntime, type TestRuntime } from '../helpers/runtime.js';

let rt: TestRuntime;
let api: ApiClient;
before(async () => {
  rt = await testRuntime('dry-run');
  api = await startApi(rt);
});
after(async () => {
  await api.close();
  await rt.db.terminate();
});

const put = (name: string) => rt.storage.bucket(rt.bucket).file(name).save('video');

describe('dry runs', () => {
  it("a job's: what a reconcile would correct, nothing written; then the reconcile corrects it", async () => {
    const uri = `gs://${rt.bucket}/u/alice/dry/${Date.now()}.mp4`;
    const { body } = await api.call('POST', '/api/jobs', { body: { type: 'external', outputs: [uri] } });
    const id = body.job.id;
    await put(uri.replace(`gs://${rt.bucket}/`, '')); // its finalize event never reaches this runtime
    const before = await rt.store.get(id);
    const dry = await api.call('POST', `/api/jobs/${id}/reconcile?dryRun=true`);
    assert.equal(dry.status, 200);
    assert.deepEqual(
      [dry.body.report.originalStatus, dry.body.report.correctedStatus, dry.body.report.action, dry.body.report.dryRun],
      ['queued', 'succeeded', 'corrected', true],
    );
    assert.deepEqual(await rt.store.get(id), before, 'nothing written');
    assert.equal((await rt.store.history(id)).length, 1);
    const bad = await api.call('POST', `/api/jobs/${id}/reconcile?dryRun=maybe`);
    assert.deepEqual([bad.status, bad.body.error.code], [400, 'INVALID_INPUT']);
    assert.deepEqual(await rt.store.get(id), before);
    const real = await api.call('POST', `/api/jobs/${id}/reconcile`);
    assert.deepEqual([real.body.report.correctedStatus, real.body.report.dryRun], ['succeeded', undefined]);
    assert.equal((await rt.store.get(id))!.status, 'succeeded');
  });

  it("a project's: each artifact's record and what the bucket says, nothing written; then corrected", async () => {
    const uri = (k: string) => `gs://${rt.bucket}/u/alice/clips/${k}-${Date.now()}.mp4`;
    const [c1, c2] = [uri('c1'), uri('c2')];
    const created = await api.call('POST', '/api/projects', {
      body: {
        name: 'reel',
        artifacts: [
          { key: 'c1', uri: c1 },
          { key: 'c2', uri: c2 },
        ],
      },
    });
    assert.equal(created.status, 201);
    const id = created.body.project.id;
    await put(c1.replace(`gs://${rt.bucket}/`, '')); // lands unannounced; c2 never does
    const recorded = await rt.ledger.projects.artifacts(id);
    const dry = await api.call('POST', `/api/projects/${id}/reconcile?dryRun=1`);
    assert.equal(dry.status, 200);
    assert.deepEqual(dry.body.report.changes, [{ key: 'c1', uri: c1, was: 'missing', now: 'present' }]);
    assert.equal(dry.body.report.dryRun, true);
    assert.deepEqual(await rt.ledger.projects.artifacts(id), recorded, 'no artifact record written');
    const real = await api.call('POST', `/api/projects/${id}/reconcile`);
    assert.deepEqual(real.body.report.changes, [{ key: 'c1', uri: c1, was: 'missing', now: 'present' }]);
    assert.equal((await rt.ledger.projects.artifacts(id)).find((a) => a.key === 'c1')!.present, true);
  });

  it("a manual sweep's age filter: every queued or running job that old is looked at, due or not", async () => {
    const mk = async (name: string) => {
      const uri = `gs://${rt.bucket}/u/alice/aged/${name}-${Date.now()}.mp4`;
      const { body } = await api.call('POST', '/api/jobs', { body: { type: 'external', outputs: [uri] } });
      return { id: body.job.id as string, name: uri.replace(`gs://${rt.bucket}/`, '') };
    };
    const old = await mk('old');
    rt.testClock.advance(10 * 60_000);
    const young = await mk('young');
    await Promise.all([put(old.name), put(young.name)]); // both outputs land unannounced; neither job is due
    const admin = await api.token('ops', { admin: true });
    const bad = await api.call('POST', '/api/sweep', { token: admin, body: { olderThanMinutes: 0 } });
    assert.equal(bad.status, 400);
    const r = await api.call('POST', '/api/sweep', { token: admin, body: { olderThanMinutes: 5 } });
    assert.equal(r.status, 200);
    assert.equal((await rt.store.get(old.id))!.status, 'succeeded', 'the old one looked at and corrected');
    assert.equal((await rt.store.get(young.id))!.status, 'queued', 'the young one left alone');
  });
});
