/**
 * GET /api/stats/recoveries against the emulators: counts by source and reason match the histories, a sweep's
 * and a reconcile's corrections are recoveries with their time to recover, per type the ended jobs and the
 * failure rate, the work avoided; each owner sees their own (an admin everyone's); the window moves with the
 * clock; a bad window is 400 and writes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../../shared/src/auth/principal.js';
import { startApi, type ApiClient } from '../helpers/api.js';
import { countDocuments, testRuntime, type TestRuntime } from '../helpers/runtime.js';

const alice: Principal = { userId: 'alice', admin: false, workerJobId: null };
const bob: Principal = { userId: 'bob', admin: false, workerJobId: null };
const S = 1000;
let rt: TestRuntime;
let api: ApiClient;
const ids: string[] = [];

const out = (owner: string, name: string) => `gs://${rt.bucket}/u/${owner}/stats/${name}.mp4`;
const put = (owner: string, name: string) =>
  rt.storage.bucket(rt.bucket).file(`u/${owner}/stats/${name}.mp4`).save('v');
const external = async (who: Principal, name: string, opts = {}, queueTimeoutSeconds = 10) => {
  const { job } = await rt.jobs.enqueue(
    who,
    {
      type: 'external',
      outputs: [out(who.userId, name)],
      reuseExistingOutputs: true,
      policy: { queueTimeoutSeconds, outputGraceSeconds: 5 },
    } as never,
    opts,
  );
  ids.push(job.id);
  return job;
};

before(async () => {
  rt = await testRuntime('stats');
  api = await startApi(rt);
  // Alice: one job failed by the sweep at its queue deadline (a recovery: 2 s after the deadline)
  await external(alice, 'never');
  rt.testClock.advance(12 * S);
  await rt.sweeper.sweep();
  // one whose output landed unannounced, found by her reconcile (a recovery)
  const found = await external(alice, 'found');
  await put('alice', 'found');
  await rt.jobs.reconcile(alice, found.id);
  // one whose output was already there (born succeeded: work avoided), one with two project artifacts reused
  await put('alice', 'there');
  await external(alice, 'there');
  await external(alice, 'partial', { evidence: { artifactsReused: 2 } }, 3600); // still queued
  // one whose worker resumed past two steps (their checkpoints stood) and succeeded
  const { job: resumed } = await rt.jobs.enqueue(alice, { type: 'external', outputs: [], reuseExistingOutputs: true });
  ids.push(resumed.id);
  const skipped = { completedSteps: ['fetch', 'render'], skippedSteps: ['fetch', 'render'] };
  await rt.jobs.report(null, { jobId: resumed.id, kind: 'started', progress: skipped });
  await rt.jobs.report(null, { jobId: resumed.id, kind: 'succeeded' });
  // Bob: a failure Alice must not see
  await external(bob, 'bobs');
  rt.testClock.advance(12 * S);
  await rt.sweeper.sweep();
});
after(async () => {
  await api.close();
  await rt.db.terminate();
});

describe('GET /api/stats/recoveries', () => {
  it("counts Alice's transitions by source and reason, as her histories hold them", async () => {
    const res = await api.call('GET', '/api/stats/recoveries');
    assert.equal(res.status, 200, res.text);
    const s = res.body;
    assert.equal(s.window, '24h');
    const mine = (await Promise.all(ids.map((id) => rt.store.get(id)))).filter((j) => j!.ownerId === 'alice');
    const histories = (await Promise.all(mine.map((j) => rt.store.history(j!.id)))).flat();
    assert.equal(s.transitions, histories.length);
    const by = (k: 'source' | 'reason', v: string) => histories.filter((t) => t[k] === v).length;
    for (const source of Object.keys(s.bySource)) assert.equal(s.bySource[source], by('source', source), source);
    for (const reason of Object.keys(s.byReason)) assert.equal(s.byReason[reason], by('reason', reason), reason);
    assert.deepEqual(s.byReason.QUEUE_TIMEOUT, 1);
    assert.equal(s.byReason.OUTPUT_ALREADY_PRESENT, 1);
  });

  it('recoveries: the sweep and the reconcile, with the time from the deadline or the output to the correction', async () => {
    const s = (await api.call('GET', '/api/stats/recoveries?window=24h')).body;
    assert.equal(s.recovered.bySource.sweep, 1);
    assert.equal(s.recovered.bySource.reconcile, 1);
    assert.equal(s.recovered.count, 2);
    assert.ok(s.recovered.secondsToRecover.samples >= 1);
    assert.ok(s.recovered.secondsToRecover.p99 >= s.recovered.secondsToRecover.p50);
    assert.ok(s.recovered.secondsToRecover.p50 >= 0);
  });

  it('the series: twelve buckets over the window that add up to it, the last one up to this instant', async () => {
    await rt.jobs.enqueue(alice, { type: 'external', outputs: [], reuseExistingOutputs: true } as never); // at now
    const s = (await api.call('GET', '/api/stats/recoveries')).body;
    assert.equal(s.series.length, 12);
    const sum = (k: string) => s.series.reduce((a: number, b: Record<string, number>) => a + b[k]!, 0);
    assert.equal(sum('transitions'), s.transitions);
    assert.equal(sum('recovered'), s.recovered.count);
    assert.equal(sum('failed'), s.byReason.QUEUE_TIMEOUT);
    assert.equal(s.series[0].start, s.since);
    const last = s.series.at(-1);
    assert.equal(last.transitions, s.transitions, 'everything happened in the last two hours');
    assert.equal(last.failureRate, 0.25);
    assert.deepEqual(last.bySource, s.bySource, 'all in the last bucket');
    assert.deepEqual(last.byType, { external: { succeeded: 3, failed: 1, failureRate: 0.25 } });
    assert.deepEqual(s.series[0].byType, {});
    assert.ok(last.secondsToRecoverP50 >= 0);
  });

  it('per type: ended jobs and the failure rate; the work avoided', async () => {
    const s = (await api.call('GET', '/api/stats/recoveries')).body;
    assert.deepEqual(s.byType.external, { succeeded: 3, failed: 1, canceled: 0, failureRate: 0.25 });
    assert.deepEqual(s.avoided, { outputsAlreadyPresent: 1, stepsSkipped: 2, artifactsNotRegenerated: 2 });
  });

  it("an admin sees everyone's; Bob only his own", async () => {
    const admin = (await api.call('GET', '/api/stats/recoveries', { token: await api.token('root', { admin: true }) }))
      .body;
    assert.equal(admin.byType.external.failed, 2);
    const b = (await api.call('GET', '/api/stats/recoveries', { token: await api.token('bob') })).body;
    assert.deepEqual(b.byType.external, { succeeded: 0, failed: 1, canceled: 0, failureRate: 1 });
    assert.equal(b.avoided.outputsAlreadyPresent, 0);
  });

  it('the window moves with the clock: an hour later, the last hour holds nothing', async () => {
    rt.testClock.advance(2 * 3600 * S);
    const s = (await api.call('GET', '/api/stats/recoveries?window=1h')).body;
    assert.equal(s.transitions, 0);
    assert.deepEqual(s.byType, {});
    assert.equal(s.recovered.secondsToRecover.p50, null);
    assert.ok((await api.call('GET', '/api/stats/recoveries?window=7d')).body.transitions > 0);
  });

  it('a window not offered is 400 INVALID_INPUT and writes nothing; no token is 401', async () => {
    const before = await countDocuments(rt.db);
    const res = await api.call('GET', '/api/stats/recoveries?window=30d');
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'INVALID_INPUT');
    assert.equal((await api.call('GET', '/api/stats/recoveries', { token: null })).status, 401);
    assert.equal(await countDocuments(rt.db), before);
  });
});
