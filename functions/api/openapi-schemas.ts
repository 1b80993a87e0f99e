/**
 * The response shapes of the OpenAPI document (functions/api/openapi.ts), described by hand from
 * shared/src/views.ts and the services: what the API answers, not what it accepts (that comes from zod).
 */
import { ErrorCode, JOB_STATUSES, Reason, Source } from '../../shared/src/core/index.js';
import { MAX_JSON_DEPTH, MAX_KEY_LENGTH } from '../../shared/src/json-limits.js';
import { INSIGHT_SCHEMAS } from './openapi-insight.js';

type Json = Record<string, unknown>;

export const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });

const iso = { type: ['string', 'null'], format: 'date-time' };
const JobSchema = {
  type: 'object',
  required: [
    'id',
    'type',
    'ownerId',
    'status',
    'statusReason',
    'attempt',
    'maxAttempts',
    'version',
    'outputs',
    'createdAt',
  ],
  properties: {
    id: { type: 'string' },
    type: { type: 'string' },
    ownerId: { type: 'string' },
    resourceKey: { type: ['string', 'null'] },
    idempotencyKey: { type: ['string', 'null'] },
    status: { enum: [...JOB_STATUSES] },
    statusReason: { enum: Object.values(Reason) },
    attempt: { type: 'integer' },
    maxAttempts: { type: 'integer' },
    version: { type: 'integer' },
    input: { type: 'object' },
    outputs: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          uri: { type: 'string' },
          present: { type: 'boolean' },
          generation: { type: ['string', 'null'] },
          size: { type: ['integer', 'null'] },
          timeCreated: iso,
        },
      },
    },
    executor: { type: 'object', properties: { kind: { type: 'string' }, executionRef: { type: ['string', 'null'] } } },
    policy: { type: 'object' },
    stepPlan: {
      type: 'array',
      description: 'declared steps and their weights (job type config, or the worker’s first report)',
      items: { type: 'object', properties: { name: { type: 'string' }, weight: { type: 'number' } } },
    },
    checkpointPrefix: {
      type: ['string', 'null'],
      description: 'where the worker checkpoints its steps (a retry keeps its original’s: it resumes from them)',
    },
    progress: {
      type: ['object', 'null'],
      description: 'as reported; with a step plan `pct` is weighted from it',
      properties: {
        pct: { type: 'number' },
        step: { type: ['string', 'null'] },
        stepPct: { type: ['number', 'null'] },
        completedSteps: { type: 'array', items: { type: 'string' } },
        skippedSteps: { type: 'array', items: { type: 'string' } },
        steps: {
          type: 'array',
          items: { type: 'object', properties: { name: { type: 'string' }, startedAt: iso, completedAt: iso } },
        },
      },
    },
    createdAt: iso,
    updatedAt: iso,
    startedAt: iso,
    heartbeatAt: iso,
    completedAt: iso,
    canceledAt: iso,
    endedAt: iso,
    notBefore: iso,
    nextCheckAt: iso,
    error: {
      type: ['object', 'null'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, retryable: { type: 'boolean' } },
    },
  },
};
const TransitionSchema = {
  type: 'object',
  properties: {
    seq: { type: 'integer' },
    from: { type: ['string', 'null'] },
    to: { enum: [...JOB_STATUSES] },
    reason: { enum: Object.values(Reason) },
    source: { enum: Object.values(Source) },
    attempt: { type: 'integer' },
    at: iso,
    evidence: { type: 'object' },
  },
};
const seconds = { type: ['integer', 'null'], description: 'seconds; null while nothing can be learned yet' };
const StepSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    status: { enum: ['pending', 'running', 'completed', 'skipped'], description: 'skipped: its checkpoint stood' },
    weight: { type: ['number', 'null'] },
    startedAt: iso,
    completedAt: iso,
    estimatedSeconds: {
      ...seconds,
      description: 'actual duration when completed, else the median of recent successful runs of the type',
    },
    remainingSeconds: seconds,
    checkpointAt: { ...iso, description: 'when its checkpoint landed (docs/workers.md); null: none seen' },
  },
};
const ProgressSchema = {
  type: 'object',
  properties: {
    jobId: { type: 'string' },
    status: { enum: [...JOB_STATUSES] },
    progressPct: { type: 'number' },
    createdAt: iso,
    startedAt: iso,
    elapsedSeconds: { type: 'integer' },
    estimatedTotalSeconds: seconds,
    remainingSeconds: seconds,
    etaBasis: {
      enum: ['steps', 'runs', null],
      description: 'steps: per-step medians; runs: the whole-run median; null: no estimate',
    },
    etaSamples: {
      type: 'integer',
      description: 'recent successful jobs of the type the ETA learned from (at most 20)',
    },
    currentStep: {
      anyOf: [
        { type: 'null' },
        { allOf: [ref('Step'), { type: 'object', properties: { progressPct: { type: ['number', 'null'] } } }] },
      ],
    },
    completedSteps: { type: 'array', items: { type: 'string' } },
    skippedSteps: {
      type: 'array',
      items: { type: 'string' },
      description: 'completed steps this attempt resumed past',
    },
    steps: { type: 'array', items: ref('Step') },
    canResume: { type: 'boolean' },
    hasErrors: { type: 'boolean' },
    hasWarnings: { type: 'boolean' },
  },
};
const ProjectSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    ownerId: { type: 'string' },
    name: { type: 'string' },
    status: { enum: ['draft', 'generating', 'ready', 'error'] },
    artifacts: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          key: { type: 'string' },
          uri: { type: 'string' },
          present: { type: 'boolean' },
          generation: { type: ['string', 'null'] },
        },
      },
    },
    activeJobId: { type: ['string', 'null'] },
    version: { type: 'integer' },
    createdAt: iso,
    updatedAt: iso,
  },
};
const ErrorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { enum: Object.values(ErrorCode) }, message: { type: 'string' }, details: {} },
    },
    activeJob: ref('Job'),
  },
};
export const stats = {
  type: 'object',
  properties: Object.fromEntries(['total', ...JOB_STATUSES].map((k) => [k, { type: 'integer' }])),
};

/**
 * Free-form JSON as the API accepts it (shared/src/json-limits.ts): object keys of 1–256 characters, at most
 * 16 levels deep counted from the request body. JSON Schema has no depth limit (spelling the levels out made
 * generators crawl), so the depth is said in words; the keys are in the schema.
 */
const key = { type: 'string', minLength: 1, maxLength: MAX_KEY_LENGTH };
const JsonValue: Json = {
  anyOf: [
    { type: ['string', 'number', 'boolean', 'null'] },
    { type: 'array', items: { $ref: '#/components/schemas/JsonValue' } },
    { type: 'object', propertyNames: key, additionalProperties: { $ref: '#/components/schemas/JsonValue' } },
  ],
};
export const JSON_INPUT: Json = {
  type: 'object',
  propertyNames: key,
  additionalProperties: { $ref: '#/components/schemas/JsonValue' },
  description:
    `any JSON object: keys of 1–${MAX_KEY_LENGTH} characters, ` +
    `at most ${MAX_JSON_DEPTH} levels deep counted from the body, well-formed Unicode`,
};

export const SCHEMAS = {
  Job: JobSchema,
  Transition: TransitionSchema,
  Progress: ProgressSchema,
  Step: StepSchema,
  ...INSIGHT_SCHEMAS,
  Project: ProjectSchema,
  Error: ErrorSchema,
  JsonValue,
};
