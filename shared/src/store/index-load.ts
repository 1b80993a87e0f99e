/**
 * Index load (issue 32, docs/scale.md): Firestore holds writes to an index whose values are sequential (a time
 * near "now") to about 500 a second per key range. Every job field is indexed unless exempted, so:
 * - INDEX_EXEMPTIONS: job fields no query reads alone — timestamps only shown, large maps and JSON text — whose
 *   single-field indexes Terraform turns off (`google_firestore_field.unindexed`); a composite index that
 *   names one is kept.
 * - SEQUENTIAL_KEPT: the sequential fields that keep an index on a write path, each with why it stays within
 *   the guidance or where it is still open (docs/scale.md). test/unit/index-load.test.ts derives every
 *   sequential field a job write indexes and fails on one in neither list, so a new field cannot bring a
 *   hotspot back unnoticed.
 */
import { JOB_TIME_FIELDS } from './codec.js';

/** Sequential job fields still indexed alone, and why (the rates: docs/scale.md, "Index load"). */
export const SEQUENTIAL_KEPT: Readonly<Record<string, string>> = {
  createdAt: 'written once per job; 500 creates/s is at the guidance, not past it (the admin list needs it)',
  startDueAt: 'set per start to make (enqueue, retry), cleared at dispatch: open at bursts past 250/s',
};

/** Job fields whose automatic single-field indexes are off. */
export const INDEX_EXEMPTIONS: Readonly<Record<'jobs', readonly string[]>> = {
  jobs: [
    // sequential times, only shown (or read under a composite index that leads with an equality field:
    // nextCheckAt as (dueShard, nextCheckAt), completedAt and endedAt after owner, type and status)
    ...JOB_TIME_FIELDS.filter((f) => !(f in SEQUENTIAL_KEPT)),
    'executor.startRequestedAt',
    'executor.cancelRequestedAt',
    'outboxDueAt', // queried only as (dueShard, outboxDueAt): shards.ts
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
};
