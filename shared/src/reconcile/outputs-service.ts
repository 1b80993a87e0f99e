/** Output objects arriving by event: find the jobs expecting the object (indexed), record it as evidence. */
import { coversOutputs, type Job, type OutputObservation } from '../core/index.js';
import type { JobStore } from '../store/job-store.js';
import type { SeenOutputs } from '../store/seen.js';
import type { Logger } from '../log.js';
import type { FinalizedObject } from '../events/cloudevents.js';
import type { JobReactions } from './reactions.js';
import type { CheckpointManifestRef } from '../evidence/checkpoint-uri.js';
import type { CheckpointEvidence } from '../store/checkpoint-evidence.js';
import type { Reconciler } from './reconciler.js';

export interface OutputEventResult {
  uri: string;
  jobs: { jobId: string; outcome: string; status: string | null }[];
}

export class OutputsService {
  constructor(
    private readonly deps: {
      jobs: JobStore;
      seen: SeenOutputs;
      reconciler: Reconciler;
      log: Logger;
      /** Project artifacts follow finalized objects too (reactions.ts). */
      reactions: Pick<JobReactions, 'onObjectFinalized'>;
      /** Step checkpoint manifests: which objects are, and where they are recorded (checkpoint evidence). */
      checkpoints?: {
        match: (uri: string) => CheckpointManifestRef | null;
        evidence: Pick<CheckpointEvidence, 'record'>;
      };
    },
  ) {}

  /**
   * A job with many outputs (a project's clips) would make its document hot if every finalize committed to
   * it: each object is recorded in `jobs/{id}/seen/{hash}` instead (store/seen.ts), and only an event that
   * finds all of them seen (counting after its own write, so the last of concurrent writers sees every one)
   * commits, with every observation. Returns null while some are still missing.
   */
  private async recordSeen(job: Job, o: OutputObservation): Promise<OutputObservation[] | null> {
    const count = await this.deps.seen.record(job.id, o);
    if (count < job.outputs.length) return null;
    const seen = await this.deps.seen.list(job.id);
    // an output with alternatives is seen once any of its names is (two names of one output count once)
    return coversOutputs(job, seen, () => true) ? seen : null;
  }

  /** Same object generation twice → one transition (dedupe key `gcs:{bucket}/{name}#{generation}`). */
  async onObjectFinalized(obj: FinalizedObject): Promise<OutputEventResult> {
    const uri = `gs://${obj.bucket}/${obj.name}`;
    const ck = this.deps.checkpoints?.match(uri);
    if (ck) {
      // a step's checkpoint landed: evidence for the jobs resuming from its prefix, never anyone's output
      const ids = await this.deps.checkpoints!.evidence.record(ck.prefix, {
        step: ck.step,
        generation: obj.generation,
        at: obj.timeCreated,
      });
      this.deps.log.info({ uri, step: ck.step, jobs: ids }, 'checkpoint recorded');
      return { uri, jobs: ids.map((jobId) => ({ jobId, outcome: 'checkpoint', status: null })) };
    }
    const [expecting] = await Promise.all([
      this.deps.jobs.expectingOutput(uri),
      this.deps.reactions.onObjectFinalized(obj),
    ]);
    const result: OutputEventResult = { uri, jobs: [] };
    const observation: OutputObservation = {
      uri,
      exists: true,
      generation: obj.generation,
      size: obj.size,
      timeCreated: obj.timeCreated,
    };
    for (const read of expecting) {
      const { job } = read;
      const observations = job.outputs.length <= 1 ? [observation] : await this.recordSeen(job, observation);
      if (!observations) {
        result.jobs.push({ jobId: job.id, outcome: 'recorded', status: job.status });
        continue;
      }
      const res = await this.deps.reconciler.commit(
        job.id,
        { kind: 'observed', source: 'gcs', probed: false, outputs: observations },
        // the query read the job: the commit decides on that read (and reads again only if it changed since)
        { dedupeKey: `gcs:${obj.bucket}/${obj.name}#${obj.generation}`, known: read },
      );
      result.jobs.push({ jobId: job.id, outcome: res.outcome, status: res.job?.status ?? null });
    }
    if (result.jobs.length === 0) this.deps.log.debug({ uri }, 'object finalized; no job expects it');
    else this.deps.log.info({ uri, jobs: result.jobs }, 'output recorded');
    return result;
  }
}
