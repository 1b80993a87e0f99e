/**
 * Two things the fault soak found late (infra/soak/, docs/reliability.md): a failed job whose outputs landed
 * after the failure, their notification lost, stayed failed (nothing looked again); one job whose lock a
 * dead process held kept the sweep, and every later sweep, from the due jobs after it; and a probe that hung
 * (GCS in an outage, the client retrying) kept a due deadline waiting past its lease, and past later sweeps.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Principal } from '../../shared/src/auth/principal.js';
import { createGcsOutputProbe } from '../../shared/src/evidence/outputs.js';
import { createStorage } from '../../shared/src/evidence/storage.js';
import { Collections } from '../../shared/src/store/firestore.js';
import { otherReconciler, otherSweeper, testRuntime, type TestRuntime } from '../helpers/runtime.js';

const alice: Principal = { userId: 'alice', admin: false, workerJobId: null };
const S = 1000;
let rt: TestRuntime;

before(async () => {
  rt = await testRuntime('sweep-late');
});
after(async () => {
  await rt.db.terminate();
});
beforeEach(async () => {
  rt.testClock.advance(48 * 3600 * S);
  for (let i = 0; i < 5 && (await rt.sweeper.sweep()).checked > 0; i++) rt.testClock.advance(3600 * S);
});

const out = (name: string) => `gs://${rt.bucket}/u/alice/late/${name}.mp4`;
const put = (name: string) => rt.storage.bucket(rt.bucket).file(`u/alice/late/${name}.mp4`).save('v');
const get = async (id: string) => (await rt.store.get(id))!;
const external = async (name: string, queueTimeoutSeconds = 10) =>
  (
    await rt.jobs.enqueue(alice, {
      type: 'external',
      outputs: [out(name)],
      reuseExistingOutputs: true,
      policy: { queueTimeoutSeconds, outputGraceSeconds: 20 },
    } as never)
  ).job;

describe('sweep: the late-output check of a failed job', () => {
  it('outputs that landed after the failure, unannounced, turn it succeeded LATE_OUTPUT one output grace later', async () => {
    const j = await external('late-unannounced');
    rt.testClock.advance(11 * S);
    await rt.sweeper.sweep();
    const failed = await get(j.id);
    assert.equal(failed.statusReason, 'QUEUE_TIMEOUT');
    assert.equal(failed.nextCheckAt, failed.endedAt! + 20 * S);
    await put('late-unannounced'); // written by the execution that was told to stop; no notification comes
    rt.testClock.advance(10 * S);
    assert.equal((await rt.sweeper.sweep()).checked, 0, 'not before the grace');
    rt.testClock.advance(11 * S);
    await rt.sweeper.sweep();
    const done = await get(j.id);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.statusReason, 'LATE_OUTPUT');
    assert.equal(done.nextCheckAt, null);
  });

  it('outputs still missing: one look, then the failed job leaves the sweep for good', async () => {
    const j = await external('never-written');
    rt.testClock.advance(11 * S);
    await rt.sweeper.sweep();
    const failed = await get(j.id);
    rt.testClock.advance(21 * S);
    const look = await rt.sweeper.sweep();
    assert.equal(look.checked, 1);
    const after = await get(j.id);
    assert.equal(after.status, 'failed');
    assert.equal(after.version, failed.version, 'no transition');
    assert.equal(after.nextCheckAt, null);
    rt.testClock.advance(3600 * S);
    assert.equal((await rt.sweeper.sweep()).checked, 0);
    assert.equal((await rt.store.history(j.id)).length, 2);
  });

  it("past its check, the retry's outputs found by a probe (their notification lost) turn the failed job succeeded too", async () => {
    const j = await external('retried');
    rt.testClock.advance(11 * S);
    await rt.sweeper.sweep();
    rt.testClock.advance(21 * S);
    await rt.sweeper.sweep(); // the late-output check: nothing there yet, the failed job leaves the sweep
    assert.equal((await get(j.id)).nextCheckAt, null);
    const retry = await rt.jobs.retry(alice, j.id);
    assert.deepEqual(retry.outputUris, [out('retried')]);
    await put('retried'); // the retry's work; its notification never comes (for either job)
    const { report } = await rt.reconciler.reconcile(retry.id, 'reconcile');
    assert.equal(report.correctedStatus, 'succeeded');
    const [t] = (await rt.store.history(retry.id)).slice(-1);
    assert.deepEqual([t!.reason, t!.source], ['OUTPUT_FOUND', 'reconcile']);
    const first = await get(j.id);
    assert.equal(first.status, 'succeeded', 'the shareOutputs effect had the failed job look for itself');
    assert.equal(first.statusReason, 'LATE_OUTPUT');
    const last = (await rt.store.history(j.id)).at(-1)!;
    assert.deepEqual([last.source, last.evidence.correctedFrom], ['reconcile', 'QUEUE_TIMEOUT']);
  });
});

describe('sweep: a job whose lock is held', () => {
  it('holds the sweep no longer than its lease: the jobs after it are swept; it is, once the lock is free', async () => {
    const jobs = [await external('held-a'), await external('held-b')];
    const [first, second] = [...jobs].sort((a, b) => (a.id < b.id ? -1 : 1));
    rt.testClock.advance(11 * S);
    // a transaction of another process (one killed mid-transaction, say) holds the first due job's lock
    let holding!: () => void;
    const held = new Promise<void>((r) => (holding = r));
    let holderDone = false;
    const holder = rt.db
      .runTransaction(
        async (tx) => {
          await tx.get(rt.db.collection(Collections.jobs).doc(first!.id));
          holding();
          await new Promise((r) => setTimeout(r, 4000));
        },
        { maxAttempts: 1 },
      )
      .finally(() => (holderDone = true));
    await held;
    const sweeper = otherSweeper(rt, { leaseMs: 500 });
    const r = await sweeper.sweep({ concurrency: 1 });
    assert.equal(holderDone, false, 'the sweep did not wait for the lock');
    assert.equal(r.outcomes.slow, 1);
    assert.deepEqual(r.movedOn, [first!.id], 'named: its deadline is not missed, it is under way');
    assert.equal((await get(second!.id)).statusReason, 'QUEUE_TIMEOUT', 'the job after it was swept');
    rt.testClock.advance(S); // its lease lapses; this process is still at it, so the next sweep leaves it be
    const again = await sweeper.sweep({ concurrency: 1 });
    assert.equal(holderDone, false);
    assert.deepEqual(again.outcomes, { busy: 1 });
    assert.deepEqual(again.movedOn, [first!.id]);
    await holder;
    rt.testClock.advance(S);
    await sweeper.sweep({ concurrency: 1 });
    for (let i = 0; i < 100 && (await get(first!.id)).status !== 'failed'; i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal((await get(first!.id)).statusReason, 'QUEUE_TIMEOUT');
    assert.equal((await rt.store.history(first!.id)).length, 2, 'one transition, whoever made it');
  });
});

describe('sweep: a probe that does not answer', () => {
  let hang: Server;
  const sockets = new Set<Socket>();
  before(async () => {
    // a GCS endpoint that accepts and never answers (an outage the client keeps retrying through)
    hang = createServer(() => {});
    hang.on('connection', (s) => void sockets.add(s));
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  });
  after(() => {
    for (const s of sockets) s.destroy();
    hang.close();
  });

  it('gets half the lease while the job is newly due (left due, unwritten); past that its own time', async () => {
    const port = (hang.address() as AddressInfo).port;
    // the probe's own timeout (3 s) is longer than the budget (half of a 2 s lease): the first look is cut short
    const storage = createStorage('sweep-late', `http://127.0.0.1:${port}`);
    const reconciler = otherReconciler(rt, { probe: createGcsOutputProbe(storage, { timeoutMs: 3000 }) });
    const sweeper = otherSweeper(rt, { reconciler, leaseMs: 2000 });
    const j = await external('probe-hangs');
    rt.testClock.advance(11 * S);
    const r = await sweeper.sweep({ concurrency: 1 });
    assert.deepEqual(r.outcomes, { unfinished: 1 }, 'not decided on, not waited on');
    assert.deepEqual(r.movedOn, [j.id]);
    const first = await get(j.id);
    assert.deepEqual([first.status, first.version, first.probeHold ?? null], ['queued', 1, null], 'nothing written');
    assert.ok(first.nextCheckAt! <= rt.testClock.now(), 'still due: the next sweep looks again');
    // due for as long as a probe may take (10 s): the probe gets its own time, and its timeout is a failed probe
    rt.testClock.advance(10 * S);
    assert.deepEqual((await sweeper.sweep({ concurrency: 1 })).movedOn, [j.id], 'past its lease: moved on');
    for (let i = 0; i < 100 && !(await get(j.id)).probeHold; i++) await new Promise((r) => setTimeout(r, 100));
    const held = await get(j.id);
    assert.equal(held.status, 'queued', 'no evidence, so no failure yet');
    assert.equal(held.probeHold?.count, 1);
    assert.equal((await rt.store.history(j.id)).length, 1, 'a hold is no transition');
    rt.testClock.advance(31 * S); // the hold's retry, with GCS back: the deadline is acted on
    await rt.sweeper.sweep();
    assert.equal((await get(j.id)).statusReason, 'QUEUE_TIMEOUT');
  });
});
