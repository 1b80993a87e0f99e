/**
 * The index-load check (issue 32, docs/scale.md "Index load"): from what a job write stores, every field whose
 * value is a time (sequential: near "now" when written) must be exempted from single-field indexing or listed,
 * with its reason, among the sequential fields kept; and every composite index ending in a sequential field of
 * a job must lead with an equality field (a shard, an owner), so its writes spread over many key ranges.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Timestamp } from '@google-cloud/firestore';
import { JOB_TIME_FIELDS, jobToDoc } from '../../shared/src/store/codec.js';
import { INDEX_EXEMPTIONS, SEQUENTIAL_KEPT } from '../../shared/src/store/index-load.js';
import { INDEXES } from '../../shared/src/store/queries.js';
import { newJob, T0 } from '../helpers/jobs.js';

/** Every field path of a document whose value is a Timestamp (maps walked; arrays are indexed as a whole). */
function timePaths(doc: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(doc).flatMap(([k, v]) => {
    const path = prefix + k;
    if (v instanceof Timestamp) return [path];
    if (v && typeof v === 'object' && !Array.isArray(v)) return timePaths(v as Record<string, unknown>, `${path}.`);
    return [];
  });
}

/** A job with every time it can carry set. */
function busyJob() {
  const j = newJob({ outputs: ['gs://b/o.mp4'] });
  const times = Object.fromEntries(JOB_TIME_FIELDS.map((k) => [k, T0 + 1000]));
  return {
    ...j,
    ...times,
    executor: { ...j.executor, startRequestedAt: T0, cancelRequestedAt: T0 },
  };
}

describe('index load: no sequential field indexed on a job write without a reason', () => {
  it('every time a job write stores is exempted, or kept with its reason', () => {
    const doc = jobToDoc(busyJob() as never);
    doc.outboxDueAt = Timestamp.fromMillis(T0); // bookkeeping the store adds (job-doc.ts)
    const unexplained = timePaths(doc).filter(
      (p) => !INDEX_EXEMPTIONS.jobs.some((e) => p === e || p.startsWith(`${e}.`)) && !(p in SEQUENTIAL_KEPT),
    );
    assert.deepEqual(unexplained, [], 'exempt them (index-load.ts and Terraform) or shard them');
  });

  it('a composite index ending in a sequential job field leads with an equality field', () => {
    const sequential = new Set(timePaths(jobToDoc(busyJob() as never)));
    for (const spec of Object.values(INDEXES).flat()) {
      if (spec.collectionGroup !== 'jobs') continue;
      const last = spec.fields.at(-1)!.fieldPath;
      if (sequential.has(last)) assert.ok(spec.fields.length > 1, `${last} alone in a composite index`);
    }
  });

  it('the due index is sharded: its query names the shard before the time', () => {
    const [due] = INDEXES.dueJobs;
    assert.deepEqual(
      due!.fields.map((f) => f.fieldPath),
      ['dueShard', 'nextCheckAt'],
    );
    assert.ok(INDEX_EXEMPTIONS.jobs.includes('nextCheckAt'), 'and nextCheckAt alone is not indexed');
  });
});
