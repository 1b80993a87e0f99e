/**
 * Firestore contention, as a busy system makes it: a transaction of the soak's own reads a random active
 * job (taking its lock, as the emulator and Firestore's pessimistic transactions do) and holds it a moment
 * before committing nothing, so the units' transactions on that job wait or abort and retry.
 */
import type { Firestore } from '@google-cloud/firestore';
import { Collections, col } from '../../shared/src/store/firestore.js';
import type { Rng } from './plan.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Holds one active job's lock for 100–800 ms; the job's id, or null when none is active. */
export async function holdRandomJob(db: Firestore, r: Rng): Promise<string | null> {
  const snap = await col(db, Collections.jobs).where('status', 'in', ['queued', 'running']).limit(40).get();
  if (snap.empty) return null;
  const ref = r.pick(snap.docs).ref;
  const holdMs = r.int(100, 800);
  await db.runTransaction(
    async (tx) => {
      await tx.get(ref);
      await sleep(holdMs);
    },
    { maxAttempts: 1 },
  );
  return ref.id;
}
