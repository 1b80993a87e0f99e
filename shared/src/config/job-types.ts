/**
 * The job-type registry: a type names its executor, policy, limits and outputs. A request picks a type by
 * name and nothing more: it can never name a command, an image or a bucket outside this configuration.
 */
import { z } from 'zod';
import { DEFAULT_LIMITS, DEFAULT_POLICY, type Policy, type PolicyLimits, type StepSpec } from '../core/index.js';
import { MaxAttemptsSchema, PolicyConfigSchema, PolicySecondsSchema } from '../policy-schema.js';
import { ConfigError, type Env } from './env.js';
import { issueLines } from '../api-kit.js';
import { localJobTypes } from './local-job-types.js';
import { DEFAULT_REQUEST_PREFIXES } from '../evidence/prefixes.js';
import { isEphemeralName } from '../evidence/ephemeral.js';
import { fillTemplate, parseGcsUri } from '../evidence/gcs-uri.js';
import { outsideStores } from '../evidence/stores.js';
import { declaredTemplates, OutputTemplateSchema, type OutputTemplate } from '../evidence/output-templates.js';

const LimitsConfig = z
  .object({
    minTimeoutSeconds: PolicySecondsSchema,
    maxTimeoutSeconds: PolicySecondsSchema,
    maxAttempts: MaxAttemptsSchema,
  })
  .strict()
  .partial();

export const ExecutorConfig = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('local-process'), command: z.array(z.string().min(1)).min(1) }).strict(),
  z.object({ kind: z.literal('external') }).strict(),
  z
    .object({
      kind: z.literal('cloud-run-job'),
      /** Full job name: projects/P/locations/L/jobs/J. The request never names it. */
      job: z.string().regex(/^projects\/[^/]+\/locations\/[^/]+\/jobs\/[^/]+$/),
      /** Container to override (name); default: the first. */
      container: z.string().optional(),
      taskCount: z.number().int().min(1).max(10000).optional(),
      timeoutSeconds: z
        .number()
        .int()
        .min(1)
        .max(7 * 24 * 3600)
        .optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('http'),
      /** Provider name: the `:provider` of POST /api/webhooks/:provider, and the key of its webhook secret. */
      provider: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/),
      /** Base URL of the provider's API: POST {baseUrl}/jobs submits, GET {baseUrl}/jobs/{externalJobId} reads. */
      baseUrl: z.url(),
      /**
       * Predictable outputs, e.g. gs://{bucket}/provider/{externalJobId}_output_0.mp4, or { anyOf, reported }
       * (evidence/output-templates.ts): alternative names, and the pattern a webhook's outputUrl must match.
       */
      outputTemplates: z.array(OutputTemplateSchema).max(32).default([]),
      /**
       * The header that carries the provider's API key (VERITY_PROVIDER_KEYS[provider]) on every call:
       * `authorization` sends `Bearer <key>`, any other header the key itself (e.g. x-api-key).
       */
      apiKeyHeader: z
        .string()
        .regex(/^[A-Za-z0-9-]{1,64}$/)
        .transform((h) => h.toLowerCase())
        .default('authorization'),
    })
    .strict(),
]);
export type ExecutorConfig = z.infer<typeof ExecutorConfig>;

