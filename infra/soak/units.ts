/**
 * The soak's stack: the local stack's functions (infra/local/functions.ts), each in its own process on the
 * emulators, supervised (a killed one is started again, as Cloud Run starts a new instance), each
 * incarnation with its own fault plan; push deliveries and webhooks through fault proxies; short deadlines.
 */
import { join } from 'node:path';
import type { Server } from 'node:http';
import { s3BucketOf, startStack, type FunctionSpec, type Stack } from '../local/stack.js';
import type { SoakConfig } from './config.js';
import { SOAK_ADOPT_JOB, SOAK_CLOUD_RUN_JOB, SOAK_STITCH_JOB } from './cloud-run.js';
import { startGcsFaultProxy } from './gcs-proxy.js';
import { startFaultProxy, type FaultRecord } from './proxy.js';
import { rng, streamSeed } from './plan.js';

export const SOAK_PROJECT = 'verity-soak';
export const SOAK_BUCKET = 'verity-soak';
export const SOAK_SECRET = 'soak-local-jwt-secret-0123456789';
/** The deploy units the soak kills (the demo provider is a third party: it is not ours to kill). */
export const UNITS = ['api', 'objectFinalized', 'jobUpdates', 'sweep', 'webhooks'] as const;

/** Short deadlines, so the soak ends in minutes (the queue timeout leaves room for a few lost starts). */
const POLICY = {
  queueTimeoutSeconds: 40,
  runTimeoutSeconds: 20,
  heartbeatTimeoutSeconds: 6,
  outputGraceSeconds: 4,
  // the shortest grace the policy allows: a GCS outage holds a deadline at most this long
  probeFailureGraceSeconds: 60,
  maxAttempts: 2,
  backoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 4, jitter: 0.2 },
};
/** Work that never reports (seeds 000/003/004): alive by its executor's word, looked at by age every 3 s. */
const SILENT_POLICY = { ...POLICY, heartbeatTimeoutSeconds: null, liveness: 'executor', probeEverySeconds: 3 };
const s3 = (name: string): string => `s3://${s3BucketOf(SOAK_BUCKET)}/provider/${name}`;
/**
 * How long the workload follows one job before it moves on: well past the longest a job may take under POLICY
 * (every attempt timing out and held, the backoffs, a cancel's grace). The verdict judges each job by its own
 * bound (bounds.ts); this only keeps the workload from waiting forever.
 */
export const JOB_BOUND_MS = (2 * (40 + 20 + 4 + 60 + 10) + 10 + 60 + 60) * 1000;
/**
 * The sweep's lease, below the soak's 2 s sweep interval as the default 30 s is below Cloud Scheduler's minute:
 * a killed sweep's leases lapse before the next sweep (with 30 s, each sweep kill kept ~16 jobs from it).
 */
export const SWEEP_LEASE_MS = 1_500;

export interface SoakPorts {
  api: number;
  finalize: number;
  updates: number;
  sweep: number;
  webhooks: number;
  provider: number;
  cloudRun: number;
  finalizeProxy: number;
  updatesProxy: number;
  webhooksProxy: number;
  gcsProxy: number;
}

export function soakPorts(base: number): SoakPorts {
  const names = ['api', 'finalize', 'updates', 'sweep', 'webhooks', 'provider', 'cloudRun'] as const;
  const more = ['finalizeProxy', 'updatesProxy', 'webhooksProxy', 'gcsProxy'] as const;
  return Object.fromEntries([...names, ...more].map((n, i) => [n, base + i])) as unknown as SoakPorts;
}

/** The ground truth's files (infra/local/truth-log.ts), one per kind of writer, in the run's log folder. */
export const truthFiles = (dir: string) => ({
  requests: join(dir, 'requests.jsonl'),
  local: join(dir, 'local.jsonl'),
  provider: join(dir, 'provider.jsonl'),
  cloudRun: join(dir, 'cloud-run.jsonl'),
  external: join(dir, 'external.jsonl'),
});

