/**
 * The sweep's leases: `leases/{jobId}` names who checks a job until when, so overlapping sweeps never act on
 * a job twice. A lease lapses at `until` (the TTL policy on `expireAt` = `until` deletes it later); it is
 * released early only when its job is due again before then.
 */
import { Timestamp, type Firestore } from '@google-cloud/firestore';
import { Collections } from './firestore.js';

export class Leases {
  constructor(
    private readonly db: Firestore,
    private readonly clock: () => number,
  ) {}

  /**
   * Takes the job's lease for `owner` for `forMs` if it is free or lapsed: one create, or one transaction over
   * a lapsed lease. False when another holder's lease still runs.
   */
  async take(jobId: string, owner: string, forMs: number): Promise<boolean> {
    const ref = this.db.collection(Collections.leases).doc(jobId);
    const now = this.clock();
    const until = Timestamp.fromMillis(now + forMs);
    try {
      await ref.create({ owner, until, expireAt: until });
      return true;
    } catch (err) {
      if ((err as { code?: number }).code !== 6) throw err; // ALREADY_EXISTS
    }
    return this.db.runTransaction(async (tx) => {
      const snap = await tx.get(ref);
      const held = snap.exists ? (snap.get('until') as Timestamp).toMillis() : 0;
      if (held > now) return false;
      tx.set(ref, { owner, until, expireAt: until });
      return true;
    });
  }

  /** Gives up `owner`'s lease of a job, if it still holds it. */
  async release(jobId: string, owner: string): Promise<void> {
    const ref = this.db.collection(Collections.leases).doc(jobId);
    await this.db.runTransaction(async (tx) => {
      const snap = await tx.get(ref);
      if (snap.exists && snap.get('owner') === owner) tx.delete(ref);
    });
  }
}
