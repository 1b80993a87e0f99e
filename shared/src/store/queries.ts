/**
 * Every Firestore query Verity runs, in one place, with the composite index it needs. The emulator does not
 * enforce indexes; infra/ declares these and a check compares the two.
 */
import type { Firestore, Timestamp } from '@google-cloud/firestore';
import { Collections } from './firestore.js';

export interface IndexSpec {
  collectionGroup: string;
  queryScope: 'COLLECTION' | 'COLLECTION_GROUP';
  fields: { fieldPath: string; order?: 'ASCENDING' | 'DESCENDING'; arrayConfig?: 'CONTAINS' }[];
}

/** Jobs that may still take an output as evidence (active, or failed: late output). */
export const OUTPUT_EVIDENCE_STATUSES = ['queued', 'running', 'failed'] as const;

export const QUERIES = {
  /** object-finalized: the jobs expecting this object. */
  jobsExpectingOutput: (db: Firestore, uri: string, limit = 50) =>
    db.collection(Collections.jobs).where('outputUris', 'array-contains', uri).where('status', 'in', [...OUTPUT_EVIDENCE_STATUSES]).limit(limit),
  /** sweep: active jobs whose earliest deadline or due action has passed (terminal jobs have none). */
  dueJobs: (db: Firestore, now: Timestamp, limit: number) => db.collection(Collections.jobs).where('nextCheckAt', '<=', now).orderBy('nextCheckAt').limit(limit),
  /** webhooks: the job an http provider's execution belongs to (single-field index). */
  jobByExecutionRef: (db: Firestore, ref: string) => db.collection(Collections.jobs).where('executor.executionRef', '==', ref).limit(2),
  /** outbox: transitions committed but not yet published. */
  unpublishedTransitions: (db: Firestore, before: Timestamp, limit: number) =>
    db.collectionGroup(Collections.transitions).where('published', '==', false).where('at', '<=', before).orderBy('at').limit(limit),
} as const;

export const INDEXES: Record<keyof typeof QUERIES, IndexSpec | null> = {
  jobsExpectingOutput: {
    collectionGroup: Collections.jobs,
    queryScope: 'COLLECTION',
    fields: [{ fieldPath: 'outputUris', arrayConfig: 'CONTAINS' }, { fieldPath: 'status', order: 'ASCENDING' }],
  },
  dueJobs: null, // single-field index on nextCheckAt (automatic)
  jobByExecutionRef: null,
  unpublishedTransitions: {
    collectionGroup: Collections.transitions,
    queryScope: 'COLLECTION_GROUP',
    fields: [{ fieldPath: 'published', order: 'ASCENDING' }, { fieldPath: 'at', order: 'ASCENDING' }],
  },
};
