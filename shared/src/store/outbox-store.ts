/**
 * The outbox of events out, kept in the job document (job-doc.ts): each transition enters the job's `outbox`
 * in the write that commits it, with its effects stored on the transition, so neither the announcement nor the
 * effects are lost between the commit and their running. Once the event is published and the effects have
 * run, the entry leaves — carried by the effects' own write when there is one, else by an update on the
 * condition that the job document is still the one last read or written (no read when it is).
 */
import { FieldValue, Timestamp, type Firestore } from '@google-cloud/firestore';
import type { Effect, Job, Transition } from '../core/index.js';
import { recordedTransitionFromDoc } from './codec.js';
import { retryOnConflict } from './conflicts.js';
import { Collections, col, named } from './firestore.js';
import { bookkeeping, dueOf, outboxOf, readOf, type JobRead } from './job-doc.js';
import { QUERIES } from './queries.js';
import { ALL_SHARDS } from './shards.js';

export interface PendingEvent {
  job: Job;
  transition: Transition;
  /** The effects committed with the transition (idempotent: repeating them is safe). */
  effects: Effect[];
  /** The job document the entry was found in. */
  read: JobRead;
}

export class OutboxStore {
  constructor(
    private readonly db: Firestore,
    private readonly readJob: (id: string) => Promise<JobRead | null>,
  ) {}

  /**
   * Takes transition `seq` out of the job's outbox. `known`: the job document as last read or written — the
   * update is conditional on it, so no read is needed unless the job changed since; then it is read again.
   */
  async markPublished(jobId: string, seq: number, known?: JobRead): Promise<void> {
    let first = known?.job.id === jobId ? known : undefined;
    await retryOnConflict(async () => {
      const read = first ?? (await this.readJob(jobId));
      first = undefined;
      if (!read || !outboxOf(read.doc).some((e) => e.seq === seq)) return; // gone, or carried by another write
      const left = bookkeeping(read.doc, { announced: [seq] });
      await col(this.db, Collections.jobs)
        .doc(jobId)
        .update(
          { outbox: left.outbox ?? FieldValue.delete(), outboxDueAt: left.outboxDueAt ?? FieldValue.delete() },
          { lastUpdateTime: read.updateTime },
        );
    });
  }

  /**
   * Entries not yet published whose time to be taken up again has come by `nowMs`, with job and transition:
   * read across the shards at once (shards.ts; `shards`: a sweep's share), at most `limit` jobs' worth.
   */
  async pending(nowMs: number, limit: number, shards: readonly number[] = ALL_SHARDS): Promise<PendingEvent[]> {
    const now = Timestamp.fromMillis(nowMs);
    // every shard at once (one round trip), the oldest entries first across them
    const per = Math.max(1, Math.min(limit, Math.ceil((2 * limit) / shards.length)));
    const snaps = await Promise.all(shards.map((shard) => QUERIES.pendingOutbox(this.db, shard, now, per).get()));
    const due = (d: FirebaseFirestore.QueryDocumentSnapshot): number => (d.get('outboxDueAt') as Timestamp).toMillis();
    const docs = snaps
      .flatMap((snap) => snap.docs)
      .sort((a, b) => due(a) - due(b))
      .slice(0, limit);
    const entries = docs.flatMap((doc) => {
      const read = readOf(doc.data(), doc.updateTime);
      return outboxOf(read.doc)
        .filter((e) => dueOf(e) <= now)
        .map((e) => ({ read, seq: e.seq }));
    });
    // each entry's transition, all at once (the sweep runs this on every pass)
    const found = await Promise.all(
      entries.slice(0, limit).map(async ({ read, seq }): Promise<PendingEvent | null> => {
        const t = await col(this.db, Collections.jobs)
          .doc(read.job.id)
          .collection(named(this.db, Collections.transitions))
          .doc(String(seq))
          .get();
        if (!t.exists) return null;
        const effects = (t.get('effects') as Effect[] | undefined) ?? [];
        return { job: read.job, transition: recordedTransitionFromDoc(t.data()!), effects, read };
      }),
    );
    return found.filter((e): e is PendingEvent => e !== null);
  }
}
