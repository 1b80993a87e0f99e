/**
 * The OpenAPI 3.1 document, built from the same zod schemas that validate the requests (request bodies and
 * query strings, with their limits and patterns), plus what only the configuration knows: the registered job
 * types and the buckets a request may name. Responses come from ./openapi-schemas.ts. Served at
 * /api/openapi.json. Every operation lists every status it can answer; `links` lead from the 2xx of
 * `POST /api/jobs` and `POST /api/projects` to every operation on the new id, so a stateful client (or fuzzer)
 * reaches them all.
 */
import { z } from 'zod';
import { parseEnv } from '../../shared/src/config/env.js';
import { buildRegistry, type JobTypeRegistry } from '../../shared/src/config/job-types.js';
import { WebhookBodySchema } from '../../shared/src/reconcile/webhooks-service.js';
import {
  CreateProjectSchema,
  EnqueueRequestSchema,
  JobIdSchema,
  JobListQuerySchema,
  ListQuerySchema,
  SweepRequestSchema,
  WorkerUpdateSchema,
} from '../../shared/src/schemas.js';
import { JSON_INPUT, ref, SCHEMAS, stats } from './openapi-schemas.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const schema = (s: z.ZodType): Json => {
  const j = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Json;
  delete j.$schema;
  return j;
};

/** What the document says of one registered job type: what a request for it may carry. */
export interface TypeVocabulary {
  name: string;
  /** May the request name its outputs? (Else `outputs` must be left out.) */
  outputsFromRequest: boolean;
  /** JSON Schema of the type's `input`. */
  input: Record<string, unknown>;
  limits: { minTimeoutSeconds: number; maxTimeoutSeconds: number; maxAttempts: number };
}

/** What the document says that only the configuration knows. */
export interface ApiVocabulary {
  /** Registered job types: the enum of `type`, and per type its input and policy bounds. */
  jobTypes: readonly TypeVocabulary[];
  /** Buckets that outputs and artifacts named by a request may lie in. */
  buckets: readonly string[];
  /**
   * The caller's prefixes (gs://bucket/u/<owner>/), when the document is fetched with a valid token: outputs
   * and artifacts must lie under them, so the document says so exactly; without a token it names the buckets.
   */
  prefixes?: readonly string[];
}

export const vocabularyOf = (registry: JobTypeRegistry, env: { allowedBuckets: readonly string[] }): ApiVocabulary => ({
  jobTypes: registry.names().map((name) => {
    const t = registry.get(name)!;
    return {
      name,
      outputsFromRequest: t.outputsFromRequest,
      input: boundedJson(schema(t.input)),
      limits: { ...t.limits },
    };
  }),
  buckets: [...env.allowedBuckets],
});

const queryParams = (s: z.ZodObject): Json[] =>
  Object.entries((schema(s).properties ?? {}) as Json).map(([name, sch]) => ({
    name,
    in: 'query',
    required: false,
    schema: sch,
  }));

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/**
 * gs://<one of the buckets>/<object name> as shared/src/evidence/gcs-uri.ts parses it: a name of 1–1024
 * characters on one line, no `.` or `..` segment.
 */
