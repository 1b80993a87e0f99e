/**
 * The request side of the OpenAPI document (./openapi.ts): JSON Schema from the same zod schemas that validate
 * the requests (bodies and query strings, with their limits and patterns), narrowed by what only the
 * configuration knows: the registered job types and the buckets a request may name.
 */
import { attachPattern } from '../../../shared/src/evidence/executors/attach-names.js';
import { z } from 'zod';
import type { JobTypeRegistry } from '../../../shared/src/config/job-types.js';
import { TIMEOUT_FIELDS } from '../../../shared/src/core/index.js';
import {
  CreateProjectSchema,
  EnqueueRequestSchema,
  JobIdSchema,
  WorkerUpdateSchema,
} from '../../../shared/src/schemas.js';
import { JSON_INPUT } from './schemas.js';

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const schema = (s: z.ZodType): Json => {
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
  /** The names of executions the type can attach (attach-names.ts); null: it cannot. */
  attachPattern: string | null;
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
  /** The local stack: a subscription may send to `http://127.0.0.1:<port>` (webhooks/endpoint.ts). */
  localEndpoints?: boolean;
}

/**
 * The vocabulary of a registry; `canAttach`: whether the runtime's executor of a kind can track work it did not
 * start (absent: every executor Verity builds can, as the local document says).
 */
export const vocabularyOf = (
  registry: JobTypeRegistry,
  env: { allowedBuckets: readonly string[]; profile?: 'local' | 'cloud' },
  canAttach: (kind: string) => boolean = () => true,
): ApiVocabulary => ({
  jobTypes: registry.names().map((name) => {
    const t = registry.get(name)!;
    return {
      name,
      outputsFromRequest: t.outputsFromRequest,
      input: boundedJson(schema(t.input)),
      limits: { ...t.limits },
      attachPattern: canAttach(t.executor.kind) ? attachPattern(t.executor) : null,
    };
  }),
  buckets: [...env.allowedBuckets],
  localEndpoints: env.profile === 'local',
});

export const queryParams = (s: z.ZodObject): Json[] =>
  Object.entries((schema(s).properties ?? {}) as Json).map(([name, sch]) => ({
    name,
    in: 'query',
    required: false,
    schema: sch,
  }));

/** The pattern of a job or project id, as a path parameter states it. */
export const ID_PATTERN = schema(JobIdSchema).pattern as string;

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

/** What one type accepts beyond the common schema: its input, its policy bounds, and whether it takes outputs. */
function typeBranch(t: TypeVocabulary): Json {
  const { minTimeoutSeconds: min, maxTimeoutSeconds: max, maxAttempts } = t.limits;
  const policy = {
    type: 'object',
    properties: {
      ...Object.fromEntries(TIMEOUT_FIELDS.map((f) => [f, { minimum: min, maximum: max }])),
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
      attach:
        t.attachPattern === null
          ? false
          : { type: 'object', properties: { execution: { type: 'string', pattern: t.attachPattern } } },
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

export function enqueueSchema(v: ApiVocabulary): Json {
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

export function projectSchema(v: ApiVocabulary): Json {
  const s = schema(CreateProjectSchema);
  withUri(s.properties.artifacts?.items?.properties?.uri, v);
  if (s.properties.artifacts)
    s.properties.artifacts.description =
      'a `key` listed more than once is one artifact, at its first place, with the last uri given (the answer warns)';
  return s;
}

/**
 * The worker update; zod's refinement (progress names pct, step or completedSteps) said in JSON Schema. The
 * body's `jobId` is left out: the path names the job (a body may repeat it, equal to the path, or get 400).
 */
export function updateSchema(): Json {
  const s = schema(WorkerUpdateSchema.omit({ jobId: true }));
  const progress = s.properties.progress as Json | undefined;
  if (progress)
    progress.anyOf = [
      { required: ['pct'] },
      { required: ['step'] },
      { required: ['completedSteps'] },
      { required: ['skippedSteps'] },
    ];
  return s;
}
