/**
 * The sweep's leases: `leases/{jobId}` names who checks a job until when, so overlapping sweeps never act on
 * a job twice. A lease lapses at `until` (the TTL policy on `expireAt` = `until` deletes it later); it is
 * released early only when its job is due again before then.
 */
import { Timestamp, type Firestore } from '@google-cloud/firestore';
import { Code, codeOf } from './conflicts.js';
import { Collections, col } from './firestore.js';

export class Leases {
  constructor(
    private readonly db: Firestore,
    private readonly clock: () => number,
  ) {}

  /**
   * Takes the job's lease for `owner` for `forMs` if it is free or lapsed: one create, or over a lapsed lease
   * one update on the condition that nobody else wrote it since it was read. False when another holder's lease
   * still runs, or another sweep took the lapsed one first. No transaction: a sweep killed mid-take leaves no
   * lock on the lease behind (a dead transaction's lock lasts until the database expires it, 60 s).
   */
  async take(jobId: string, owner: string, forMs: number): Promise<boolean> {
    const ref = col(this.db, Collections.leases).doc(jobId);
    const now = this.clock();
    const until = Timestamp.fromMillis(now + forMs);
    try {
      await ref.create({ owner, until, expireAt: until });
      return true;
    } catch (err) {
      if (codeOf(err) !== Code.ALREADY_EXISTS) throw err;
    }
    const snap = await ref.get();
    if (!snap.exists) return false; // deleted in between (released, or its TTL): the next sweep takes it
    if ((snap.get('until') as Timestamp).toMillis() > now) return false;
    try {
      await ref.update({ owner, until, expireAt: until }, { lastUpdateTime: snap.updateTime! });
      return true;
    } catch (err) {
      if (codeOf(err) === Code.FAILED_PRECONDITION || codeOf(err) === Code.NOT_FOUND) return false;
      throw err;
    }
  }

  /** Gives up `owner`'s lease of a job, if it still holds it. */
  async release(jobId: string, owner: string): Promise<void> {
    const ref = col(this.db, Collections.leases).doc(jobId);
    const snap = await ref.get();
    if (!snap.exists || snap.get('owner') !== owner) return;
    await ref.delete({ lastUpdateTime: snap.updateTime! }).catch((err: unknown) => {
      if (codeOf(err) !== Code.FAILED_PRECONDITION) throw err; // taken by another since: theirs now
    });
  }
}
