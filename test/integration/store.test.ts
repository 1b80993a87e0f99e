import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createJob, type Job } from '../../shared/src/core/index.js';
import type { Principal } from '../../shared/src/auth/principal.js';
import { jobSpec, policy } from '../helpers/jobs.js';
import { testRuntime, type TestRuntime } from '../helpers/runtime.js';

const alice: Principal = { userId: 'alice', admin: false, workerJobId: null };
let rt: TestRuntime;
let n = 0;

function spec(over: Partial<Parameters<typeof createJob>[0]> = {}) {
  n++;
  return jobSpec({
    id: `job_store_${n}`,
    type: 'external',
    outputUris: [`gs://${rt.bucket}/u/alice/out/${n}.mp4`],
    executorKind: 'external',
    policy: policy(),
    ...over,
  });
}

async function put(s: ReturnType<typeof spec>): Promise<Job> {
  const res = await rt.store.create((c) => createJob(s, [], c));
  assert.equal(res.outcome, 'created');
  return (res as { job: Job }).job;
}

before(async () => {
  rt = await testRuntime('store');
});
after(async () => {
  await rt.db.terminate();
});

describe('JobStore on the Firestore emulator', () => {
  it('writes the job and transitions/1 in one transaction', async () => {
    const job = await put(spec());
    const read = await rt.store.get(job.id);
    assert.deepEqual(read, job);
    const h = await rt.store.history(job.id);
    assert.deepEqual(
      h.map((t) => [t.seq, t.from, t.to, t.reason]),
      [[1, null, 'queued', 'ENQUEUED']],
    );
  });

  it('a dedupe key delivered twice applies once', async () => {
    const job = await put(spec());
    const ev = { kind: 'worker' as const, source: 'worker' as const, report: { kind: 'started' as const } };
    const a = await rt.store.apply(job.id, ev, { dedupeKey: 'msg-1' });
    const b = await rt.store.apply(job.id, ev, { dedupeKey: 'msg-1' });
    assert.equal(a.outcome, 'applied');
    assert.equal(b.outcome, 'duplicate');
    assert.equal((await rt.store.history(job.id)).length, 2);
    assert.equal((await rt.store.get(job.id))!.version, 2);
  });

  it('holds one active job per resourceKey and releases the lock in the terminal transition', async () => {
    const first = await put(spec({ resourceKey: 'reel:1' }));
    const second = spec({ resourceKey: 'reel:1' });
    const locked = await rt.store.create((c) => createJob(second, [], c));
    assert.deepEqual(locked, { outcome: 'locked', holderId: first.id });
    assert.equal(await rt.store.get(second.id), null, 'nothing written for the refused job');
    await rt.store.apply(first.id, { kind: 'cancel', source: 'api' });
    const again = await rt.store.create((c) => createJob(second, [], c));
    assert.equal(again.outcome, 'created');
  });

  it('an idempotency key returns the same job', async () => {
    const s = spec({ idempotencyKey: 'k-1' });
    await put(s);
    const res = await rt.store.create((c) => createJob({ ...s, id: 'job_other' }, [], c));
    assert.equal(res.outcome, 'idempotent');
    assert.equal((res as { job: Job }).job.id, s.id);
    assert.equal(await rt.store.get('job_other'), null);
  });

  it('concurrent reconciles of one job produce one transition, not two', async () => {
    const job = await put(spec());
    await rt.storage.bucket(rt.bucket).file(job.outputUris[0]!.split('/').slice(3).join('/')).save('x');
    const reports = await Promise.all(Array.from({ length: 5 }, () => rt.reconciler.reconcile(job.id, 'reconcile')));
    assert.equal(reports.filter((r) => r.report.action === 'corrected').length, 1);
    const h = await rt.store.history(job.id);
    assert.deepEqual(
      h.map((t) => t.to),
      ['queued', 'succeeded'],
    );
    assert.equal((await rt.store.get(job.id))!.statusReason, 'OUTPUT_FOUND');
  });

  it('reconcile-on-read costs no probe inside the deadlines and reconciles past them', async () => {
    const job = await put(spec({ policy: policy({ queueTimeoutSeconds: 60 }) }));
    const read = await rt.jobs.read(alice, job.id);
    assert.equal(read.status, 'queued');
    rt.testClock.advance(61_000);
    const late = await rt.jobs.read(alice, job.id);
    assert.equal(late.status, 'failed');
    assert.equal(late.statusReason, 'QUEUE_TIMEOUT');
    const h = await rt.store.history(job.id);
    assert.deepEqual(
      h.map((t) => [t.to, t.source]),
      [
        ['queued', 'api'],
        ['failed', 'read'],
      ],
    );
  });
});
