/**
 * The OpenAPI 3.1 document, built from the same zod schemas that validate the requests (request bodies and
 * query strings); responses are described by hand from shared/src/views.ts. Served at /api/openapi.json.
 */
import { z } from 'zod';
import { WebhookBodySchema } from '../../shared/src/reconcile/webhooks-service.js';
import { CreateProjectSchema, EnqueueRequestSchema, JobListQuerySchema, ListQuerySchema, SweepRequestSchema, WorkerUpdateSchema } from '../../shared/src/schemas.js';
import { ErrorCode, JOB_STATUSES, Reason, Source } from '../../shared/src/core/index.js';

const schema = (s: z.ZodType): Record<string, unknown> => {
  const j = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete j.$schema;
  return j;
};

const queryParams = (s: z.ZodObject): Record<string, unknown>[] =>
  Object.entries((schema(s).properties ?? {}) as Record<string, unknown>).map(([name, sch]) => ({ name, in: 'query', required: false, schema: sch }));

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (s: unknown, description = 'OK') => ({ description, content: { 'application/json': { schema: s } } });
const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [String(c), { $ref: `#/components/responses/E${c}` }]));
const idParam = (what: string) => ({ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,128}$' }, description: `${what} id` });
const body = (s: z.ZodType) => ({ required: true, content: { 'application/json': { schema: schema(s) } } });
const sse = { description: 'Server-Sent Events: `id:` transition seq, `event: transition|progress`, `data:` JSON; `: keep-alive` every 15 s', content: { 'text/event-stream': { schema: { type: 'string' } } } };

const iso = { type: ['string', 'null'], format: 'date-time' };
const JobSchema = {
  type: 'object',
  required: ['id', 'type', 'ownerId', 'status', 'statusReason', 'attempt', 'maxAttempts', 'version', 'outputs', 'createdAt'],
  properties: {
    id: { type: 'string' }, type: { type: 'string' }, ownerId: { type: 'string' }, resourceKey: { type: ['string', 'null'] }, idempotencyKey: { type: ['string', 'null'] },
    status: { enum: [...JOB_STATUSES] }, statusReason: { enum: Object.values(Reason) }, attempt: { type: 'integer' }, maxAttempts: { type: 'integer' }, version: { type: 'integer' },
    input: { type: 'object' },
    outputs: { type: 'array', items: { type: 'object', properties: { uri: { type: 'string' }, present: { type: 'boolean' }, generation: { type: ['string', 'null'] }, size: { type: ['integer', 'null'] }, timeCreated: iso } } },
    executor: { type: 'object', properties: { kind: { type: 'string' }, executionRef: { type: ['string', 'null'] } } },
    policy: { type: 'object' },
    stepPlan: { type: 'array', description: 'declared steps and their weights (job type config, or the worker’s first report)', items: { type: 'object', properties: { name: { type: 'string' }, weight: { type: 'number' } } } },
    progress: {
      type: ['object', 'null'],
      description: 'as reported; with a step plan `pct` is weighted from it',
      properties: {
        pct: { type: 'number' }, step: { type: ['string', 'null'] }, stepPct: { type: ['number', 'null'] }, completedSteps: { type: 'array', items: { type: 'string' } },
        steps: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, startedAt: iso, completedAt: iso } } },
      },
    },
    createdAt: iso, updatedAt: iso, startedAt: iso, heartbeatAt: iso, completedAt: iso, canceledAt: iso, endedAt: iso, notBefore: iso, nextCheckAt: iso,
    error: { type: ['object', 'null'], properties: { code: { type: 'string' }, message: { type: 'string' }, retryable: { type: 'boolean' } } },
  },
};
const TransitionSchema = {
  type: 'object',
  properties: { seq: { type: 'integer' }, from: { type: ['string', 'null'] }, to: { enum: [...JOB_STATUSES] }, reason: { enum: Object.values(Reason) }, source: { enum: Object.values(Source) }, attempt: { type: 'integer' }, at: iso, evidence: { type: 'object' } },
};
const seconds = { type: ['integer', 'null'], description: 'seconds; null while nothing can be learned yet' };
const StepSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' }, status: { enum: ['pending', 'running', 'completed'] }, weight: { type: ['number', 'null'] }, startedAt: iso, completedAt: iso,
    estimatedSeconds: { ...seconds, description: 'actual duration when completed, else the median of recent successful runs of the type' },
    remainingSeconds: seconds,
  },
};
const ProgressSchema = {
  type: 'object',
  properties: {
    jobId: { type: 'string' }, status: { enum: [...JOB_STATUSES] }, progressPct: { type: 'number' }, createdAt: iso, startedAt: iso, elapsedSeconds: { type: 'integer' },
    estimatedTotalSeconds: seconds, remainingSeconds: seconds,
    etaBasis: { enum: ['steps', 'runs', null], description: 'steps: per-step medians; runs: the whole-run median; null: no estimate' },
    etaSamples: { type: 'integer', description: 'recent successful jobs of the type the ETA learned from (at most 20)' },
    currentStep: { anyOf: [{ type: 'null' }, { allOf: [ref('Step'), { type: 'object', properties: { progressPct: { type: ['number', 'null'] } } }] }] },
    completedSteps: { type: 'array', items: { type: 'string' } },
    steps: { type: 'array', items: ref('Step') },
    canResume: { type: 'boolean' }, hasErrors: { type: 'boolean' }, hasWarnings: { type: 'boolean' },
  },
};
const ProjectSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, ownerId: { type: 'string' }, name: { type: 'string' }, status: { enum: ['draft', 'generating', 'ready', 'error'] },
    artifacts: { type: 'array', items: { type: 'object', properties: { key: { type: 'string' }, uri: { type: 'string' }, present: { type: 'boolean' }, generation: { type: ['string', 'null'] } } } },
    activeJobId: { type: ['string', 'null'] }, version: { type: 'integer' }, createdAt: iso, updatedAt: iso,
  },
};
const ErrorSchema = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { enum: Object.values(ErrorCode) }, message: { type: 'string' }, details: {} } }, activeJob: ref('Job') },
};
const stats = { type: 'object', properties: Object.fromEntries(['total', ...JOB_STATUSES].map((k) => [k, { type: 'integer' }])) };

