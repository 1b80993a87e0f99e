/**
 * The indexes of every query of queries.ts, and the TTL policies: what Terraform declares (infra/deploy/check.ts
 * compares the two; the emulator enforces neither). Sequential fields lead with a field that spreads their writes
 * (issue 32, index-load.ts).
 */
import { Collections } from './firestore.js';
import type { QUERIES } from './queries.js';

export interface IndexSpec {
  collectionGroup: string;
  queryScope: 'COLLECTION' | 'COLLECTION_GROUP';
  fields: { fieldPath: string; order?: 'ASCENDING' | 'DESCENDING'; arrayConfig?: 'CONTAINS' }[];
}

const byCreated = (...eq: string[]): IndexSpec => ({
  collectionGroup: Collections.jobs,
  queryScope: 'COLLECTION',
  fields: [
    ...eq.map((fieldPath) => ({ fieldPath, order: 'ASCENDING' as const })),
    { fieldPath: 'createdAt', order: 'DESCENDING' },
  ],
});

/** A jobs index: equality fields, then one ordered (or ranged) field. */
const jobsBy = (eq: string[], last: string, order: 'ASCENDING' | 'DESCENDING'): IndexSpec => ({
  collectionGroup: Collections.jobs,
  queryScope: 'COLLECTION',
  fields: [...eq.map((fieldPath) => ({ fieldPath, order: 'ASCENDING' as const })), { fieldPath: last, order }],
});

/** A deliveries index: equality fields, then one ordered (or ranged) field. */
const deliveriesBy = (eq: string[], last: string, order: 'ASCENDING' | 'DESCENDING'): IndexSpec => ({
  ...jobsBy(eq, last, order),
  collectionGroup: Collections.deliveries,
});

/** A collection-group index on transitions: equality fields, then `at`. */
const byAt = (...eq: string[]): IndexSpec => ({
  collectionGroup: Collections.transitions,
  queryScope: 'COLLECTION_GROUP',
  fields: [...eq, 'at'].map((fieldPath) => ({ fieldPath, order: 'ASCENDING' as const })),
});

/** Documents Firestore deletes by itself after `field` (a timestamp) has passed: TTL policies. */
export const TTL_POLICIES: readonly { collectionGroup: string; field: string }[] = [
  { collectionGroup: Collections.leases, field: 'expireAt' }, // sweep leases
  { collectionGroup: Collections.probes, field: 'expireAt' }, // probe quota records
  { collectionGroup: Collections.seenOutputs, field: 'expireAt' }, // outputs seen by finalize events (seen.ts)
  { collectionGroup: Collections.deliveries, field: 'expireAt' }, // settled webhook deliveries (subscriptions.ts)
];

/**
 * The job listings: one equality filter, or an owner with one more, newest first; without an owner or a resource
 * key, the shards (listJobs, and a bulk action's scan with a range on createdAt).
 */
const JOB_LISTINGS: IndexSpec[] = [
  byCreated('dueShard'),
  byCreated('status', 'dueShard'),
  byCreated('type', 'dueShard'),
  byCreated('resourceKey'),
  byCreated('ownerId'),
  byCreated('ownerId', 'status'),
  byCreated('ownerId', 'type'),
  byCreated('ownerId', 'resourceKey'),
];

/** The composite indexes each query needs (none: served by automatic single-field indexes). */
export const INDEXES: Record<keyof typeof QUERIES, IndexSpec[]> = {
  jobsExpectingOutput: [
    {
      collectionGroup: Collections.jobs,
      queryScope: 'COLLECTION',
      fields: [
        { fieldPath: 'outputUris', arrayConfig: 'CONTAINS' },
        { fieldPath: 'status', order: 'ASCENDING' },
      ],
    },
  ],
  anyJobWithOutput: [],
  dueJobs: [jobsBy(['dueShard'], 'nextCheckAt', 'ASCENDING')], // it orders by document id too, the same way
  startsDue: [jobsBy(['dueShard'], 'startDueAt', 'ASCENDING')],
  jobByExecutionRef: [],
  jobsByCheckpointPrefix: [],
  agedJobs: [byCreated('status', 'dueShard')], // listJobs' status index, with a range on createdAt
  listJobs: JOB_LISTINGS,
  bulkScan: JOB_LISTINGS,
  runningBulks: [],
  projectsOf: [
    {
      collectionGroup: Collections.projects,
      queryScope: 'COLLECTION',
      fields: [
        { fieldPath: 'ownerId', order: 'ASCENDING' },
        { fieldPath: 'createdAt', order: 'DESCENDING' },
      ],
    },
  ],
  // a collection-group query on one field needs a COLLECTION_GROUP single-field index (a field override)
  artifactsByUri: [
    {
      collectionGroup: 'artifacts',
      queryScope: 'COLLECTION_GROUP',
      fields: [{ fieldPath: 'uri', order: 'ASCENDING' }],
    },
  ],
  recentSucceeded: [jobsBy(['ownerId', 'type', 'status'], 'completedAt', 'DESCENDING')],
  countActiveJobs: [], // equality and `in` only: merged single-field indexes
  createdSince: [byCreated('ownerId'), byCreated('dueShard')],
  probesSince: [
    {
      collectionGroup: Collections.probes,
      queryScope: 'COLLECTION',
      fields: [
        { fieldPath: 'ownerId', order: 'ASCENDING' },
        { fieldPath: 'at', order: 'ASCENDING' },
      ],
    },
  ],
  // equality filters only: served by merging single-field indexes
  countJobs: [],
  pendingOutbox: [jobsBy(['dueShard'], 'outboxDueAt', 'ASCENDING')],
  subscriptionsFor: [], // equality and `in` only
  subscriptionsOf: [],
  dueDeliveries: [deliveriesBy(['shard'], 'dueAt', 'ASCENDING')],
  dueDeliveriesOf: [deliveriesBy(['subscriptionId', 'shard'], 'dueAt', 'ASCENDING')],
  activeSubscriptions: [],
  earlierDelivery: [deliveriesBy(['subscriptionId', 'jobId', 'state'], 'seq', 'ASCENDING')],
  laterDelivery: [deliveriesBy(['subscriptionId', 'jobId', 'state'], 'seq', 'ASCENDING')],
  deliveriesOf: [
    deliveriesBy(['subscriptionId', 'shard'], 'createdAt', 'DESCENDING'),
    deliveriesBy(['subscriptionId', 'state', 'shard'], 'createdAt', 'DESCENDING'),
    deliveriesBy(['subscriptionId', 'jobId'], 'createdAt', 'DESCENDING'),
    deliveriesBy(['subscriptionId', 'state', 'jobId'], 'createdAt', 'DESCENDING'),
  ],
  transitionsIn: [
    ...(['source', 'reason', 'to'] as const).flatMap((field) => [byAt('ownerId', field), byAt('shard', field)]),
    byAt('ownerId'),
    byAt('shard'),
  ],
  recoveriesIn: [byAt('ownerId', 'source'), byAt('shard', 'source')],
  endedJobs: [
    jobsBy(['ownerId', 'type', 'status'], 'endedAt', 'ASCENDING'),
    jobsBy(['type', 'status', 'dueShard'], 'endedAt', 'ASCENDING'),
  ],
  transitionsSince: [byAt('ownerId'), byAt('shard')],
};
