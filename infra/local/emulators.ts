/**
 * The real local services (Firestore emulator, Pub/Sub emulator, fake-gcs-server), each started as a
 * supervised child process (supervisor.ts) and waited for until it answers, plus the REST helpers to set them
 * up (topics, push and pull subscriptions, buckets, wiping Firestore).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { httpProbe, spawnManaged, waitUntilReady, type ProcessExit } from './supervisor.js';

// ---------------------------------------------------------------------------------------------------
// Services

export interface RunningService {
  name: string;
  /** host:port, the value of FIRESTORE_EMULATOR_HOST / PUBSUB_EMULATOR_HOST. */
  hostPort: string;
  /** http://host:port */
  url: string;
  logFile: string;
  /** Resolves when the service's process exits (expectedly or not). */
  exited: Promise<ProcessExit>;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  host: string;
  port: number;
  logDir: string;
  /** Readiness timeout; default 120 s (two JVMs starting at once on a small CI machine are slow). */
  timeoutMs?: number | undefined;
  /** Aborting while waiting for readiness stops the process and rejects. */
  signal?: AbortSignal | undefined;
}

const DEFAULT_READY_TIMEOUT_MS = 120_000;

async function startService(
  name: string,
  what: string,
  o: ServiceOptions,
  command: string,
  args: string[],
  probe: (url: string) => Promise<boolean>,
  env?: NodeJS.ProcessEnv,
): Promise<RunningService> {
  mkdirSync(o.logDir, { recursive: true });
  const logFile = join(o.logDir, `${name}.log`);
  const hostPort = `${o.host}:${o.port}`;
  const url = `http://${hostPort}`;
  const proc = spawnManaged(name, command, args, {
    env: { ...process.env, CLOUDSDK_CORE_DISABLE_PROMPTS: '1', ...env },
    output: { kind: 'file', path: logFile },
    stopLeavesFirst: command === 'gcloud',
  });
  try {
    await waitUntilReady(() => probe(url), {
      what,
      where: hostPort,
      timeoutMs: o.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
      proc,
      signal: o.signal,
    });
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { name, hostPort, url, logFile, exited: proc.exited, stop: () => proc.stop() };
}

/** `gcloud emulators firestore start --host-port=H:P`; ready when GET / answers "Ok". */
export function startFirestore(o: ServiceOptions): Promise<RunningService> {
  return startService(
    'firestore',
    'Firestore emulator',
    o,
    'gcloud',
    ['emulators', 'firestore', 'start', `--host-port=${o.host}:${o.port}`, '--quiet'],
    (url) => httpProbe(`${url}/`, (s, body) => s === 200 && body.trim() === 'Ok'),
  );
}

/** `gcloud beta emulators pubsub start --host-port=H:P --project=P`; ready when listing topics answers 200. */
export function startPubsub(o: ServiceOptions & { project: string }): Promise<RunningService> {
  // our own data dir (gcloud writes env.yaml there) keeps concurrent runs from sharing ~/.config/gcloud
  const dataDir = join(o.logDir, 'pubsub-data');
  mkdirSync(dataDir, { recursive: true });
  return startService(
    'pubsub',
    'Pub/Sub emulator',
    o,
    'gcloud',
    [
      'beta',
      'emulators',
      'pubsub',
      'start',
      `--host-port=${o.host}:${o.port}`,
      `--project=${o.project}`,
      `--data-dir=${dataDir}`,
      '--quiet',
    ],
    (url) => httpProbe(`${url}/v1/projects/${o.project}/topics`, (s) => s === 200),
  );
}

export interface FakeGcsOptions extends ServiceOptions {
  binary: string;
  /** Project and topic receiving the object notifications (the topic must exist before the first upload). */
  project: string;
  pubsubHost: string;
  topic: string;
  backend: 'memory';
  /** Default: finalize. */
  events?: string[];
}

/** fake-gcs-server over plain http, publishing object notifications to the Pub/Sub emulator. */
export function startFakeGcs(o: FakeGcsOptions): Promise<RunningService> {
  const hostPort = `${o.host}:${o.port}`;
  return startService(
    'fake-gcs',
    'fake-gcs-server',
    o,
    o.binary,
    [
      '-scheme',
      'http',
      '-host',
      o.host,
      '-port',
      String(o.port),
      '-backend',
      o.backend,
      '-external-url',
      `http://${hostPort}`,
      '-public-host',
      hostPort,
      '-event.pubsub-project-id',
      o.project,
      '-event.pubsub-topic',
      o.topic,
      '-event.list',
      (o.events ?? ['finalize']).join(','),
    ],
    (url) => httpProbe(`${url}/_internal/healthcheck`, (s) => s === 200),
    { PUBSUB_EMULATOR_HOST: o.pubsubHost },
  );
}

/** gofakes3 over plain http, in memory, with `bucket` made at start (and any other made on first use). */
export function startFakeS3(o: ServiceOptions & { binary: string; bucket: string }): Promise<RunningService> {
  return startService(
    'fake-s3',
    'gofakes3',
    o,
    o.binary,
    ['-backend', 'memory', '-host', `${o.host}:${o.port}`, '-initialbucket', o.bucket, '-autobucket', '-quiet'],
    (url) => httpProbe(`${url}/${o.bucket}/`, (s) => s < 500),
  );
}

// ---------------------------------------------------------------------------------------------------
// REST helpers (idempotent: "already exists" is success)

async function call(
  what: string,
  method: string,
  url: string,
  body?: unknown,
  okStatuses: number[] = [200],
): Promise<number> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new Error(`${what}: ${method} ${url} failed: ${(err as Error).message}`);
  }
  const text = await res.text();
  if (!okStatuses.includes(res.status))
    throw new Error(`${what}: ${method} ${url} answered ${res.status}: ${text.slice(0, 500)}`);
  return res.status;
}