export function openApiDocument(): Record<string, unknown> {
  const secured = { security: [{ bearer: [] }] };
  return {
    openapi: '3.1.0',
    info: { title: 'Verity', version: '0.1.0', description: 'Keeps recorded media-job state true to reality. Every /api call needs a bearer token except webhooks (HMAC-signed) and this document.' },
    servers: [{ url: 'http://127.0.0.1:8080', description: 'local stack' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, webhookSignature: { type: 'apiKey', in: 'header', name: 'X-Verity-Signature', description: 't=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>, 5-minute window' } },
      schemas: { Job: JobSchema, Transition: TransitionSchema, Progress: ProgressSchema, Step: StepSchema, Project: ProjectSchema, Error: ErrorSchema },
      responses: Object.fromEntries([400, 401, 403, 404, 405, 409, 413, 415, 429, 503].map((c) => [`E${c}`, json(ref('Error'), `error ${c}`)])),
    },
    paths: {
      '/api/jobs': {
        post: { ...secured, summary: 'Enqueue a job', requestBody: body(EnqueueRequestSchema), responses: { 201: json({ type: 'object', properties: { job: ref('Job') } }, 'created'), 200: json({ type: 'object', properties: { job: ref('Job') } }, 'the job of a repeated idempotencyKey'), ...errors(400, 401, 409, 413, 415) } },
        get: { ...secured, summary: 'List own jobs (admin: all)', parameters: queryParams(JobListQuerySchema), responses: { 200: json({ type: 'object', properties: { jobs: { type: 'array', items: ref('Job') }, stats, nextCursor: { type: ['string', 'null'] } } }), ...errors(400, 401) } },
      },
      '/api/jobs/{id}': { get: { ...secured, summary: 'Read a job (reconciled first past a deadline or with verify=true)', parameters: [idParam('job'), { name: 'verify', in: 'query', schema: { type: 'boolean' } }], responses: { 200: json({ type: 'object', properties: { job: ref('Job') } }), ...errors(401, 404) } } },
      '/api/jobs/{id}/reconcile': { post: { ...secured, summary: 'Reconcile now', parameters: [idParam('job')], responses: { 200: json({ type: 'object', properties: { report: { type: 'object' } } }), ...errors(401, 404) } } },
      '/api/jobs/{id}/cancel': { post: { ...secured, summary: 'Cancel', parameters: [idParam('job')], responses: { 202: json({ type: 'object', properties: { job: ref('Job') } }, 'accepted'), ...errors(401, 404, 409) } } },
      '/api/jobs/{id}/retry': { post: { ...secured, summary: 'A new job for a failed or canceled one (reusing outputs that exist)', parameters: [idParam('job')], responses: { 202: json({ type: 'object', properties: { job: ref('Job') } }, 'accepted'), ...errors(401, 404, 409) } } },
      '/api/jobs/{id}/updates': { post: { ...secured, summary: 'A worker report', parameters: [idParam('job')], requestBody: body(WorkerUpdateSchema.partial({ jobId: true })), responses: { 202: json({ type: 'object', properties: { outcome: { type: 'string' } } }, 'accepted'), ...errors(400, 401, 404) } } },
      '/api/jobs/{id}/history': { get: { ...secured, summary: 'Transitions', parameters: [idParam('job')], responses: { 200: json({ type: 'object', properties: { transitions: { type: 'array', items: ref('Transition') } } }), ...errors(401, 404) } } },
      '/api/jobs/{id}/progress': { get: { ...secured, summary: "Seed 002's progress view: steps with weights, and an ETA learned per step from finished jobs of the type", parameters: [idParam('job')], responses: { 200: json(ref('Progress')), ...errors(401, 404) } } },
      '/api/jobs/{id}/events': { get: { ...secured, summary: 'SSE of one job; Last-Event-ID replays from the history', parameters: [idParam('job')], responses: { 200: sse, ...errors(400, 401, 404, 429) } } },
      '/api/events': { get: { ...secured, summary: 'SSE of all own jobs; ids {jobId}:{seq}', responses: { 200: sse, ...errors(400, 401, 429) } } },
      '/api/sweep': { post: { ...secured, summary: 'Admin: run the sweep now', requestBody: { required: false, content: { 'application/json': { schema: schema(SweepRequestSchema) } } }, responses: { 200: json({ type: 'object' }), ...errors(401, 403) } } },
      '/api/webhooks/{provider}': { post: { security: [{ webhookSignature: [] }], summary: 'Third-party callback', parameters: [{ name: 'provider', in: 'path', required: true, schema: { type: 'string' } }], requestBody: body(WebhookBodySchema), responses: { 204: { description: 'recorded (or a duplicate)' }, ...errors(400, 401) } } },
      '/api/projects': {
        post: { ...secured, summary: 'Create a project', requestBody: body(CreateProjectSchema), responses: { 201: json({ type: 'object', properties: { project: ref('Project') } }, 'created'), ...errors(400, 401) } },
        get: { ...secured, summary: 'Own projects, paged', parameters: queryParams(ListQuerySchema), responses: { 200: json({ type: 'object', properties: { projects: { type: 'array', items: ref('Project') }, nextCursor: { type: ['string', 'null'] } } }), ...errors(400, 401) } },
      },
      '/api/projects/{id}': { get: { ...secured, summary: 'Read a project (verified first when generating or claiming artifacts)', parameters: [idParam('project')], responses: { 200: json({ type: 'object', properties: { project: ref('Project') } }), ...errors(401, 404) } } },
      '/api/projects/{id}/reconcile': { post: { ...secured, summary: 'Verify every artifact', parameters: [idParam('project')], responses: { 200: json({ type: 'object', properties: { report: { type: 'object' } } }), ...errors(401, 404) } } },
      '/api/projects/{id}/generate': { post: { ...secured, summary: 'One job for the missing artifacts', parameters: [idParam('project')], responses: { 202: json({ type: 'object', properties: { project: ref('Project'), job: ref('Job') } }, 'a job was enqueued'), 200: json({ type: 'object', properties: { project: ref('Project') } }, 'nothing is missing'), ...errors(401, 404, 409, 503) } } },
      '/api/openapi.json': { get: { summary: 'This document', responses: { 200: json({ type: 'object' }) } } },
      '/healthz': { get: { summary: 'Liveness', responses: { 200: json({ type: 'object' }) } } },
    },
  };
}
