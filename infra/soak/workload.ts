/**
 * Plays the plan against the API: submits each spec (at most `concurrency` unfinished at once), cancels and
 * retries as planned, writes the outputs of external jobs (the soak is their external worker), and follows
 * each job in Firestore until it ends. A duplicate must come back as the very job its key made first.
 */
import type { Firestore } from '@google-cloud/firestore';
import type { Storage } from '@google-cloud/storage';
import { isActive } from '../../shared/src/core/index.js';
import { parseGcsUri } from '../../shared/src/evidence/gcs-uri.js';
import { jobFromDoc } from '../../shared/src/store/codec.js';
import { Collections } from '../../shared/src/store/firestore.js';
import type { SoakClient } from './client.js';
import type { JobSpec } from './plan.js';

export interface WorkloadResult {
  /** spec index → the job ids it made (its own, then its retry). */
  jobsOf: Map<number, string[]>;
  projects: string[];
  locked: number;
  /** Duplicates answered with another job than the key's first: a broken idempotency key. */
  duplicateMismatches: string[];
  errors: string[];
  cancels: number;
  retries: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runWorkload(o: {
  specs: JobSpec[];
  client: SoakClient;
  db: Firestore;
  storage: Storage;
  concurrency: number;
  jobSpec: Map<string, JobSpec>;
  progress(done: number): void;
  /** Stop waiting for a job this long after its submit. */
  jobTimeoutMs: number;
}): Promise<WorkloadResult> {
  const out: WorkloadResult = {
    jobsOf: new Map(),
    projects: [],
    locked: 0,
    duplicateMismatches: [],
    errors: [],
    cancels: 0,
    retries: 0,
  };
  const waitTerminal = async (id: string, until: number): Promise<string | null> => {
    for (;;) {
      const snap = await o.db.collection(Collections.jobs).doc(id).get();
      const job = snap.exists ? jobFromDoc(snap.data()!) : null;
      if (job && !isActive(job.status)) return job.status;
      if (Date.now() > until) return null;
      await sleep(500);
    }
  };
  /** The soak as the external worker: its outputs land after the planned duration. */
  const workExternally = (job: { outputs: { uri: string }[] }, spec: JobSpec): void => {
    if (spec.kind !== 'external' || spec.outcome !== 'succeeded') return;
    void sleep(spec.durationMs).then(async () => {
      for (const { uri } of job.outputs) {
        const loc = parseGcsUri(uri)!;
        await o.storage
          .bucket(loc.bucket)
          .file(loc.name)
          .save('external work\n', { resumable: false })
          .catch((err: Error) => out.errors.push(`writing ${uri}: ${err.message}`));
      }
    });
  };

  const runOne = async (spec: JobSpec): Promise<void> => {
    const until = Date.now() + o.jobTimeoutMs;
    if (spec.kind === 'project') {
      const p = await o.client.call(spec.owner, 'POST', '/api/projects', spec.request);
      if (p.status !== 201 && p.status !== 200)
        throw new Error(`create project: ${p.status} ${JSON.stringify(p.body)}`);
      const id = p.body.project.id as string;
      out.projects.push(id);
      const g = await o.client.call(spec.owner, 'POST', `/api/projects/${id}/generate`);
      // 409: a resent generate (the first answer was lost with a killed instance) finds its own job active
      if (g.status >= 400 && g.status !== 409) throw new Error(`generate ${id}: ${g.status} ${JSON.stringify(g.body)}`);
      return;
    }
    const res = await o.client.call(spec.owner, 'POST', '/api/jobs', spec.request);
    if (res.status === 409) {
      out.locked++;
      return;
    }
    if (res.status !== 201 && res.status !== 200) throw new Error(`enqueue: ${res.status} ${JSON.stringify(res.body)}`);
    const id = res.body.job.id as string;
    if (spec.duplicateOf !== undefined) {
      const first = out.jobsOf.get(spec.duplicateOf)?.[0];
      if (first && first !== id) out.duplicateMismatches.push(`${first} then ${id}`);
      return; // the first one is followed already
    }
    out.jobsOf.set(spec.index, [id]);
    o.jobSpec.set(id, spec);
    workExternally(res.body.job, spec);
    if (spec.cancelAfterMs !== undefined) {
      await sleep(spec.cancelAfterMs);
      const c = await o.client.call(spec.owner, 'POST', `/api/jobs/${id}/cancel`);
      if (c.status < 400) out.cancels++;
    }
    const status = await waitTerminal(id, until);
    if (status === 'failed' && spec.retryOnFail) {
      const r = await o.client.call(spec.owner, 'POST', `/api/jobs/${id}/retry`);
      if (r.status === 409) out.locked++;
      else if (r.status < 300) {
        out.retries++;
        const retryId = r.body.job.id as string;
        out.jobsOf.get(spec.index)!.push(retryId);
        o.jobSpec.set(retryId, spec);
        workExternally(r.body.job, spec);
        await waitTerminal(retryId, Date.now() + o.jobTimeoutMs);
      }
    }
  };

  let next = 0;
  let done = 0;
  const lane = async (): Promise<void> => {
    while (next < o.specs.length) {
      const spec = o.specs[next++]!;
      try {
        await runOne(spec);
      } catch (err) {
        out.errors.push(`spec ${spec.index}: ${(err as Error).message}`);
      }
      o.progress(++done);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, lane));
  return out;
}