const gsUri = (v: ApiVocabulary): Json =>
  v.prefixes
    ? {
        pattern: `^(${v.prefixes.map(escapeRe).join('|')})(?!(?:[^\\r\\n]*/)?\\.\\.?(?:/|$))[^\\r\\n\\u2028\\u2029]{1,900}$`,
        description: `gs:// URI under your prefixes: ${v.prefixes.map((p) => `\`${p}\``).join(', ')}`,
      }
    : {
        pattern: `^gs://(${v.buckets.map(escapeRe).join('|')})/(?!(?:[^\\r\\n]*/)?\\.\\.?(?:/|$))[^\\r\\n\\u2028\\u2029]{1,1024}$`,
        description:
          `gs://BUCKET/OBJECT in ${v.buckets.map((b) => `\`${b}\``).join(', ')}, under a prefix the job type allows the caller ` +
          '(default gs://BUCKET/u/OWNER/; fetch this document with your token to see yours)',
      };

const withUri = (field: Json | undefined, v: ApiVocabulary): void => {
  if (field) Object.assign(field, gsUri(v));
};

const TIMEOUTS = ['queueTimeoutSeconds', 'runTimeoutSeconds', 'heartbeatTimeoutSeconds', 'outputGraceSeconds'] as const;

/** What one type accepts beyond the common schema: its input, its policy bounds, and whether it takes outputs. */
function typeBranch(t: TypeVocabulary): Json {
  const { minTimeoutSeconds: min, maxTimeoutSeconds: max, maxAttempts } = t.limits;
  const policy = {
    type: 'object',
    properties: {
      ...Object.fromEntries(TIMEOUTS.map((f) => [f, { minimum: min, maximum: max }])),
      maxAttempts: { maximum: maxAttempts },
      backoff: { type: 'object', properties: { initialSeconds: { maximum: max }, maxSeconds: { maximum: max } } },
    },
  };
  return {
    properties: {
      type: { const: t.name },
      input: t.input,
      policy,
      ...(t.outputsFromRequest ? {} : { outputs: false }),
    },
  };
}

/** A free-form object (zod's record of unknown) becomes JSON as the API accepts it: bounded keys and depth. */
function boundedJson(s: Json): Json {
  const free =
    s.type === 'object' &&
    s.additionalProperties !== undefined &&
    Object.keys(s.additionalProperties as Json).length === 0 &&
    !s.properties;
  return free ? { ...JSON_INPUT } : s;
}

function enqueueSchema(v: ApiVocabulary): Json {
  const s = schema(EnqueueRequestSchema);
  s.properties.input = boundedJson(s.properties.input);
  s.properties.type = {
    ...s.properties.type,
    enum: v.jobTypes.map((t) => t.name),
    description: 'a registered job type',
  };
  withUri(s.properties.outputs?.items, v);
  if (s.properties.outputs) s.properties.outputs.uniqueItems = true;
  s.anyOf = v.jobTypes.map(typeBranch);
  return s;
}

function projectSchema(v: ApiVocabulary): Json {
  const s = schema(CreateProjectSchema);
  withUri(s.properties.artifacts?.items?.properties?.uri, v);
  if (s.properties.artifacts)
    Object.assign(s.properties.artifacts, { uniqueItems: true, description: 'each `key` at most once' });
  return s;
}

/**
 * The worker update; zod's refinement (progress names pct, step or completedSteps) said in JSON Schema. The
 * body's `jobId` is left out: the path names the job (a body may repeat it, equal to the path, or get 400).
 */
function updateSchema(): Json {
  const s = schema(WorkerUpdateSchema.omit({ jobId: true }));
  const progress = s.properties.progress as Json | undefined;
  if (progress) progress.anyOf = [{ required: ['pct'] }, { required: ['step'] }, { required: ['completedSteps'] }];
  return s;
}

const ID_PATTERN = schema(JobIdSchema).pattern as string;
const json = (s: unknown, description = 'OK'): Json => ({
  description,
  content: { 'application/json': { schema: s } },
});
const body = (s: Json, required = true): Json => ({ required, content: { 'application/json': { schema: s } } });
const idParam = (what: string): Json => ({
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: ID_PATTERN },
  description: `${what} id`,
});
const sse = {
  description:
    'Server-Sent Events: `id:` transition seq, `event: transition|progress`, `data:` JSON; `: keep-alive` every 15 s. ' +
    'At most 10 open streams per user and instance (a per-instance limit, not a global quota): the 11th gets 429 ' +
    'TOO_MANY_STREAMS with Retry-After. A stream request that carries a body gets 400. Reconnect with Last-Event-ID.',
  content: { 'text/event-stream': { schema: { type: 'string' } } },
};

/** Error answers by status: what each means here (contract.md, "Errors"). */
const ERRORS: Record<number, string> = {
  400: 'invalid input (body, query or a value the service refuses)',
  401: 'no, or an invalid, credential',
  403: 'not allowed for this caller',
  404: 'unknown, or not yours',
  405: 'a method this path does not declare; `Allow` lists the ones it does',
  409: 'conflict with the current state',
  413: 'body over 1 MiB (as sent or decoded), or a job over the stored-size budget',
  415: 'not JSON',
  429: 'a quota of the caller; retry after `Retry-After` seconds',
  503: 'not available in this deployment',
};
const errorResponse = (code: number): Json => {
  const r = json(ref('Error'), ERRORS[code]);
  if (code === 405)
    r.headers = {
      Allow: { description: 'the methods this path declares', schema: { type: 'string' }, required: true },
    };
  if (code === 429)
    r.headers = {
      'Retry-After': { description: 'seconds to wait', schema: { type: 'integer', minimum: 0 }, required: true },
    };
  return r;
};
const errors = (...codes: number[]): Json =>
  Object.fromEntries(
    [...new Set([...codes, 405])].sort().map((c) => [String(c), { $ref: `#/components/responses/E${c}` }]),
  );

/** Statuses every bearer-authenticated operation can answer, and those of an operation that parses a JSON body. */
const AUTH = [401];
const BODY = [400, 413, 415];

