/**
 * The local stack for the end-to-end tests: every deploy unit in its own functions-framework process (as
 * deployed) on the test harness's emulators — fake-gcs-server's finalize notifications and the workers' Pub/Sub
 * reports reach the functions through push subscriptions — with the local-process executor running the real
 * demo worker and a demo third-party provider that drops webhooks on demand.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Firestore } from '@google-cloud/firestore';
import { mintLocalToken } from '../../shared/src/auth/local-issuer.js';
import { createStorage } from '../../shared/src/evidence/storage.js';
import { JobStore } from '../../shared/src/store/job-store.js';
import { startDemoProvider, type DemoProvider } from '../../infra/local/demo-provider.js';
import { deleteSubscription, freePort, pushTo, startFunction, type FunctionProcess } from './processes.js';
import { requireEmulators, TEST_SECRET, uniqueName } from './runtime.js';
import { jsonCall, type JsonCall } from './json-call.js';

/** fake-gcs-server in the harness notifies this project's topic, so the end-to-end run uses it. */
export const PROJECT = process.env.GOOGLE_CLOUD_PROJECT ?? 'verity-test';
const PROVIDER_SECRET = 'e2e-provider-secret-0123456789';

export interface LocalStack {
  url: string;
  token: string;
  stateDir: string;
  bucket: string;
  storage: ReturnType<typeof createStorage>;
  /** Reads the ledger directly: proof that nobody's read (no reconcile-on-read) moved a job. */
  store: JobStore;
  provider: DemoProvider;
  fns: FunctionProcess[];
  call: JsonCall;
  /** How a local execution ended (its exit.json), or null while it runs. */
  exitOf(jobId: string, attempt?: number): { code: number | null; signal: string | null } | null;
  stop(): Promise<void>;
}

/** `dropWebhooks()`: whether the demo provider drops its webhooks right now. */
export async function startLocalStack(dropWebhooks: () => boolean = () => false): Promise<LocalStack> {
  const { firestore, gcs } = requireEmulators();
  const pubsubHost = process.env.PUBSUB_EMULATOR_HOST!;
  const subs: string[] = [];
  const bucket = uniqueName('verity-e2e');
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'verity-e2e-'));
  const storage = createStorage(PROJECT, gcs);
  await storage.createBucket(bucket);
  const apiPort = await freePort();
  const webhooksPort = await freePort();
  const url = `http://127.0.0.1:${apiPort}`;
  const provider = await startDemoProvider({
    port: 0,
    secret: PROVIDER_SECRET,
    bucket,
    gcsEndpoint: gcs,
    projectId: PROJECT,
    dropWebhookRate: 0.5,
    durationMs: 300,
    random: () => (dropWebhooks() ? 0 : 0.99),
  });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GOOGLE_CLOUD_PROJECT: PROJECT,
    FIRESTORE_EMULATOR_HOST: firestore,
    VERITY_GCS_ENDPOINT: gcs,
    VERITY_BUCKET: bucket,
    VERITY_PROFILE: 'local',
    VERITY_LOCAL_JWT_SECRET: TEST_SECRET,
    VERITY_STATE_DIR: stateDir,
    VERITY_API_URL: url,
    VERITY_WEBHOOK_BASE_URL: `http://127.0.0.1:${webhooksPort}`,
    VERITY_WEBHOOK_SECRETS: JSON.stringify({ demo: PROVIDER_SECRET }),
    VERITY_DEMO_PROVIDER_URL: provider.url,
    VERITY_LOG_LEVEL: 'warn',
    METADATA_SERVER_DETECTION: 'none',
    VERITY_JOB_TYPES: JSON.stringify({
      'provider-bare': { executor: { kind: 'http', provider: 'demo', baseUrl: provider.url } },
    }),
  };
  const fns = await Promise.all([
    startFunction('api', 'dist/functions/api/index.js', 'http', env, stateDir, apiPort),
    startFunction('objectFinalized', 'dist/functions/object-finalized/index.js', 'cloudevent', env, stateDir),
    startFunction('jobUpdates', 'dist/functions/job-updates/index.js', 'cloudevent', env, stateDir),
    startFunction('webhooks', 'dist/functions/webhooks/index.js', 'http', env, stateDir, webhooksPort),
  ]);
  const finalize = uniqueName('e2e-finalize');
  const updates = uniqueName('e2e-updates');
  subs.push(finalize, updates);
  await pushTo(pubsubHost, PROJECT, finalize, 'verity-gcs-notifications', fns[1]!);
  await pushTo(pubsubHost, PROJECT, updates, 'verity-job-updates', fns[2]!);
  const db = new Firestore({ projectId: PROJECT });
  const store = new JobStore({ db, clock: Date.now });
  const token = await mintLocalToken(TEST_SECRET, 'alice');
  return {
    url,
    token,
    stateDir,
    bucket,
    storage,
    store,
    provider,
    fns,
    call: jsonCall(url, token),
    exitOf(jobId, attempt = 1) {
      try {
        return JSON.parse(readFileSync(path.join(stateDir, 'executions', `${jobId}.${attempt}`, 'exit.json'), 'utf8'));
      } catch {
        return null;
      }
    },
    async stop() {
      for (const sub of subs) await deleteSubscription(pubsubHost, PROJECT, sub).catch(() => undefined);
      await Promise.all(fns.map((f) => f.proc.stop()));
      await provider.stop();
      await db.terminate();
    },
  };
}