const JobTypeConfig = z
  .object({
    executor: ExecutorConfig,
    policy: PolicyConfigSchema.optional(),
    limits: LimitsConfig.optional(),
    /** URI templates with {bucket} and {jobId} (or { anyOf }: alternatives); used when the request names none. */
    outputTemplates: z.array(OutputTemplateSchema).max(32).default([]),
    /** May a request name its own outputs (within `requestPrefixes`)? */
    outputsFromRequest: z.boolean().default(true),
    /**
     * Where outputs (and project artifacts) named by a request may lie: gs:// prefixes ending in '/', with
     * `{bucket}` and `{ownerId}` (the caller, URI-encoded so it never contains '/'). Default: the caller's own
     * folder of the main bucket, gs://{bucket}/u/{ownerId}/. Derived outputs (outputTemplates) are the type's.
     */
    requestPrefixes: z
      .array(z.string().regex(/^gs:\/\/[^/]+\/(.*\/)?$/, 'a gs://bucket/prefix/ ending in /'))
      .min(1)
      .max(20)
      .default([...DEFAULT_REQUEST_PREFIXES]),
    /** Per-owner quotas for this type (defaults: VERITY_MAX_ACTIVE_JOBS, VERITY_PROBES_PER_MINUTE). */
    quotas: z
      .object({
        maxActiveJobs: z.number().int().min(1).max(100_000),
        probesPerMinute: z.number().int().min(1).max(100_000),
      })
      .strict()
      .partial()
      .default({}),
    /** Where an execution may leave temporary files: deleted when the job ends, never a declared output. */
    tempPrefix: z.string().default('gs://{bucket}/tmp/{jobId}/'),
    /**
     * Where a worker keeps a checkpoint per finished step ({jobId}: the first job of a retry chain, so a retry
     * resumes from its original's checkpoints; {ownerId}: each owner's under their own; docs/workers.md).
     * Never a declared output.
     */
    checkpointPrefix: z.string().default('gs://{bucket}/ckpt/{ownerId}/{jobId}/'),
    /**
     * How long the cleanup (`verity cleanup`, the orphan sweep) keeps what a job leaves, in hours: its temp and
     * proxy prefixes after it ended; its checkpoints after it succeeded, and after it failed or was canceled (the
     * retry window: a retry resumes from them). Seed 002's retention, moved to configuration.
     */
    retention: z
      .object({
        tempHours: z
          .number()
          .positive()
          .max(24 * 365),
        proxyHours: z
          .number()
          .positive()
          .max(24 * 365),
        checkpointHours: z
          .number()
          .positive()
          .max(24 * 365),
        retryWindowHours: z
          .number()
          .positive()
          .max(24 * 365),
      })
      .strict()
      .partial()
      .default({}),
    /** The steps of the work, with weights (default 1): overall progress is weighted, the ETA learned per step. */
    steps: z
      .array(z.object({ name: z.string().min(1).max(200), weight: z.number().positive().max(1e6).default(1) }).strict())
      .max(500)
      .refine((s) => new Set(s.map((x) => x.name)).size === s.length, { message: 'step names must be unique' })
      .default([]),
  })
  .strict();

const RegistryConfig = z.record(z.string().regex(/^[a-z][a-z0-9-]{0,62}$/), JobTypeConfig);

export type JsonObject = Record<string, unknown>;

export interface JobType {
  name: string;
  executor: ExecutorConfig;
  policy: Policy;
  limits: PolicyLimits;
  outputTemplates: OutputTemplate[];
  outputsFromRequest: boolean;
  requestPrefixes: string[];
  quotas: { maxActiveJobs: number; probesPerMinute: number };
  tempPrefix: string;
  checkpointPrefix: string;
  /** Hours, defaults filled (RETENTION_DEFAULTS). */
  retention: { tempHours: number; proxyHours: number; checkpointHours: number; retryWindowHours: number };
  steps: StepSpec[];
  input: z.ZodType<JsonObject>;
}

/** Retention defaults, hours: temp 24, proxy 48, checkpoints 24 after success, 7 days after a failure or cancel. */
export const RETENTION_DEFAULTS = { tempHours: 24, proxyHours: 48, checkpointHours: 24, retryWindowHours: 168 };

const AnyInput: z.ZodType<JsonObject> = z.record(z.string(), z.unknown());

/** The demo worker's input (the local stack's `demo-render` type). */
export const DemoRenderInput = z
  .object({
    durationMs: z.number().int().min(0).max(600_000).default(3000),
    steps: z.number().int().min(1).max(50).default(3),
    fault: z.enum(['none', 'crash', 'hang', 'silent', 'fail']).default('none'),
    /** The step (1-based) where crash, hang or fail strikes; default: crash mid-way, hang after one, fail at the end. */
    faultAtStep: z.number().int().min(1).max(50).optional(),
    /** How many first attempts the fault hits; default all. */
    faultAttempts: z.number().int().min(1).max(100).optional(),
    /** Set when a project generates its missing artifacts. */
    projectId: z.string().max(100).optional(),
    artifacts: z.array(z.string().max(200)).max(500).optional(),
  })
  .strict();

export class JobTypeRegistry {
  constructor(private readonly types: ReadonlyMap<string, JobType>) {}
  get(name: string): JobType | undefined {
    return this.types.get(name);
  }
  names(): string[] {
    return [...this.types.keys()].sort();
  }
}

