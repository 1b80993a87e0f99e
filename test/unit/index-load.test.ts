/**
 * The index-load check (issue 32, docs/scale.md "Index load"): from what a job, transition and delivery write
 * stores, every field whose value is a time (sequential: near "now" when written) must be exempted from
 * single-field indexing or listed, with its reason, among the sequential fields kept; and every composite index
 * ending in a sequential field must have, among the fields before it, one that spreads its writes over many key
 * ranges — a shard (shards.ts), a job, a resource key, or an owner (whose enqueues the admission limits) — so a
 * status, a type or a subscription alone never leads one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Timestamp } from '@google-cloud/firestore';
import type { Delivery } from '../../shared/src/core/index.js';
import { JOB_TIME_FIELDS, jobToDoc, transitionToDoc } from '../../shared/src/store/codec.js';
import { INDEX_EXEMPTIONS, SEQUENTIAL_KEPT } from '../../shared/src/store/index-load.js';
import { INDEXES } from '../../shared/src/store/indexes.js';
import { deliveryToDoc } from '../../shared/src/store/subscriptions.js';
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

/** A job with every time it can carry set, as stored (with the bookkeeping the store adds: job-doc.ts). */
function busyJobDoc() {
  const j = newJob({ outputs: ['gs://b/o.mp4'] });
  const times = Object.fromEntries(JOB_TIME_FIELDS.map((k) => [k, T0 + 1000]));
  const doc = jobToDoc({ ...j, ...times, executor: { ...j.executor, startRequestedAt: T0, cancelRequestedAt: T0 } });
  return { ...doc, outboxDueAt: Timestamp.fromMillis(T0) };
}

const delivery: Delivery = {
  id: 'sub_1:job_1:1',
  subscriptionId: 'sub_1',
  ownerId: 'o1',
  jobId: 'job_1',
  seq: 1,
  webhookId: 'job_1:1',
  body: { type: 'job.transition' } as never,
  state: 'delivered',
  attempts: 1,
  windowStart: T0,
  dueAt: T0,
  lastError: null,
  lastStatus: 200,
  waiting: false,
  createdAt: T0,
  deliveredAt: T0 + 1,
};

/** The documents each hot write stores, by collection. */
const WRITTEN: Record<string, Record<string, unknown>> = {
  jobs: busyJobDoc(),
  transitions: transitionToDoc(
    { seq: 1, from: null, to: 'queued', reason: 'ENQUEUED', source: 'api', attempt: 1, at: T0, evidence: {} },
    { kind: 'created' } as never,
  ),
  deliveries: deliveryToDoc(delivery),
};

const SPREADERS = new Set(['dueShard', 'shard', 'jobId', 'resourceKey', 'ownerId']);

describe('index load: no sequential field indexed on a hot write without a reason', () => {
  for (const [collection, doc] of Object.entries(WRITTEN))
    it(`every time a ${collection} write stores is exempted, or kept with its reason`, () => {
      const off = INDEX_EXEMPTIONS[collection] ?? [];
      const kept = SEQUENTIAL_KEPT[collection] ?? {};
      const times = timePaths(doc);
      assert.ok(times.length > 0, 'the document stores times');
      const unexplained = times.filter((p) => !off.some((e) => p === e || p.startsWith(`${e}.`)) && !(p in kept));
      assert.deepEqual(unexplained, [], 'exempt them (index-load.ts and Terraform) or shard them');
    });

  it('a composite index ending in a sequential field has a field before it that spreads its writes', () => {
    const sequential: Record<string, Set<string>> = {
      ...Object.fromEntries(Object.entries(WRITTEN).map(([c, d]) => [c, new Set(timePaths(d))])),
      probes: new Set(['at']),
      projects: new Set(['createdAt', 'updatedAt']),
    };
    const hot = Object.values(INDEXES)
      .flat()
      .filter((spec) => sequential[spec.collectionGroup]?.has(spec.fields.at(-1)!.fieldPath))
      .filter((spec) => !spec.fields.slice(0, -1).some((f) => SPREADERS.has(f.fieldPath)))
      .map((spec) => `${spec.collectionGroup}(${spec.fields.map((f) => f.fieldPath).join(', ')})`);
    assert.deepEqual(hot, []);
  });

  it('the due index is sharded: its query names the shard before the time', () => {
    const [due] = INDEXES.dueJobs;
    assert.deepEqual(
      due!.fields.map((f) => f.fieldPath),
      ['dueShard', 'nextCheckAt'],
    );
    assert.ok(INDEX_EXEMPTIONS.jobs!.includes('nextCheckAt'), 'and nextCheckAt alone is not indexed');
  });
});
