/**
 * The sharded due index (issue 32) on the emulator: every job write stores its `dueShard`; a job document from
 * before the shards (no field) is invisible to the sweep until `verity backfill-shards` (ledger.backfillShards)
 * gives it one — then the sweep finds and corrects it. The backfill changes nothing else and may run again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FieldValue } from '@google-cloud/firestore';
import type { Principal } from '../../shared/src/auth/principal.js';
import { shardOf } from '../../shared/src/store/shards.js';
import { otherSweeper, testRuntime, type TestRuntime } from '../helpers/runtime.js';

const S = 1000;
const alice: Principal = { userId: 'alice', admin: false, workerJobId: null };
let rt: TestRuntime;

before(async () => {
  rt = await testRuntime('due-shards');
});
after(async () => {
  await rt.db.terminate();
});

const doc = async (id: string) => (await rt.db.collection('jobs').doc(id).get()).data()!;

describe('the due index’s shards', () => {
  it('a job write stores its shard; a job from before the shards is swept once backfilled', async () => {
    const { job } = await rt.jobs.enqueue(alice, {
      type: 'external',
      reuseExistingOutputs: false,
      policy: { queueTimeoutSeconds: 5 },
    });
    assert.equal((await doc(job.id)).dueShard, shardOf(job.id));
    await rt.db.collection('jobs').doc(job.id).update({ dueShard: FieldValue.delete() }); // as written before
    const before = await doc(job.id);
    rt.testClock.advance(6 * S);
    assert.equal((await rt.sweeper.sweep()).checked, 0, 'the sharded query cannot see it');
    const r = await rt.ledger.backfillShards();
    assert.ok(r.jobs.seen >= 1);
    assert.equal(r.jobs.written, 1);
    const after = await doc(job.id);
    assert.deepEqual({ ...after, dueShard: undefined }, { ...before, dueShard: undefined }, 'nothing else changed');
    assert.equal(after.dueShard, shardOf(job.id));
    assert.equal((await rt.ledger.backfillShards()).jobs.written, 0, 'again: nothing to do');
    const swept = await rt.sweeper.sweep();
    assert.equal(swept.checked, 1);
    assert.equal((await rt.store.get(job.id))!.status, 'failed', 'its queue timeout, found');
  });

  it('a sweep given its share of the shards reads those alone; the shares together read every due job', async () => {
    rt.testClock.advance(3600 * S);
    while ((await rt.sweeper.sweep()).checked > 0) rt.testClock.advance(3600 * S); // nothing due left over
    const jobs = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        rt.jobs.enqueue(alice, {
          type: 'external',
          input: { i },
          reuseExistingOutputs: false,
          policy: { queueTimeoutSeconds: 5 },
        }),
      ),
    );
    rt.testClock.advance(6 * S);
    const low = [0, 1, 2, 3, 4, 5, 6, 7];
    const high = [8, 9, 10, 11, 12, 13, 14, 15];
    const inLow = jobs.filter(({ job }) => low.includes(shardOf(job.id))).map(({ job }) => job.id);
    const first = await rt.sweeper.sweep({ dryRun: true, shards: low });
    assert.deepEqual(first.due?.map((d) => d.jobId).sort(), inLow.sort(), 'its share alone');
    const a = await rt.sweeper.sweep({ shards: low });
    const b = await rt.sweeper.sweep({ shards: high });
    assert.equal(a.checked + b.checked, jobs.length, 'the two shares: every due job once');
    for (const { job } of jobs) assert.equal((await rt.store.get(job.id))!.status, 'failed');
  });

  it('a run cut short leaves where it stopped; the next resumes there; one read to the end starts afresh', async () => {
    rt.testClock.advance(3600 * S);
    while ((await rt.sweeper.sweep()).checked > 0) rt.testClock.advance(3600 * S);
    const made = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        rt.jobs.enqueue(alice, {
          type: 'external',
          input: { c: i },
          reuseExistingOutputs: false,
          policy: { queueTimeoutSeconds: 5 },
        }),
      ),
    );
    rt.testClock.advance(6 * S);
    const order = made.map(({ job }) => job.id).sort(); // one deadline: by id, across the shards
    // the first two in the sweep's order are held by another sweep: read, not decided on, still due
    const other = otherSweeper(rt);
    for (const id of order.slice(0, 2)) assert.ok(await other.lease(id));
    const first = await rt.sweeper.sweep({ pageSize: 2, maxDocuments: 2 });
    assert.equal(first.complete, false, 'bounded in reads');
    assert.equal(first.outcomes.leased, 2);
    const stored = await rt.db.collection('sweepCursors').doc('all').get();
    assert.equal(stored.get('id'), order[1], 'where it stopped');
    // a resumed run reads a page's worth from the soonest first (the held two, still held: two documents), then
    // goes on; each job decided on is read twice (the page, the transaction): four documents more are two jobs
    const second = await rt.sweeper.sweep({ pageSize: 2, maxDocuments: 6 });
    assert.equal(second.corrected, 2, 'on past the held two, not stuck on them');
    for (const id of order.slice(2, 4)) assert.equal((await rt.store.get(id))!.status, 'failed');
    // the other sweep's leases lapse: a resumed run looks at the soonest page first, so the two it passed while
    // they were held are not left until some run reads the range to its end (the CI soak's never dispatched)
    rt.testClock.advance(60 * S);
    const third = await rt.sweeper.sweep({ pageSize: 2, maxDocuments: 4 });
    assert.equal(third.corrected, 2);
    for (const id of order.slice(0, 2))
      assert.equal((await rt.store.get(id))!.status, 'failed', `${id}: looked at again`);
    assert.equal((await rt.db.collection('sweepCursors').doc('all').get()).get('id'), order[3], 'and the place kept');
    const rest = await rt.sweeper.sweep();
    assert.equal(rest.complete, true);
    assert.equal(rest.corrected, 2, 'the last two, from where the last run stopped');
    assert.equal((await rt.db.collection('sweepCursors').doc('all').get()).exists, false, 'read to the end: cleared');
  });

  it('everyone’s reads span the shards: lists, counts, stats, due starts; old transitions once backfilled', async () => {
    rt.testClock.advance(S); // after the earlier tests' transitions
    const since = rt.testClock.now();
    const bob: Principal = { userId: 'bob-shards', admin: false, workerJobId: null };
    const made = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        rt.jobs.enqueue(bob, { type: 'external', input: { s: i }, reuseExistingOutputs: false }),
      ),
    );
    const ids = made.map(({ job }) => job.id);
    assert.ok(new Set(ids.map((id) => shardOf(id))).size >= 8, 'the jobs fall in many shards');
    // an admin's list of every queued job (no owner): one query over every shard, newest first, paged
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await rt.store.list({ status: 'queued' }, 7, cursor);
      seen.push(...page.jobs.map((j) => j.id));
      const times = page.jobs.map((j) => j.createdAt);
      assert.deepEqual(
        times,
        [...times].sort((a, b) => b - a),
        'newest first across the shards',
      );
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    for (const id of ids) assert.equal(seen.filter((s) => s === id).length, 1, `${id} listed once`);
    // everyone's transitions since `since` (the stats): each job's ENQUEUED, whatever its shard
    const everyone = { ownerId: null, sinceMs: since };
    assert.equal(await rt.ledger.stats.countTransitions(everyone, { field: 'to', value: 'queued' }), 20);
    assert.equal(await rt.ledger.stats.countTransitions(everyone, { field: 'source', in: ['api', 'sweep'] }), 20);
    // a transition stored before the shards (no field) is not everyone's until backfilled
    const t = rt.db.collection('jobs').doc(ids[0]!).collection('transitions').doc('1');
    await t.update({ shard: FieldValue.delete() });
    assert.equal(await rt.ledger.stats.countTransitions(everyone, { field: 'to', value: 'queued' }), 19);
    const r = await rt.ledger.backfillShards();
    assert.equal(r.transitions.written, 1);
    assert.equal((await t.get()).get('shard'), shardOf(ids[0]!));
    assert.equal(await rt.ledger.stats.countTransitions(everyone, { field: 'to', value: 'queued' }), 20);
  });
});
