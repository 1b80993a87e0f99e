/** Wires the real clients from the environment. Each deploy unit builds one Runtime on first use. */
import { PubSub } from '@google-cloud/pubsub';
import type { Storage } from '@google-cloud/storage';
import { createOutbox, type EventPublisher } from './events/outbox.js';
import { createTempCleaner } from './evidence/temp.js';
import {
  createAuthenticator,
  credentialExpiry,
  mintWorkerCredential,
  workerKeyOf,
  type Authenticator,
} from './auth/index.js';
import type { Job } from './core/index.js';
import { parseEnv, type Env } from './config/env.js';
import { buildRegistry, storesOf, type JobTypeRegistry } from './config/job-types.js';
import { fillTemplate, parseGcsUri } from './evidence/gcs-uri.js';
import { checkpointMatcher } from './evidence/checkpoint-uri.js';
import { createExternalExecutor } from './evidence/executors/external.js';
import { createLocalProcessExecutor } from './evidence/executors/local-process.js';
import { createCloudRunClients, createCloudRunJobExecutor } from './evidence/executors/cloud-run-job.js';
import { createHttpProviderExecutor, httpProvidersOf } from './evidence/executors/http-provider.js';
import type { ExecutorSet } from './evidence/executors/types.js';
import { createGcsOutputProbe, type OutputProbe } from './evidence/outputs.js';
import { createHttpHead, createS3Head } from './evidence/store-probes.js';
import { outsideStores } from './evidence/stores.js';
import { createStorage } from './evidence/storage.js';
import { createLogger, type Logger } from './log.js';
import { JobsService } from './reconcile/jobs-service.js';
import type { DueStarts } from './reconcile/due-starts.js';
import { Reconciler } from './reconcile/reconciler.js';
import { OutputsService } from './reconcile/outputs-service.js';
import { WebhooksService } from './reconcile/webhooks-service.js';
import { Deliverer } from './reconcile/deliveries.js';
import { SubscriptionsService } from './reconcile/subscriptions-service.js';
import { BulkService } from './reconcile/bulk-service.js';
import { POST_LIMITS } from './webhooks/post.js';
import { Sweeper } from './reconcile/sweep.js';
import { StatsService } from './reconcile/stats-service.js';
import { ProjectFollower } from './projects/follow.js';
import { ProjectsService } from './projects/projects-service.js';
import { createFirestore } from './store/firestore.js';
import type { JobStore } from './store/job-store.js';
import { createLedger, type Ledger, type LedgerClient } from './store/ledger.js';

export interface Runtime {
  env: Env;
  /** Every store over the one Firestore client; `ledger.close()` ends the client. */
  ledger: Ledger;
  storage: Storage;
  registry: JobTypeRegistry;
  /** `ledger.jobs`. */
  store: JobStore;
  probe: OutputProbe;
  executors: ExecutorSet;
  pubsub: PubSub;
  outbox: EventPublisher;
  reconciler: Reconciler;
  jobs: JobsService;
  outputs: OutputsService;
  webhooks: WebhooksService;
  sweeper: Sweeper;
  /** The starts a dead process left, looked for by every committing unit but the sweep (due-starts.ts). */
  dueStarts: DueStarts;
  projects: ProjectsService;
  /** What recovered what (GET /api/stats/recoveries). */
  stats: StatsService;
  /** Outbound webhooks: the endpoints (API), and their deliveries (fan-out, first tries, the sweep's pass). */
  subscriptions: SubscriptionsService;
  deliveries: Deliverer;
  /** Bulk actions (API, CLI; the sweep carries running ones on). */
  bulks: BulkService;
  auth: Authenticator;
  log: Logger;
  clock: () => number;
}

export interface RuntimeOverrides {
  env?: Env;
  db?: LedgerClient;
  storage?: Storage;
  pubsub?: PubSub;
  clock?: () => number;
  random?: () => number;
  log?: Logger;
  newId?: () => string;
  executors?: ExecutorSet;
  /** Tests: who the callers are (e.g. Google mode with a stand-in for Google's verification). */
  authenticator?: Authenticator;
}

