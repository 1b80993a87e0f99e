/**
 * The response shapes of the OpenAPI document (functions/api/openapi/document.ts): what the API answers, not
 * what it accepts. Jobs, transitions, projects, subscriptions and deliveries are rendered from the zod schemas
 * their view builders are typed by (shared/src/views.ts); the rest (progress, errors, stats, insight) are
 * described here.
 */
import { z } from 'zod';
import { ErrorCode, JOB_STATUSES } from '../../../shared/src/core/index.js';
import {
  DeliveryViewSchema,
  JobViewSchema,
  ProjectViewSchema,
  SubscriptionViewSchema,
  TransitionViewSchema,
} from '../../../shared/src/views.js';
import { MAX_JSON_DEPTH, MAX_KEY_LENGTH } from '../../../shared/src/json-limits.js';
import { INSIGHT_SCHEMAS } from './insight.js';

type Json = Record<string, unknown>;

export const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });

const iso = { type: ['string', 'null'], format: 'date-time' };

/** A view's schema (shared/src/views.ts) as the API answers it: the builder and the document share it. */
const response = (s: z.ZodType): Json => {
  const j = z.toJSONSchema(s, {
    io: 'output',
    unrepresentable: 'any',
    // `format` says it: zod's safe-integer bounds and its date-time regex would only lengthen the document
    override: ({ jsonSchema: o }) => {
      if (o.type === 'integer' && o.minimum === Number.MIN_SAFE_INTEGER && o.maximum === Number.MAX_SAFE_INTEGER) {
        delete o.minimum;
        delete o.maximum;
      }
      if (o.format === 'date-time') delete o.pattern;
      // an answer may gain fields (a list item adds its readiness): clients ignore what they do not know
      if (o.additionalProperties === false) delete o.additionalProperties;
    },
  }) as Json;
  delete j.$schema;
  return j;
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
  Job: response(JobViewSchema),
  Transition: response(TransitionViewSchema),
  Progress: ProgressSchema,
  Step: StepSchema,
  ...INSIGHT_SCHEMAS,
  Project: response(ProjectViewSchema),
  Subscription: response(SubscriptionViewSchema),
  Delivery: response(DeliveryViewSchema),
  Error: ErrorSchema,
  JsonValue,
};
