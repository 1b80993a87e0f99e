/**
 * Where a sweep cut short stopped (issue 32, docs/scale.md "The sweep"): `sweepCursors/{share}` holds the last
 * due job it read — its shard, `nextCheckAt` and id — for the next run of the same share of the shards to resume
 * from, instead of reading the range again from its start (a backlog's first jobs would otherwise be read by
 * every run, and the later shards reached last). Written only when a run runs out of budget; deleted when one
 * reads its share to the end.
 */
import { Timestamp, type Firestore } from '@google-cloud/firestore';
import { Collections, col } from './firestore.js';
import type { DueCursor } from './job-queries.js';
import { DUE_SHARDS } from './shards.js';

/** The document of a share of the shards: `all`, or the shards joined. */
const keyOf = (shards: readonly number[]): string => (shards.length === DUE_SHARDS ? 'all' : shards.join('-'));

export class SweepCursors {
  constructor(private readonly db: Firestore) {}

  async get(shards: readonly number[]): Promise<DueCursor | null> {
    const snap = await col(this.db, Collections.sweepCursors).doc(keyOf(shards)).get();
    if (!snap.exists) return null;
    return { nextCheckAt: (snap.get('nextCheckAt') as Timestamp).toMillis(), id: String(snap.get('id')) };
  }

  async set(shards: readonly number[], cursor: DueCursor | null): Promise<void> {
    const ref = col(this.db, Collections.sweepCursors).doc(keyOf(shards));
    if (cursor === null) await ref.delete();
    else await ref.set({ id: cursor.id, nextCheckAt: Timestamp.fromMillis(cursor.nextCheckAt) });
  }
}
