import { Firestore } from '@google-cloud/firestore';

/** Where a deployment keeps its state (issue 30): a named database, and a prefix on every collection's name. */
export interface StateLocation {
  /** The Firestore database; `(default)` when absent. */
  databaseId?: string;
  /** Put before every collection's name, subcollections included (so collection-group queries stay apart). */
  prefix?: string;
}

const prefixes = new WeakMap<Firestore, string>();

/** One Firestore client per process; FIRESTORE_EMULATOR_HOST points it at the emulator. */
export function createFirestore(projectId: string, where: StateLocation = {}): Firestore {
  const db = new Firestore({
    projectId,
    ...(where.databaseId && where.databaseId !== '(default)' ? { databaseId: where.databaseId } : {}),
    ignoreUndefinedProperties: true,
  });
  if (where.prefix) prefixes.set(db, where.prefix);
  return db;
}

export type CollectionName = (typeof Collections)[keyof typeof Collections];

/** A collection's name in the deployment `db` belongs to: its prefix, then the name. */
export function named(db: Firestore, name: CollectionName): string {
  return (prefixes.get(db) ?? '') + name;
}

/** A top-level collection of the deployment `db` belongs to. */
export function col(db: Firestore, name: CollectionName): FirebaseFirestore.CollectionReference {
  return db.collection(named(db, name));
}

/** Collection names: one place. */
export const Collections = {
  jobs: 'jobs',
  transitions: 'transitions',
  seenOutputs: 'seen',
  /** Step checkpoints seen landing (checkpoint-evidence.ts). */
  checkpoints: 'checkpoints',
  locks: 'locks',
  idempotency: 'idempotency',
  projects: 'projects',
  /** Sweep leases, one per job being checked. */
  leases: 'leases',
  /** One small record per probe (verify, reconcile) with a TTL: the per-owner probe quota counts them. */
  probes: 'probes',
  /** Under each project, one per artifact. */
  artifacts: 'artifacts',
  /** Where a sweep cut short stopped, per share of the due index's shards (sweep-cursors.ts). */
  sweepCursors: 'sweepCursors',
  /** Outbound webhook endpoints (store/subscriptions.ts). */
  subscriptions: 'subscriptions',
  /** One per event per subscription, pending until delivered or dead (TTL once settled). */
  deliveries: 'deliveries',
  /** Bulk actions (store/bulks.ts): one per request, its matched jobs as items under it. */
  bulks: 'bulks',
  bulkItems: 'bulkItems',
} as const;
