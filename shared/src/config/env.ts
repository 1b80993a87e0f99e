/** Environment, parsed once with zod; a bad value stops the process at boot with a clear message. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { issueLines } from '../api-kit.js';
import { HttpHostsSchema, S3StoresSchema, type HttpHosts, type S3Stores } from '../evidence/stores.js';
import { parseAllowlist } from '../auth/allowlist.js';

const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0),
);

/**
 * The folder holding the nearest package.json above this module: the repo, or a deploy folder (whose bundle
 * sits at another depth than this file does in dist/, so the root is found, not counted).
 */
function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '../../../..');
  }
}
export const REPO_ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));

const EnvSchema = z.object({
  GOOGLE_CLOUD_PROJECT: z.string().min(1).default('verity-local'),
  VERITY_PROFILE: z.enum(['local', 'cloud']).default('local'),
  VERITY_BUCKET: z.string().min(3).default('verity-local'),
  VERITY_ALLOWED_BUCKETS: csv.optional(),
  VERITY_GCS_ENDPOINT: z.url().optional(),
  VERITY_AUTH_MODE: z.enum(['local', 'google']).optional(),
  VERITY_LOCAL_JWT_SECRET: z.string().min(16).optional(),
  VERITY_AUTH_AUDIENCE: z.string().optional(),
  /** The Firebase project whose Auth ID tokens the API accepts (issuer https://securetoken.google.com/<it>). */
  VERITY_FIREBASE_PROJECT: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string()
      .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'a project id')
      .optional(),
  ),
  VERITY_ADMINS: csv.optional(),
  /**
   * Google identities allowed as users in the cloud (besides admins and Firebase Auth users): verified emails
   * (people, service accounts) and `domain:<host>` (a Workspace domain, by the verified `hd` claim).
   */
  VERITY_ALLOWED_USERS: csv.optional(),
  /** The key of worker credentials (auth/worker-credential.ts); local profile: derived from the local secret. */
  VERITY_WORKER_KEY: z.string().min(32).optional(),
  /** Whether a worker update must carry its credential: default required in the cloud, optional locally. */
  VERITY_WORKER_CREDENTIALS: z.enum(['required', 'optional']).optional(),
  VERITY_PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  VERITY_API_URL: z.url().optional(),
  VERITY_STATE_DIR: z.string().optional(),
  VERITY_JOB_TYPES: z.string().optional(),
  VERITY_REPO_ROOT: z.string().optional(),
  VERITY_EVENTS_TOPIC: z.string().min(3).default('verity-job-events'),
  VERITY_UPDATES_TOPIC: z.string().min(3).default('verity-job-updates'),
  /** JSON {"provider": "secret"}: the HMAC secret of each webhook provider. */
  VERITY_WEBHOOK_SECRETS: z.string().optional(),
  /** Third-party API keys: {"provider": "key"}, sent on every call to that provider's API. */
  VERITY_PROVIDER_KEYS: z.string().optional(),
  /** JSON {"bucket": {endpoint?, region, forcePathStyle?, accessKeyIdEnv?, secretAccessKeyEnv?}}: s3:// output stores. */
  VERITY_S3_STORES: z.string().optional(),
  /** JSON {"host[:port]": {headers?: {"name": "ENV_VAR"}}}: hosts whose https:// URLs may be outputs. */
  VERITY_HTTP_OUTPUT_HOSTS: z.string().optional(),
  /** Where providers call back: {base}/api/webhooks/{provider}. Default: the API URL. */
  VERITY_WEBHOOK_BASE_URL: z.url().optional(),
  /** host:port of a Cloud Run Admin API v2 stand-in (tests); unset in the cloud. */
  VERITY_CLOUD_RUN_ENDPOINT: z.string().optional(),
  /** How local-process workers report: over Pub/Sub (as deployed workers do) or HTTP. */
  VERITY_WORKER_REPORTS: z.enum(['pubsub', 'http']).default('pubsub'),
  /** The local stack's demo third-party provider (job type `demo-provider`). */
  VERITY_DEMO_PROVIDER_URL: z.url().default('http://127.0.0.1:8090'),
  /** Cloud Scheduler's service account (OIDC `email`) allowed to call the sweep; the audience is the sweep URL. */
  VERITY_SCHEDULER_SA: z.string().optional(),
  VERITY_SWEEP_AUDIENCE: z.string().optional(),
  /** Sweep time budget per run, ms. */
  VERITY_SWEEP_BUDGET_MS: z.coerce.number().int().min(1000).max(3_000_000).default(50_000),
  /** How long a sweep holds a job it checks: below the scheduler interval (a killed sweep's leases then lapse). */
  VERITY_SWEEP_LEASE_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  /** The documents one scheduled sweep run reads at most (bounded in reads as in time); the next resumes. */
  VERITY_SWEEP_MAX_DOCUMENTS: z.coerce.number().int().min(100).max(10_000_000).default(20_000),
  /** How often the sweep also runs the orphan sweep (temp, proxies, checkpoints), minutes; 0: never. */
  VERITY_ORPHAN_SWEEP_MINUTES: z.coerce.number().int().min(0).max(10_080).default(60),
  /** The prefixes one scheduled orphan sweep looks at, at most (the rest wait for the next). */
  VERITY_ORPHAN_SWEEP_MAX_PREFIXES: z.coerce.number().int().min(1).max(100_000).default(500),
  /**
   * How often (at most) a unit other than the sweep looks for starts a dead process left (due-starts.ts), in ms
   * per instance; 0: never (the sweep alone makes them).
   */
  VERITY_DUE_STARTS_EVERY_MS: z.coerce.number().int().min(0).max(600_000).default(5_000),
  /** Per-owner quotas, defaults for every job type (a type may set its own): active jobs of a type, probes a minute. */
  VERITY_MAX_ACTIVE_JOBS: z.coerce.number().int().min(1).max(100_000).default(100),
  VERITY_PROBES_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(60),
  /** Enqueue rate limits (issue 32): per owner a minute; the deployment's ramp base a second. 0: none. */
  VERITY_ENQUEUE_PER_OWNER_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(6000),
  VERITY_ENQUEUE_BASE_PER_SECOND: z.coerce.number().int().min(0).max(100_000).default(500),
  /** Outbound webhooks (issue 31): subscriptions one user makes; deliveries one subscription gets a sweep pass. */
  VERITY_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(0).max(1000).default(10),
  VERITY_DELIVERIES_PER_PASS: z.coerce.number().int().min(1).max(10_000).default(100),
  /** One delivery try's bound, connection to the last byte read. */
  VERITY_DELIVERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** The job type that generates a project's missing artifacts (empty: none; local profile: demo-render). */
  VERITY_PROJECT_JOB_TYPE: z.string().optional(),
  /** Where Verity keeps its state (issue 30): a named database, and a prefix on every collection. */
  VERITY_FIRESTORE_DATABASE: z
    .string()
    .regex(/^(\(default\)|[a-z][a-z0-9-]{2,62})$/, '(default) or a database id: a-z, 0-9 and -, 3 to 63 characters')
    .default('(default)'),
  VERITY_COLLECTION_PREFIX: z
    .string()
    .regex(/^([a-z][a-z0-9_-]{0,29})?$/, 'up to 30 characters: a-z first, then a-z, 0-9, _ and -')
    .default(''),
});

