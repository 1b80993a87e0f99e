/**
 * `verity subscriptions …`: outbound webhooks (docs/api.md "Subscriptions") for an operator, through the same
 * service and schemas as the /api/subscriptions routes, as the admin OPERATOR (every owner's subscriptions).
 * A refusal prints its error code and message on stderr: exit 1, 3 when not found, 2 for a usage error.
 */
import { ValidationError, VerityError } from '../../shared/src/core/index.js';
import type { z } from 'zod';
import {
  CreateSubscriptionSchema,
  DeliveriesQuerySchema,
  ReplaySchema,
  RotateSecretSchema,
} from '../../shared/src/schemas.js';
import type { Runtime } from '../../shared/src/runtime.js';
import { deliveryView, subscriptionView } from '../../shared/src/views.js';
import { table } from './format.js';
import { OPERATOR } from './insight.js';

/** The options of `verity subscriptions` (main.ts adds them to its own; --owner, --limit and --json are its). */
export const SUBSCRIPTION_OPTIONS = {
  url: { type: 'string' },
  types: { type: 'string' },
  statuses: { type: 'string' },
  'project-id': { type: 'string' },
  'overlap-seconds': { type: 'string' },
  state: { type: 'string' },
  job: { type: 'string' },
  'from-seq': { type: 'string' },
  since: { type: 'string' },
} as const;

export const SUBSCRIPTIONS_USAGE = `  subscriptions list           outbound webhooks of every owner: url, filter, state, why disabled
  subscriptions create --url U --owner O|'*' [--types a,b] [--statuses s,t] [--project-id P]
                               a webhook for one owner's jobs (or every owner's); prints its signing secret once
  subscriptions delete <id>
  subscriptions enable <id>    delivers again after it was disabled for persistent failure
  subscriptions rotate <id> [--overlap-seconds N]
                               a new signing secret, printed once; the old one signs N s more (default a day)
  subscriptions deliveries <id> [--state pending|delivered|dead] [--job J] [--limit N]
                               its deliveries, newest first (--state dead: the dead-letter list)
  subscriptions replay <id> [--job J] [--from-seq N] [--since ISO]
                               deliveries pending again (no option: the dead-letter list)`;

type Options = { [K in keyof typeof SUBSCRIPTION_OPTIONS]?: string | undefined } & {
  owner?: string | undefined;
  limit?: string | undefined;
  json?: boolean | undefined;
};

class Usage extends Error {}

const list = (csv: string | undefined): string[] | undefined =>
  csv === undefined
    ? undefined
    : csv
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

const int = (flag: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new Usage(`${flag} must be a whole number`);
  return Number(text);
};

