/**
 * Outbound webhooks (issue 31, docs/api.md "Subscriptions"), the pure part: which transitions a subscription
 * asked for, when a failed delivery is tried again, when it goes to the dead-letter list, which secrets sign.
 * The store (store/subscriptions.ts) and the deliverer (reconcile/deliveries.ts) only carry these decisions out.
 */
import { backoffDelayMs } from './backoff.js';
import type { Backoff, Job, Transition } from './model.js';
import type { JobStatus } from './states.js';

/** Whose jobs a subscription hears of: one owner's, or — made by an admin — every owner's (`*`). */
export const ALL_OWNERS = '*';

export interface SubscriptionFilter {
  /** Job types; empty: every type. */
  types: readonly string[];
  /** The states a transition enters; empty: every transition. */
  statuses: readonly JobStatus[];
  /** Only the jobs of one project (their resourceKey is `project:{id}`); null: any. */
  projectId: string | null;
}

export interface SigningSecret {
  /** `whsec_` and the base64 of the key's bytes (the Standard Webhooks form). */
  value: string;
  createdAt: number;
  /** A rotated-out secret signs too until then (the overlap window); null: the current one. */
  expiresAt: number | null;
}

export type SubscriptionState = 'active' | 'disabled';

export interface Subscription extends SubscriptionFilter {
  id: string;
  /** The owner whose jobs it hears of, or ALL_OWNERS. */
  scope: string;
  /** Who made it (the only non-admin who sees it). */
  ownerId: string;
  url: string;
  state: SubscriptionState;
  /** Why it was disabled, shown to its owner. */
  disabledReason: string | null;
  secrets: SigningSecret[];
  createdAt: number;
  updatedAt: number;
}

export type DeliveryState = 'pending' | 'delivered' | 'dead';

/** One event to one subscription: `{subscriptionId}:{jobId}:{seq}`, its webhook id `{jobId}:{seq}`. */
export interface Delivery {
  id: string;
  subscriptionId: string;
  ownerId: string;
  jobId: string;
  seq: number;
  webhookId: string;
  /** The body sent, fixed when the transition was fanned out: every retry sends the same bytes. */
  body: string;
  state: DeliveryState;
  attempts: number;
  /** The start of the current delivery window (fan-out, or a replay). */
  windowStart: number;
  /** When it is next tried (pending only). */
  dueAt: number | null;
  lastError: string | null;
  lastStatus: number | null;
  /** Held back for an earlier transition of its job: the try after that one's success takes it up at once. */
  waiting: boolean;
  createdAt: number;
  deliveredAt: number | null;
}

/** How long a delivery is retried before it goes to the dead-letter list (and its subscription is disabled). */
export const DELIVERY_WINDOW_MS = 24 * 3600_000;
/** 10 s, 20 s, 40 s … up to an hour between tries, each ±50%: about 30 tries in a day. */
export const DELIVERY_BACKOFF: Backoff = { initialSeconds: 10, multiplier: 2, maxSeconds: 3600, jitter: 0.5 };
/** How long a rotated-out secret keeps signing, unless the rotation says otherwise. */
export const DEFAULT_OVERLAP_MS = 24 * 3600_000;

export const deliveryId = (subscriptionId: string, jobId: string, seq: number): string =>
  `${subscriptionId}:${jobId}:${seq}`;
export const webhookIdOf = (jobId: string, seq: number): string => `${jobId}:${seq}`;

/** Whether a subscription asked for this transition of this job. */
export function wants(sub: Subscription, job: Job, t: Transition): boolean {
  if (sub.state !== 'active') return false;
  if (sub.scope !== ALL_OWNERS && sub.scope !== job.ownerId) return false;
  if (sub.types.length > 0 && !sub.types.includes(job.type)) return false;
  if (sub.statuses.length > 0 && !sub.statuses.includes(t.to)) return false;
  return sub.projectId === null || job.resourceKey === `project:${sub.projectId}`;
}

/** What a failed try leads to: another at `dueAt`, or the dead-letter list once the window is spent. */
export type AfterFailure = { next: 'retry'; dueAt: number } | { next: 'dead' };

/** After try number `attempts` failed at `now`: backoff with jitter, never past the window's end. */
export function afterFailure(
  d: Pick<Delivery, 'attempts' | 'windowStart'>,
  now: number,
  random: () => number,
): AfterFailure {
  const end = d.windowStart + DELIVERY_WINDOW_MS;
  if (now >= end) return { next: 'dead' };
  return { next: 'retry', dueAt: Math.min(now + backoffDelayMs(DELIVERY_BACKOFF, d.attempts, random), end) };
}

/** The secrets that sign at `now`: the current one, and rotated-out ones still in their overlap window. */
export function signingSecrets(secrets: readonly SigningSecret[], now: number): SigningSecret[] {
  return secrets.filter((s) => s.expiresAt === null || s.expiresAt > now);
}

/** A rotation: the new secret becomes current; the old ones sign until `now + overlapMs` (0: at once no more). */
export function rotated(
  secrets: readonly SigningSecret[],
  fresh: string,
  now: number,
  overlapMs: number,
): SigningSecret[] {
  const kept = signingSecrets(secrets, now)
    .map((s) => ({ ...s, expiresAt: Math.min(s.expiresAt ?? Infinity, now + overlapMs) }))
    .filter((s) => s.expiresAt > now);
  return [{ value: fresh, createdAt: now, expiresAt: null }, ...kept];
}

/** What every event out says of a transition (Pub/Sub's `verity-job-events`, a webhook's `data`). */
export function transitionData(t: Transition, jobId: string, job: unknown) {
  const at = new Date(t.at).toISOString();
  return { jobId, seq: t.seq, from: t.from, to: t.to, reason: t.reason, source: t.source, at, job };
}

/** The body of one webhook (docs/api.md): the transition and the job as it was when the transition was made. */
export function eventBody(t: Transition, jobId: string, job: unknown): string {
  return JSON.stringify({
    type: 'job.transition',
    timestamp: new Date(t.at).toISOString(),
    data: transitionData(t, jobId, job),
  });
}
