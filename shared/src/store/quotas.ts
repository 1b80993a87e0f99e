/**
 * Per-owner quotas, counted without a counter document (a hot document would serialise one owner's
 * requests, and the emulator's locks wait ~30 s under contention):
 * - active jobs: a count() aggregation over the owner's queued and running jobs of the type, before the
 *   create transaction. Not inside it, so enqueues racing at the same instant may overshoot by their number;
 *   the limit bounds spend, it is not a lock.
 * - probes (verify, reconcile): each probe writes one small record with a TTL; the quota is a count() of the
 *   owner's records in the last minute (one aggregation read per 1,000 records, one write per probe).
 */
import { Timestamp, type Firestore } from '@google-cloud/firestore';
import { randomUUID } from 'node:crypto';
import { QuotaError } from '../core/index.js';
import { Collections, col } from './firestore.js';
import { QUERIES } from './queries.js';

const MINUTE = 60_000;
/** How long a probe record is kept (the TTL policy deletes it within a day after). */
const PROBE_RECORD_TTL_MS = 10 * MINUTE;
/** An active-jobs refusal has no known end; clients are told to look again after this. */
const ACTIVE_RETRY_AFTER_S = 30;

export class Quotas {
  constructor(private readonly deps: { db: Firestore; clock: () => number }) {}

  /** Throws QuotaError (429) when the owner already has `limit` active jobs of the type. */
  async checkActiveJobs(ownerId: string, type: string, limit: number): Promise<void> {
    const active = (await QUERIES.countActiveJobs(this.deps.db, ownerId, type).get()).data().count;
    if (active >= limit) {
      throw new QuotaError(`you have ${active} active ${type} jobs; the limit is ${limit}`, ACTIVE_RETRY_AFTER_S, {
        quota: 'activeJobs',
        limit,
        type,
      });
    }
  }

  /** Takes one probe from the owner's per-minute budget, or throws QuotaError with when one frees up. */
  async takeProbe(ownerId: string, perMinute: number): Promise<void> {
    const now = this.deps.clock();
    const since = Timestamp.fromMillis(now - MINUTE);
    const used = (await QUERIES.probesSince(this.deps.db, ownerId, since).count().get()).data().count;
    if (used >= perMinute) {
      const oldest = (await QUERIES.probesSince(this.deps.db, ownerId, since).limit(1).get()).docs[0]?.get('at') as
        Timestamp | undefined;
      const retryAfterMs = oldest ? oldest.toMillis() + MINUTE - now : MINUTE;
      throw new QuotaError(
        `probe quota: at most ${perMinute} costly calls a minute (verify, reconcile, stats, a project view that probes, a new project)`,
        retryAfterMs / 1000,
        { quota: 'probesPerMinute', limit: perMinute },
      );
    }
    await col(this.deps.db, Collections.probes)
      .doc(randomUUID())
      .create({
        ownerId,
        at: Timestamp.fromMillis(now),
        expireAt: Timestamp.fromMillis(now + PROBE_RECORD_TTL_MS),
      });
  }

  /** takeProbe for a look the caller did not ask for: false when the budget is spent (nothing taken). */
  async tryTakeProbe(ownerId: string, perMinute: number): Promise<boolean> {
    try {
      await this.takeProbe(ownerId, perMinute);
      return true;
    } catch (err) {
      if (err instanceof QuotaError) return false;
      throw err;
    }
  }
}
