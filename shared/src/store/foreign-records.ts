/**
 * Records Verity does not own (issue 30: `verity import`): an app's collection, in its own project and
 * database, read as plain documents. Read only.
 */
import { Firestore } from '@google-cloud/firestore';

export interface ForeignRecord {
  /** The document's path, e.g. `stitch_jobs/job_a917c89b0943`. */
  path: string;
  data: Record<string, unknown>;
}

export interface RecordSource {
  list(collection: string): Promise<ForeignRecord[]>;
  close(): Promise<void>;
}

/** The app's records in `projectId` (and `databaseId`, default `(default)`). */
export function foreignRecords(projectId: string, databaseId?: string): RecordSource {
  const db = new Firestore({
    projectId,
    ...(databaseId && databaseId !== '(default)' ? { databaseId } : {}),
  });
  return recordsOf(db, () => db.terminate());
}

/** Records read through a client the caller owns (closing them leaves it open). */
export function recordsOf(db: Firestore, close: () => Promise<void> = async () => undefined): RecordSource {
  return {
    async list(collection) {
      const snap = await db.collection(collection).get();
      return snap.docs.map((d) => ({ path: d.ref.path, data: d.data() }));
    },
    close,
  };
}