const JOB_OPS = {
  get: '',
  reconcile: 'reconcile',
  cancel: 'cancel',
  retry: 'retry',
  updates: 'updates',
  history: 'history',
  progress: 'progress',
  events: 'events',
};
const PROJECT_OPS = { get: '', reconcile: 'reconcile', generate: 'generate' };
const opId = (kind: 'Job' | 'Project', op: string): string => `${op === 'get' ? 'get' : op}${kind}`;
/** links from a 2xx carrying `{job}` or `{project}` to every operation taking its id. */
const links = (kind: 'Job' | 'Project', ops: Record<string, string>): Json =>
  Object.fromEntries(
    Object.keys(ops).map((op) => [
      opId(kind, op),
      {
        operationId: opId(kind, op),
        parameters: { id: `$response.body#/${kind.toLowerCase()}/id` },
      },
    ]),
  );

const jobBody = { type: 'object', required: ['job'], properties: { job: ref('Job') } };
const projectBody = { type: 'object', required: ['project'], properties: { project: ref('Project') } };
const withJobLinks = (r: Json): Json => ({ ...r, links: links('Job', JOB_OPS) });

export function openApiDocument(v: ApiVocabulary): Record<string, unknown> {
  const secured = { security: [{ bearer: [] }] };
  const jobOp = (op: keyof typeof JOB_OPS, o: Json): Json => ({
    ...secured,
    operationId: opId('Job', op),
    parameters: [idParam('job')],
    ...o,
  });
  const projectOp = (op: keyof typeof PROJECT_OPS, o: Json): Json => ({
    ...secured,
    operationId: opId('Project', op),
    parameters: [idParam('project')],
    ...o,
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Verity',
      version: '0.1.0',
      description:
        'Keeps recorded media-job state true to reality. Every /api call needs a bearer token except webhooks (HMAC-signed) ' +
        'and this document. An undeclared method on a known path answers 405 with `Allow`; HEAD is answered like GET (without the ' +
        'body) on every GET route except the two event streams.',
    },
    servers: [{ url: 'http://127.0.0.1:8080', description: 'local stack' }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        webhookSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Verity-Signature',
          description: 't=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>, 5-minute window',
        },
      },
      schemas: SCHEMAS,
      responses: Object.fromEntries(Object.keys(ERRORS).map((c) => [`E${c}`, errorResponse(Number(c))])),
    },
    paths: {
      '/api/jobs': {
        post: {
          ...secured,
          operationId: 'enqueueJob',
          summary: 'Enqueue a job',
          requestBody: body(enqueueSchema(v)),
          responses: {
            201: withJobLinks(json(jobBody, 'created')),
            200: withJobLinks(json(jobBody, 'the job of a repeated idempotencyKey')),
            ...errors(...AUTH, ...BODY, 409, 429),
          },
        },
        get: {
          ...secured,
          operationId: 'listJobs',
          summary: 'List own jobs (admin: all)',
          parameters: queryParams(JobListQuerySchema),
          responses: {
            200: json({
              type: 'object',
              properties: {
                jobs: { type: 'array', items: ref('Job') },
                stats,
                nextCursor: { type: ['string', 'null'] },
              },
            }),
            ...errors(...AUTH, 400),
          },
        },
      },
      '/api/jobs/{id}': {
        get: jobOp('get', {
          summary: 'Read a job (reconciled first past a deadline or with verify=true)',
          parameters: [
            idParam('job'),
            {
              name: 'verify',
              in: 'query',
              schema: { type: 'string' },
              description: '`true` or `1`: probe the evidence now (counts against the probe quota); anything else: no',
            },
          ],
          responses: { 200: json(jobBody), ...errors(...AUTH, 404, 429) },
        }),
      },
      '/api/jobs/{id}/reconcile': {
        post: jobOp('reconcile', {
          summary: 'Reconcile now',
          responses: {
            200: json({ type: 'object', properties: { report: { type: 'object' } } }),
            ...errors(...AUTH, 404, 429),
          },
        }),
      },
      '/api/jobs/{id}/cancel': {
        post: jobOp('cancel', {
          summary: 'Cancel',
          responses: { 202: json(jobBody, 'accepted'), ...errors(...AUTH, 404, 409) },
        }),
      },
      '/api/jobs/{id}/retry': {
        post: jobOp('retry', {
          summary: 'A new job for a failed or canceled one (reusing outputs that exist)',
          responses: { 202: withJobLinks(json(jobBody, 'accepted')), ...errors(...AUTH, 400, 404, 409, 429) },
        }),
      },
      '/api/jobs/{id}/updates': {
        post: jobOp('updates', {
          summary: 'A worker report',
          requestBody: body(updateSchema()),
          responses: {
            202: json({ type: 'object', properties: { outcome: { type: 'string' } } }, 'accepted'),
            ...errors(...AUTH, ...BODY, 404, 409),
          },
        }),
      },
      '/api/jobs/{id}/history': {
        get: jobOp('history', {
          summary: 'Transitions',
          responses: {
            200: json({ type: 'object', properties: { transitions: { type: 'array', items: ref('Transition') } } }),
            ...errors(...AUTH, 404),
          },
        }),
      },
      '/api/jobs/{id}/progress': {
        get: jobOp('progress', {
          summary:
            "Seed 002's progress view: steps with weights, and an ETA learned per step from finished jobs of the type",
          responses: { 200: json(ref('Progress')), ...errors(...AUTH, 404) },
        }),
      },
      '/api/jobs/{id}/events': {
        get: jobOp('events', {
          summary: 'SSE of one job; Last-Event-ID replays from the history',
          responses: { 200: sse, ...errors(...AUTH, 400, 404, 429) },
        }),
      },
      '/api/events': {
        get: {
          ...secured,
          operationId: 'streamEvents',
          summary: 'SSE of all own jobs; ids {jobId}:{seq}',
          responses: { 200: sse, ...errors(...AUTH, 400, 429) },
        },
      },
      '/api/sweep': {
        post: {
          ...secured,
          operationId: 'sweep',
          summary: 'Admin: run the sweep now',
          requestBody: body(schema(SweepRequestSchema), false),
          responses: { 200: json({ type: 'object' }), ...errors(...AUTH, ...BODY, 403) },
        },
      },
      '/api/webhooks/{provider}': {
        post: {
          security: [{ webhookSignature: [] }],
          operationId: 'webhook',
          summary: 'Third-party callback (a provider without a secret here: 401)',
          parameters: [
            {
              name: 'provider',
              in: 'path',
              required: true,
              schema: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,62}$' },
              description: 'another shape: 404',
            },
          ],
          requestBody: body(schema(WebhookBodySchema)),
          responses: { 204: { description: 'recorded (or a duplicate)' }, ...errors(400, 401, 404, 413) },
        },
      },
      '/api/projects': {
        post: {
          ...secured,
          operationId: 'createProject',
          summary: 'Create a project',
          requestBody: body(projectSchema(v)),
          responses: {
            201: { ...json(projectBody, 'created'), links: links('Project', PROJECT_OPS) },
            ...errors(...AUTH, ...BODY),
          },
        },
        get: {
          ...secured,
          operationId: 'listProjects',
          summary: 'Own projects, paged',
          parameters: queryParams(ListQuerySchema),
          responses: {
            200: json({
              type: 'object',
              properties: {
                projects: { type: 'array', items: ref('Project') },
                nextCursor: { type: ['string', 'null'] },
              },
            }),
            ...errors(...AUTH, 400),
          },
        },
      },
      '/api/projects/{id}': {
        get: projectOp('get', {
          summary: 'Read a project (verified first when generating or claiming artifacts)',
          responses: { 200: json(projectBody), ...errors(...AUTH, 404) },
        }),
      },
      '/api/projects/{id}/reconcile': {
        post: projectOp('reconcile', {
          summary: 'Verify every artifact',
          responses: {
            200: json({ type: 'object', properties: { report: { type: 'object' } } }),
            ...errors(...AUTH, 404, 429),
          },
        }),
      },
      '/api/projects/{id}/generate': {
        post: projectOp('generate', {
          summary: 'One job for the missing artifacts',
          responses: {
            202: withJobLinks(
              json(
                {
                  type: 'object',
                  required: ['project', 'job'],
                  properties: { project: ref('Project'), job: ref('Job') },
                },
                'a job was enqueued',
              ),
            ),
            200: json(projectBody, 'nothing is missing'),
            ...errors(...AUTH, 404, 409, 429, 503),
          },
        }),
      },
      '/api/openapi.json': {
        get: {
          operationId: 'openapi',
          summary: 'This document',
          responses: { 200: json({ type: 'object' }), ...errors() },
        },
      },
      '/healthz': {
        get: { operationId: 'healthz', summary: 'Liveness', responses: { 200: json({ type: 'object' }), ...errors() } },
      },
    },
  };
}

/** The local stack's document, whatever this process's environment says: docs/api.md is rendered from it. */
export function localApiDocument(): Record<string, unknown> {
  const env = parseEnv({ VERITY_PROFILE: 'local' });
  return openApiDocument(vocabularyOf(buildRegistry(env), env));
}
