/**
 * Every Firestore query Verity runs, in one place, with the composite index it needs. The emulator does not
 * enforce indexes; infra/ declares these and a check compares the two.
 */
import { FieldPath, Timestamp, type Firestore } from '@google-cloud/firestore';
import type { Cursor } from './cursor.js';
import { Collections, col, named } from './firestore.js';

export interface IndexSpec {
  collectionGroup: string;
  queryScope: 'COLLECTION' | 'COLLECTION_GROUP';
  fields: { fieldPath: string; order?: 'ASCENDING' | 'DESCENDING'; arrayConfig?: 'CONTAINS' }[];
}

/** Jobs that may still take an output as evidence (active, or failed: late output). */
export const OUTPUT_EVIDENCE_STATUSES = ['queued', 'running', 'failed'] as const;

/** A filter on the transitions the stats count: one field equal to a value, or the source among some. */
export type TransitionFilter = { field: 'source' | 'reason' | 'to'; value: string } | { field: 'source'; in: string[] };

export const JOB_FILTER_FIELDS = ['ownerId', 'status', 'type', 'resourceKey'] as const;
export type JobFilter = Partial<Record<(typeof JOB_FILTER_FIELDS)[number], string>>;

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

/** A collection-group index on transitions: equality fields, then `at` (a single field: a field override). */
const byAt = (...eq: string[]): IndexSpec => ({
  collectionGroup: Collections.transitions,
  queryScope: 'COLLECTION_GROUP',
  fields: [...eq, 'at'].map((fieldPath) => ({ fieldPath, order: 'ASCENDING' as const })),
});

function filtered(db: Firestore, f: JobFilter): FirebaseFirestore.Query {
  let q: FirebaseFirestore.Query = col(db, Collections.jobs);
  for (const field of JOB_FILTER_FIELDS) {
    const v = f[field];
    if (v !== undefined) q = q.where(field, '==', v);
  }
  return q;
}

