/**
 * Bulk actions (issue 33) against the emulators, through the API: a dry run counts and samples and writes
 * nothing; a cancel of every matching job reaches each of them once — each transition naming the bulk and its
 * caller — and never another owner's; a repeated request id answers the first bulk; a retry makes one new
 * attempt per job even when its item is taken up again after a process died mid-action; the sweep carries a
 * running bulk on; another owner's filter is 403, another's bulk 404, with nothing written.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../../shared/src/auth/principal.js';
import { startApi, type ApiClient } from '../helpers/api.js';
import { countDocuments, testRuntime, type TestRuntime } from '../helpers/runtime.js';

const alice: Principal = { userId: 'alice', admin: false, workerJobId: null };
const bob: Principal = { userId: 'bob', admin: false, workerJobId: null };
let rt: TestRuntime;
let api: ApiClient;
let bobToken: string;
let adminToken: string;

before(async () => {
  rt = await testRuntime('bulk');
  api = await startApi(rt);
  bobToken = await api.token('bob');
  adminToken = await api.token('ops', { admin: true });
});
after(async () => {
  await rt.bulks.idle();
  await api.close();
  await rt.db.terminate();
});

const queued = async (who: Principal, n: number, tag: string) =>
  Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const { job } = await rt.jobs.enqueue(who, {
        type: 'external',
        input: { tag, i },
        reuseExistingOutputs: false,
      } as never);
      return job.id;
    }),
  );

/** Reads the bulk until no job is pending (each read carries it on). */
async function finished(id: string, token?: string) {
  for (let i = 0; i < 100; i++) {
    const r = await api.call('GET', `/api/jobs/bulk/${id}`, token ? { token } : {});
    assert.equal(r.status, 200, r.text);
    if (r.body.bulk.state === 'done') return r.body.bulk;
    await rt.bulks.idle();
  }
  throw new Error(`bulk ${id} never finished`);
}

const bulk = (body: Record<string, unknown>, token?: string) =>
  api.call('POST', '/api/jobs/bulk', { body, ...(token ? { token } : {}) });

describe('bulk actions', () => {
  it('a dry run answers the count and a sample of the caller’s own jobs, and writes nothing', async () => {
    await queued(alice, 12, 'dry');
    await queued(bob, 3, 'dry');
    const before = await countDocuments(rt.db);
    const r = await bulk({ action: 'cancel', filter: { status: 'queued', type: 'external' }, dryRun: true });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.bulk.matched, 12);
    assert.equal(r.body.bulk.sample.length, 10);
    assert.ok(r.body.bulk.sample.every((j: { ownerId: string }) => j.ownerId === 'alice'));
    assert.equal(await countDocuments(rt.db), before, 'nothing written');
    const everyone = await bulk({ action: 'cancel', filter: { status: 'queued' }, dryRun: true }, adminToken);
    assert.equal(everyone.body.bulk.matched, 15, 'an admin: every owner’s');
  });

  it('cancels every matching job once, each transition naming the bulk; bob’s jobs untouched', async () => {
    const bobs = await rt.store.list({ ownerId: 'bob', status: 'queued' }, 50);
    const r = await bulk({ action: 'cancel', filter: { status: 'queued' }, requestId: 'incident-1' });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.body.bulk.matched, 12);
    const done = await finished(r.body.bulk.id);
    assert.deepEqual([done.done, done.failed, done.skipped, done.pending], [12, 0, 0, 0]);
    const mine = await rt.store.list({ ownerId: 'alice', status: 'canceled' }, 50);
    assert.equal(mine.jobs.length, 12);
    for (const job of mine.jobs) {
      const cancels = (await rt.store.history(job.id)).filter((t) => t.to === 'canceled');
      assert.equal(cancels.length, 1, 'once');
      assert.equal(cancels[0]!.source, 'api');
      assert.deepEqual(cancels[0]!.evidence.bulk, { bulkId: r.body.bulk.id, userId: 'alice' });
    }
    for (const j of bobs.jobs) assert.equal((await rt.store.get(j.id))!.status, 'queued', 'bob’s stay queued');
    // the same request id: the first bulk, nothing matched or done again
    const again = await bulk({ action: 'cancel', filter: { status: 'queued' }, requestId: 'incident-1' });
    assert.equal(again.status, 202);
    assert.equal(again.body.bulk.id, r.body.bulk.id);
    assert.equal(again.body.bulk.done, 12);
    // bob cannot see it; its items say what became of each job
    assert.equal((await api.call('GET', `/api/jobs/bulk/${r.body.bulk.id}`, { token: bobToken })).status, 404);
    const items = await api.call('GET', `/api/jobs/bulk/${r.body.bulk.id}/items?state=done&limit=5`);
    assert.equal(items.body.items.length, 5);
  });

  it('retries each failed job once, even when an item is taken up again after its process died', async () => {
    const ids = await queued(alice, 6, 'retry');
    for (const id of ids)
      await rt.jobs.report(alice, { jobId: id, kind: 'failed', error: { code: 'X', message: 'x' } });
    const r = await bulk({ action: 'retry', filter: { status: 'failed', type: 'external' } });
    assert.equal(r.status, 202, r.text);
    const done = await finished(r.body.bulk.id);
    assert.equal(done.done, 6);
    // a process that died after an item's retry, before recording it: the item is pending (and started) again
    const [first] = ids;
    const item = rt.db.collection('bulks').doc(r.body.bulk.id).collection('bulkItems').doc(first!);
    await item.update({ state: 'pending', started: true });
    await rt.db.collection('bulks').doc(r.body.bulk.id).update({ state: 'running' });
    assert.equal((await rt.bulks.carryOn(10_000)) >= 1, true, 'the sweep’s part carries it on');
    assert.equal((await item.get()).get('state'), 'done');
    const retries = await rt.store.list({ ownerId: 'alice', status: 'queued' }, 100);
    for (const id of ids) {
      const of = [];
      for (const j of retries.jobs) {
        const [enq] = await rt.store.history(j.id);
        if (enq!.evidence.retryOf === id) of.push(j.id);
      }
      assert.equal(of.length, 1, `one retry of ${id}`);
    }
  });

  it('another owner’s filter is 403, a bad body 400, and nothing is written', async () => {
    const before = await countDocuments(rt.db);
    const other = await bulk({ action: 'cancel', filter: { ownerId: 'bob' } });
    assert.equal(other.status, 403, other.text);
    const bad = await bulk({ action: 'delete', filter: {} });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'INVALID_INPUT');
    const unknownType = await bulk({ action: 'cancel', filter: { type: 'nope' } });
    assert.equal(unknownType.status, 400);
    assert.equal(await countDocuments(rt.db), before);
    // an admin may name bob
    const ops = await bulk({ action: 'cancel', filter: { ownerId: 'bob' }, dryRun: true }, adminToken);
    assert.equal(ops.status, 200);
    assert.equal(ops.body.bulk.matched, 3);
  });
});
