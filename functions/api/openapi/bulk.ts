/**
 * The bulk-action paths of the OpenAPI document (./document.ts): `/api/jobs/bulk` and one bulk
 * (functions/api/bulk-routes.ts), with the statuses shared/src/reconcile/bulk-service.ts answers.
 */
import { BulkItemsQuerySchema, BulkRequestSchema } from '../../../shared/src/schemas.js';
import { AUTH, BODY, body, errors, idParam, json, secured } from './operations.js';
import { queryParams, schema, type ApiVocabulary, type Json } from './requests.js';
import { ref } from './schemas.js';

const BULK_TAG = 'bulk';

const PROSE = [
  'One action on every job a filter matches: `cancel` (active jobs), `retry` (failed or canceled ones: a new ' +
    'attempt each, the owner’s), `resume` (a retry of those with completed steps, which resumes past them) and ' +
    '`reconcile` (a look now, charged to the caller’s probe quota). A user acts on their own jobs; an admin on ' +
    'every owner’s, or one owner’s (`filter.ownerId`; a user naming another owner: 403).',
  '',
  '**Before anything is done**: the filter is checked (the job type configured, at most 10,000 jobs matched, ' +
    'at most 50,000 read to find them: past either, 400 — narrow it); `dryRun: true` answers the count and the ' +
    'ten newest with nothing written. A real bulk freezes the matched jobs as its items — jobs made later, its own ' +
    'retries among them, are never touched — and answers 202 at once.',
  '',
  '**Carried out** in batches of 20 under the bulk’s lease: in the background right away, on each ' +
    '`GET /api/jobs/bulk/{id}` (a client polling for progress moves it), and by the sweep, whichever comes first; ' +
    'a process that dies mid-batch leaves the rest to the next. Each job is read again and goes through its own ' +
    'command — its ownership, its quotas, the one transactional path: a job no longer matching, or already where ' +
    'the action takes it, is `skipped`; a refusal (a quota, a conflict) is `failed` with why ' +
    '(`/api/jobs/bulk/{id}/items?state=failed`). Every transition a bulk makes has `source: "api"` and ' +
    '`evidence.bulk: {bulkId, userId}`; a retry’s new job names both on its first transition (`evidence.retryOf`).',
  '',
  '**Idempotent**: the same `requestId` from the same caller answers the first bulk; an item is marked started ' +
    'before its action, and one found started again is done if the job’s history names the bulk; a retry of a ' +
    'job at the same version is the same new job (its idempotency key). The CLI: `verity bulk`.',
].join('\n');

export const BULK_TAGS: Json[] = [{ name: BULK_TAG, 'x-displayName': 'Bulk actions', description: PROSE }];

const count = (description: string): Json => ({ type: 'integer', minimum: 0, description });

/** A bulk as answered: its action and filter, who asked, and its items' counts. */
export const BULK_SCHEMA: Json = {
  type: 'object',
  required: ['id', 'action', 'filter', 'by', 'matched', 'done', 'skipped', 'failed', 'pending', 'state', 'createdAt'],
  properties: {
    id: { type: 'string', pattern: '^bulk_[A-Za-z0-9-]+$' },
    action: { type: 'string', enum: ['cancel', 'retry', 'reconcile', 'resume'] },
    filter: { type: 'object', description: 'as given, times as epoch ms' },
    by: { type: 'string', description: 'who asked: every transition it made names them and this bulk' },
    matched: count('jobs the filter matched when the bulk was made (frozen: jobs made later are not touched)'),
    done: count('jobs the action was carried out on'),
    skipped: count('jobs it left alone: already where the action takes them, or no longer matching'),
    failed: count('jobs whose command was refused (quota, conflict) or failed'),
    pending: count('jobs not yet reached'),
    state: { type: 'string', enum: ['running', 'done'] },
    requestId: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
    endedAt: { type: ['string', 'null'], format: 'date-time' },
  },
};

const bulkBody = { type: 'object', required: ['bulk'], properties: { bulk: ref('Bulk') } };
const preview = {
  type: 'object',
  required: ['bulk'],
  properties: {
    bulk: {
      type: 'object',
      required: ['matched', 'sample'],
      properties: {
        matched: count('jobs the filter matches now'),
        sample: { type: 'array', maxItems: 10, items: ref('Job'), description: 'the newest of them' },
      },
    },
  },
};
const links = { getBulk: { operationId: 'getBulk', parameters: { id: '$response.body#/bulk/id' } } };

/** POST /api/jobs/bulk: the zod schema, its job type narrowed to the registered ones. */
function requestSchema(v: ApiVocabulary): Json {
  const s = schema(BulkRequestSchema);
  const f = s.properties.filter as Json;
  f.properties.type = { ...f.properties.type, enum: v.jobTypes.map((t) => t.name) };
  f.properties.ownerId.description = 'admins only: one owner’s jobs (a user naming another owner: 403)';
  f.properties.projectId.description = 'the jobs of this project (their resourceKey is `project:{id}`)';
  s.properties.dryRun.description = 'answer the count and a sample; change nothing';
  s.properties.requestId.description = 'the same id again (same caller) answers the first bulk';
  return s;
}

export const bulkPaths = (v: ApiVocabulary): Json => ({
  '/api/jobs/bulk': {
    post: {
      ...secured,
      tags: [BULK_TAG],
      operationId: 'createBulk',
      summary:
        'Cancel, retry, reconcile or resume every own job (admin: any) a filter matches — at most 10,000; ' +
        'a dry run answers the count and a sample; otherwise 202 and the bulk runs in the background',
      requestBody: body(requestSchema(v)),
      responses: {
        200: json(preview, 'a dry run: nothing changed'),
        202: { ...json(bulkBody, 'started (or the bulk this requestId made before)'), links },
        ...errors(...AUTH, ...BODY, 403),
      },
    },
  },
  '/api/jobs/bulk/{id}': {
    get: {
      ...secured,
      tags: [BULK_TAG],
      operationId: 'getBulk',
      summary: 'A bulk and its progress (another caller’s: 404); reading it carries a running one on',
      parameters: [idParam('bulk')],
      responses: { 200: json(bulkBody), ...errors(...AUTH, 404) },
    },
  },
  '/api/jobs/bulk/{id}/items': {
    get: {
      ...secured,
      tags: [BULK_TAG],
      operationId: 'listBulkItems',
      summary: 'Its jobs by state, with why a job failed or was skipped',
      parameters: [idParam('bulk'), ...queryParams(BulkItemsQuerySchema)],
      responses: {
        200: json({
          type: 'object',
          required: ['items'],
          properties: {
            items: {
              type: 'array',
              items: {
                type: 'object',
                required: ['jobId', 'state', 'detail'],
                properties: {
                  jobId: { type: 'string' },
                  state: { type: 'string', enum: ['pending', 'done', 'skipped', 'failed'] },
                  detail: { type: ['string', 'null'], description: 'the new job (retry), why skipped or failed' },
                },
              },
            },
          },
        }),
        ...errors(...AUTH, 400, 404),
      },
    },
  },
});