/** The flag a field of the API's body or query is given by. */
const FLAGS: Record<string, string> = { ownerId: 'owner', jobId: 'job', projectId: 'project-id' };
const flagOf = (field: string) => `--${FLAGS[field] ?? field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The schema's answer, or the API's refusal of the same input (INVALID_INPUT, each flag's problem). */
function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (i) => `${flagOf(String(i.path[0] ?? ''))}${i.path.length > 1 ? `[${String(i.path[1])}]` : ''}: ${i.message}`,
  );
  throw new ValidationError(`invalid input: ${problems.join('; ')}`);
}

function print(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : human());
}

const filterOf = (s: { types: string[]; statuses: string[]; projectId: string | null }): string =>
  [
    `types: ${s.types.join(',') || 'all'}`,
    `statuses: ${s.statuses.join(',') || 'all'}`,
    ...(s.projectId ? [`project: ${s.projectId}`] : []),
  ].join('; ');

const secretLines = (secret: string): string =>
  `signing secret: ${secret}\n` +
  'This secret will not be shown again: store it now (verity subscriptions rotate <id> makes a new one).\n';

/** `verity subscriptions <sub> [id]`: the exit code (errors are printed here, not thrown). */
export async function subscriptionsCommand(
  rt: Runtime,
  sub: string | undefined,
  id: string | undefined,
  o: Options,
): Promise<number> {
  try {
    return await run(rt, sub, id, o);
  } catch (err) {
    if (err instanceof Usage) {
      process.stderr.write(`verity: ${err.message}\n\nusage:\n${SUBSCRIPTIONS_USAGE}\n`);
      return 2;
    }
    if (!(err instanceof VerityError)) throw err;
    const details = Array.isArray(err.details)
      ? (err.details as { field?: string; path?: string; message?: string }[])
          .filter((d) => d.message && !err.message.includes(d.message))
          .map((d) => `\n  ${d.field ?? d.path ?? ''}: ${d.message}`)
          .join('')
      : '';
    process.stderr.write(`verity: ${err.code}: ${err.message}${details}\n`);
    return err.code === 'NOT_FOUND' ? 3 : 1;
  }
}

async function run(rt: Runtime, sub: string | undefined, id: string | undefined, o: Options): Promise<number> {
  const json = o.json === true;
  const svc = rt.subscriptions;
  const view = (s: Parameters<typeof subscriptionView>[0]) => subscriptionView(s, rt.clock());
  if (sub === 'list') {
    const all = (await svc.list(OPERATOR)).map(view);
    print(json, all, () =>
      all.length === 0
        ? 'no subscriptions\n'
        : table(
            all.map((s) => ({
              id: s.id,
              url: s.url,
              owner: s.ownerId,
              filter: filterOf(s),
              state: s.state,
              disabled: s.disabledReason,
              secrets: s.signingSecrets,
              created: s.createdAt,
            })),
            ['id', 'url', 'owner', 'filter', 'state', 'disabled', 'secrets', 'created'],
          ),
    );
    return 0;
  }
  if (sub === 'create') {
    if (!o.url) throw new Usage('subscriptions create needs --url <https://…>');
    if (!o.owner) throw new Usage("subscriptions create needs --owner <userId>, or --owner '*' for every owner's jobs");
    const req = parse(CreateSubscriptionSchema, {
      url: o.url,
      ownerId: o.owner,
      ...(o.types !== undefined ? { types: list(o.types) } : {}),
      ...(o.statuses !== undefined ? { statuses: list(o.statuses) } : {}),
      ...(o['project-id'] !== undefined ? { projectId: o['project-id'] } : {}),
    });
    const { subscription, secret } = await svc.create(OPERATOR, req);
    const v = view(subscription);
    print(
      json,
      { subscription: v, secret },
      () => `created subscription ${v.id} → ${v.url}\n  owner: ${v.ownerId}; ${filterOf(v)}\n${secretLines(secret)}`,
    );
    return 0;
  }
  const known = ['delete', 'rotate', 'enable', 'deliveries', 'replay'];
  if (!sub || !known.includes(sub)) throw new Usage(`unknown subscriptions command "${sub ?? ''}"`);
  if (!id) throw new Usage(`subscriptions ${sub} needs a subscription id`);
  switch (sub) {
    case 'delete':
      await svc.remove(OPERATOR, id);
      print(json, { deleted: id }, () => `deleted subscription ${id}\n`);
      return 0;
    case 'rotate': {
      const { overlapSeconds } = parse(RotateSecretSchema, {
        overlapSeconds: int('--overlap-seconds', o['overlap-seconds']),
      });
      const { subscription, secret } = await svc.rotate(OPERATOR, id, overlapSeconds);
      const v = view(subscription);
      const n = overlapSeconds ?? 86_400;
      const overlap = n > 0 && n % 3600 === 0 ? `${n / 3600} h` : `${n} s`;
      print(
        json,
        { subscription: v, secret },
        () =>
          `rotated the signing secret of ${id}: the previous one signs for ${overlap} more ` +
          `(${v.signingSecrets === 1 ? 'only the new secret signs' : `${v.signingSecrets} secrets sign`} now)\n${secretLines(secret)}`,
      );
      return 0;
    }
    case 'enable': {
      const before = view(await svc.read(OPERATOR, id));
      const v = view(await svc.enable(OPERATOR, id));
      const was =
        before.state === 'disabled' ? ` (it was disabled: ${before.disabledReason ?? 'no reason recorded'})` : '';
      print(json, { subscription: v }, () => `enabled subscription ${id}${was}\n`);
      return 0;
    }
    case 'deliveries': {
      const { limit, ...f } = parse(DeliveriesQuerySchema, {
        ...(o.state !== undefined ? { state: o.state } : {}),
        ...(o.job !== undefined ? { jobId: o.job } : {}),
        ...(o.limit !== undefined ? { limit: o.limit } : {}),
      });
      const found = (await svc.deliveries(OPERATOR, id, f, limit)).map(deliveryView);
      print(json, found, () =>
        found.length === 0
          ? `no ${f.state ?? ''}${f.state ? ' ' : ''}deliveries\n`
          : table(
              found.map((d) => ({
                webhookId: d.webhookId,
                status: d.status,
                attempts: d.attempts,
                lastStatus: d.lastStatus,
                lastError: d.lastError,
                next: d.nextAttemptAt,
                created: d.createdAt,
                delivered: d.deliveredAt,
              })),
              ['webhookId', 'status', 'attempts', 'lastStatus', 'lastError', 'next', 'created', 'delivered'],
            ),
      );
      return 0;
    }
    default: {
      const r = parse(ReplaySchema, {
        ...(o.job !== undefined ? { jobId: o.job } : {}),
        ...(o['from-seq'] !== undefined ? { fromSeq: int('--from-seq', o['from-seq']) } : {}),
        ...(o.since !== undefined ? { since: o.since } : {}),
      });
      const { replayed } = await svc.replay(OPERATOR, id, r);
      const what = Object.keys(r).length === 0 ? 'from the dead-letter list ' : '';
      // not tried from here (a process about to exit): the sweep's next deliveries pass sends them
      print(
        json,
        { replay: { replayed } },
        () =>
          `replayed ${replayed} ${replayed === 1 ? 'delivery' : 'deliveries'} ${what}of ${id}: pending again, sent by the next sweep\n`,
      );
      return 0;
    }
  }
}
