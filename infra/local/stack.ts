/**
 * The whole local stack: Firestore + Pub/Sub emulators, fake-gcs-server, the bucket and topics, and each
 * function under functions-framework (one process per function), wired together by env.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  createBucket,
  createTopic,
  startFakeGcs,
  startFakeS3,
  startFirestore,
  startPubsub,
  type RunningService,
} from './emulators.js';
import { sleep, spawnManaged, tcpProbe, waitUntilReady, type ManagedProcess, type ProcessExit } from './supervisor.js';
import { TOPICS as UNIT_TOPICS } from '../../functions/units.js';
import { LOCAL_HOST, PORT_LABELS, PORT_NAMES, type PortName, type StackPorts } from './ports.js';
import { checkPrerequisites, ensureFakeGcs, ensureGoTool, GOFAKES3, portProblem } from './tools.js';
import { functionArgs, resolveSource, wirePush } from './push.js';
import type { FunctionSpec } from './function-spec.js';

export const LOCAL_PROJECT = 'verity-local';
export const LOCAL_BUCKET = 'verity-local';
export const TOPIC_JOB_UPDATES = UNIT_TOPICS.jobUpdates;
export const TOPIC_GCS_NOTIFICATIONS = UNIT_TOPICS.gcsNotifications;
export const TOPIC_JOB_EVENTS = UNIT_TOPICS.jobEvents;
export const TOPICS = [TOPIC_JOB_UPDATES, TOPIC_GCS_NOTIFICATIONS, TOPIC_JOB_EVENTS] as const;

export type { FunctionSpec } from './function-spec.js';

/** The S3-compatible store's bucket beside the stack's Cloud Storage bucket, and the keys it is given. */
export const s3BucketOf = (bucket: string): string => `${bucket}-s3`;
const LOCAL_S3_KEYS = { VERITY_LOCAL_S3_KEY: 'verity-local', VERITY_LOCAL_S3_SECRET: 'verity-local-secret' };

export interface StackOptions {
  repoRoot: string;
  ports: StackPorts;
  project: string;
  bucket: string;
  logDir: string;
  functions: readonly FunctionSpec[];
  /** Env var names overriding each port, for messages (e.g. PORT_ENV). */
  portEnv?: Readonly<Record<PortName, string>>;
  /** 'console': function output prefixed "[target] " on stdout/stderr; 'files': <logDir>/fn-<target>.log. */
  functionOutput?: 'console' | 'files';
  /** Extra env for every function (after the stack's own). */
  extraEnv?: Record<string, string>;
  readyTimeoutMs?: number;
  /**
   * Supervise the functions as Cloud Run does its instances: one that exits (killed, crashed) is started
   * again after `restartDelayMs`, on the same port, instead of ending the stack.
   */
  restartFunctions?: { restartDelayMs: number };
  /** Env of one incarnation (1, 2, …) of a function, after everything else (e.g. a fault plan per instance). */
  incarnationEnv?: (spec: FunctionSpec, incarnation: number) => Record<string, string>;
  /** Where a push subscription delivers instead of its function (a proxy in front of it); undefined: the function. */
  pushVia?: (spec: FunctionSpec) => string | undefined;
  /** Aborting stops whatever has started (checked between phases) and rejects with StackStartError. */
  signal?: AbortSignal;
}

export interface Stack {
  /** What a client process needs to talk to the stack. */
  env: Record<string, string>;
  firestore: RunningService;
  pubsub: RunningService;
  gcs: RunningService;
  /** gofakes3: the S3-compatible store, bucket s3BucketOf(bucket). */
  s3: RunningService;
  functions: { target: string; url: string }[];
  /** Resolves with a message when any part of the stack exits without stop() having been called. */
  died: Promise<string>;
  /** SIGKILLs the current process of a function (restarted when `restartFunctions`); false when none runs. */
  kill(target: string): boolean;
  /** How many times each function was started again. */
  restarts: Record<string, number>;
  stop(): Promise<void>;
}