export function soakJobTypes(
  ports: SoakPorts,
  stateRoot: string,
  truthDir: string,
  s3Port: number,
): Record<string, unknown> {
  return {
    'demo-render': {
      executor: {
        kind: 'local-process',
        // configuration, not a request, names the command: the demo worker, recording its own starts and exits
        command: [
          process.execPath,
          join(stateRoot, 'dist/infra/local/demo-worker.js'),
          `--truth=${truthFiles(truthDir).local}`,
        ],
      },
      outputTemplates: ['gs://{bucket}/renders/{jobId}.mp4'],
      policy: POLICY,
    },
    'soak-cloud-run': {
      executor: { kind: 'cloud-run-job', job: SOAK_CLOUD_RUN_JOB },
      outputTemplates: ['gs://{bucket}/cr/{jobId}.mp4'],
      outputsFromRequest: false,
      policy: POLICY,
    },
    // seed 000: a Cloud Run stitcher that never reports, alive while its execution runs
    'soak-stitch': {
      executor: { kind: 'cloud-run-job', job: SOAK_STITCH_JOB },
      outputTemplates: ['gs://{bucket}/stitched/{jobId}.mp4'],
      outputsFromRequest: false,
      policy: SILENT_POLICY,
    },
    // issue 30: the app's own renderer, started by the app; Verity attaches each execution and tracks it
    'soak-adopt': {
      executor: { kind: 'cloud-run-job', job: SOAK_ADOPT_JOB },
      requestPrefixes: ['gs://{bucket}/adopted/'],
      policy: SILENT_POLICY,
    },
    'demo-provider': {
      executor: {
        kind: 'http',
        provider: 'demo',
        baseUrl: `http://127.0.0.1:${ports.provider}`,
        outputTemplates: ['gs://{bucket}/provider/{externalJobId}_output_0.mp4'],
      },
      outputsFromRequest: false,
      policy: POLICY,
    },
    // seeds 003/004: the demo provider under /s3 uploads to the stack's S3-compatible store
    'soak-voice': {
      executor: {
        kind: 'http',
        provider: 'demo-s3',
        baseUrl: `http://127.0.0.1:${ports.provider}/s3`,
        outputTemplates: [
          {
            anyOf: [s3(`{externalJobId}_output_0.mp4`), s3(`{externalJobId}.mp4`)],
            reported: `http://127.0.0.1:${s3Port}/${s3BucketOf(SOAK_BUCKET)}/provider/{externalJobId}_*.mp4`,
          },
        ],
      },
      outputsFromRequest: false,
      policy: SILENT_POLICY,
    },
    external: { executor: { kind: 'external' }, policy: POLICY },
  };
}

export interface SoakStack {
  stack: Stack;
  ports: SoakPorts;
  proxies: Server[];
  /** The units' environment (the emulators, the job types, the secret): a CLI run's. */
  unitEnv: Record<string, string>;
}

/** The app's own project (issue 30): its records, which the workload's imports read and write back to. */
export const SOAK_APP_PROJECT = 'verity-soak-app';

