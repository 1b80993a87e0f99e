/**
 * The building blocks of the OpenAPI document's operations (./document.ts): bodies and responses, the error
 * answers by status, the id path parameter, and the `links` that lead from the 2xx of `POST /api/jobs` and
 * `POST /api/projects` to every operation on the new id, so a stateful client (or fuzzer) reaches them all.
 */
import { ID_PATTERN, type Json } from './requests.js';
import { ref } from './schemas.js';

export const json = (s: unknown, description = 'OK'): Json => ({
  description,
  content: { 'application/json': { schema: s } },
});
export const body = (s: Json, required = true): Json => ({ required, content: { 'application/json': { schema: s } } });
export const idParam = (what: string): Json => ({
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: ID_PATTERN },
  description: `${what} id`,
});
export const sse = {
  description:
    'Server-Sent Events: `id:` transition seq, `event: transition|progress`, `data:` JSON; `: keep-alive` every 15 s. ' +
    'At most 10 open streams per user and instance (a per-instance limit, not a global quota): the 11th gets 429 ' +
    'TOO_MANY_STREAMS with Retry-After. A stream request that carries a body gets 400. Reconnect with Last-Event-ID.',
  content: {
    'text/event-stream': {
      // each event as an SSE parser hands it over: its fields, `data` being JSON text
      schema: {
        type: 'array',
        items: {
          oneOf: [
            {
              type: 'object',
              required: ['event', 'data'],
              properties: {
                event: { const: 'transition' },
                id: { type: 'string', description: 'the transition seq (on the queue: `{jobId}:{seq}`)' },
                data: {
                  type: 'string',
                  contentMediaType: 'application/json',
                  contentSchema: {
                    allOf: [
                      ref('Transition'),
                      { type: 'object', required: ['jobId'], properties: { jobId: { type: 'string' } } },
                    ],
                  },
                },
              },
            },
            {
              type: 'object',
              required: ['event', 'data'],
              properties: {
                event: { const: 'progress' },
                data: {
                  type: 'string',
                  contentMediaType: 'application/json',
                  contentSchema: {
                    type: 'object',
                    required: ['jobId', 'progress'],
                    properties: {
                      jobId: { type: 'string' },
                      progress: { anyOf: [{ type: 'null' }, { type: 'object' }] },
                    },
                  },
                },
              },
            },
          ],
        },
      },
    },
  },
};

/** Error answers by status: what each means here (docs/contract.md, "Errors"). */
export const ERRORS: Record<number, string> = {
  400: 'invalid input (body, query or a value the service refuses)',
  401: 'no, or an invalid, credential',
  403: 'not allowed for this caller',
  404: 'unknown, or not yours',
  405: 'a method this path does not declare; `Allow` lists the ones it does',
  409: 'conflict with the current state',
  413: 'body over 1 MiB (as sent or decoded), or a job over the stored-size budget',
  415: 'not JSON',
  429: 'a quota of the caller; retry after `Retry-After` seconds',
  503: 'not available in this deployment; or a dependency unavailable for now, with `Retry-After`: send it again',
};
/** The shared response (components/responses/E<code>) of one error status. */
export const errorResponse = (code: number): Json => {
  const r = json(ref('Error'), ERRORS[code]);
  if (code === 405)
    r.headers = {
      Allow: { description: 'the methods this path declares', schema: { type: 'string' }, required: true },
    };
  if (code === 429)
    r.headers = {
      'Retry-After': { description: 'seconds to wait', schema: { type: 'integer', minimum: 0 }, required: true },
    };
  if (code === 503)
    r.headers = {
      'Retry-After': { description: 'seconds to wait (a transient failure)', schema: { type: 'integer', minimum: 0 } },
    };
  return r;
};
/** An operation's error responses: the given statuses and 405, each a reference to its shared response. */
export const errors = (...codes: number[]): Json =>
  Object.fromEntries(
    [...new Set([...codes, 405])].sort().map((c) => [String(c), { $ref: `#/components/responses/E${c}` }]),
  );

/** Statuses every bearer-authenticated operation can answer, and those of an operation that parses a JSON body. */
export const AUTH = [401];
export const BODY = [400, 413, 415];

export const JOB_OPS = {
  get: '',
  reconcile: 'reconcile',
  cancel: 'cancel',
  retry: 'retry',
  updates: 'updates',
  history: 'history',
  progress: 'progress',
  diagnosis: 'diagnosis',
  events: 'events',
};
export const PROJECT_OPS = { get: '', reconcile: 'reconcile', generate: 'generate' };
const opId = (kind: 'Job' | 'Project', op: string): string => `${op === 'get' ? 'get' : op}${kind}`;
/** links from a 2xx carrying `{job}` or `{project}` to every operation taking its id. */
export const links = (kind: 'Job' | 'Project', ops: Record<string, string>): Json =>
  Object.fromEntries(
    Object.keys(ops).map((op) => [
      opId(kind, op),
      {
        operationId: opId(kind, op),
        parameters: { id: `$response.body#/${kind.toLowerCase()}/id` },
      },
    ]),
  );

export const jobBody = { type: 'object', required: ['job'], properties: { job: ref('Job') } };
export const projectBody = { type: 'object', required: ['project'], properties: { project: ref('Project') } };
export const withJobLinks = (r: Json): Json => ({ ...r, links: links('Job', JOB_OPS) });

/** What every bearer-authenticated operation says of its security. */
export const secured = { security: [{ bearer: [] }] };
/** An operation on one job (`/api/jobs/{id}…`) or one project (`/api/projects/{id}…`). */
export const jobOp = (op: keyof typeof JOB_OPS, o: Json): Json => ({
  ...secured,
  operationId: opId('Job', op),
  parameters: [idParam('job')],
  ...o,
});
export const projectOp = (op: keyof typeof PROJECT_OPS, o: Json): Json => ({
  ...secured,
  operationId: opId('Project', op),
  parameters: [idParam('project')],
  ...o,
});

/** `?dryRun=true` on a reconcile (seed 001's `auto_fix=False`). */
export const DRY_RUN = {
  name: 'dryRun',
  in: 'query',
  schema: { enum: ['true', 'false', '1', '0'] },
  description: '`true` or `1`: say what the reconcile would correct, and write nothing (still a probe of the quota)',
} as const;

/** A reconcile's answer, `{report}`: what it found and did (or, on a dry run, would do). */
export const reportBody = (properties: Json): Json =>
  json({
    type: 'object',
    properties: {
      report: {
        type: 'object',
        properties: {
          originalStatus: { type: 'string' },
          correctedStatus: { type: 'string' },
          action: { enum: ['corrected', 'unchanged'] },
          dryRun: { type: 'boolean', description: 'present (true) on a dry run: nothing was written' },
          ...properties,
        },
      },
    },
  });
