/**
 * Every Firestore query Verity runs, in one place; the composite index each needs is in indexes.ts. The emulator
 * does not enforce indexes; infra/ declares them and a check compares the two.
 */
import { FieldPath, Timestamp, type Firestore } from '@google-cloud/firestore';
import type { Cursor } from './cursor.js';
import { Collections, col, named } from './firestore.js';
import { ALL_SHARDS } from './shards.js';

/** Jobs that may still take an output as evidence (active, or failed: late output). */
export const OUTPUT_EVIDENCE_STATUSES = ['queued', 'running', 'failed'] as const;

/** A filter on the transitions the stats count: one field equal to a value, or the source among some. */
export type TransitionFilter = { field: 'source' | 'reason' | 'to'; value: string } | { field: 'source'; in: string[] };

export const JOB_FILTER_FIELDS = ['ownerId', 'status', 'type', 'resourceKey'] as const;
export type JobFilter = Partial<Record<(typeof JOB_FILTER_FIELDS)[number], string>>;

function filtered(db: Firestore, f: JobFilter): FirebaseFirestore.Query {
  let q: FirebaseFirestore.Query = col(db, Collections.jobs);
  for (const field of JOB_FILTER_FIELDS) {
    const v = f[field];
    if (v !== undefined) q = q.where(field, '==', v);
  }
  return q;
}

/**
 * Every shard at once (shards.ts): `field in [0 … 15]`, one query whose index leads with the shard, so its
 * sequential field's writes spread over DUE_SHARDS key ranges; Firestore merges the ranges in the query's order.
 * A query holds at most 30 disjunctions: no other `in` beside this one.
 */
const inEveryShard = (q: FirebaseFirestore.Query, field: 'dueShard' | 'shard' = 'dueShard') =>
  q.where(field, 'in', [...ALL_SHARDS]);

/** A job listing's filters lead with a field that spreads its writes (an owner, a resource key); else the shards. */
const spread = (f: JobFilter) => f.ownerId !== undefined || f.resourceKey !== undefined;

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
    inEveryShard(col(db, Collections.jobs)).where('startDueAt', '<=', now).orderBy('startDueAt').limit(limit),
  /** checkpoints: the jobs (a retry chain) whose steps checkpoint under a prefix (single-field index). */
  jobsByCheckpointPrefix: (db: Firestore, prefix: string) =>
    col(db, Collections.jobs).where('checkpointPrefix', '==', prefix).limit(20),
  /** webhooks: the job an http provider's execution belongs to (single-field index). */
  jobByExecutionRef: (db: Firestore, ref: string) =>
    col(db, Collections.jobs).where('executor.executionRef', '==', ref).limit(2),
  /** the queue (GET /api/jobs) and the ops CLI: newest first, with optional equality filters. */
  listJobs: (db: Firestore, f: JobFilter, limit: number, after?: Cursor) => {
    const base = spread(f) ? filtered(db, f) : inEveryShard(filtered(db, f));
    let q = base.orderBy('createdAt', 'desc').orderBy(FieldPath.documentId(), 'desc');
    if (after) q = q.startAfter(Timestamp.fromMillis(after.createdAtMs), after.id);
    return q.limit(limit);
  },
  /** bulk actions: the jobs a filter's index narrows to, created before `before`, newest first (store/bulks.ts). */
  bulkScan: (db: Firestore, f: JobFilter, before: Timestamp, limit: number, after?: Cursor) => {
    const base = spread(f) ? filtered(db, f) : inEveryShard(filtered(db, f));
    let q = base.where('createdAt', '<', before).orderBy('createdAt', 'desc').orderBy(FieldPath.documentId(), 'desc');
    if (after) q = q.startAfter(Timestamp.fromMillis(after.createdAtMs), after.id);
    return q.limit(limit);
  },
  /** bulk actions still running: the sweep carries them on (equality only). */
  runningBulks: (db: Firestore, limit: number) =>
    col(db, Collections.bulks).where('state', '==', 'running').limit(limit),
  /** a manual sweep's age filter (seed 003's older_than_minutes): jobs in a state, created by `before`, newest first. */
  agedJobs: (db: Firestore, status: string, before: Timestamp, limit: number, after?: Cursor) => {
    let q = inEveryShard(col(db, Collections.jobs).where('status', '==', status)).where('createdAt', '<=', before);
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
    (ownerId === null
      ? inEveryShard(col(db, Collections.jobs))
      : col(db, Collections.jobs).where('ownerId', '==', ownerId)
    )
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
      ? inEveryShard(db.collectionGroup(named(db, Collections.transitions)), 'shard')
      : db.collectionGroup(named(db, Collections.transitions)).where('ownerId', '==', ownerId)
    )
      .where('at', '>=', since)
      .orderBy('at'),
  /**
   * stats: an owner's (null: everyone's, across the shards) transitions since a time, optionally with one field
   * equal to a value, or among values (an owner's only: with the shards' `in`, one `in` each — stats.ts splits it).
   */
  transitionsIn: (
    db: Firestore,
    ownerId: string | null,
    since: Timestamp,
    by?: TransitionFilter,
    until?: Timestamp,
  ) => {
    let q: FirebaseFirestore.Query = db.collectionGroup(named(db, Collections.transitions));
    q = ownerId !== null ? q.where('ownerId', '==', ownerId) : inEveryShard(q, 'shard');
    if (by) q = 'in' in by ? q.where(by.field, 'in', by.in) : q.where(by.field, '==', by.value);
    q = q.where('at', '>=', since);
    return until ? q.where('at', '<', until) : q;
  },
  /**
   * stats: recoveries (transitions by a read, a reconcile or the sweep) since a time, oldest first, with evidence:
   * an owner's by the sources at once; everyone's one source a query, across the shards (stats.ts merges).
   */
  recoveriesIn: (db: Firestore, ownerId: string | null, sources: string[], since: Timestamp, limit: number) => {
    let q: FirebaseFirestore.Query = db.collectionGroup(named(db, Collections.transitions));
    q = ownerId !== null ? q.where('ownerId', '==', ownerId) : inEveryShard(q, 'shard');
    q = sources.length === 1 ? q.where('source', '==', sources[0]) : q.where('source', 'in', sources);
    return q.where('at', '>=', since).orderBy('at').select('at', 'evidence').limit(limit);
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
    const f = { ...(ownerId !== null ? { ownerId } : {}), type, status };
    const q = (ownerId !== null ? filtered(db, f) : inEveryShard(filtered(db, f))).where('endedAt', '>=', since);
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
    inEveryShard(col(db, Collections.deliveries), 'shard').where('dueAt', '<=', now).orderBy('dueAt').limit(limit),
  /** the deliverer, when more are due than one query reads: one subscription's share. */
  dueDeliveriesOf: (db: Firestore, subscriptionId: string, now: Timestamp, limit: number) =>
    inEveryShard(col(db, Collections.deliveries).where('subscriptionId', '==', subscriptionId), 'shard')
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
    // one job's are one shard's; else every shard (a subscription to every owner takes the burst's rate)
    q = f.jobId ? q.where('jobId', '==', f.jobId) : inEveryShard(q, 'shard');
    return q.orderBy('createdAt', 'desc').limit(limit);
  },
} as const;
