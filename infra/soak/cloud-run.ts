/**
 * Cloud Run for the soak: the v2 fake (test/fakes/cloud-run-server.ts) in the soak's process, and a driver
 * playing the job's containers: each execution runs for its spec's duration, then writes its outputs (from
 * the VERITY_OUTPUTS override) and succeeds, or fails. Most containers report as a worker does (the worker
 * SDK: started, then succeeded or failed, on the updates topic, through the soak's message faults); a quarter
 * are silent, and only the executor's status tells (at a deadline). Calls fail with UNAVAILABLE, or answer
 * slowly, at the plan's rate. The ground truth of its executions is the fake's own record of each (created,
 * canceled, completed: `executionTruth`); the driver records each output it writes.
 */
import * as grpc from '@grpc/grpc-js';
import type { protos } from '@google-cloud/run';
import type { Storage } from '@google-cloud/storage';
import { startFakeCloudRun, type FakeCloudRun } from '../../test/fakes/cloud-run-server.js';
import { createCloudRunClients, ENV_ATTEMPT, ENV_JOB_ID } from '../../shared/src/evidence/executors/cloud-run-job.js';
import { parseGcsUri } from '../../shared/src/evidence/gcs-uri.js';
import { createReporter, type Transport, type WorkerReporter } from '../../shared/src/worker/reporter.js';
import type { TruthRecord } from '../local/truth-log.js';
import type { JobSpec, Rng } from './plan.js';
import type { FaultRecord } from './proxy.js';

export const SOAK_CLOUD_RUN_JOB = 'projects/verity-soak/locations/local/jobs/render';
/** Seed 000's stitcher: its containers never report. */
export const SOAK_STITCH_JOB = 'projects/verity-soak/locations/local/jobs/stitch';
/** The app's own renderer (issue 30): the workload starts its executions as the app would, Verity attaches. */
export const SOAK_ADOPT_JOB = 'projects/verity-soak/locations/local/jobs/app-render';
/** The app's own settings of an execution it starts: which spec it plays, and where its output goes. */
const APP_SPEC = 'SOAK_SPEC';
const APP_OUTPUT = 'APP_OUTPUT';

export interface CloudRunDriver {
  fake: FakeCloudRun;
  /** Starts an execution of SOAK_ADOPT_JOB as the app does (no Verity settings): its full name. */
  startElsewhere(spec: JobSpec, output: string): Promise<string>;
  stop(): Promise<void>;
}

function envOf(ex: {
  template?: { containers?: { env?: { name?: string | null; value?: string | null }[] | null }[] | null } | null;
}) {
  const env = new Map<string, string>();
  for (const e of ex.template?.containers?.[0]?.env ?? []) env.set(e.name ?? '', e.value ?? '');
  return env;
}

const identity = (env: Map<string, string>) => ({
  jobId: env.get('VERITY_JOB_ID') ?? '',
  attempt: Number(env.get('VERITY_ATTEMPT') ?? '0'),
});
const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);

/** The job and attempt a RunJob request starts (its container overrides' VERITY_JOB_ID, VERITY_ATTEMPT). */
export function runJobSubject(request: unknown): { subject: string | null; attempt?: number } {
  const overrides = (
    request as { overrides?: { containerOverrides?: { env?: { name?: string; value?: string }[] }[] } }
  )?.overrides;
  const env = new Map<string, string>();
  for (const c of overrides?.containerOverrides ?? [])
    for (const e of c.env ?? []) env.set(e.name ?? '', e.value ?? '');
  const jobId = env.get(ENV_JOB_ID) ?? null;
  const attempt = Number(env.get(ENV_ATTEMPT));
  return jobId === null ? { subject: null } : { subject: jobId, ...(Number.isInteger(attempt) ? { attempt } : {}) };
}

/**
 * The fake's record of every execution, as ground truth: created (start), canceled, completed (exit). An
 * execution the app started is its attached job's first attempt (`attachedJob`: execution → job).
 */
export function executionTruth(
  executions: Iterable<protos.google.cloud.run.v2.IExecution>,
  attachedJob: (execution: string) => string | undefined = () => undefined,
): TruthRecord[] {
  const out: TruthRecord[] = [];
  for (const ex of executions) {
    const env = envOf(ex);
    // an execution the app started that no job attached (the workload's attach failed, and says so) is the app's
    if (env.has(APP_SPEC) && attachedJob(ex.name ?? '') === undefined) continue;
    const app = env.has(APP_SPEC) ? { jobId: attachedJob(ex.name ?? '')!, attempt: 1 } : null;
    const e = { executor: 'cloud-run' as const, ...(app ?? identity(env)), exec: ex.name ?? '' };
    out.push({ t: 'start', ...e, at: ms(ex.createTime) });
    if (!ex.completionTime) continue;
    const outcome =
      ex.conditions?.[0]?.executionReason === 'CANCELLED' ? 'canceled' : (ex.conditions?.[0]?.state ?? '');
    if (outcome === 'canceled') out.push({ t: 'cancel', ...e, at: ms(ex.completionTime) });
    out.push({ t: 'exit', ...e, at: ms(ex.completionTime), outcome: String(outcome) });
  }
  return out;
}

