/**
 * Checkpoints as evidence (issue 17): a step's checkpoint manifest landing (a finalize event) is recorded on
 * the jobs whose checkpoint prefix it is under, in `jobs/{id}/checkpoints/{hash(step)}` — one small document
 * per step, never the job document (a job of many steps would make it hot). The progress view reads them.
 */
import { Timestamp, type Firestore } from '@google-cloud/firestore';
import { Collections, col, named } from './firestore.js';
import { hashKey } from './job-doc.js';
import { QUERIES } from './queries.js';

export interface CheckpointSeen {
  step: string;
  generation: string;
  /** When the manifest was written (the object's creation time), epoch ms. */
  at: number | null;
}

export class CheckpointEvidence {
  constructor(private readonly db: Firestore) {}

  private of(jobId: string) {
    return col(this.db, Collections.jobs).doc(jobId).collection(named(this.db, Collections.checkpoints));
  }

  /** Records the step's checkpoint on every job under `prefix` (a retry and its original share one); their ids. */
  async record(prefix: string, seen: CheckpointSeen): Promise<string[]> {
    const jobs = await QUERIES.jobsByCheckpointPrefix(this.db, prefix).get();
    await Promise.all(
      jobs.docs.map((d) =>
        this.of(d.id)
          .doc(hashKey(seen.step))
          .set({
            step: seen.step,
            generation: seen.generation,
            at: seen.at === null ? null : Timestamp.fromMillis(seen.at),
          }),
      ),
    );
    return jobs.docs.map((d) => d.id);
  }

  /** The checkpoints recorded for a job, by step name. */
  async list(jobId: string): Promise<Map<string, CheckpointSeen>> {
    const snap = await this.of(jobId).get();
    return new Map(
      snap.docs.map((d) => {
        const at = d.get('at') as Timestamp | null;
        return [
          String(d.get('step')),
          { step: String(d.get('step')), generation: String(d.get('generation')), at: at?.toMillis() ?? null },
        ];
      }),
    );
  }
}
