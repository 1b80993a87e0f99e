/**
 * Plays the plan against the API: submits each spec (at most `concurrency` unfinished at once), cancels and
 * retries as planned, writes the outputs of external jobs (the soak is their external worker, and records each
 * write in the ground truth), and follows each job in Firestore until it ends. A duplicate must come back as
 * the very job its key made first. A spec is acknowledged when the API gave it a final answer: 2xx, or a 409
 * (checked afterwards against the job that really held the key: infra/soak/verdict.ts).
 */
import type { Firestore } from '@google-cloud/firestore';
import type { Storage } from '@google-cloud/storage';
import { isActive } from '../../shared/src/core/index.js';
import { parseGcsUri } from '../../shared/src/evidence/gcs-uri.js';
import { jobFromDoc } from '../../shared/src/store/codec.js';
import { Collections, col } from '../../shared/src/store/firestore.js';
import type { TruthRecord } from '../local/truth-log.js';
import type { SoakClient } from './client.js';
import type { JobSpec } from './plan.js';

export interface WorkloadResult {
  /** spec index → the job ids it made (its own, then its retry). */
  jobsOf: Map<number, string[]>;
  /** Specs the API answered finally (2xx, or a 409 naming the holder). */
  acknowledged: number;
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
  truth(r: TruthRecord): void;
  /** Starts an execution as the app does (an 'adopt' spec): its name. */
  startElsewhere(spec: JobSpec, output: string): Promise<string>;
  /** Execution → the job that attached it. */
  attached: Map<string, string>;
  /** Writes the app's record of an execution and runs `verity import`: the job (imports.ts). */
  importRecord(spec: JobSpec, execution: string, output: string): Promise<string>;
}): Promise<WorkloadResult> {
  const out: WorkloadResult = {
    jobsOf: new Map(),
    acknowledged: 0,
    projects: [],
    locked: 0,
    duplicateMismatches: [],
    errors: [],
    cancels: 0,
    retries: 0,
  };
  const waitTerminal = async (id: string, until: number): Promise<string | null> => {
    for (;;) {
      const snap = await col(o.db, Collections.jobs).doc(id).get();
      const job = snap.exists ? jobFromDoc(snap.data()!) : null;
      if (job && !isActive(job.status)) return job.status;
      if (Date.now() > until) return null;
      await sleep(500);
    }
  };
  /** The soak as the external worker: its outputs land after the planned duration. */
  const workExternally = (job: { id: string; outputs: { uri: string }[] }, spec: JobSpec): void => {
    if (spec.kind !== 'external' || spec.outcome !== 'succeeded') return;
    void sleep(spec.durationMs).then(async () => {
      for (const { uri } of job.outputs) {
        const loc = parseGcsUri(uri)!;
        const file = o.storage.bucket(loc.bucket).file(loc.name);
        await file.save('external work\n', { resumable: false }).then(
          () => {
            const generation = String(file.metadata.generation);
            o.truth({ t: 'output', at: Date.now(), writer: 'external', uri, generation, jobId: job.id, attempt: 1 });
          },
          (err: Error) => out.errors.push(`writing ${uri}: ${err.message}`),
        );
      }
    });
  };

  /** The app started the work; an admin tells Verity of it (POST /api/jobs with attach), for the spec's owner. */
  const attach = async (spec: JobSpec) => {
    const output = (spec.request.outputs as string[])[0]!;
    const execution = await o.startElsewhere(spec, output);
    if (spec.via === 'import') {
      const id = await o.importRecord(spec, execution, output);
      o.attached.set(execution, id);
      return { status: 201, body: { job: { id, outputs: [] } } }; // as the API would have answered
    }
    const body = { ...spec.request, attach: { execution, ownerId: spec.owner } };
    const res = await o.client.call(spec.owner, 'POST', '/api/jobs', body, 40, true);
    if (res.body.job?.id) o.attached.set(execution, res.body.job.id);
    return res;
  };

  const runOne = async (spec: JobSpec): Promise<void> => {
    const until = Date.now() + o.jobTimeoutMs;
    if (spec.kind === 'project') {
      const p = await o.client.call(spec.owner, 'POST', '/api/projects', spec.request);
      if ((p.status !== 201 && p.status !== 200) || !p.body.project)
        throw new Error(`create project: ${p.status} ${JSON.stringify(p.body)}`);
      const id = p.body.project.id;
      out.projects.push(id);
      const g = await o.client.call(spec.owner, 'POST', `/api/projects/${id}/generate`);
      // 409: a resent generate (the first answer was lost with a killed instance) finds its own job active
      const jobId = g.status === 409 ? g.body.activeJob?.id : g.body.job?.id;
      if (g.status >= 400 && !(g.status === 409 && jobId))
        throw new Error(`generate ${id}: ${g.status} ${JSON.stringify(g.body)}`);
      out.acknowledged++;
      if (jobId) {
        out.jobsOf.set(spec.index, [jobId]);
        await waitTerminal(jobId, until);
      }
      return;
    }
    const res =
      spec.kind === 'adopt' ? await attach(spec) : await o.client.call(spec.owner, 'POST', '/api/jobs', spec.request);
    if (res.status === 409 && (res.body.activeJob?.id ?? res.body.error?.details?.activeJob?.id)) {
      out.acknowledged++;
      out.locked++;
      return;
    }
    if ((res.status !== 201 && res.status !== 200) || !res.body.job)
      throw new Error(`enqueue: ${res.status} ${JSON.stringify(res.body)}`);
    out.acknowledged++;
    const id = res.body.job.id;
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
      else if (r.status < 300 && r.body.job) {
        out.retries++;
        const retryId = r.body.job.id;
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
