/**
 * Cleanup that runs itself (issue 31): a cancel removes the job's proxies with its temp files (another end keeps
 * the proxies for their retention), and the sweep unit runs the orphan sweep at its own cadence — one bounded
 * pass per cadence, whoever calls — against the emulators.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../../shared/src/auth/principal.js';
import { scheduledOrphanSweep } from '../../shared/src/evidence/orphan-schedule.js';
import { testRuntime, type TestRuntime } from '../helpers/runtime.js';
import { waitFor } from '../helpers/wait.js';

const alice: Principal = { userId: 'alice', admin: false, workerJobId: null };
const H = 3600_000;
let rt: TestRuntime;
before(async () => {
  rt = await testRuntime('orphan-schedule');
});
after(async () => {
  await rt.db.terminate();
});

const exists = async (name: string) => (await rt.storage.bucket(rt.bucket).file(name).exists())[0];
const external = async () =>
  (await rt.jobs.enqueue(alice, { type: 'external', outputs: [], reuseExistingOutputs: true })).job;

describe('cleanup that runs itself', () => {
  it("a cancel removes the job's proxies and temp files; a success keeps its proxies", async () => {
    const [canceled, done] = [await external(), await external()];
    const names = (id: string) => [`proxy/${id}/preview.mp4`, `tmp/${id}/scratch.wav`];
    const b = rt.storage.bucket(rt.bucket);
    await Promise.all([...names(canceled.id), ...names(done.id)].map((n) => b.file(n).save('x')));
    await rt.jobs.cancel(alice, canceled.id);
    await rt.jobs.report(null, { jobId: done.id, kind: 'succeeded' });
    await waitFor(
      'the cleanups',
      async () => !(await exists(`tmp/${canceled.id}/scratch.wav`)) && !(await exists(`tmp/${done.id}/scratch.wav`)),
    );
    assert.equal(await exists(`proxy/${canceled.id}/preview.mp4`), false, 'canceled: its proxies go');
    assert.equal(await exists(`proxy/${done.id}/preview.mp4`), true, 'succeeded: kept for their retention');
  });

  it('one bounded pass per cadence, whoever asks; the next once the cadence has passed', async () => {
    const b = rt.storage.bucket(rt.bucket);
    await Promise.all(['a', 'b', 'c'].map((k) => b.file(`tmp/job_gone_${k}/x.wav`).save('x')));
    const pass = (owner: string) =>
      scheduledOrphanSweep(
        {
          storage: rt.storage,
          ledger: rt.ledger,
          registry: rt.registry,
          buckets: [rt.bucket],
          owner,
          now: Date.now() + 25 * H,
        },
        { everyMs: H, maxPrefixes: 2 },
      );
    const first = await pass('sweep-1');
    assert.ok(first.ran);
    assert.equal(first.prefixesSeen, 2, 'bounded');
    assert.equal(first.complete, false);
    assert.deepEqual(await pass('sweep-2'), { ran: false, why: 'not due' }, 'another instance within the cadence');
    const left = async () => (await b.getFiles({ prefix: 'tmp/job_gone_' }))[0].length;
    assert.equal(await left(), 1, 'two of the three orphans deleted');
    rt.testClock.advance(H + 1000);
    const next = await pass('sweep-2');
    assert.ok(next.ran && next.objectsDeleted === 1);
    assert.equal(await left(), 0);
    const off = await scheduledOrphanSweep(
      {
        storage: rt.storage,
        ledger: rt.ledger,
        registry: rt.registry,
        buckets: [rt.bucket],
        owner: 'x',
        now: Date.now(),
      },
      { everyMs: 0, maxPrefixes: 2 },
    );
    assert.deepEqual(off, { ran: false, why: 'off' });
  });
});
