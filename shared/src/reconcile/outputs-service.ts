/** Output objects arriving by event: find the jobs expecting the object (indexed), record it as evidence. */
import type { DocumentReference, Firestore } from '@google-cloud/firestore';
import type { OutputObservation } from '../core/index.js';
import { Collections } from '../store/firestore.js';
import { hashKey } from '../store/job-store.js';
import type { Logger } from '../log.js';
import type { FinalizedObject } from '../events/cloudevents.js';
import { jobFromDoc } from '../store/codec.js';
import { QUERIES } from '../store/queries.js';
import type { Reconciler } from './reconciler.js';

export interface OutputEventResult {
  uri: string;
  jobs: { jobId: string; outcome: string; status: string | null }[];
}

export class OutputsService {
  private readonly listeners: ((obj: FinalizedObject) => Promise<unknown>)[] = [];
  constructor(private readonly deps: { db: Firestore; reconciler: Reconciler; log: Logger }) {}

  /** Others interested in output objects (project artifacts). */
  listen(listener: (obj: FinalizedObject) => Promise<unknown>): void {
    this.listeners.push(listener);
  }

  /**
   * A job with many outputs (a project's clips) would make its document hot if every finalize committed to
   * it: each object is recorded in `jobs/{id}/seen/{hash}` instead, and only an event that finds all of them
   * seen (counting after its own write, so the last of concurrent writers sees every one) commits, with
   * every observation. Returns null while some are still missing.
   */
  private async recordSeen(
    jobRef: DocumentReference,
    expected: number,
    o: OutputObservation,
  ): Promise<OutputObservation[] | null> {
    const seen = jobRef.collection(Collections.seenOutputs);
    await seen
      .doc(hashKey(o.uri))
      .set({ uri: o.uri, generation: o.generation ?? null, size: o.size ?? null, timeCreated: o.timeCreated ?? null });
    const count = (await seen.count().get()).data().count;
    if (count < expected) return null;
    const all = await seen.get();
    return all.docs.map((d) => ({
      uri: d.get('uri') as string,
      exists: true,
      generation: d.get('generation') as string | null,
      size: d.get('size') as number | null,
      timeCreated: d.get('timeCreated') as number | null,
    }));
  }

  /** Same object generation twice → one transition (dedupe key `gcs:{bucket}/{name}#{generation}`). */
  async onObjectFinalized(obj: FinalizedObject): Promise<OutputEventResult> {
    const uri = `gs://${obj.bucket}/${obj.name}`;
    const [snap] = await Promise.all([
      QUERIES.jobsExpectingOutput(this.deps.db, uri).get(),
      ...this.listeners.map((l) => l(obj)),
    ]);
    const result: OutputEventResult = { uri, jobs: [] };
    const observation: OutputObservation = {
      uri,
      exists: true,
      generation: obj.generation,
      size: obj.size,
      timeCreated: obj.timeCreated,
    };
    for (const doc of snap.docs) {
      const job = jobFromDoc(doc.data());
      const observations =
        job.outputUris.length <= 1 ? [observation] : await this.recordSeen(doc.ref, job.outputUris.length, observation);
      if (!observations) {
        result.jobs.push({ jobId: job.id, outcome: 'recorded', status: job.status });
        continue;
      }
      const res = await this.deps.reconciler.commit(
        job.id,
        { kind: 'observed', source: 'gcs', probed: false, outputs: observations },
        { dedupeKey: `gcs:${obj.bucket}/${obj.name}#${obj.generation}` },
      );
      result.jobs.push({ jobId: job.id, outcome: res.outcome, status: res.job?.status ?? null });
    }
    if (result.jobs.length === 0) this.deps.log.debug({ uri }, 'object finalized; no job expects it');
    else this.deps.log.info({ uri, jobs: result.jobs }, 'output recorded');
    return result;
  }
}