export const QUERIES = {
  /** object-finalized: the jobs expecting this object. */
  jobsExpectingOutput: (db: Firestore, uri: string, limit = 50) =>
    col(db, Collections.jobs)
      .where('outputUris', 'array-contains', uri)
      .where('status', 'in', [...OUTPUT_EVIDENCE_STATUSES])
      .limit(limit),
  /** cleanup: does any job, in any state, declare this object as an output? (single-field array index) */
  anyJobWithOutput: (db: Firestore, uri: string) =>
    col(db, Collections.jobs).where('outputUris', 'array-contains', uri).limit(1),
  /**
   * sweep: active jobs of one shard (shards.ts) whose earliest deadline or due action has passed (terminal jobs
   * have none); paged by (time, id).
   */
  dueJobs: (db: Firestore, shard: number, now: Timestamp, limit: number) =>
    col(db, Collections.jobs)
      .where('dueShard', '==', shard)
      .where('nextCheckAt', '<=', now)
      .orderBy('nextCheckAt')
      .orderBy(FieldPath.documentId())
      .limit(limit),
  /**
   * any unit: the jobs whose start is due (a stored `startDueAt`, codec.ts) — the starts a dead process left
   * (reconcile/due-starts.ts); single-field index. Only jobs with a start to make carry the field's value.
   */
  startsDue: (db: Firestore, now: Timestamp, limit: number) =>
    col(db, Collections.jobs).where('startDueAt', '<=', now).orderBy('startDueAt').limit(limit),
  /** checkpoints: the jobs (a retry chain) whose steps checkpoint under a prefix (single-field index). */
  jobsByCheckpointPrefix: (db: Firestore, prefix: string) =>
    col(db, Collections.jobs).where('checkpointPrefix', '==', prefix).limit(20),
  /** webhooks: the job an http provider's execution belongs to (single-field index). */
  jobByExecutionRef: (db: Firestore, ref: string) =>
    col(db, Collections.jobs).where('executor.executionRef', '==', ref).limit(2),
  /** the queue (GET /api/jobs) and the ops CLI: newest first, with optional equality filters. */
  listJobs: (db: Firestore, f: JobFilter, limit: number, after?: Cursor) => {
    let q = filtered(db, f).orderBy('createdAt', 'desc').orderBy(FieldPath.documentId(), 'desc');
    if (after) q = q.startAfter(Timestamp.fromMillis(after.createdAtMs), after.id);
    return q.limit(limit);
  },
  /** a manual sweep's age filter (seed 003's older_than_minutes): jobs in a state, created by `before`, newest first. */
  agedJobs: (db: Firestore, status: string, before: Timestamp, limit: number, after?: Cursor) => {
    let q = col(db, Collections.jobs).where('status', '==', status).where('createdAt', '<=', before);
    q = q.orderBy('createdAt', 'desc').orderBy(FieldPath.documentId(), 'desc');
    if (after) q = q.startAfter(Timestamp.fromMillis(after.createdAtMs), after.id);
    return q.limit(limit);
  },
  /** progress ETA: the owner's latest finished jobs of a type (learning never crosses owners). */
  recentSucceeded: (db: Firestore, ownerId: string, type: string, limit: number) =>
    col(db, Collections.jobs)
      .where('ownerId', '==', ownerId)
      .where('type', '==', type)
      .where('status', '==', 'succeeded')
      .orderBy('completedAt', 'desc')
      .limit(limit),
  /** quota: the owner's active jobs of a type (count(); equality and `in` filters only). */
  countActiveJobs: (db: Firestore, ownerId: string, type: string) =>
    col(db, Collections.jobs)
      .where('ownerId', '==', ownerId)
      .where('type', '==', type)
      .where('status', 'in', ['queued', 'running'])
      .count(),
  /** admission: the jobs created after `since`, one owner's or everyone's (count(); admission.ts). */
  createdSince: (db: Firestore, ownerId: string | null, since: Timestamp) =>
    (ownerId === null ? col(db, Collections.jobs) : col(db, Collections.jobs).where('ownerId', '==', ownerId))
      .where('createdAt', '>', since)
      .count(),
  /** quota: the owner's probes since a time (count()), and the oldest of them (when to try again). */
  probesSince: (db: Firestore, ownerId: string, since: Timestamp) =>
    col(db, Collections.probes).where('ownerId', '==', ownerId).where('at', '>', since).orderBy('at'),
  /** queue stats: count() aggregations, no counter documents. */
  countJobs: (db: Firestore, f: JobFilter) => filtered(db, f).count(),
  /** projects: an owner's, newest first. */
  projectsOf: (db: Firestore, ownerId: string, limit: number, after?: Cursor) => {
    let q = col(db, Collections.projects)
      .where('ownerId', '==', ownerId)
      .orderBy('createdAt', 'desc')
      .orderBy(FieldPath.documentId(), 'desc');
    if (after) q = q.startAfter(Timestamp.fromMillis(after.createdAtMs), after.id);
    return q.limit(limit);
  },
  /** object-finalized: the project artifacts this object is (collection-group single-field index on uri). */
  artifactsByUri: (db: Firestore, uri: string) =>
    db.collectionGroup(named(db, Collections.artifacts)).where('uri', '==', uri).limit(50),
  /** SSE of all own jobs (admin: all): transitions from a point in time on, oldest first (the stream drops repeats). */
  transitionsSince: (db: Firestore, ownerId: string | null, since: Timestamp) =>
    (ownerId === null
      ? db.collectionGroup(named(db, Collections.transitions))
      : db.collectionGroup(named(db, Collections.transitions)).where('ownerId', '==', ownerId)
    )
      .where('at', '>=', since)
      .orderBy('at'),
  /** stats: an owner's (null: everyone's) transitions since a time, optionally with one field equal to a value. */
  transitionsIn: (
    db: Firestore,
    ownerId: string | null,
    since: Timestamp,
    by?: TransitionFilter,
    until?: Timestamp,
  ) => {
    let q: FirebaseFirestore.Query = db.collectionGroup(named(db, Collections.transitions));
    if (ownerId !== null) q = q.where('ownerId', '==', ownerId);
    if (by) q = 'in' in by ? q.where(by.field, 'in', by.in) : q.where(by.field, '==', by.value);
    q = q.where('at', '>=', since);
    return until ? q.where('at', '<', until) : q;
  },
  /** stats: recoveries (transitions by a read, a reconcile or the sweep) since a time, oldest first, with evidence. */
  recoveriesIn: (db: Firestore, ownerId: string | null, sources: string[], since: Timestamp, limit: number) => {
    let q: FirebaseFirestore.Query = db.collectionGroup(named(db, Collections.transitions));
    if (ownerId !== null) q = q.where('ownerId', '==', ownerId);
    return q.where('source', 'in', sources).where('at', '>=', since).select('at', 'evidence').limit(limit);
  },
  /** stats: jobs of a type that ended in a status since a time (count()). */
  endedJobs: (
    db: Firestore,
    ownerId: string | null,
    type: string,
    status: string,
    since: Timestamp,
    until?: Timestamp,
  ) => {
    const q = filtered(db, { ...(ownerId !== null ? { ownerId } : {}), type, status }).where('endedAt', '>=', since);
    return until ? q.where('endedAt', '<', until) : q;
  },
  /** Jobs of one shard (shards.ts) whose outbox (job-doc.ts) holds an entry due by `before`, oldest first. */
  pendingOutbox: (db: Firestore, shard: number, before: Timestamp, limit: number) =>
    col(db, Collections.jobs)
      .where('dueShard', '==', shard)
      .where('outboxDueAt', '<=', before)
      .orderBy('outboxDueAt')
      .limit(limit),
  /** fan-out: the active subscriptions that hear of an owner's jobs (its own, and every owner's). */
  subscriptionsFor: (db: Firestore, ownerId: string) =>
    col(db, Collections.subscriptions).where('scope', 'in', [ownerId, '*']).where('state', '==', 'active').limit(100),
  /** GET /api/subscriptions, and the per-owner limit: the ones a user made (null: every one, for an admin). */
  subscriptionsOf: (db: Firestore, ownerId: string | null) =>
    (ownerId === null
      ? col(db, Collections.subscriptions)
      : col(db, Collections.subscriptions).where('ownerId', '==', ownerId)
    ).limit(500),
  /** the deliverer: pending deliveries whose try is due, oldest first (only pending ones carry `dueAt`). */
  dueDeliveries: (db: Firestore, now: Timestamp, limit: number) =>
    col(db, Collections.deliveries).where('dueAt', '<=', now).orderBy('dueAt').limit(limit),
  /** the deliverer, when more are due than one query reads: one subscription's share. */
  dueDeliveriesOf: (db: Firestore, subscriptionId: string, now: Timestamp, limit: number) =>
    col(db, Collections.deliveries)
      .where('subscriptionId', '==', subscriptionId)
      .where('dueAt', '<=', now)
      .orderBy('dueAt')
      .limit(limit),
  /** the deliverer, when more are due than one query reads: every active subscription. */
  activeSubscriptions: (db: Firestore) =>
    col(db, Collections.subscriptions).where('state', '==', 'active').select().limit(10_000),
  /** per-job order: a pending delivery of an earlier transition of the job to the same subscription. */
  earlierDelivery: (db: Firestore, subscriptionId: string, jobId: string, seq: number) =>
    col(db, Collections.deliveries)
      .where('subscriptionId', '==', subscriptionId)
      .where('jobId', '==', jobId)
      .where('state', '==', 'pending')
      .where('seq', '<', seq)
      .limit(1),
  /** per-job order: the next pending delivery of a later transition of the job, taken up once one succeeds. */
  laterDelivery: (db: Firestore, subscriptionId: string, jobId: string, seq: number) =>
    col(db, Collections.deliveries)
      .where('subscriptionId', '==', subscriptionId)
      .where('jobId', '==', jobId)
      .where('state', '==', 'pending')
      .where('seq', '>', seq)
      .orderBy('seq')
      .limit(1),
  /** a subscription's deliveries (one state, or all), newest first; a replay's, from a time on (one job's or all). */
  deliveriesOf: (db: Firestore, subscriptionId: string, f: { state?: string; jobId?: string }, limit: number) => {
    let q = col(db, Collections.deliveries).where('subscriptionId', '==', subscriptionId);
    if (f.state) q = q.where('state', '==', f.state);
    if (f.jobId) q = q.where('jobId', '==', f.jobId);
    return q.orderBy('createdAt', 'desc').limit(limit);
  },
} as const;

