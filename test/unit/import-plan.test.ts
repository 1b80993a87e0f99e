/** `verity import`'s pure part: what one record becomes through a mapping (shared/src/adopt/import-plan.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ImportMappingSchema, planRecord, writeBackOf } from '../../shared/src/adopt/import-plan.js';
import { newerThan } from '../../shared/src/store/mirror-writer.js';

const mapping = ImportMappingSchema.parse({
  collection: 'users/u1/renders',
  type: 'demo-render',
  fields: { status: 'state.name', owner: 'owner', execution: 'run.execution', outputs: 'files', createdAt: 'at' },
  statuses: { queued: ['new'], running: ['busy'], succeeded: ['done'], failed: ['broken'], canceled: ['stopped'] },
  outputPrefix: 'gs://bkt/out/',
});

describe('import plan', () => {
  it('reads nested fields; an active record naming its execution is attached, with its outputs and time', () => {
    const at = { toMillis: () => Date.parse('2026-11-30T23:26:00Z') }; // a Firestore Timestamp's shape
    const plan = planRecord(mapping, {
      state: { name: 'busy' },
      owner: 'alice',
      run: { execution: 'reel-stitching-job-dm4qv' },
      files: ['a.mp4', 'gs://bkt/out/b.mp4', 'a.mp4'],
      at,
    });
    assert.deepEqual(plan, {
      kind: 'attach',
      ownerId: 'alice',
      execution: 'reel-stitching-job-dm4qv',
      outputs: ['gs://bkt/out/a.mp4', 'gs://bkt/out/b.mp4'],
      at: '2026-11-30T23:26:00.000Z',
    });
  });

  it('without an execution, a record is judged by its outputs; ended ones and ones with no evidence are left', () => {
    assert.equal(planRecord(mapping, { state: { name: 'done' }, owner: 'a', files: 'x.mp4' }).kind, 'by-outputs');
    assert.equal(planRecord(mapping, { state: { name: 'new' }, owner: 'a', files: ['x.mp4'] }).kind, 'by-outputs');
    for (const [doc, why] of [
      [{ state: { name: 'broken' }, owner: 'a' }, /ended/],
      [{ state: { name: 'stopped' }, owner: 'a', run: { execution: 'e-1' } }, /ended/],
      [{ state: { name: 'busy' }, owner: 'a' }, /no execution and no outputs/],
      [{ state: { name: 'weird' }, owner: 'a' }, /"weird" is not in the mapping/],
      [{ state: { name: 'done' }, owner: 'a b/c' }, /no usable owner/],
      [{ state: { name: 'done' }, owner: 'a', files: [42, {}] }, /files holds \{\}/],
      [{ state: { name: 'done' }, owner: 'a', files: ['gs://bkt'] }, /not a gs:\/\/ object URI/],
    ] as const) {
      const plan = planRecord(mapping, doc as Record<string, unknown>);
      assert.equal(plan.kind, 'skip', JSON.stringify(doc));
      assert.match((plan as { reason: string }).reason, why);
    }
  });

  it('a path without an outputPrefix is left; a mapping outside the allowed shapes is refused', () => {
    const bare = ImportMappingSchema.parse({ ...mapping, outputPrefix: undefined });
    const plan = planRecord(bare, { state: { name: 'done' }, owner: 'a', files: 'x.mp4' });
    assert.match((plan as { reason: string }).reason, /no outputPrefix/);
    for (const bad of [
      { ...mapping, collection: '../jobs' },
      { ...mapping, outputPrefix: 'https://bkt/out/' },
      { ...mapping, fields: { ...mapping.fields, extra: 'x' } },
    ])
      assert.equal(ImportMappingSchema.safeParse(bad).success, false, JSON.stringify(bad));
  });

  it('write back: the status field (or the one named), each state its own value or the first the mapping lists', () => {
    assert.equal(writeBackOf(mapping), null, 'none unless asked');
    const m = ImportMappingSchema.parse({
      ...mapping,
      statuses: { queued: ['new', 'waiting'], running: ['busy'], succeeded: ['done'], failed: ['broken'] },
      writeBack: { values: { failed: 'error' } },
    });
    assert.deepEqual(writeBackOf(m), {
      field: 'state.name',
      values: { queued: 'new', running: 'busy', succeeded: 'done', failed: 'error' },
    });
    const other = ImportMappingSchema.parse({ ...m, writeBack: { field: 'verityStatus' } });
    assert.equal(writeBackOf(other)!.field, 'verityStatus');
    assert.equal(ImportMappingSchema.safeParse({ ...m, writeBack: { values: { lost: 'x' } } }).success, false);
  });

  it('write back: a write wins over the stamp of an earlier transition of its job, or of an earlier job', () => {
    const stamp = { jobId: 'job_a', createdAt: 1000, seq: 3 };
    assert.deepEqual(
      [newerThan(undefined, 1, 1), newerThan(stamp, 1000, 4), newerThan(stamp, 1000, 3), newerThan(stamp, 1000, 2)],
      [true, true, false, false],
    );
    assert.equal(newerThan(stamp, 2000, 1), true, 'a retry (a later job) takes the record over');
    assert.equal(newerThan(stamp, 500, 9), false, 'an earlier job does not take it back');
  });
});
