/**
 * Write back (issue 30): a job imported from an app's record mirrors its status into that record's own status
 * field, so an app that keeps reading it sees the truth. Run by the outbox with each transition's event
 * (events/outbox.ts): at least once, in any order — the record keeps `verity: {jobId, createdAt, seq, status}`
 * of the last write, and a write older than it (an earlier transition, or an earlier job than a retry that
 * took the record over) changes nothing. A record that no longer exists is not created again.
 */
import { Firestore, Timestamp } from '@google-cloud/firestore';
import type { Job, Transition } from '../core/index.js';

export interface MirrorWriter {
  /** Writes the transition's status to the job's record; 'skipped' when it has no value or was overtaken. */
  write(job: Job, t: Transition): Promise<'written' | 'skipped' | 'gone'>;
  close(): Promise<void>;
}

interface Stamp {
  jobId?: unknown;
  createdAt?: unknown;
  seq?: unknown;
}

/** Whether a write of (createdAt, seq) is newer than the stamp the record keeps. */
export function newerThan(stamp: Stamp | undefined, createdAt: number, seq: number): boolean {
  if (!stamp || typeof stamp.createdAt !== 'number' || typeof stamp.seq !== 'number') return true;
  return createdAt > stamp.createdAt || (createdAt === stamp.createdAt && seq > stamp.seq);
}

/** `clientFor(project, database)`: the app's databases (a client each, kept; in tests the emulator's). */
export function mirrorWriter(clientFor?: (project: string, database: string) => Firestore): MirrorWriter {
  const clients = new Map<string, Firestore>();
  const open =
    clientFor ??
    ((projectId: string, databaseId: string) =>
      new Firestore({ projectId, ...(databaseId !== '(default)' ? { databaseId } : {}) }));
  const dbOf = (project: string, database: string): Firestore => {
    const key = `${project}/${database}`;
    let db = clients.get(key);
    if (!db) clients.set(key, (db = open(project, database)));
    return db;
  };
  return {
    async write(job, t) {
      const m = job.mirror;
      const value = m?.values[t.to];
      if (!m || value === undefined) return 'skipped';
      const db = dbOf(m.project, m.database ?? '(default)');
      const ref = db.doc(m.path);
      return db.runTransaction(async (tx) => {
        const snap = await tx.get(ref);
        if (!snap.exists) return 'gone' as const;
        if (!newerThan(snap.get('verity') as Stamp | undefined, job.createdAt, t.seq)) return 'skipped' as const;
        const stamp = { jobId: job.id, createdAt: job.createdAt, seq: t.seq, status: t.to, at: Timestamp.now() };
        // a field path: `status`, or `state.value` for a nested one
        tx.update(ref, m.field, value, 'verity', stamp);
        return 'written' as const;
      });
    },
    async close() {
      await Promise.all([...clients.values()].map((db) => db.terminate()));
    },
  };
}