/** Documents Firestore deletes by itself after `field` (a timestamp) has passed: TTL policies. */
export const TTL_POLICIES: readonly { collectionGroup: string; field: string }[] = [
  { collectionGroup: Collections.leases, field: 'expireAt' }, // sweep leases
  { collectionGroup: Collections.probes, field: 'expireAt' }, // probe quota records
  { collectionGroup: Collections.seenOutputs, field: 'expireAt' }, // outputs seen by finalize events (seen.ts)
  { collectionGroup: Collections.deliveries, field: 'expireAt' }, // settled webhook deliveries (subscriptions.ts)
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
  startsDue: [], // single-field index on startDueAt
  jobByExecutionRef: [],
  jobsByCheckpointPrefix: [],
  agedJobs: [byCreated('status')], // listJobs' status index, with a range on createdAt
  // one equality filter, or an owner with one more, newest first
  listJobs: [
    byCreated('status'),
    byCreated('type'),
    byCreated('resourceKey'),
    byCreated('ownerId'),
    byCreated('ownerId', 'status'),
    byCreated('ownerId', 'type'),
    byCreated('ownerId', 'resourceKey'),
  ],
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
  createdSince: [byCreated('ownerId')], // everyone's: the single-field createdAt index
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
  dueDeliveries: [], // single-field index on dueAt
  dueDeliveriesOf: [deliveriesBy(['subscriptionId'], 'dueAt', 'ASCENDING')],
  activeSubscriptions: [],
  earlierDelivery: [deliveriesBy(['subscriptionId', 'jobId', 'state'], 'seq', 'ASCENDING')],
  laterDelivery: [deliveriesBy(['subscriptionId', 'jobId', 'state'], 'seq', 'ASCENDING')],
  deliveriesOf: [
    deliveriesBy(['subscriptionId'], 'createdAt', 'DESCENDING'),
    deliveriesBy(['subscriptionId', 'state'], 'createdAt', 'DESCENDING'),
    deliveriesBy(['subscriptionId', 'jobId'], 'createdAt', 'DESCENDING'),
    deliveriesBy(['subscriptionId', 'state', 'jobId'], 'createdAt', 'DESCENDING'),
  ],
  transitionsIn: [
    ...(['source', 'reason', 'to'] as const).flatMap((field) => [byAt('ownerId', field), byAt(field)]),
    byAt('ownerId'),
    byAt(),
  ],
  recoveriesIn: [byAt('ownerId', 'source'), byAt('source')],
  endedJobs: [
    jobsBy(['ownerId', 'type', 'status'], 'endedAt', 'ASCENDING'),
    jobsBy(['type', 'status'], 'endedAt', 'ASCENDING'),
  ],
  transitionsSince: [
    {
      collectionGroup: Collections.transitions,
      queryScope: 'COLLECTION_GROUP',
      fields: [
        { fieldPath: 'ownerId', order: 'ASCENDING' },
        { fieldPath: 'at', order: 'ASCENDING' },
      ],
    },
    {
      collectionGroup: Collections.transitions,
      queryScope: 'COLLECTION_GROUP',
      fields: [{ fieldPath: 'at', order: 'ASCENDING' }],
    },
  ],
};
