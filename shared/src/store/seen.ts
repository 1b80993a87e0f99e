/**
 * Outputs seen by finalize events for a job of several outputs: `jobs/{id}/seen/{hash(uri)}`, one small
 * document per object, so objects landing at once never contend on the job document (outputs-service.ts).
 *
 * Each record carries `expireAt`, SEEN_TTL_MS after its write, for the TTL policy. A record is only a hint
 * gathered until the set is complete (the objects in Cloud Storage are the truth), so one that lapses before
 * its job's last output lands costs at most that the set is found by a probe (the sweep at the job's next
 * deadline, or a verify or reconcile call) instead of by events. 30 days is longer than any one timeout or
 * grace may be set (a week), so that is rare.
 */
import { Timestamp, type Firestore } from '@google-cloud/firestore';
import type { OutputObservation } from '../core/index.js';
import { Collections, col, named } from './firestore.js';
import { hashKey } from './job-doc.js';

export const SEEN_TTL_MS = 30 * 24 * 3600_000;

export class SeenOutputs {
  constructor(
    private readonly db: Firestore,
    private readonly clock: () => number,
  ) {}

  private seen(jobId: string) {
    return col(this.db, Collections.jobs).doc(jobId).collection(named(this.db, Collections.seenOutputs));
  }

  /** Records one object seen for the job (the same object again overwrites it); returns how many it has now. */
  async record(jobId: string, o: OutputObservation): Promise<number> {
    const seen = this.seen(jobId);
    await seen.doc(hashKey(o.uri)).set({
      uri: o.uri,
      generation: o.generation ?? null,
      size: o.size ?? null,
      timeCreated: o.timeCreated ?? null,
      expireAt: Timestamp.fromMillis(this.clock() + SEEN_TTL_MS),
    });
    return (await seen.count().get()).data().count;
  }

  /** Every object recorded for the job, as observations of existing objects. */
  async list(jobId: string): Promise<OutputObservation[]> {
    const all = await this.seen(jobId).get();
    return all.docs.map((d) => ({
      uri: d.get('uri') as string,
      exists: true,
      generation: d.get('generation') as string | null,
      size: d.get('size') as number | null,
      timeCreated: d.get('timeCreated') as number | null,
    }));
  }
}
