/**
 * The store's bookkeeping folded into the job document (shared/src/store/job-doc.ts), on the emulator: the
 * delivery keys of the last 64 changes, the outbox of transitions not yet announced, and writes that start from
 * a read the caller holds — each proved by reading the stored documents back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createJob, outboxRetryMs, type Job, type JobEvent } from '../../shared/src/core/index.js';
import { DEDUPE_KEEP } from '../../shared/src/store/job-doc.js';
import { jobSpec, policy } from '../helpers/jobs.js';
import { testRuntime, type TestRuntime } from '../helpers/runtime.js';

let rt: TestRuntime;
let n = 0;

async function put(): Promise<Job> {
  n++;
  const res = await rt.store.create((c) =>
    createJob(
      jobSpec({
        id: `job_doc_${n}_${Date.now()}`,
        type: 'external',
        outputUris: [`gs://${rt.bucket}/u/alice/out/doc-${n}.mp4`],
        executorKind: 'external',
        policy: policy(),
      }),
      [],
      c,
    ),
  );
  assert.equal(res.outcome, 'created');
  return (res as { job: Job }).job;
}

const progress = (pct: number): JobEvent => ({
  kind: 'worker',
  source: 'worker',
  report: { kind: 'progress', progress: { pct } },
});
const raw = async (id: string) => (await rt.db.collection('jobs').doc(id).get()).data()!;

before(async () => {
  rt = await testRuntime('job-doc');
});
after(async () => {
  await rt.db.terminate();
});

describe('delivery keys in the job document', () => {
  it('a key delivered again changes nothing, and no document but the job holds it', async () => {
    const job = await put();
    assert.equal((await rt.store.apply(job.id, progress(10), { dedupeKey: 'k' })).outcome, 'applied');
    const before = await raw(job.id);
    const again = await rt.store.apply(job.id, progress(20), { dedupeKey: 'k' });
    assert.equal(again.outcome, 'duplicate');
    const stored = await raw(job.id);
    assert.deepEqual(stored, before, 'the job is as it was');
    assert.equal(stored.dedupe.length, 1);
    assert.equal((await rt.db.collection(`jobs/${job.id}/dedupe`).get()).size, 0, 'no dedupe documents');
  });

  it(`keeps the keys of the last ${DEDUPE_KEEP} changes: an older one is decided afresh`, async () => {
    const job = await put();
    for (let i = 0; i <= DEDUPE_KEEP; i++) await rt.store.apply(job.id, progress(i * 1.5), { dedupeKey: `p${i}` });
    assert.equal((await raw(job.id)).dedupe.length, DEDUPE_KEEP);
    assert.equal((await rt.store.apply(job.id, progress(99), { dedupeKey: `p${DEDUPE_KEEP}` })).outcome, 'duplicate');
    const old = await rt.store.apply(job.id, progress(1), { dedupeKey: 'p0' });
    assert.notEqual(old.outcome, 'duplicate', 'p0 fell out of the window');
  });
});

describe('the outbox in the job document', () => {
  it('a transition enters with the commit and leaves once marked, even from a stale read', async () => {
    const job = await put();
    const created = await raw(job.id);
    assert.deepEqual(
      created.outbox.map((e: { seq: number }) => e.seq),
      [1],
    );
    // taken up again by the sweep once core's outboxRetryMs has passed, not before
    assert.equal(created.outboxDueAt.toMillis(), job.createdAt + outboxRetryMs(job));
    await rt.store.apply(job.id, progress(10)); // queued → running: transition 2
    const early = await rt.ledger.outbox.pending(rt.testClock.now() + outboxRetryMs(job) - 1, 500);
    assert.equal(early.filter((p) => p.job.id === job.id).length, 0, 'not yet: maybe still being published');
    const pending = await rt.ledger.outbox.pending(rt.testClock.now() + outboxRetryMs(job), 500);
    const entries = pending.filter((p) => p.job.id === job.id);
    assert.deepEqual(
      entries.map((e) => e.transition.seq),
      [1, 2],
      'the sweep finds both',
    );
    // the job changes after the read the marks were given: each mark reads again, and keeps the change
    await rt.store.apply(job.id, progress(40));
    for (const e of entries) await rt.ledger.outbox.markPublished(job.id, e.transition.seq, e.read);
    const marked = await raw(job.id);
    assert.equal(marked.outbox, undefined);
    assert.equal(marked.outboxDueAt, undefined);
    assert.equal(marked.progress.pct, 40);
    const left = await rt.ledger.outbox.pending(rt.testClock.now() + outboxRetryMs(job), 500);
    assert.equal(
      left.find((p) => p.job.id === job.id),
      undefined,
    );
  });

  it('a write that completes the effects takes the announced transition out with it', async () => {
    const job = await put();
    const res = await rt.store.apply(job.id, progress(5), { announced: [1] });
    assert.deepEqual(res.announced, [1]);
    const stored = await raw(job.id);
    assert.deepEqual(
      stored.outbox.map((e: { seq: number }) => e.seq),
      [2],
      'transition 1 left in the same write; its own transition (2) entered',
    );
    assert.equal(stored.progress.pct, 5);
  });
});

describe('a write from a read the caller holds', () => {
  it('decides on the read when the job is unchanged, and reads again when it changed', async () => {
    const job = await put();
    const held = (await rt.store.read(job.id))!;
    // someone else moves the job after the read was taken
    await rt.store.apply(job.id, progress(30));
    const res = await rt.store.apply(job.id, progress(60), { known: held });
    assert.equal(res.outcome, 'patched');
    const stored = (await rt.store.get(job.id))!;
    assert.equal(stored.progress!.pct, 60, 'decided on the stored job, not the stale read');
    // the read a write returns is current: the next write needs no read of its own
    const next = await rt.store.apply(job.id, progress(70), { known: res.read });
    assert.equal(next.outcome, 'patched');
    assert.equal((await rt.store.get(job.id))!.progress!.pct, 70);
  });
});
