/** Output objects arriving by event: find the jobs expecting the object (indexed), record it as evidence. */
import type { Firestore } from '@google-cloud/firestore';
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
  constructor(private readonly deps: { db: Firestore; reconciler: Reconciler; log: Logger }) {}

  /** Same object generation twice → one transition (dedupe key `gcs:{bucket}/{name}#{generation}`). */
  async onObjectFinalized(obj: FinalizedObject): Promise<OutputEventResult> {
    const uri = `gs://${obj.bucket}/${obj.name}`;
    const snap = await QUERIES.jobsExpectingOutput(this.deps.db, uri).get();
    const result: OutputEventResult = { uri, jobs: [] };
    for (const doc of snap.docs) {
      const job = jobFromDoc(doc.data());
      const res = await this.deps.reconciler.commit(
        job.id,
        {
          kind: 'observed',
          source: 'gcs',
          probed: false,
          outputs: [{ uri, exists: true, generation: obj.generation, size: obj.size, timeCreated: obj.timeCreated }],
        },
        { dedupeKey: `gcs:${obj.bucket}/${obj.name}#${obj.generation}` },
      );
      result.jobs.push({ jobId: job.id, outcome: res.outcome, status: res.job?.status ?? null });
    }
    if (result.jobs.length === 0) this.deps.log.debug({ uri }, 'object finalized; no job expects it');
    else this.deps.log.info({ uri, jobs: result.jobs }, 'output recorded');
    return result;
  }
}