/** PUT /v1/projects/P/topics/T. Names must be 3–255 chars starting with a letter, or the emulator answers 400. */
export async function createTopic(pubsubHostPort: string, project: string, topic: string): Promise<void> {
  await call(
    `create topic ${topic}`,
    'PUT',
    `http://${pubsubHostPort}/v1/projects/${project}/topics/${topic}`,
    undefined,
    [200, 409],
  );
}

/** After `maxDeliveryAttempts` failed deliveries the emulator publishes the message to `topic` and drops it. */
export interface DeadLetter {
  topic: string;
  maxDeliveryAttempts: number;
}

/**
 * A push subscription delivering raw Pub/Sub push bodies ({message, subscription}) to pushEndpoint; with
 * `deadLetter`, a dead-letter policy (the emulator honours it: checked by test/integration/local-push.test.ts).
 */
export async function createPushSubscription(
  pubsubHostPort: string,
  project: string,
  subscription: string,
  topic: string,
  pushEndpoint: string,
  deadLetter?: DeadLetter,
): Promise<void> {
  const deadLetterPolicy = deadLetter
    ? {
        deadLetterPolicy: {
          deadLetterTopic: `projects/${project}/topics/${deadLetter.topic}`,
          maxDeliveryAttempts: deadLetter.maxDeliveryAttempts,
        },
      }
    : {};
  await call(
    `create push subscription ${subscription}`,
    'PUT',
    `http://${pubsubHostPort}/v1/projects/${project}/subscriptions/${subscription}`,
    {
      topic: `projects/${project}/topics/${topic}`,
      pushConfig: { pushEndpoint },
      ackDeadlineSeconds: 30,
      ...deadLetterPolicy,
    },
    [200, 409],
  );
}

export async function createPullSubscription(
  pubsubHostPort: string,
  project: string,
  subscription: string,
  topic: string,
): Promise<void> {
  await call(
    `create subscription ${subscription}`,
    'PUT',
    `http://${pubsubHostPort}/v1/projects/${project}/subscriptions/${subscription}`,
    { topic: `projects/${project}/topics/${topic}` },
    [200, 409],
  );
}

/** POST /storage/v1/b?project=P with {name}; 409 (exists) is fine. */
export async function createBucket(gcsUrl: string, bucket: string, project = 'verity-local'): Promise<void> {
  await call(
    `create bucket ${bucket}`,
    'POST',
    `${gcsUrl}/storage/v1/b?project=${encodeURIComponent(project)}`,
    { name: bucket },
    [200, 409],
  );
}

/** Deletes every document of the project's (default) database. */
