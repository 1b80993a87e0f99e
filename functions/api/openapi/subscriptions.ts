/**
 * The subscription paths of the OpenAPI document (./document.ts): `/api/subscriptions` and every operation on
 * one subscription (functions/api/subscription-routes.ts), with the statuses shared/src/reconcile/
 * subscriptions-service.ts answers. The deliveries they make are the document's `webhooks` (./outbound.ts).
 */
import {
  CreateSubscriptionSchema,
  DeliveriesQuerySchema,
  ReplaySchema,
  RotateSecretSchema,
} from '../../../shared/src/schemas.js';
import { AUTH, BODY, body, errors, idParam, json, secured } from './operations.js';
import { SUBSCRIPTIONS_TAG } from './outbound.js';
import { queryParams, schema, type ApiVocabulary, type Json } from './requests.js';
import { ref } from './schemas.js';

/** The operations on one subscription, by operationId: what the links of a new one lead to. */
const ON_ONE = [
  'getSubscription',
  'deleteSubscription',
  'rotateSubscriptionSecret',
  'enableSubscription',
  'listDeliveries',
  'replayDeliveries',
] as const;
type OnOne = (typeof ON_ONE)[number];

/** Links from a 2xx carrying `{subscription}` to every operation on its id. */
const subscriptionLinks = (): Json =>
  Object.fromEntries(
    ON_ONE.map((op) => [op, { operationId: op, parameters: { id: '$response.body#/subscription/id' } }]),
  );

const subscriptionBody = {
  type: 'object',
  required: ['subscription'],
  properties: { subscription: ref('Subscription') },
};
const withSecret = {
  type: 'object',
  required: ['subscription', 'secret'],
  properties: {
    subscription: ref('Subscription'),
    secret: {
      type: 'string',
      pattern: '^whsec_[A-Za-z0-9+/]+={0,2}$',
      description:
        'the signing secret, answered this once (never shown again): `whsec_` and the base64 of 32 key bytes, ' +
        'as the Standard Webhooks libraries take it',
    },
  },
};

const op = (operationId: OnOne, o: Json): Json => ({
  ...secured,
  tags: [SUBSCRIPTIONS_TAG],
  operationId,
  parameters: [idParam('subscription')],
  ...o,
});

/**
 * The URL's form (webhooks/endpoint.ts): `https://`, a host, a path without a fragment; on the local stack also
 * its own address. Where a name points is DNS's to say, not the schema's: a URL of this form whose name does
 * not resolve, or resolves inward, is refused (400) all the same.
 */
const HTTPS_URL = '^https://[^\\s/?#@\\\\]+(/[^\\s#]*)?$';
const LOCAL_URL = '^http://127\\.0\\.0\\.1:[1-9][0-9]{1,4}(/[^\\s#]*)?$';

/** POST /api/subscriptions: the zod schema, its job types narrowed to the registered ones, its rules said. */
function createSchema(v: ApiVocabulary): Json {
  const s = schema(CreateSubscriptionSchema);
  const url = s.properties.url as Json;
  if (v.localEndpoints) url.anyOf = [LOCAL_URL, HTTPS_URL].map((pattern) => ({ type: 'string', pattern }));
  else url.pattern = HTTPS_URL;
  url.description =
    'where the events are POSTed: `https://` (on the local stack also `http://127.0.0.1:<port>`), no credentials ' +
    'or fragment; refused (400) when it names, or its name resolves to, a private, loopback, link-local ' +
    '(metadata), shared, multicast or reserved address — or does not resolve';
  s.properties.types.items = { ...s.properties.types.items, enum: v.jobTypes.map((t) => t.name) };
  s.properties.types.description = 'registered job types it hears of; empty: every type';
  s.properties.statuses.description = 'the states a transition enters that it hears of; empty: every transition';
  s.properties.projectId.description = 'only the jobs of this project (their resourceKey is `project:{id}`)';
  s.properties.ownerId.description =
    "admins only: the owner whose jobs it hears of, or `*` for every owner's (a user naming another owner: 403)";
  return s;
}

export const subscriptionPaths = (v: ApiVocabulary): Json => ({
  '/api/subscriptions': {
    post: {
      ...secured,
      tags: [SUBSCRIPTIONS_TAG],
      operationId: 'createSubscription',
      summary: 'Subscribe an endpoint to job transitions (outbound webhooks); the secret is answered once',
      requestBody: body(createSchema(v)),
      responses: {
        201: { ...json(withSecret, 'subscribed'), links: subscriptionLinks() },
        ...errors(...AUTH, ...BODY, 403, 429),
      },
    },
    get: {
      ...secured,
      tags: [SUBSCRIPTIONS_TAG],
      operationId: 'listSubscriptions',
      summary: 'Own subscriptions (admin: all), without their secrets',
      responses: {
        200: json({
          type: 'object',
          required: ['subscriptions'],
          properties: { subscriptions: { type: 'array', items: ref('Subscription') } },
        }),
        ...errors(...AUTH),
      },
    },
  },
  '/api/subscriptions/{id}': {
    get: op('getSubscription', {
      summary: 'Read a subscription (another owner’s: 404)',
      responses: { 200: json(subscriptionBody), ...errors(...AUTH, 404) },
    }),
    delete: op('deleteSubscription', {
      summary: 'Delete a subscription: nothing more is delivered to it',
      responses: { 204: { description: 'deleted' }, ...errors(...AUTH, 404) },
    }),
  },
  '/api/subscriptions/{id}/rotate': {
    post: op('rotateSubscriptionSecret', {
      summary: 'A new signing secret, answered once; the old ones keep signing beside it for the overlap',
      requestBody: body(schema(RotateSecretSchema), false),
      responses: { 200: json(withSecret, 'rotated'), ...errors(...AUTH, ...BODY, 404) },
    }),
  },
  '/api/subscriptions/{id}/enable': {
    post: op('enableSubscription', {
      summary: 'Deliver again after a disable (dead letters stay until replayed)',
      responses: { 200: json(subscriptionBody, 'active'), ...errors(...AUTH, 404) },
    }),
  },
  '/api/subscriptions/{id}/deliveries': {
    get: op('listDeliveries', {
      summary: 'Its deliveries, by job and seq: pending (with the next try), delivered, dead (the dead-letter list)',
      parameters: [idParam('subscription'), ...queryParams(DeliveriesQuerySchema)],
      responses: {
        200: json({
          type: 'object',
          required: ['deliveries'],
          properties: { deliveries: { type: 'array', items: ref('Delivery') } },
        }),
        ...errors(...AUTH, 400, 404),
      },
    }),
  },
  '/api/subscriptions/{id}/replay': {
    post: op('replayDeliveries', {
      summary:
        'Deliver again, each with its first body and webhook-id: one job’s (from a seq on), every one since a time, ' +
        'or (neither given) the dead-letter list; at most 1000 a request. A disabled subscription: 400',
      requestBody: body(schema(ReplaySchema), false),
      responses: {
        202: json(
          {
            type: 'object',
            required: ['replay'],
            properties: {
              replay: {
                type: 'object',
                required: ['replayed'],
                properties: {
                  replayed: { type: 'integer', minimum: 0, description: 'deliveries made pending again' },
                },
              },
            },
          },
          'made pending again: tried now in the background, then by the sweep',
        ),
        ...errors(...AUTH, ...BODY, 404),
      },
    }),
  },
});