export interface Env {
  projectId: string;
  /** The Firestore database and collection prefix Verity's state lives under (store/firestore.ts). */
  state: { databaseId: string; prefix: string };
  profile: 'local' | 'cloud';
  bucket: string;
  allowedBuckets: string[];
  gcsEndpoint: string | undefined;
  authMode: 'local' | 'google';
  localJwtSecret: string | undefined;
  authAudience: string | undefined;
  /** Firebase Auth ID tokens of this project are accepted (cloud); default GOOGLE_CLOUD_PROJECT. */
  firebaseProject: string;
  admins: string[];
  /** VERITY_ALLOWED_USERS: emails and `domain:<host>` entries (auth/allowlist.ts). */
  allowedUsers: string[];
  workerKey: string | undefined;
  workerCredentials: 'required' | 'optional';
  port: number;
  apiUrl: string;
  stateDir: string;
  jobTypesJson: string | undefined;
  repoRoot: string;
  eventsTopic: string;
  updatesTopic: string;
  webhookSecrets: Record<string, string>;
  /** Provider name → the API key Verity sends to its API (http executor). */
  providerKeys: Record<string, string>;
  webhookBaseUrl: string;
  /** Output stores besides Cloud Storage (evidence/stores.ts). */
  s3Stores: S3Stores;
  httpOutputHosts: HttpHosts;
  cloudRunEndpoint: string | undefined;
  workerReports: 'pubsub' | 'http';
  demoProviderUrl: string;
  schedulerServiceAccount: string | undefined;
  sweepAudience: string | undefined;
  sweepBudgetMs: number;
  sweepLeaseMs: number;
  sweepMaxDocuments: number;
  /** The scheduled orphan sweep: every this many ms (0: never), at most `maxPrefixes` prefixes a run. */
  orphanSweep: { everyMs: number; maxPrefixes: number };
  dueStartsEveryMs: number;
  /** Per-owner quotas (defaults; job types may override). */
  maxActiveJobs: number;
  probesPerMinute: number;
  /** Enqueue rate limits (store/admission.ts). */
  admission: { perOwnerPerMinute: number; basePerSecond: number };
  /** Outbound webhooks: the per-user limit, a subscription's share of a pass, one try's bound. */
  subscriptions: { maxPerOwner: number; perPass: number; timeoutMs: number };
  /** null: projects cannot generate their missing artifacts here (503 UNAVAILABLE). */
  projectJobType: string | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const PROVIDER_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** A JSON map provider → secret: webhook HMAC secrets (16+ chars), API keys (no whitespace). */
function parseSecrets(
  name: string,
  raw: string | undefined,
  value: z.ZodString,
  expected: string,
): Record<string, string> {
  if (!raw) return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ConfigError(`${name} is not JSON: expected {"provider": "${expected}"}`);
  }
  const parsed = z.record(z.string().regex(PROVIDER_NAME), value).safeParse(json);
  if (!parsed.success) throw new ConfigError(`${name}: ${issueLines(parsed.error.issues).join('; ')}`);
  return parsed.data;
}