export async function startCloudRun(o: {
  port: number;
  storage: Storage;
  rng: Rng;
  errorRate: number;
  specOf(jobId: string): JobSpec | undefined;
  /** The spec of an execution the app started (its SOAK_SPEC), and the job that attached it once known. */
  specAt(index: number): JobSpec | undefined;
  attachedJob(execution: string): string | undefined;
  record(f: FaultRecord): void;
  active(): boolean;
  /** How a reporting container sends its worker updates (the emulator's REST publish). */
  transport: Transport;
  truth(r: TruthRecord): void;
}): Promise<CloudRunDriver> {
  const fake = await startFakeCloudRun({ port: o.port });
  fake.addJob(SOAK_CLOUD_RUN_JOB);
  fake.addJob(SOAK_STITCH_JOB);
  fake.addJob(SOAK_ADOPT_JOB);
  const busy = new Set<string>();
  /** Per execution: its reporter, or null for a silent container. A lost report is the message faults' job. */
  const reporters = new Map<string, WorkerReporter | null>();
  const reporterOf = (name: string, env: Map<string, string>): WorkerReporter | null => {
    if (!reporters.has(name)) {
      const jobId = env.get('VERITY_JOB_ID') ?? '';
      const attempt = Number(env.get('VERITY_ATTEMPT') ?? '1');
      const reports = !name.startsWith(`${SOAK_STITCH_JOB}/`) && o.rng.chance(0.75);
      reporters.set(name, jobId && reports ? createReporter(jobId, attempt, o.transport) : null);
      void reporters
        .get(name)
        ?.reportStarted()
        .catch(() => undefined);
    }
    return reporters.get(name)!;
  };
  // per call: UNAVAILABLE at the error rate, a slow answer (1–4 s) at half of it; a RunJob's fault is recorded
  // against the job and attempt its overrides name (the verdict excepts that attempt from never dispatched)
  fake.chaos = (method, request) => {
    if (!o.active()) return null;
    const about = method === 'RunJob' ? runJobSubject(request) : { subject: null };
    if (o.rng.chance(o.errorRate)) {
      o.record({ kind: 'cloud-run-unavailable', at: Date.now(), ...about });
      return { code: grpc.status.UNAVAILABLE };
    }
    if (o.rng.chance(o.errorRate / 2)) {
      o.record({ kind: 'cloud-run-slow', at: Date.now(), ...about });
      return { delayMs: o.rng.int(1000, 4000) };
    }
    return null;
  };
  const tick = async (): Promise<void> => {
    for (const [name, ex] of fake.executions) {
      if (ex.completionTime || busy.has(name)) continue;
      const env = envOf(ex);
      const reporter = reporterOf(name, env);
      const byApp = env.has(APP_SPEC);
      const spec = byApp ? o.specAt(Number(env.get(APP_SPEC))) : o.specOf(env.get('VERITY_JOB_ID') ?? '');
      const started = Number(ex.createTime?.seconds ?? 0) * 1000;
      // a job the workload has not yet heard of (its 201 still retried through faults) is not failed for it
      const known = spec !== undefined && (!byApp || o.attachedJob(name) !== undefined);
      if (!known && Date.now() - started < 60_000) continue;
      if (Date.now() - started < (spec?.durationMs ?? 1000)) continue;
      busy.add(name);
      try {
        if (spec?.outcome === 'succeeded') {
          const outputs = byApp
            ? [env.get(APP_OUTPUT) ?? '']
            : (JSON.parse(env.get('VERITY_OUTPUTS') ?? '[]') as string[]);
          for (const uri of outputs) {
            const loc = parseGcsUri(uri);
            if (!loc) continue;
            const file = o.storage.bucket(loc.bucket).file(loc.name);
            await file.save('cloud run render\n', { resumable: false });
            const { jobId, attempt } = byApp ? { jobId: o.attachedJob(name) ?? '', attempt: 1 } : identity(env);
            o.truth({
              t: 'output',
              at: Date.now(),
              writer: 'cloud-run',
              uri,
              generation: String(file.metadata.generation),
              jobId,
              attempt,
            });
          }
        }
        if (!fake.executions.get(name)?.completionTime) {
          const ok = spec?.outcome === 'succeeded';
          await (
            ok
              ? reporter?.reportSucceeded()
              : reporter?.reportFailed({ code: 'RENDER_FAILED', message: 'the soak plan fails this render' })
          )?.catch(() => undefined);
          fake.complete(name, ok ? 'succeeded' : 'failed');
        }
      } catch {
        // canceled meanwhile, or GCS hiccup: the next tick looks again
      } finally {
        busy.delete(name);
      }
    }
  };
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void tick().finally(() => (running = false));
  }, 200);
  const { jobsClient } = createCloudRunClients({ endpoint: fake.endpoint });
  return {
    fake,
    async startElsewhere(spec, output) {
      const env = [
        { name: APP_SPEC, value: String(spec.index) },
        { name: APP_OUTPUT, value: output },
      ];
      // the app's own RunJob meets the same Cloud Run faults: it tries again, as an app would
      for (let i = 0; ; i++) {
        try {
          const [op] = await jobsClient.runJob({ name: SOAK_ADOPT_JOB, overrides: { containerOverrides: [{ env }] } });
          const name = (op.metadata as { name?: string } | undefined)?.name;
          if (name) return name;
          throw new Error('RunJob answered no execution name');
        } catch (err) {
          if (i >= 5) throw err;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    },
    async stop() {
      clearInterval(timer);
      await fake.stop();
    },
  };
}
