/**
 * Hostile suite, metered reads (issue 29): viewing a project probes its artifacts (up to 500 objects) — each
 * such view is charged to the owner's probe quota, and over it the view answers what is recorded without a
 * single probe, rather than probe for free. Judged by the quota's own records and by an object deleted behind
 * Verity's back, which an unmetered probe would notice.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApi, type ApiClient } from '../helpers/api.js';
import { testRuntime, type TestRuntime } from '../helpers/runtime.js';

const PER_MINUTE = 3;
let rt: TestRuntime;
let api: ApiClient;

before(async () => {
  rt = await testRuntime('hostile-meter', { envOverrides: { VERITY_PROBES_PER_MINUTE: String(PER_MINUTE) } });
  api = await startApi(rt);
});
after(async () => {
  await api.close();
  await rt.db.terminate();
});

const probeRecords = async (owner: string): Promise<number> =>
  (await rt.db.collection('probes').where('ownerId', '==', owner).get()).size;

describe('hostile: a project view probes only within the owner’s quota', () => {
  it('each probing view, new project and stats call is charged; past the quota the view is what is recorded, unprobed', async () => {
    const uris = [1, 2].map((i) => `gs://${rt.bucket}/u/alice/reel/c${i}.mp4`);
    for (const u of uris)
      await rt.storage
        .bucket(rt.bucket)
        .file(u.split(`${rt.bucket}/`)[1]!)
        .save('clip');
    const created = await api.call('POST', '/api/projects', {
      body: { name: 'reel', artifacts: uris.map((uri, i) => ({ key: `c${i}`, uri })) },
    });
    assert.equal(created.status, 201, created.text);
    const id = created.body.project.id;
    const view = async () => {
      const r = await api.call('GET', `/api/projects/${id}`);
      assert.equal(r.status, 200, r.text);
      return r.body.project;
    };
    // the owner asks for one look (charged): its artifacts are recorded present, so each view probes them again
    assert.equal((await api.call('POST', `/api/projects/${id}/reconcile`)).status, 200);
    let body = await view();
    for (let i = 0; i < PER_MINUTE + 2; i++) body = await view();
    assert.ok(body.artifacts.every((a: { present: boolean }) => a.present));
    assert.equal(await probeRecords('alice'), PER_MINUTE, 'one probe charged per look, up to the quota');

    // behind Verity's back: a probe would see it gone; a view past the quota probes nothing and says so not
    await rt.storage.bucket(rt.bucket).file('u/alice/reel/c1.mp4').delete();
    body = await view();
    assert.ok(
      body.artifacts.every((a: { present: boolean }) => a.present),
      'unprobed: the record as it was',
    );
    assert.equal(await probeRecords('alice'), PER_MINUTE);

    // the explicit reconcile is a request for a probe: over the quota it is 429 with Retry-After
    const r = await api.call('POST', `/api/projects/${id}/reconcile`);
    assert.equal(r.status, 429);
    assert.equal(r.body.error.code, 'QUOTA_EXCEEDED');

    // a new project (a document per artifact) is one of the same costly calls: 429 before anything is written
    const before = (await rt.db.collection('projects').get()).size;
    const more = await api.call('POST', '/api/projects', { body: { name: 'more', artifacts: [] } });
    assert.equal(more.status, 429, more.text);
    assert.equal((await rt.db.collection('projects').get()).size, before, 'no project written');

    // so is a stats call (aggregations over a window: a read per 1,000 index entries)
    const stats = await api.call('GET', '/api/stats/recoveries');
    assert.equal(stats.status, 429, stats.text);
    assert.equal(await probeRecords('alice'), PER_MINUTE, 'refusals are not charged');

    // and the reconcile a read makes of a job past its deadline: past the budget, the record as it is
    const job = await api.call('POST', '/api/jobs', {
      body: { type: 'external', outputs: [], policy: { queueTimeoutSeconds: 1 } },
    });
    assert.equal(job.status, 201, job.text);
    rt.testClock.advance(10_000);
    const read = await api.call('GET', `/api/jobs/${job.body.job.id}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.job.status, 'queued', 'not reconciled: its queue deadline is the sweep’s to act on');
    assert.equal(await probeRecords('alice'), PER_MINUTE);
  });
});