/** A JSON configuration variable checked against its schema; absent: `{}`. */
function parseJsonVar<T>(name: string, raw: string | undefined, schema: z.ZodType<T>): T | Record<string, never> {
  if (!raw) return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ConfigError(`${name} is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ConfigError(`${name}: ${issueLines(parsed.error.issues).join('; ')}`);
  return parsed.data;
}

function allowlistOf(raw: readonly string[]): string[] {
  const { entries, bad } = parseAllowlist(raw);
  if (bad.length > 0)
    throw new ConfigError(`VERITY_ALLOWED_USERS: ${bad.join(', ')}: each entry is an email or domain:<host>`);
  return entries;
}

export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = issueLines(parsed.error.issues).map((l) => `  ${l}`);
    throw new ConfigError(`invalid environment:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.VERITY_PROFILE === 'cloud' && e.VERITY_AUTH_MODE === 'local')
    throw new ConfigError('VERITY_AUTH_MODE=local in the cloud profile: its tokens are signed by a shared secret');
  const repoRoot = e.VERITY_REPO_ROOT ?? REPO_ROOT;
  return {
    projectId: e.GOOGLE_CLOUD_PROJECT,
    state: { databaseId: e.VERITY_FIRESTORE_DATABASE, prefix: e.VERITY_COLLECTION_PREFIX },
    profile: e.VERITY_PROFILE,
    bucket: e.VERITY_BUCKET,
    allowedBuckets: e.VERITY_ALLOWED_BUCKETS ?? [e.VERITY_BUCKET],
    gcsEndpoint: e.VERITY_GCS_ENDPOINT,
    authMode: e.VERITY_AUTH_MODE ?? (e.VERITY_PROFILE === 'local' ? 'local' : 'google'),
    localJwtSecret: e.VERITY_LOCAL_JWT_SECRET,
    authAudience: e.VERITY_AUTH_AUDIENCE,
    firebaseProject: e.VERITY_FIREBASE_PROJECT ?? e.GOOGLE_CLOUD_PROJECT,
    admins: e.VERITY_ADMINS ?? [],
    allowedUsers: allowlistOf(e.VERITY_ALLOWED_USERS ?? []),
    workerKey: e.VERITY_WORKER_KEY,
    workerCredentials: e.VERITY_WORKER_CREDENTIALS ?? (e.VERITY_PROFILE === 'cloud' ? 'required' : 'optional'),
    port: e.VERITY_PORT,
    apiUrl: e.VERITY_API_URL ?? `http://127.0.0.1:${e.VERITY_PORT}`,
    stateDir: path.resolve(repoRoot, e.VERITY_STATE_DIR ?? '.verity'),
    jobTypesJson: e.VERITY_JOB_TYPES,
    repoRoot,
    eventsTopic: e.VERITY_EVENTS_TOPIC,
    updatesTopic: e.VERITY_UPDATES_TOPIC,
    webhookSecrets: parseSecrets(
      'VERITY_WEBHOOK_SECRETS',
      e.VERITY_WEBHOOK_SECRETS,
      z.string().min(16),
      'secret (16+ chars)',
    ),
    providerKeys: parseSecrets(
      'VERITY_PROVIDER_KEYS',
      e.VERITY_PROVIDER_KEYS,
      z.string().min(1).max(4096).regex(/^\S+$/, 'no whitespace'),
      'API key',
    ),
    webhookBaseUrl: e.VERITY_WEBHOOK_BASE_URL ?? e.VERITY_API_URL ?? `http://127.0.0.1:${e.VERITY_PORT}`,
    s3Stores: parseJsonVar('VERITY_S3_STORES', e.VERITY_S3_STORES, S3StoresSchema),
    httpOutputHosts: parseJsonVar('VERITY_HTTP_OUTPUT_HOSTS', e.VERITY_HTTP_OUTPUT_HOSTS, HttpHostsSchema),
    cloudRunEndpoint: e.VERITY_CLOUD_RUN_ENDPOINT,
    workerReports: e.VERITY_WORKER_REPORTS,
    demoProviderUrl: e.VERITY_DEMO_PROVIDER_URL,
    schedulerServiceAccount: e.VERITY_SCHEDULER_SA,
    sweepAudience: e.VERITY_SWEEP_AUDIENCE,
    sweepBudgetMs: e.VERITY_SWEEP_BUDGET_MS,
    sweepLeaseMs: e.VERITY_SWEEP_LEASE_MS,
    sweepMaxDocuments: e.VERITY_SWEEP_MAX_DOCUMENTS,
    orphanSweep: { everyMs: e.VERITY_ORPHAN_SWEEP_MINUTES * 60_000, maxPrefixes: e.VERITY_ORPHAN_SWEEP_MAX_PREFIXES },
    dueStartsEveryMs: e.VERITY_DUE_STARTS_EVERY_MS,
    maxActiveJobs: e.VERITY_MAX_ACTIVE_JOBS,
    probesPerMinute: e.VERITY_PROBES_PER_MINUTE,
    admission: {
      perOwnerPerMinute: e.VERITY_ENQUEUE_PER_OWNER_PER_MINUTE,
      basePerSecond: e.VERITY_ENQUEUE_BASE_PER_SECOND,
    },
    subscriptions: {
      maxPerOwner: e.VERITY_MAX_SUBSCRIPTIONS,
      perPass: e.VERITY_DELIVERIES_PER_PASS,
      timeoutMs: e.VERITY_DELIVERY_TIMEOUT_MS,
    },
    projectJobType: e.VERITY_PROJECT_JOB_TYPE || (e.VERITY_PROFILE === 'local' ? 'demo-render' : null),
  };
}
