/**
 * The outbox of events out: one entry per transition, `outbox/{jobId}:{seq}`, created in the transaction that
 * commits the transition (job-store.ts), with the transition's effects, so neither the announcement nor the
 * effects are lost between the commit and their running. Once the event is published and the effects have
 * run, the entry is marked (not the history, which never changes) and given a TTL.
 */
import { Timestamp, type Firestore, type WriteBatch } from '@google-cloud/firestore';
import type { Effect, Job, Transition } from '../core/index.js';
import { recordedTransitionFromDoc } from './codec.js';
import { Collections } from './firestore.js';
import { QUERIES } from './queries.js';

const DAY = 24 * 3600 * 1000;
/** How long a published entry is kept (a TTL policy on `expireAt` removes it). */
export const PUBLISHED_OUTBOX_TTL_MS = 7 * DAY;

export const outboxDocId = (jobId: string, seq: number): string => `${jobId}:${seq}`;

/** Writes the outbox entry of a transition, with its effects, in the batch that commits it. */
export function writeOutboxEntry(
  db: Firestore,
  tx: WriteBatch,
  job: Job,
  t: Transition,
  effects: readonly Effect[] = [],
): void {
  tx.create(db.collection(Collections.outbox).doc(outboxDocId(job.id, t.seq)), {
    jobId: job.id,
    ownerId: job.ownerId,
    seq: t.seq,
    createdAt: Timestamp.fromMillis(t.at),
    pending: true,
    ...(effects.length > 0 ? { effects: effects.map((e) => ({ ...e })) } : {}),
  });
}

export interface PendingEvent {
  job: Job;
  transition: Transition;
  /** The effects committed with the transition (idempotent: repeating them is safe). */
  effects: Effect[];
}

export class OutboxStore {
  constructor(
    private readonly db: Firestore,
    private readonly readJob: (id: string) => Promise<Job | null>,
  ) {}

  async markPublished(jobId: string, seq: number, nowMs: number): Promise<void> {
    await this.db
      .collection(Collections.outbox)
      .doc(outboxDocId(jobId, seq))
      .update({
        pending: false,
        publishedAt: Timestamp.fromMillis(nowMs),
        expireAt: Timestamp.fromMillis(nowMs + PUBLISHED_OUTBOX_TTL_MS),
      });
  }

  /** Entries committed before `beforeMs` and not yet published, oldest first, with their job and transition. */
  async pending(beforeMs: number, limit: number): Promise<PendingEvent[]> {
    const snap = await QUERIES.pendingOutbox(this.db, Timestamp.fromMillis(beforeMs), limit).get();
    // each entry's job and transition, all entries at once (the sweep runs this on every pass)
    const read = await Promise.all(
      snap.docs.map(async (doc): Promise<PendingEvent | null> => {
        const jobId = String(doc.get('jobId'));
        const seq = Number(doc.get('seq'));
        const [job, t] = await Promise.all([
          this.readJob(jobId),
          this.db.collection(Collections.jobs).doc(jobId).collection(Collections.transitions).doc(String(seq)).get(),
        ]);
        const effects = (doc.get('effects') as Effect[] | undefined) ?? [];
        return job && t.exists ? { job, transition: recordedTransitionFromDoc(t.data()!), effects } : null;
      }),
    );
    return read.filter((e): e is PendingEvent => e !== null);
  }
}
