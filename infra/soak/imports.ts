/**
 * The app's records in the soak (issue 30): for an 'adopt' spec planned via import, the workload starts the
 * execution as the app does, writes the app's own record of it (seed 000's shape: `user_id`, `status`,
 * `cloudRunExecutionName`, `output_path`) in the app's project, and runs `verity import` — the real CLI, in a
 * process of its own, with write back — which attaches it. At the end, the ground truth: each record must say
 * what its job (the last of its retries) ended as, in the app's own words.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Firestore } from '@google-cloud/firestore';
import type { Job } from '../../shared/src/core/index.js';
import type { JobSpec } from './plan.js';
import { SOAK_APP_PROJECT } from './units.js';

const COLLECTION = 'app_renders';
/** The app's status values; write back uses the first of each. */
const STATUSES = {
  queued: ['queued'],
  running: ['running'],
  succeeded: ['completed'],
  failed: ['failed'],
  canceled: ['canceled'],
} as const;

export interface AppImports {
  /** Writes the app's record of `execution` and imports it: the job that attached it. */
  importRecord(spec: JobSpec, execution: string, output: string): Promise<string>;
  /** Records that do not say what their job ended as (after the drain), and how many were read. */
  check(
    jobs: ReadonlyMap<string, Job>,
    jobsOf: ReadonlyMap<number, string[]>,
  ): Promise<{ wrong: string[]; read: number }>;
}

export function appImports(o: { repoRoot: string; env: Record<string, string>; app: Firestore; logDir: string }) {
  const mapping = path.join(o.logDir, 'import-mapping.json');
  writeFileSync(
    mapping,
    JSON.stringify({
      collection: COLLECTION,
      type: 'soak-adopt',
      fields: { status: 'status', owner: 'user_id', execution: 'cloudRunExecutionName', outputs: 'output_path' },
      statuses: STATUSES,
      outputPrefix: `gs://${o.env.VERITY_BUCKET}/`,
      writeBack: {},
    }),
  );
  const imported = new Map<number, string>();
  // one CLI run at a time (each reads the whole collection; a rerun imports nothing twice)
  let queue: Promise<unknown> = Promise.resolve();
  const cli = (): Promise<{ path: string; outcome: string; jobId?: string; reason?: string }[]> => {
    const run = queue.then(
      () =>
        new Promise<string>((resolve, reject) => {
          const args = ['import', '--mapping', mapping, '--source-project', SOAK_APP_PROJECT, '--json'];
          const child = spawn(process.execPath, [path.join(o.repoRoot, 'dist/infra/cli/main.js'), ...args], {
            env: { ...process.env, ...o.env, VERITY_LOG_LEVEL: 'error' },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let out = '';
          let err = '';
          child.stdout.on('data', (b: Buffer) => (out += b.toString()));
          child.stderr.on('data', (b: Buffer) => (err += b.toString()));
          child.once('exit', (code) =>
            code === 0 || code === 4 ? resolve(out) : reject(new Error(`verity import exited ${code}: ${err}`)),
          );
        }),
    );
    queue = run.catch(() => undefined);
    return run.then((out) => (JSON.parse(out) as { results: [] }).results);
  };
  return {
    async importRecord(spec, execution, output) {
      const key = spec.request.idempotencyKey as string;
      await o.app
        .collection(COLLECTION)
        .doc(key)
        .set({
          user_id: spec.owner,
          status: 'running',
          cloudRunExecutionName: execution.split('/').at(-1),
          output_path: output.replace(/^gs:\/\/[^/]+\//, ''),
        });
      // a run that failed (Cloud Run's injected faults reach the import's look too) is run again, as an admin
      // would: a rerun imports nothing twice
      let last = 'not read';
      for (let i = 0; i < 4; i++) {
        try {
          const r = (await cli()).find((x) => x.path === `${COLLECTION}/${key}`);
          if (r?.jobId) {
            imported.set(spec.index, key);
            return r.jobId;
          }
          last = r ? `${r.outcome}: ${r.reason}` : 'not read';
        } catch (err) {
          last = (err as Error).message;
        }
        await new Promise((res) => setTimeout(res, 1000));
      }
      throw new Error(`import of ${COLLECTION}/${key}: ${last}`);
    },
    async check(jobs, jobsOf) {
      const wrong: string[] = [];
      let read = 0;
      for (const [index, key] of imported) {
        const last = jobs.get(jobsOf.get(index)?.at(-1) ?? '');
        if (!last) continue;
        const want = STATUSES[last.status][0];
        const has = (await o.app.collection(COLLECTION).doc(key).get()).get('status') as unknown;
        read++;
        if (has !== want)
          wrong.push(`record ${COLLECTION}/${key} says ${JSON.stringify(has)}; ${last.id} is ${last.status}`);
      }
      return { wrong, read };
    },
  } satisfies AppImports;
}
