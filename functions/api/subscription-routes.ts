/** Subscriptions (issue 31, docs/api.md): outbound webhooks by the Standard Webhooks spec. */
import { ValidationError } from '../../shared/src/core/index.js';
import { validationProblems } from '../../shared/src/api-kit.js';
import {
  CreateSubscriptionSchema,
  DeliveriesQuerySchema,
  ReplaySchema,
  RotateSecretSchema,
} from '../../shared/src/schemas.js';
import { deliveryView, subscriptionView } from '../../shared/src/views.js';
import { parseBody } from '../common/http.js';
import { ID, type Route } from './route.js';

const ONE = new RegExp(`^/api/subscriptions/${ID}$`);
const sub = (action: string) => new RegExp(`^/api/subscriptions/${ID}/${action}$`);

export const subscriptionRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/api\/subscriptions$/,
    auth: true,
    run: async ({ req, res, rt, who }) => {
      const { subscription, secret } = await rt.subscriptions.create(who, parseBody(req, CreateSubscriptionSchema));
      res.status(201).json({ subscription: subscriptionView(subscription, rt.clock()), secret });
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/subscriptions$/,
    auth: true,
    run: async ({ res, rt, who }) => {
      const all = await rt.subscriptions.list(who);
      res.status(200).json({ subscriptions: all.map((s) => subscriptionView(s, rt.clock())) });
    },
  },
  {
    method: 'GET',
    pattern: ONE,
    auth: true,
    run: async ({ res, rt, who, id }) => {
      res.status(200).json({ subscription: subscriptionView(await rt.subscriptions.read(who, id), rt.clock()) });
    },
  },
  {
    method: 'DELETE',
    pattern: ONE,
    auth: true,
    run: async ({ res, rt, who, id }) => {
      await rt.subscriptions.remove(who, id);
      res.status(204).end();
    },
  },
  {
    method: 'POST',
    pattern: sub('rotate'),
    auth: true,
    run: async ({ req, res, rt, who, id }) => {
      const { overlapSeconds } = parseBody(req, RotateSecretSchema, { optional: true });
      const { subscription, secret } = await rt.subscriptions.rotate(who, id, overlapSeconds);
      res.status(200).json({ subscription: subscriptionView(subscription, rt.clock()), secret });
    },
  },
  {
    method: 'POST',
    pattern: sub('enable'),
    auth: true,
    run: async ({ res, rt, who, id }) => {
      res.status(200).json({ subscription: subscriptionView(await rt.subscriptions.enable(who, id), rt.clock()) });
    },
  },
  {
    method: 'GET',
    pattern: sub('deliveries'),
    auth: true,
    run: async ({ req, res, rt, who, id }) => {
      const q = DeliveriesQuerySchema.safeParse(req.query);
      if (!q.success) throw new ValidationError('invalid query', validationProblems(q.error.issues));
      const { limit, ...f } = q.data;
      const found = await rt.subscriptions.deliveries(who, id, f, limit);
      res.status(200).json({ deliveries: found.map(deliveryView) });
    },
  },
  {
    method: 'POST',
    pattern: sub('replay'),
    auth: true,
    run: async ({ req, res, rt, who, id }) => {
      const { replayed, ids } = await rt.subscriptions.replay(
        who,
        id,
        parseBody(req, ReplaySchema, { optional: true }),
      );
      rt.deliveries.kick(ids); // tried now in the background; what is left, the sweep delivers
      res.status(202).json({ replay: { replayed } });
    },
  },
];
