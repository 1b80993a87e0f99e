/**
 * `verity backfill-shards` (issue 32, docs/deploy.md "Upgrading"): documents written before their indexes were
 * sharded (shards.ts) carry no shard, so the sharded queries never read them — jobs (`dueShard`: the sweep, the
 * due starts, the admin's lists), transitions and webhook deliveries (`shard`: everyone's stats and live feed,
 * the deliverer). This pages through each by document and sets the field where it is missing, from the job id —
 * an update conditional on the document read, so a concurrent write (which sets the field itself) wins. Safe to
 * run again; it changes no job state.
 */
import type { DocumentSnapshot, Firestore, Query } from '@google-cloud/firestore';
import { Code, codeOf } from './conflicts.js';
import { Collections, col, named } from './firestore.js';
import { shardOf } from './shards.js';

export interface BackfillCount {
  seen: number;
  written: number;
}

/** Gives every document of `query` without `field` the shard of its job (`jobIdOf`). */
async function backfill(
  query: Query,
  field: string,
  jobIdOf: (d: DocumentSnapshot) => string,
  count: BackfillCount,
  onPage?: (c: BackfillCount) => void,
): Promise<void> {
  let after: DocumentSnapshot | undefined;
  for (;;) {
    const snap = await (after ? query.startAfter(after) : query).limit(500).get();
    if (snap.empty) return;
    const writer = query.firestore.bulkWriter();
    for (const d of snap.docs) {
      if (typeof d.get(field) === 'number') continue;
      void writer
        .update(d.ref, { [field]: shardOf(jobIdOf(d)) }, { lastUpdateTime: d.updateTime })
        .then(() => void count.written++)
        .catch((err: unknown) => {
          if (codeOf(err) !== Code.FAILED_PRECONDITION && codeOf(err) !== Code.NOT_FOUND) throw err;
        });
    }
    await writer.close();
    count.seen += snap.size;
    after = snap.docs[snap.docs.length - 1];
    onPage?.(count);
  }
}

/** Jobs, their transitions and the webhook deliveries, each counted on its own. */
export async function backfillShards(db: Firestore, onPage?: (what: string, c: BackfillCount) => void) {
  const jobs = { seen: 0, written: 0 };
  const transitions = { seen: 0, written: 0 };
  const deliveries = { seen: 0, written: 0 };
  const byId = (d: DocumentSnapshot) => d.id;
  const jobIdField = (d: DocumentSnapshot) => String(d.get('jobId'));
  await backfill(col(db, Collections.jobs).orderBy('__name__').select('dueShard'), 'dueShard', byId, jobs, (c) =>
    onPage?.('jobs', c),
  );
  const group = db.collectionGroup(named(db, Collections.transitions)).orderBy('__name__').select('shard', 'jobId');
  await backfill(group, 'shard', jobIdField, transitions, (c) => onPage?.('transitions', c));
  const ds = col(db, Collections.deliveries).orderBy('__name__').select('shard', 'jobId');
  await backfill(ds, 'shard', jobIdField, deliveries, (c) => onPage?.('deliveries', c));
  return { jobs, transitions, deliveries };
}