export function createRuntime(name: string, o: RuntimeOverrides = {}): Runtime {
  const env = o.env ?? parseEnv();
  const log = o.log ?? createLogger(name);
  const clock = o.clock ?? Date.now;
  const db = o.db ?? createFirestore(env.projectId, env.state);
  const storage = o.storage ?? createStorage(env.projectId, env.gcsEndpoint);
  const registry = buildRegistry(env);
  const ledger = createLedger(db, clock, o.random ? { random: o.random } : {});
  const store = ledger.jobs;
  // outputs in s3:// stores and at https:// URLs are probed only where configuration names them (stores.ts)
  const probe = createGcsOutputProbe(storage, {
    ...(Object.keys(env.s3Stores).length > 0 ? { s3: createS3Head(env.s3Stores) } : {}),
    ...(Object.keys(env.httpOutputHosts).length > 0
      ? { https: createHttpHead(env.httpOutputHosts, env.profile === 'local') }
      : {}),
  });
  const types = registry.names().map((n) => registry.get(n)!);
  const kinds = new Set(types.map((t) => t.executor.kind));
  /** The credential an execution reports with: this job's attempt only (auth/worker-credential.ts). */
  const credentialOf = (job: Job): string =>
    mintWorkerCredential(workerKeyOf(env), {
      jobId: job.id,
      attempt: job.attempt,
      ownerId: job.ownerId,
      exp: credentialExpiry(clock(), job.policy.queueTimeoutSeconds, job.policy.runTimeoutSeconds),
    });
  const executors: ExecutorSet = o.executors ?? {
    external: createExternalExecutor(),
    ...(kinds.has('cloud-run-job')
      ? {
          'cloud-run-job': createCloudRunJobExecutor({
            ...createCloudRunClients({ endpoint: env.cloudRunEndpoint, projectId: env.projectId }),
            credential: credentialOf,
          }),
        }
      : {}),
    ...(kinds.has('http')
      ? {
          http: createHttpProviderExecutor({
            providers: httpProvidersOf(types, env.providerKeys),
            callbackUrl: (provider) => `${env.webhookBaseUrl.replace(/\/$/, '')}/api/webhooks/${provider}`,
            bucket: env.bucket,
          }),
        }
      : {}),
    ...(env.profile === 'local'
      ? {
          'local-process': createLocalProcessExecutor({
            stateDir: env.stateDir,
            workerEnv: async (job, type) => ({
              VERITY_JOB_ID: job.id,
              VERITY_ATTEMPT: String(job.attempt),
              VERITY_INPUT: JSON.stringify(job.input),
              VERITY_OUTPUTS: JSON.stringify(job.outputs.map((o) => o.uri)),
              VERITY_TEMP_PREFIX: fillTemplate(type.tempPrefix, { jobId: job.id, bucket: env.bucket }),
              ...(job.checkpointPrefix ? { VERITY_CHECKPOINT_PREFIX: job.checkpointPrefix } : {}),
              VERITY_API_URL: env.apiUrl,
              VERITY_REPORT_VIA: env.workerReports,
              VERITY_UPDATES_TOPIC: env.updatesTopic,
              GOOGLE_CLOUD_PROJECT: env.projectId,
              VERITY_WORKER_TOKEN: credentialOf(job),
            }),
          }),
        }
      : {}),
  };
  const pubsub = o.pubsub ?? new PubSub({ projectId: env.projectId });
  const deliveries = new Deliverer({
    store: ledger.subscriptions,
    log,
    clock,
    ...(o.random ? { random: o.random } : {}),
    post: { ...POST_LIMITS, timeoutMs: env.subscriptions.timeoutMs, local: env.profile === 'local' },
    perSubscriptionPerPass: env.subscriptions.perPass,
  });
  const outbox = createOutbox({
    store: ledger.outbox,
    pubsub,
    topic: env.eventsTopic,
    log,
    clock,
    mirror: ledger.mirror,
    fanOut: (job, t) => deliveries.fanOut(job, t),
  });
  const temp = createTempCleaner({ storage, bucket: env.bucket, allowedBuckets: env.allowedBuckets });
  // projects follow their generation jobs and artifacts (reactions.ts), on the project store alone
  const follower = new ProjectFollower(ledger.projects);
  const reconciler = new Reconciler({
    store,
    pending: ledger.outbox,
    registry,
    executors,
    probe,
    log,
    clock,
    outbox,
    temp,
    reactions: follower,
    dueStartsEveryMs: name === 'sweep' ? 0 : env.dueStartsEveryMs,
  });
  const quotas = ledger.quotas;
  const jobs = new JobsService({
    store,
    reconciler,
    registry,
    probe,
    executors,
    log,
    clock,
    quotas,
    admission: ledger.admission(env.admission),
    checkpoints: ledger.checkpoints,
    bucket: env.bucket,
    allowedBuckets: env.allowedBuckets,
    ...(o.newId ? { newId: o.newId } : {}),
  });
  const checkpoints = {
    match: checkpointMatcher(
      registry.names().map((n) => registry.get(n)!.checkpointPrefix),
      env.bucket,
    ),
    evidence: ledger.checkpoints,
  };
  const outputs = new OutputsService({
    jobs: store,
    seen: ledger.seen,
    reconciler,
    log,
    reactions: follower,
    checkpoints,
  });
  const webhooks = new WebhooksService({
    jobs: store,
    reconciler,
    registry,
    log,
    clock,
    secrets: env.webhookSecrets,
    bucket: env.bucket,
    outsideStores: (uri) => outsideStores(uri, storesOf(env), parseGcsUri),
  });
  const sweeper = new Sweeper({
    jobs: store,
    leases: ledger.leases,
    cursors: ledger.sweepCursors,
    reconciler,
    log,
    clock,
    leaseMs: env.sweepLeaseMs,
  });
  const projects = new ProjectsService({
    store: ledger.projects,
    jobStore: store,
    jobs,
    reconciler,
    probe,
    log,
    quotas,
    probesPerMinute: env.probesPerMinute,
    generationType: env.projectJobType,
    clock,
  });
  const stats = new StatsService({ stats: ledger.stats, registry, clock });
  const subscriptions = new SubscriptionsService({
    store: ledger.subscriptions,
    clock,
    local: env.profile === 'local',
    maxPerOwner: env.subscriptions.maxPerOwner,
    types: () => registry.names(),
  });
  const bulks = new BulkService({
    store: ledger.bulks,
    jobs,
    leases: ledger.leases,
    history: (id) => store.history(id),
    types: () => registry.names(),
    clock,
    log,
  });
  // built on first use: only the units that authenticate callers (api, sweep) are given VERITY_AUTH_AUDIENCE
  let auth: Authenticator | undefined = o.authenticator;
  return {
    env,
    ledger,
    storage,
    registry,
    store,
    probe,
    executors,
    pubsub,
    outbox,
    reconciler,
    jobs,
    outputs,
    webhooks,
    sweeper,
    dueStarts: reconciler.dueStarts,
    projects,
    stats,
    subscriptions,
    deliveries,
    bulks,
    log,
    clock,
    get auth() {
      return (auth ??= createAuthenticator(env));
    },
  };
}
