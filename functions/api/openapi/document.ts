/**
 * The OpenAPI 3.1 document, served at /api/openapi.json. Built from the same zod schemas that validate the
 * requests, plus what only the configuration knows (./requests.ts); responses come from
 * ./schemas.ts, the operations' building blocks (statuses, links) from ./operations.ts, the paths
 * from ./jobs.ts, ./projects.ts, ./subscriptions.ts and, for the rest (streams, sweep, webhooks in, this
 * document, liveness), from here; what Verity sends to subscribers is the document's `webhooks` (./outbound.ts).
 * Every operation lists every status it can answer; `links` lead from the 2xx of `POST /api/jobs`,
 * `POST /api/projects` and `POST /api/subscriptions` to every operation on the new id, so a stateful client (or
 * fuzzer) reaches them all.
 */
import { parseEnv } from '../../../shared/src/config/env.js';
import { buildRegistry } from '../../../shared/src/config/job-types.js';
import { WebhookBodySchema } from '../../../shared/src/reconcile/webhooks-service.js';
import { SweepRequestSchema } from '../../../shared/src/schemas.js';
import { jobPaths } from './jobs.js';
import { AUTH, BODY, body, ERRORS, errorResponse, errors, json, secured, sse } from './operations.js';
import { SUBSCRIPTIONS_TAGS, subscriptionWebhooks } from './outbound.js';
import { projectPaths } from './projects.js';
import { schema, vocabularyOf, type ApiVocabulary } from './requests.js';
import { SCHEMAS } from './schemas.js';
import { subscriptionPaths } from './subscriptions.js';
import { BULK_SCHEMA, BULK_TAGS, bulkPaths } from './bulk.js';

export { vocabularyOf, type ApiVocabulary, type TypeVocabulary } from './requests.js';

export function openApiDocument(v: ApiVocabulary): Record<string, unknown> {
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
    tags: [...BULK_TAGS, ...SUBSCRIPTIONS_TAGS],
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
      schemas: { ...SCHEMAS, Bulk: BULK_SCHEMA },
      responses: Object.fromEntries(Object.keys(ERRORS).map((c) => [`E${c}`, errorResponse(Number(c))])),
    },
    paths: {
      ...bulkPaths(v),
      ...jobPaths(v),
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
      ...projectPaths(v),
      ...subscriptionPaths(v),
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
    webhooks: subscriptionWebhooks(),
  };
}

/** The local stack's document, whatever this process's environment says: docs/api.md is rendered from it. */
export function localApiDocument(): Record<string, unknown> {
  const env = parseEnv({ VERITY_PROFILE: 'local' });
  return openApiDocument(vocabularyOf(buildRegistry(env), env));
}
