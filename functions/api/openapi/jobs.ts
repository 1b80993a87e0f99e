/** The job paths of the OpenAPI document (./openapi.ts): `/api/jobs` and every operation on one job. */
import { JobListQuerySchema, StatsQuerySchema } from '../../../shared/src/schemas.js';
import {
  AUTH,
  BODY,
  body,
  DRY_RUN,
  errors,
  idParam,
  jobBody,
  jobOp,
  json,
  reportBody,
  secured,
  sse,
  withJobLinks,
} from './operations.js';
import { enqueueSchema, queryParams, updateSchema, type ApiVocabulary, type Json } from './requests.js';
import { ref, stats } from './schemas.js';

export const jobPaths = (v: ApiVocabulary): Json => ({
  '/api/jobs': {
    post: {
      ...secured,
      operationId: 'enqueueJob',
      summary: 'Enqueue a job',
      requestBody: body(enqueueSchema(v)),
      responses: {
        201: withJobLinks(json(jobBody, 'created')),
        200: withJobLinks(json(jobBody, 'the job of a repeated idempotencyKey')),
        // 403 and 404: attach (an admin's; an execution no executor knows)
        ...errors(...AUTH, ...BODY, 403, 404, 409, 429),
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
      summary: 'Reconcile now (dryRun=true: what it would do, nothing written)',
      parameters: [idParam('job'), DRY_RUN],
      responses: {
        200: reportBody({
          jobId: { type: 'string' },
          reason: { type: 'string' },
          evidence: { type: 'array', items: { type: 'object' } },
        }),
        ...errors(...AUTH, 400, 404, 429),
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
  '/api/jobs/{id}/diagnosis': {
    get: jobOp('diagnosis', {
      summary:
        'The job explained in plain words: the cause with its evidence, what it waits for, the next deadline and ' +
        'what happens then, the actions that make sense (rules over history, evidence and policy; no probe inside ' +
        'the deadlines)',
      responses: {
        200: json({ type: 'object', required: ['diagnosis'], properties: { diagnosis: ref('Diagnosis') } }),
        ...errors(...AUTH, 404),
      },
    }),
  },
  '/api/stats/recoveries': {
    get: {
      ...secured,
      operationId: 'recoveryStats',
      summary:
        'What recovered what in a window, own jobs (admin: all): transitions by source and reason, recoveries with ' +
        'their time to recover, per type the ended jobs and failure rate, and the work avoided (count() and sum() ' +
        'aggregations; no counter document)',
      parameters: queryParams(StatsQuerySchema),
      responses: { 200: json(ref('RecoveryStats')), ...errors(...AUTH, 400, 429) },
    },
  },
  '/api/jobs/{id}/events': {
    get: jobOp('events', {
      summary: 'SSE of one job; Last-Event-ID replays from the history',
      responses: { 200: sse, ...errors(...AUTH, 400, 404, 429) },
    }),
  },
});
