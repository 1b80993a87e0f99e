/**
 * `verity backfill-shards` (issue 32, docs/deploy.md "Upgrading"): job documents written before the due index
 * was sharded (shards.ts) carry no `dueShard`, so the sweep's sharded query would never read them. This pages
 * through every job by id and sets the field where it is missing — an update conditional on the document read,
 * so a concurrent job write (which sets the field itself) wins. Safe to run again; it changes no job state.
 */
import { FieldPath, type Firestore } from '@google-cloud/firestore';
import { Code, codeOf } from './conflicts.js';
import { Collections, col } from './firestore.js';
import { shardOf } from './shards.js';

export async function backfillDueShards(db: Firestore, onPage?: (seen: number, written: number) => void) {
  let seen = 0;
  let written = 0;
  let after: string | undefined;
  for (;;) {
    let q = col(db, Collections.jobs).orderBy(FieldPath.documentId()).select('dueShard').limit(500);
    if (after) q = q.startAfter(after);
    const snap = await q.get();
    if (snap.empty) break;
    const writer = db.bulkWriter();
    for (const d of snap.docs) {
      if (typeof d.get('dueShard') === 'number') continue;
      void writer
        .update(d.ref, { dueShard: shardOf(d.id) }, { lastUpdateTime: d.updateTime })
        .then(() => void written++)
        .catch((err: unknown) => {
          if (codeOf(err) !== Code.FAILED_PRECONDITION && codeOf(err) !== Code.NOT_FOUND) throw err;
        });
    }
    await writer.close();
    seen += snap.size;
    after = snap.docs[snap.docs.length - 1]!.id;
    onPage?.(seen, written);
  }
  return { seen, written };
}