export async function startSoakStack(o: {
  cfg: SoakConfig;
  repoRoot: string;
  logDir: string;
  stateDir: string;
  truthDir: string;
  faultLog: string;
  record(f: FaultRecord): void;
  faultsActive(): boolean;
  delivered(): void;
}): Promise<SoakStack> {
  const ports = soakPorts(o.cfg.ports.base);
  // the local stack's function list, on the soak's ports (functions.ts reads them at import)
  Object.assign(process.env, {
    VERITY_PORT: String(ports.api),
    VERITY_FINALIZE_PORT: String(ports.finalize),
    VERITY_UPDATES_PORT: String(ports.updates),
    VERITY_SWEEP_PORT: String(ports.sweep),
    VERITY_WEBHOOKS_PORT: String(ports.webhooks),
    VERITY_DEMO_PROVIDER_PORT: String(ports.provider),
  });
  const { LOCAL_FUNCTIONS, LOCAL_FUNCTION_ENV } = await import('../local/functions.js');
  const proxyRng = rng(streamSeed(o.cfg.seed, 'messages'));
  const proxy = (name: string, port: number, target: number): Promise<Server> =>
    startFaultProxy({
      name,
      port,
      target: `http://127.0.0.1:${target}`,
      rates: o.cfg.messageRates,
      rng: proxyRng,
      record: o.record,
      active: o.faultsActive,
      delivered: o.delivered,
    });
  const proxies = await Promise.all([
    proxy('finalize', ports.finalizeProxy, ports.finalize),
    proxy('updates', ports.updatesProxy, ports.updates),
    proxy('webhook', ports.webhooksProxy, ports.webhooks),
    startGcsFaultProxy({
      port: ports.gcsProxy,
      target: `http://127.0.0.1:${o.cfg.ports.gcs}`,
      errorRate: o.cfg.gcsErrorRate,
      rng: rng(streamSeed(o.cfg.seed, 'gcs')),
      record: o.record,
      active: o.faultsActive,
    }),
  ]);
  const via: Record<string, number> = { objectFinalized: ports.finalizeProxy, jobUpdates: ports.updatesProxy };
  const unitEnv = soakUnitEnv(o, ports, LOCAL_FUNCTION_ENV);
  const points = ['after-commit', 'after-effect', 'mid-publish', 'mid-sweep'];
  const stack = await startStack({
    repoRoot: o.repoRoot,
    ports: { api: ports.api, ...o.cfg.ports },
    project: SOAK_PROJECT,
    bucket: SOAK_BUCKET,
    logDir: o.logDir,
    functions: LOCAL_FUNCTIONS,
    functionOutput: 'files',
    restartFunctions: { restartDelayMs: 300 },
    pushVia: (spec: FunctionSpec) => (via[spec.target] ? `http://127.0.0.1:${via[spec.target]}` : undefined),
    incarnationEnv: (spec, n): Record<string, string> =>
      spec.target === 'demoProvider'
        ? { DEMO_PROVIDER_TRUTH_LOG: truthFiles(o.truthDir).provider }
        : (UNITS as readonly string[]).includes(spec.target) && o.cfg.pointRate > 0
          ? {
              VERITY_FAULTS: JSON.stringify({
                seed: streamSeed(o.cfg.seed, `${spec.target}#${n}`),
                points: Object.fromEntries(points.map((p) => [p, o.cfg.pointRate])),
                log: o.faultLog,
                label: `${spec.target}#${n}`,
              }),
            }
          : {},
    extraEnv: unitEnv,
  });
  // what an admin's CLI run needs to act as the units do (`verity import`: the workload's imports)
  return { stack, ports, proxies, unitEnv: { ...stack.env, ...unitEnv } };
}

function soakUnitEnv(
  o: { cfg: SoakConfig; repoRoot: string; stateDir: string; truthDir: string },
  ports: SoakPorts,
  localEnv: Record<string, string>,
) {
  return {
    ...localEnv,
    VERITY_JOB_TYPES: JSON.stringify(soakJobTypes(ports, o.repoRoot, o.truthDir, o.cfg.ports.s3)),
    // the units' probes go through the GCS fault proxy (the soak itself and the bucket's set-up do not)
    VERITY_GCS_ENDPOINT: `http://127.0.0.1:${ports.gcsProxy}`,
    VERITY_CLOUD_RUN_ENDPOINT: `127.0.0.1:${ports.cloudRun}`,
    VERITY_WEBHOOK_BASE_URL: `http://127.0.0.1:${ports.webhooksProxy}`,
    VERITY_LOCAL_JWT_SECRET: SOAK_SECRET,
    VERITY_STATE_DIR: o.stateDir,
    VERITY_LOG_LEVEL: o.cfg.logLevel,
    VERITY_MAX_ACTIVE_JOBS: '10000',
    VERITY_SWEEP_LEASE_MS: String(SWEEP_LEASE_MS),
    VERITY_PROBES_PER_MINUTE: '100000',
    DEMO_PROVIDER_DROP_RATE: '0.3',
    DEMO_PROVIDER_DURATION_MS: '800',
  };
}
