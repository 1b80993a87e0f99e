/**
 * What Verity sends to subscribers (the OpenAPI 3.1 `webhooks` of ./document.ts): the `job.transition` event of
 * shared/src/core/subscriptions.ts, signed by the Standard Webhooks spec (shared/src/webhooks/standard.ts), and
 * the words of the subscriptions tag, which docs/api.md renders as its section "Subscriptions (outbound webhooks)".
 */
import { DELIVERY_BACKOFF, DELIVERY_WINDOW_MS, JOB_STATUSES, Reason, Source } from '../../../shared/src/core/index.js';

import { MAX_REPLAY } from '../../../shared/src/reconcile/subscriptions-service.js';
import { WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP } from '../../../shared/src/webhooks/standard.js';
import { POST_LIMITS } from '../../../shared/src/webhooks/post.js';
import type { Json } from './requests.js';
import { ref } from './schemas.js';

export const SUBSCRIPTIONS_TAG = 'subscriptions';

const { initialSeconds, maxSeconds, jitter } = DELIVERY_BACKOFF;
const windowHours = DELIVERY_WINDOW_MS / 3_600_000;

/** The section of docs/api.md on subscriptions: how a subscriber receives, verifies and recovers events. */
const PROSE = [
  'An owner subscribes an endpoint to the transitions of its own jobs (an admin: of one owner’s, `ownerId`, or of ' +
    "every owner's, `*`), filtered by job `types`, the `statuses` a transition enters and a `projectId`. Each " +
    'transition it asked for is one `job.transition` event (see "Webhooks" below), `POST`ed to its `url` as JSON.',
  '',
  '**Verifying.** Every delivery carries the Standard Webhooks headers `webhook-id` (`{jobId}:{seq}`, the same on ' +
    'every retry and replay of one event: deduplicate on it), `webhook-timestamp` (unix seconds of this try) and ' +
    '`webhook-signature`: `v1,<base64 HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{raw body}")>`, the key ' +
    'being the base64-decoded part of the secret after `whsec_`. During a rotation’s overlap two signatures come, ' +
    'space-separated: accept the delivery when one matches. Verify the raw bytes before parsing them, e.g. with the ' +
    'reference library `standardwebhooks` (npm, PyPI and others): `new Webhook(secret).verify(rawBody, headers)` ' +
    'throws unless a signature matches and the timestamp is within 5 minutes.',
  '',
  `**Answering.** A 2xx within the try's bound (\`VERITY_DELIVERY_TIMEOUT_MS\`, default ${POST_LIMITS.timeoutMs / 1000} s) ` +
    'is a delivery; ' +
    'anything else (a 3xx: redirects are not followed; a 4xx or 5xx; no answer in time; an address refused) is a ' +
    `failed try. At most ${POST_LIMITS.maxResponseBytes / 1024} KiB of the answer is read; its start is kept as the ` +
    "delivery's `lastError`.",
  '',
  '**Order.** One subscription gets the events of one job in `seq` order: a later one waits until the earlier ' +
    'one is delivered. Other jobs and other subscriptions do not wait on it.',
  '',
  `**Retries and dead letters.** A failed try is retried with exponential backoff and jitter: ${initialSeconds} s, ` +
    `doubling up to ${maxSeconds / 3600} h, each ±${jitter * 100}%, for ${windowHours} h from the first try. Then ` +
    'the delivery goes to the dead-letter list (`GET /api/subscriptions/{id}/deliveries?state=dead`) and the ' +
    'subscription is disabled, with its `disabledReason`. The sweep delivers what is due, at most ' +
    '`VERITY_DELIVERIES_PER_PASS` (default 100) per subscription per pass.',
  '',
  '**Enable and replay.** `POST /api/subscriptions/{id}/enable` delivers again from then on; dead letters stay ' +
    'until `POST /api/subscriptions/{id}/replay` makes them pending again, each with its first body and ' +
    '`webhook-id`: with no body the dead-letter list, with `{jobId, fromSeq}` one job’s events from a seq on, with ' +
    `\`{since}\` every one since a time; at most ${MAX_REPLAY} a request (202 with the count). A disabled ` +
    'subscription replays nothing (400): enable it first.',
  '',
  '**Rotation.** The secret is answered once, by `POST /api/subscriptions` and by ' +
    '`POST /api/subscriptions/{id}/rotate`, and never shown again. A rotation answers a new one; the old ones ' +
    'keep signing beside it for `overlapSeconds` (default a day, at most a week; 0: not at all).',
  '',
  '**Addresses.** Only `https://` URLs (on the local stack also `http://127.0.0.1:<port>`), without credentials ' +
    'or a fragment. Private (10/8, 172.16/12, 192.168/16, fc00::/7), loopback, link-local and metadata ' +
    '(169.254/16, fe80::/10, `metadata.google.internal`), shared (100.64/10), multicast and reserved addresses are ' +
    'refused: a literal one when the subscription is made, a name by every address it resolves to — when the ' +
    'subscription is made (400 `INVALID_INPUT`, as for a name that does not resolve) and again on every delivery, ' +
    'the connection going to the address checked.',
  '',
  '**Limits.** `VERITY_MAX_SUBSCRIPTIONS` (default 10) subscriptions per user: past it 429 `QUOTA_EXCEEDED`. A ' +
    "user's subscriptions and their deliveries are theirs alone: another owner's answer 404.",
].join('\n');

