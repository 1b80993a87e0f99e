/**
 * What the event streams (functions/api/sse.ts) read and listen to: Firestore listeners on one job document,
 * on one job's transitions and on every transition of an owner, handed out as plain Jobs and Transitions
 * (codec) with an unsubscribe function; and the stored transitions a reconnecting stream replays.
 */
import { Timestamp, type Firestore } from '@google-cloud/firestore';
import type { Job, Transition } from '../core/index.js';
import { jobFromDoc, transitionFromDoc } from './codec.js';
import { Collections, col, named } from './firestore.js';
import { QUERIES } from './queries.js';

/** Detaches a listener. */
export type Unsubscribe = () => void;

/** A transition of some job (the all-jobs stream). */
export interface JobTransition {
  jobId: string;
  transition: Transition;
}

export class Watch {
  constructor(private readonly db: Firestore) {}

  private job(jobId: string) {
    return col(this.db, Collections.jobs).doc(jobId);
  }

  /** The job document at once and after every change; null while it does not exist (or once it is gone). */
  jobDocument(jobId: string, next: (job: Job | null) => void, fail: (err: Error) => void): Unsubscribe {
    return this.job(jobId).onSnapshot((snap) => next(snap.exists ? jobFromDoc(snap.data()!) : null), fail);
  }

  /** One job's transitions at or after `sinceMs` as they are added (the first snapshot brings those stored). */
  jobTransitions(
    jobId: string,
    sinceMs: number,
    next: (t: Transition) => void,
    fail: (err: Error) => void,
  ): Unsubscribe {
    return this.job(jobId)
      .collection(named(this.db, Collections.transitions))
      .where('at', '>=', Timestamp.fromMillis(sinceMs))
      .onSnapshot(
        (snap) => snap.docChanges().forEach((c) => c.type === 'added' && next(transitionFromDoc(c.doc.data()))),
        fail,
      );
  }

  /** Transitions of an owner's jobs (null: every owner's) at or after `sinceMs`, oldest first, as they are added. */
  transitionsSince(
    ownerId: string | null,
    sinceMs: number,
    next: (t: JobTransition) => void,
    fail: (err: Error) => void,
  ): Unsubscribe {
    return QUERIES.transitionsSince(this.db, ownerId, Timestamp.fromMillis(sinceMs)).onSnapshot((snap) => {
      for (const c of snap.docChanges())
        if (c.type === 'added')
          next({ jobId: String(c.doc.get('jobId')), transition: transitionFromDoc(c.doc.data()) });
    }, fail);
  }

  /** A job's stored transitions after `afterSeq`, by seq (a reconnecting stream's replay). */
  async transitionsAfter(jobId: string, afterSeq: number): Promise<Transition[]> {
    const snap = await this.job(jobId)
      .collection(named(this.db, Collections.transitions))
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .get();
    return snap.docs.map((d) => transitionFromDoc(d.data()));
  }

  /** The owner and time of one stored transition (a Last-Event-ID), or null when there is none. */
  async transitionAt(jobId: string, seq: string): Promise<{ ownerId: string; at: number } | null> {
    const t = await this.job(jobId).collection(named(this.db, Collections.transitions)).doc(seq).get();
    return t.exists ? { ownerId: String(t.get('ownerId')), at: (t.get('at') as Timestamp).toMillis() } : null;
  }
}
