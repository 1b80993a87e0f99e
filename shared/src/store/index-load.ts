/**
 * Index load (issue 32, docs/scale.md): Firestore holds writes to an index whose values are sequential (a time
 * near "now") to about 500 a second per key range. Every field of a document is indexed unless exempted, so:
 * - INDEX_EXEMPTIONS: per collection, the fields no query reads alone — times only shown or read under a
 *   composite index that leads with a field spreading them (a shard, an owner), large maps and JSON text — whose
 *   single-field indexes Terraform turns off (`google_firestore_field.unindexed`); composite indexes are kept.
 * - SEQUENTIAL_KEPT: the sequential fields that keep an index on a write path, each with why it stays within
 *   the guidance. test/unit/index-load.test.ts derives every time a job, transition and delivery write stores and
 *   fails on one in neither list, and on a composite index whose sequential field no spreading field leads, so
 *   a new field cannot bring a hotspot back unnoticed.
 * TTL fields (indexes.ts: TTL_POLICIES) are unindexed by their own Terraform resource and are not listed here.
 */
import { JOB_TIME_FIELDS } from './codec.js';

/** Sequential fields still indexed alone, per collection, and why (the rates: docs/scale.md, "Index load"). */
export const SEQUENTIAL_KEPT: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  jobs: {},
  // a collection-scoped index is per collection: each job's transitions are a collection of their own, so a
  // job's `at` entries share a key range only with that job's few transitions (the per-job replay reads them)
  transitions: { at: "each job's own subcollection: a range per job" },
};

/** Fields, per collection, whose automatic single-field indexes are off. */
export const INDEX_EXEMPTIONS: Readonly<Record<string, readonly string[]>> = {
  jobs: [
    // sequential times, only shown, or read under a composite index that leads with a spreading field:
    // nextCheckAt, startDueAt and outboxDueAt after dueShard; createdAt after dueShard or the owner;
    // completedAt and endedAt after owner, type and status (or type, status and dueShard)
    ...JOB_TIME_FIELDS.filter((f) => !(f in SEQUENTIAL_KEPT.jobs!)),
    'executor.startRequestedAt',
    'executor.cancelRequestedAt',
    'startDueAt',
    'outboxDueAt',
    // large, never queried
    'inputJson',
    'patchLogJson',
    'outbox',
    'dedupe',
    'progress',
    'outputs',
    'policy',
    'stepPlan',
  ],
  // webhook deliveries (subscriptions.ts): times read only after (shard) or (subscriptionId, …, shard); the body
  deliveries: ['createdAt', 'deliveredAt', 'dueAt', 'windowStart', 'body'],
  probes: ['at'], // read only as (ownerId, at): quotas.ts
  leases: ['until'], // read by document id only: leases.ts
  idempotency: ['createdAt'], // read by document id only
  locks: ['at'], // read by document id only
  projects: ['updatedAt'], // only shown
};
