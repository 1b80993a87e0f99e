/**
 * The deploy units, in one place: what `npm run build` packages (build/functions/<name>), what the local
 * stack runs, and what the Terraform module must declare — a check in `npm test` compares the two.
 *
 * `needs` are the permissions a unit's code paths use. Every unit that commits a job transition runs the
 * effects after it (start or cancel an execution, delete temp files, publish the event), so most need the
 * same set; the differences are who may call them and which secrets they read.
 */

export const TOPICS = {
  /** Worker reports in (docs/contract.md: topic verity-job-updates). */
  jobUpdates: 'verity-job-updates',
  /** One event per applied transition, out (docs/contract.md: topic verity-job-events). */
  jobEvents: 'verity-job-events',
  /** Cloud Storage OBJECT_FINALIZE notifications of the output buckets. */
  gcsNotifications: 'verity-gcs-notifications',
} as const;

/** Push subscriptions feeding event units; each with a retry policy and a dead-letter topic `<topic>-dlq`. */
export const SUBSCRIPTIONS = {
  objectFinalized: { name: 'verity-object-finalized', topic: TOPICS.gcsNotifications },
  jobUpdates: { name: 'verity-job-updates-push', topic: TOPICS.jobUpdates },
} as const;

export const deadLetterTopic = (topic: string): string => `${topic}-dlq`;

/**
 * Deliveries of one message to a push subscription before it goes to the dead-letter topic: the Terraform's
 * max_delivery_attempts and the local stack's deadLetterPolicy (a test compares them).
 */
export const MAX_DELIVERY_ATTEMPTS = 10;

export const NEEDS = {
  /** Read and write the job ledger: roles/datastore.user on the project. */
  firestore: 'firestore',
  /** Read outputs, delete temp files: roles/storage.objectUser on each output bucket. */
  outputs: 'outputs',
  /** Publish transitions: roles/pubsub.publisher on verity-job-events. */
  publishEvents: 'publishEvents',
  /** Start Cloud Run Job executions with overrides, and cancel them: roles/run.jobsExecutorWithOverrides on each worker job. */
  runJobs: 'runJobs',
  /**
   * Read the worker jobs and their executions (getJob, getExecution, listExecutions — the executor role has
   * no get or list permission): roles/run.viewer on each worker job.
   */
  readJobs: 'readJobs',
  /** The webhook providers' HMAC secrets: roles/secretmanager.secretAccessor on the secret. */
  webhookSecrets: 'webhookSecrets',
  /** The third-party APIs' keys (http executor: submit, status, cancel): roles/secretmanager.secretAccessor on the secret. */
  providerKeys: 'providerKeys',
} as const;
export type Need = (typeof NEEDS)[keyof typeof NEEDS];

/** The IAM role each need is granted as (on the resource named in NEEDS' comments). */
export const NEED_ROLES: Record<Need, string> = {
  firestore: 'roles/datastore.user',
  outputs: 'roles/storage.objectUser',
  publishEvents: 'roles/pubsub.publisher',
  runJobs: 'roles/run.jobsExecutorWithOverrides',
  readJobs: 'roles/run.viewer',
  webhookSecrets: 'roles/secretmanager.secretAccessor',
  providerKeys: 'roles/secretmanager.secretAccessor',
};

export type Trigger =
  /** Public HTTPS: the code authenticates every call (Google ID token, or a webhook's HMAC signature). */
  | { kind: 'http-public' }
  /** Internal HTTPS, called by a Pub/Sub push subscription with an OIDC token. */
  | { kind: 'pubsub-push'; subscription: keyof typeof SUBSCRIPTIONS }
  /** Internal HTTPS, called by Cloud Scheduler with an OIDC token the code verifies too. */
  | { kind: 'scheduler'; schedule: string };