/** Startup failed; each problem is one clear line. Nothing started is left running. */
export class StackStartError extends Error {
  override name = 'StackStartError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

async function preflight(o: StackOptions): Promise<string[]> {
  const host = LOCAL_HOST;
  const ports: { port: number; what: string; env?: string }[] = PORT_NAMES.filter((n) => n !== 'api').map((n) => ({
    port: o.ports[n],
    what: PORT_LABELS[n],
    env: o.portEnv?.[n],
  }));
  for (const f of o.functions) ports.push({ port: f.port, what: `function ${f.target}`, env: f.portEnv });
  const seen = new Map<number, string>();
  const problems: string[] = [];
  for (const p of ports) {
    const other = seen.get(p.port);
    if (other) problems.push(`port ${p.port} is configured for both ${other} and ${p.what} — give each its own port`);
    seen.set(p.port, p.what);
  }
  const [prereqs, portProblems] = await Promise.all([
    checkPrerequisites({ repoRoot: o.repoRoot }),
    Promise.all(ports.map((p) => portProblem(host, p.port, p.what, p.env))),
  ]);
  problems.push(...prereqs.map((p) => p.message));
  for (const p of portProblems) if (p) problems.push(p);
  for (const f of o.functions) {
    const src = resolveSource(o.repoRoot, f.source);
    if (!existsSync(src))
      problems.push(`function ${f.target}: ${src} does not exist — build first (npx tsc -p tsconfig.json)`);
  }
  return [...new Set(problems)];
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function startStack(o: StackOptions): Promise<Stack> {
  const host = LOCAL_HOST;
  const problems = await preflight(o);
  if (problems.length > 0) throw new StackStartError(problems);
  mkdirSync(o.logDir, { recursive: true });

  const stoppers: (() => Promise<void>)[] = [];
  let stopping = false;
  let reportDeath: (message: string) => void = () => undefined;
  const died = new Promise<string>((res) => (reportDeath = res));
  const watch = (what: string, exited: Promise<ProcessExit>, logFile: string | undefined): void => {
    void exited.then((e) => {
      if (stopping) return;
      const how = e.signal ? `signal ${e.signal}` : `exit code ${String(e.code)}`;
      reportDeath(`${what} exited unexpectedly (${how})${logFile ? ` — see ${logFile}` : ''}`);
    });
  };
  const stopAll = async (): Promise<void> => {
    stopping = true;
    // functions first (they talk to the emulators), then the services, in parallel
    const fns = stoppers.splice(0).reverse();
    for (const stop of fns) await stop().catch(() => undefined);
  };
  const abortIfAsked = (): void => {
    if (o.signal?.aborted) throw new StackStartError(['startup interrupted']);
  };

  try {
    const [binary, s3Binary] = await Promise.all([ensureFakeGcs(o.repoRoot), ensureGoTool(o.repoRoot, GOFAKES3)]).catch(
      (err: unknown) => {
        throw new StackStartError([errorMessage(err)]);
      },
    );
    abortIfAsked();
    const base = { host, logDir: o.logDir, timeoutMs: o.readyTimeoutMs, signal: o.signal };
    const pubsubHost = `${host}:${o.ports.pubsub}`;
    const started = await Promise.allSettled([
      startFirestore({ ...base, port: o.ports.firestore }),
      startPubsub({ ...base, port: o.ports.pubsub, project: o.project }),
      startFakeGcs({
        ...base,
        port: o.ports.gcs,
        binary,
        project: o.project,
        pubsubHost,
        topic: TOPIC_GCS_NOTIFICATIONS,
        backend: 'memory',
      }),
      startFakeS3({ ...base, port: o.ports.s3, binary: s3Binary, bucket: s3BucketOf(o.bucket) }),
    ]);
    const services: RunningService[] = [];
    const failures: string[] = [];
    for (const r of started) {
      if (r.status === 'fulfilled') services.push(r.value);
      else failures.push(errorMessage(r.reason));
    }
    const group = async (): Promise<void> => {
      await Promise.all(services.map((s) => s.stop()));
    };
    stoppers.push(group);
    if (failures.length > 0) throw new StackStartError(failures);
    const [firestore, pubsub, gcs, s3] = services as [RunningService, RunningService, RunningService, RunningService];
    for (const s of services) watch(s.name, s.exited, s.logFile);
    abortIfAsked();

    await Promise.all(TOPICS.map((t) => createTopic(pubsub.hostPort, o.project, t)));
    await createBucket(gcs.url, o.bucket, o.project);

    const env: Record<string, string> = {
      GOOGLE_CLOUD_PROJECT: o.project,
      FIRESTORE_EMULATOR_HOST: firestore.hostPort,
      PUBSUB_EMULATOR_HOST: pubsub.hostPort,
      VERITY_GCS_ENDPOINT: gcs.url,
      VERITY_BUCKET: o.bucket,
      METADATA_SERVER_DETECTION: 'none',
      VERITY_PROFILE: 'local',
      // outputs may lie in the S3-compatible store, as s3:// objects or at their http:// URLs
      VERITY_S3_STORES: JSON.stringify({
        [s3BucketOf(o.bucket)]: {
          endpoint: s3.url,
          region: 'us-east-1',
          forcePathStyle: true,
          accessKeyIdEnv: 'VERITY_LOCAL_S3_KEY',
          secretAccessKeyEnv: 'VERITY_LOCAL_S3_SECRET',
        },
      }),
      VERITY_HTTP_OUTPUT_HOSTS: JSON.stringify({ [s3.hostPort]: {} }),
      ...LOCAL_S3_KEYS,
    };
    const api = o.functions.find((f) => f.target === 'api');
    if (api) env.VERITY_API_URL = `http://${host}:${api.port}`;

    // every function listens on the loopback host only (functions-framework's own main binds every interface)
    const restarts: Record<string, number> = {};
    const spawnFunction = (spec: FunctionSpec, incarnation: number): ManagedProcess =>
      spawnManaged(`fn-${spec.target}`, process.execPath, functionArgs(o.repoRoot, spec, host), {
        cwd: o.repoRoot,
        env: { ...process.env, ...env, ...spec.env, ...o.extraEnv, ...o.incarnationEnv?.(spec, incarnation) },
        output:
          o.functionOutput === 'console'
            ? { kind: 'prefix', prefix: spec.target }
            : { kind: 'file', path: join(o.logDir, `fn-${spec.target}.log`), append: incarnation > 1 },
      });
    const procs: { spec: FunctionSpec; proc: ManagedProcess }[] = o.functions.map((spec) => ({
      spec,
      proc: spawnFunction(spec, 1),
    }));
    const supervise = (entry: { spec: FunctionSpec; proc: ManagedProcess }): void => {
      void entry.proc.exited.then(async () => {
        if (stopping || !o.restartFunctions) return;
        await sleep(o.restartFunctions.restartDelayMs);
        if (stopping) return;
        const n = (restarts[entry.spec.target] ?? 0) + 1;
        restarts[entry.spec.target] = n;
        entry.proc = spawnFunction(entry.spec, n + 1);
        supervise(entry);
      });
    };
    const stopFunctions = async (): Promise<void> => {
      await Promise.all(procs.map((p) => p.proc.stop()));
    };
    stoppers.push(stopFunctions);
    const ready = await Promise.allSettled(
      procs.map(({ spec, proc }) =>
        waitUntilReady(() => tcpProbe(host, spec.port), {
          what: `function ${spec.target}`,
          where: `${host}:${spec.port}`,
          timeoutMs: o.readyTimeoutMs ?? 60_000,
          proc,
          signal: o.signal,
        }),
      ),
    );
    for (const entry of procs) {
      if (o.restartFunctions) supervise(entry);
      else watch(`function ${entry.spec.target}`, entry.proc.exited, entry.proc.logFile);
    }
    const fnFailures = ready.flatMap((r) => (r.status === 'rejected' ? [errorMessage(r.reason)] : []));
    if (fnFailures.length > 0) throw new StackStartError(fnFailures);
    abortIfAsked();

    // push subscriptions with the cloud's dead-letter topics and delivery limit
    for (const { spec } of procs) await wirePush(pubsub.hostPort, o.project, host, spec, o.pushVia?.(spec));

    return {
      env,
      firestore,
      pubsub,
      gcs,
      s3,
      functions: o.functions.map((f) => ({ target: f.target, url: `http://${host}:${f.port}` })),
      died,
      stop: stopAll,
      restarts,
      kill(target) {
        const entry = procs.find((p) => p.spec.target === target);
        if (!entry || entry.proc.hasExited()) return false;
        try {
          process.kill(-entry.proc.pid, 'SIGKILL');
          return true;
        } catch {
          return false; // exited meanwhile
        }
      },
    };
  } catch (err) {
    await stopAll();
    throw err instanceof StackStartError ? err : new StackStartError([errorMessage(err)]);
  }
}
