/**
 * Shards of the due index (issue 32, docs/scale.md): a field whose value is a time near "now" (`nextCheckAt`,
 * rewritten by every transition) holds Firestore's index writes to one key range, about 500 a second. Each job
 * carries `dueShard`, a hash of its id into DUE_SHARDS values, and the due index is (dueShard, nextCheckAt):
 * the writes spread over DUE_SHARDS ranges, and the sweep reads shard by shard. The id never changes, so
 * neither does the shard.
 */

/** How many ranges the due index is spread over. */
export const DUE_SHARDS = 16;

/** Every shard, in order: what a sweep reads unless it is given its share (`shards`). */
export const ALL_SHARDS: readonly number[] = Array.from({ length: DUE_SHARDS }, (_, i) => i);

/** The shard of a document id: FNV-1a of its characters, modulo DUE_SHARDS. */
export function shardOf(id: string, shards = DUE_SHARDS): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % shards;
}