export interface DeployUnit {
  /** Folder under functions/ and build/functions/, and the Cloud Function's name suffix. */
  name: string;
  /** The functions-framework target the entry point registers (the function's entry_point). */
  target: string;
  /** http or cloudevent: the signature the target is registered with. */
  signature: 'http' | 'cloudevent';
  trigger: Trigger;
  /** Environment variables the unit's code requires in the cloud (besides those every unit needs). */
  env: readonly string[];
  /** Environment variables read from Secret Manager. */
  secretEnv: readonly string[];
  needs: readonly Need[];
  /** Files read at run time besides the code (repo-relative directories), copied into the deploy folder. */
  assets?: readonly string[];
}

/** Every unit needs these (the cloud profile refuses to boot without them). */
export const COMMON_ENV = [
  'GOOGLE_CLOUD_PROJECT',
  'VERITY_PROFILE',
  'VERITY_BUCKET',
  'VERITY_ALLOWED_BUCKETS',
  'VERITY_JOB_TYPES',
  'VERITY_EVENTS_TOPIC',
  'VERITY_UPDATES_TOPIC',
  'VERITY_WEBHOOK_BASE_URL',
] as const;

const EFFECTS: readonly Need[] = [
  NEEDS.firestore,
  NEEDS.outputs,
  NEEDS.publishEvents,
  NEEDS.runJobs,
  NEEDS.readJobs,
  NEEDS.providerKeys,
];
/** Every unit may submit to, read or cancel at a third-party API (effects and reconcile). */
const PROVIDER_KEYS = 'VERITY_PROVIDER_KEYS';
/** Every unit starts executions (minting their credentials); api and job-updates check workers' reports. */
const WORKER_KEY = 'VERITY_WORKER_KEY';

export const DEPLOY_UNITS: readonly DeployUnit[] = [
  {
    name: 'api',
    target: 'api',
    signature: 'http',
    trigger: { kind: 'http-public' },
    env: ['VERITY_AUTH_AUDIENCE', 'VERITY_ADMINS', 'VERITY_ALLOWED_USERS'],
    secretEnv: ['VERITY_WEBHOOK_SECRETS', PROVIDER_KEYS, WORKER_KEY],
    needs: [...EFFECTS, NEEDS.webhookSecrets],
    assets: ['functions/api/dashboard/static'],
  },
  {
    name: 'object-finalized',
    target: 'objectFinalized',
    signature: 'cloudevent',
    trigger: { kind: 'pubsub-push', subscription: 'objectFinalized' },
    env: [],
    secretEnv: [PROVIDER_KEYS, WORKER_KEY],
    needs: EFFECTS,
  },
  {
    name: 'job-updates',
    target: 'jobUpdates',
    signature: 'cloudevent',
    trigger: { kind: 'pubsub-push', subscription: 'jobUpdates' },
    env: [],
    secretEnv: [PROVIDER_KEYS, WORKER_KEY],
    needs: EFFECTS,
  },
  {
    name: 'webhooks',
    target: 'webhooks',
    signature: 'http',
    trigger: { kind: 'http-public' },
    env: [],
    secretEnv: ['VERITY_WEBHOOK_SECRETS', PROVIDER_KEYS, WORKER_KEY],
    needs: [...EFFECTS, NEEDS.webhookSecrets],
  },
  {
    name: 'sweep',
    target: 'sweep',
    signature: 'http',
    trigger: { kind: 'scheduler', schedule: '* * * * *' },
    env: ['VERITY_SCHEDULER_SA', 'VERITY_SWEEP_AUDIENCE', 'VERITY_AUTH_AUDIENCE', 'VERITY_ADMINS'],
    secretEnv: [PROVIDER_KEYS, WORKER_KEY],
    needs: EFFECTS,
  },
];

/** Every variable a unit's code requires in the cloud: common, its own, and its secrets. */
export function requiredEnv(unit: DeployUnit): string[] {
  return [...COMMON_ENV, ...unit.env, ...unit.secretEnv];
}
