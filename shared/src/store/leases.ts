/**
 * The sweep's leases: `leases/{jobId}` names who checks a job until when, so overlapping sweeps never act on
 * a job twice. A lease is never released (one write less per job): it lapses at `until`, and the TTL policy
 * on `expireAt` (= `until`) deletes it later.
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
}