export const SUBSCRIPTIONS_TAGS: Json[] = [
  { name: SUBSCRIPTIONS_TAG, 'x-displayName': 'Subscriptions (outbound webhooks)', description: PROSE },
];

const header = (name: string, description: string, pattern: string): Json => ({
  name,
  in: 'header',
  required: true,
  description,
  schema: { type: 'string', pattern },
});

/** The event a subscriber receives (shared/src/core/subscriptions.ts eventBody). */
const EventSchema: Json = {
  type: 'object',
  required: ['type', 'timestamp', 'data'],
  properties: {
    type: { const: 'job.transition' },
    timestamp: { type: 'string', format: 'date-time', description: 'when the transition was made' },
    data: {
      type: 'object',
      required: ['jobId', 'seq', 'from', 'to', 'reason', 'source', 'at', 'job'],
      properties: {
        jobId: { type: 'string' },
        seq: { type: 'integer', minimum: 1, description: "the transition's place in the job's history" },
        from: { enum: [...JOB_STATUSES, null] },
        to: { enum: [...JOB_STATUSES] },
        reason: { enum: Object.values(Reason) },
        source: { enum: Object.values(Source) },
        at: { type: 'string', format: 'date-time' },
        job: { ...ref('Job'), description: 'the job as it was when the transition was made' },
      },
    },
  },
};

/** The document's `webhooks`: what Verity POSTs to every subscription's url. */
export const subscriptionWebhooks = (): Json => ({
  'job.transition': {
    post: {
      tags: [SUBSCRIPTIONS_TAG],
      operationId: 'jobTransitionEvent',
      summary: 'A job transition a subscription asked for, POSTed to its url',
      description:
        'Signed by the Standard Webhooks spec (one signature per signing secret); retried with backoff for a day, ' +
        'then dead-lettered: see the `subscriptions` tag ("Subscriptions (outbound webhooks)" in docs/api.md).',
      parameters: [
        header(WEBHOOK_ID, '`{jobId}:{seq}`: the same on every retry and replay of this event', '^[^:]+:[0-9]+$'),
        header(WEBHOOK_TIMESTAMP, 'unix seconds of this try', '^[0-9]+$'),
        header(
          WEBHOOK_SIGNATURE,
          '`v1,<base64 HMAC-SHA256>` of `{webhook-id}.{webhook-timestamp}.{body}`, one per signing secret, ' +
            'space-separated',
          '^v1,[A-Za-z0-9+/]+={0,2}( v1,[A-Za-z0-9+/]+={0,2})*$',
        ),
      ],
      requestBody: { required: true, content: { 'application/json': { schema: EventSchema } } },
      responses: {
        '2XX': { description: 'delivered' },
        default: {
          description: `anything else, or no answer within ${POST_LIMITS.timeoutMs / 1000} s: retried with backoff`,
        },
      },
    },
  },
});