function toJobType(name: string, cfg: z.infer<typeof JobTypeConfig>, input: z.ZodType<JsonObject>, env: Env): JobType {
  const policy: Policy = {
    ...DEFAULT_POLICY,
    ...cfg.policy,
    backoff: { ...DEFAULT_POLICY.backoff, ...cfg.policy?.backoff },
    retryableReasons: cfg.policy?.retryableReasons ?? [...DEFAULT_POLICY.retryableReasons],
    retryableErrorCodes: cfg.policy?.retryableErrorCodes ?? [...DEFAULT_POLICY.retryableErrorCodes],
  };
  // a type whose work shows it is alive by its executor alone has no heartbeat unless it names one (liveness.ts)
  if (cfg.policy?.liveness === 'executor' && cfg.policy.heartbeatTimeoutSeconds === undefined)
    policy.heartbeatTimeoutSeconds = null;
  const limits: PolicyLimits = { ...DEFAULT_LIMITS, ...cfg.limits };
  return {
    name,
    executor: cfg.executor,
    policy,
    limits,
    outputTemplates: cfg.outputTemplates,
    outputsFromRequest: cfg.outputsFromRequest,
    requestPrefixes: cfg.requestPrefixes,
    quotas: {
      maxActiveJobs: cfg.quotas.maxActiveJobs ?? env.maxActiveJobs,
      probesPerMinute: cfg.quotas.probesPerMinute ?? env.probesPerMinute,
    },
    tempPrefix: cfg.tempPrefix,
    checkpointPrefix: cfg.checkpointPrefix,
    retention: { ...RETENTION_DEFAULTS, ...cfg.retention },
    steps: cfg.steps,
    input,
  };
}

const tlsOrLoopback = (url: string): boolean => {
  const u = new URL(url);
  return u.protocol === 'https:' || ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
};

/** The stores configuration names (evidence/stores.ts): where Verity may look for outputs. */
export function storesOf(env: Env): Parameters<typeof outsideStores>[1] {
  return {
    gcsBuckets: env.allowedBuckets,
    s3: env.s3Stores,
    http: env.httpOutputHosts,
    allowHttp: env.profile === 'local',
  };
}

const built = new WeakMap<Env, JobTypeRegistry>();

/** The registry of an environment, built once: the boot check and the runtime share it (one parse at cold start). */
export function buildRegistry(env: Env): JobTypeRegistry {
  let registry = built.get(env);
  if (!registry) built.set(env, (registry = parseRegistry(env)));
  return registry;
}

function parseRegistry(env: Env): JobTypeRegistry {
  const raw: Record<string, unknown> = env.profile === 'local' ? { ...localJobTypes(env) } : {};
  if (env.jobTypesJson) {
    let extra: unknown;
    try {
      extra = JSON.parse(env.jobTypesJson);
    } catch (err) {
      throw new ConfigError(`VERITY_JOB_TYPES is not JSON: ${(err as Error).message}`);
    }
    Object.assign(raw, extra);
  }
  const parsed = RegistryConfig.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(`invalid job types: ${issueLines(parsed.error.issues).join('; ')}`);
  }
  const map = new Map<string, JobType>();
  for (const [name, cfg] of Object.entries(parsed.data)) {
    const outside = cfg.requestPrefixes
      .map((p) => parseGcsUri(fillTemplate(p, { bucket: env.bucket, ownerId: 'x' }))?.bucket)
      .filter((b) => !b || !env.allowedBuckets.includes(b));
    if (outside.length > 0)
      throw new ConfigError(
        `job type ${name}: requestPrefixes name buckets outside VERITY_ALLOWED_BUCKETS (${outside.join(', ')})`,
      );
    // a provider's API key travels to its base URL: over TLS in the cloud (or not off the host at all)
    if (env.profile === 'cloud' && cfg.executor.kind === 'http' && !tlsOrLoopback(cfg.executor.baseUrl))
      throw new ConfigError(`job type ${name}: executor.baseUrl must be https:// in the cloud profile`);
    // every output a type derives lies in a store configuration names (startup fails fast otherwise)
    const templates = [
      ...cfg.outputTemplates,
      ...(cfg.executor.kind === 'http' ? cfg.executor.outputTemplates : []),
    ].flatMap(declaredTemplates);
    const stores = storesOf(env);
    const refused = templates
      .map((t) => {
        const uri = fillTemplate(t, { bucket: env.bucket, jobId: 'x', externalJobId: 'x' });
        const name = parseGcsUri(uri)?.name;
        // a lifecycle rule deletes what lies there (ephemeral.ts): never a declared output
        if (name !== undefined && isEphemeralName(name)) return `${t} lies under a prefix lifecycle rules delete`;
        return outsideStores(uri, stores, parseGcsUri);
      })
      .filter((why): why is string => why !== null);
    if (refused.length > 0) throw new ConfigError(`job type ${name}: outputTemplates: ${refused.join('; ')}`);
    map.set(
      name,
      toJobType(name, cfg, name === 'demo-render' ? (DemoRenderInput as z.ZodType<JsonObject>) : AnyInput, env),
    );
  }
  return new JobTypeRegistry(map);
}
