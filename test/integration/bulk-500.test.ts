/**
 * The issue's own measure (issue 33): an operator cancels 500 jobs matching a filter in one action — a preview of
 * the count, a bulk followed by its progress until done — and every one of the 500 is canceled once, by a
 * transition naming the bulk, read back from the store.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../../shared/src/auth/principal.js';
import { mapLimit } from '../../shared/src/evidence/limits.js';
import { testRuntime, type TestRuntime } from '../helpers/runtime.js';

const ops: Principal = { userId: 'ops', admin: true, workerJobId: null };
const dave: Principal = { userId: 'dave', admin: false, workerJobId: null };
let rt: TestRuntime;

before(async () => {
  rt = await testRuntime('bulk-500', { envOverrides: { VERITY_MAX_ACTIVE_JOBS: '1000' } });
});
after(async () => {
  await rt.bulks.idle();
  await rt.db.terminate();
});

describe('bulk actions at the issue’s size', () => {
  it('cancels 500 matching jobs in one action, with a preview and progress, each change attributed', async () => {
    const ids = await mapLimit(
      Array.from({ length: 500 }, (_, i) => i),
      16,
      async (i) =>
        (await rt.jobs.enqueue(dave, { type: 'external', input: { i }, reuseExistingOutputs: false } as never)).job.id,
    );
    const filter = { ownerId: 'dave', status: 'queued' as const };
    const preview = await rt.bulks.start(ops, { action: 'cancel', filter, dryRun: true });
    assert.ok('dryRun' in preview && preview.matched === 500);
    const bulk = await rt.bulks.start(ops, { action: 'cancel', filter, requestId: 'incident-500' });
    assert.ok(!('dryRun' in bulk));
    const seen: number[] = [];
    for (;;) {
      const v = await rt.bulks.read(ops, bulk.id);
      seen.push(v.done + v.skipped + v.failed);
      if (v.state === 'done') {
        assert.deepEqual([v.matched, v.done, v.skipped, v.failed], [500, 500, 0, 0]);
        break;
      }
    }
    assert.ok(seen.length > 1 && seen.every((n, i) => i === 0 || n >= seen[i - 1]!), 'progress only grows');
    await mapLimit(ids, 16, async (id) => {
      const h = await rt.store.history(id);
      const cancels = h.filter((t) => t.to === 'canceled');
      assert.equal(cancels.length, 1, id);
      assert.deepEqual(cancels[0]!.evidence.bulk, { bulkId: bulk.id, userId: 'ops' });
    });
  });
});
