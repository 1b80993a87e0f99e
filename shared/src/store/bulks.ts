/**
 * Bulk actions (issue 33, core/bulk.ts), stored: `bulks/{id}` (the action, its filter, who asked, whose jobs) and
 * under it one item per matched job, `bulkItems/{jobId}`, pending until the action was carried out, skipped or
 * failed. The items are written before the bulk document (the bulk exists only with every item it acts on: a
 * process that dies in between leaves items no bulk names, and a repeat with the same request id writes them
 * again), and the counts are count() aggregations over them — no counter document, no hot document.
 */
import { FieldPath, FieldValue, Timestamp, type Firestore } from '@google-cloud/firestore';
import type { Bulk, BulkCounts, BulkFilter, BulkItemState } from '../core/index.js';
import { jobFromDoc } from './codec.js';
import { Code, codeOf } from './conflicts.js';
import { Collections, col, named } from './firestore.js';
import { QUERIES, type JobFilter } from './queries.js';
import type { Job } from '../core/index.js';

const ts = (ms: number): Timestamp => Timestamp.fromMillis(ms);
const ms = (v: unknown): number | null => (v instanceof Timestamp ? v.toMillis() : null);

function bulkOf(d: FirebaseFirestore.DocumentData): Bulk {
  return {
    id: String(d.id),
    action: d.action,
    filter: JSON.parse(String(d.filterJson)) as BulkFilter,
    by: String(d.by),
    scope: d.scope ?? null,
    requestId: d.requestId ?? null,
    matched: Number(d.matched),
    state: d.state,
    createdAt: ms(d.createdAt) ?? 0,
    endedAt: ms(d.endedAt),
  };
}

export interface BulkItem {
  jobId: string;
  state: BulkItemState;
  detail: string | null;
}

export class BulkStore {
  constructor(private readonly db: Firestore) {}

  private bulks() {
    return col(this.db, Collections.bulks);
  }
  private items(id: string) {
    return this.bulks().doc(id).collection(named(this.db, Collections.bulkItems));
  }

  async get(id: string): Promise<Bulk | null> {
    const snap = await this.bulks().doc(id).get();
    return snap.exists ? bulkOf(snap.data()!) : null;
  }

  /**
   * Writes the items, then the bulk. Returns the bulk stored under this id — this one, or the one a request with
   * the same id made first (its items are the first one's too: the second's are only written where missing).
   */
  async create(b: Bulk, jobIds: readonly string[]): Promise<Bulk> {
    const existing = await this.get(b.id);
    if (existing) return existing;
    const writer = this.db.bulkWriter();
    for (const jobId of jobIds)
      void writer.create(this.items(b.id).doc(jobId), { jobId, state: 'pending', detail: null }).catch((err) => {
        if (codeOf(err) !== Code.ALREADY_EXISTS) throw err;
      });
    await writer.close();
    const { filter, createdAt, endedAt, ...rest } = b;
    try {
      await this.bulks()
        .doc(b.id)
        .create({
          ...rest,
          filterJson: JSON.stringify(filter),
          createdAt: ts(createdAt),
          endedAt: endedAt === null ? null : ts(endedAt),
        });
    } catch (err) {
      if (codeOf(err) !== Code.ALREADY_EXISTS) throw err;
      return (await this.get(b.id))!;
    }
    return b;
  }

  /** Its items' counts by state (four count() aggregations). */
  async counts(id: string): Promise<BulkCounts> {
    const states: BulkItemState[] = ['pending', 'done', 'skipped', 'failed'];
    const n = await Promise.all(
      states.map(async (s) => (await this.items(id).where('state', '==', s).count().get()).data().count),
    );
    return { pending: n[0]!, done: n[1]!, skipped: n[2]!, failed: n[3]! };
  }

  /** Its pending items, by job id; `started`: a process began its action (and may have died after it). */
  async pending(id: string, limit: number): Promise<{ jobId: string; started: boolean; tries: number }[]> {
    const snap = await this.items(id)
      .where('state', '==', 'pending')
      .orderBy(FieldPath.documentId())
      .limit(limit)
      .get();
    return snap.docs.map((d) => ({
      jobId: d.id,
      started: d.get('started') === true,
      tries: Number(d.get('tries') ?? 0),
    }));
  }

  /** Marks an item's action begun (before it: the intent, for a process that dies during it). */
  async start(id: string, jobId: string): Promise<void> {
    await this.items(id).doc(jobId).update({ started: true });
  }

  /** Items in one state (or any), by job id: what the API and the CLI show of a bulk's failures and skips. */
  async itemsOf(id: string, state: BulkItemState | undefined, limit: number): Promise<BulkItem[]> {
    const q = state ? this.items(id).where('state', '==', state) : this.items(id);
    const snap = await q.orderBy(FieldPath.documentId()).limit(limit).get();
    return snap.docs.map((d) => ({ jobId: d.id, state: d.get('state'), detail: d.get('detail') ?? null }));
  }

  /** Records what became of one item (after its action: a repeat of the action changes nothing). */
  async settle(id: string, jobId: string, state: Exclude<BulkItemState, 'pending'>, detail: string | null) {
    await this.items(id).doc(jobId).update({ state, detail });
  }

  /** Leaves an item pending for the next batch after a passing failure, counting the try and saying why. */
  async retryLater(id: string, jobId: string, detail: string): Promise<void> {
    await this.items(id)
      .doc(jobId)
      .update({ tries: FieldValue.increment(1), detail });
  }

  /** Marks the bulk done once none of its items is pending. */
  async end(id: string, now: number): Promise<void> {
    await this.bulks()
      .doc(id)
      .update({ state: 'done', endedAt: ts(now) });
  }

  /** Bulks still running (the sweep carries them on), oldest first. */
  async running(limit: number): Promise<Bulk[]> {
    const snap = await QUERIES.runningBulks(this.db, limit).get();
    return snap.docs.map((d) => bulkOf(d.data()));
  }

  /**
   * One page of the jobs a filter's index narrows to, newest first, created before `before` (epoch ms) and after
   * the cursor: the caller decides on each (core: matchesFilter).
   */
  async scan(filter: JobFilter, before: number, limit: number, after?: Job): Promise<Job[]> {
    const cursor = after ? { createdAtMs: after.createdAt, id: after.id } : undefined;
    const snap = await QUERIES.bulkScan(this.db, filter, ts(before), limit, cursor).get();
    return snap.docs.map((d) => jobFromDoc(d.data()));
  }
}
