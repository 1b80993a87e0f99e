/**
 * Subscriptions (docs/api.md "Subscriptions"): an owner registers endpoints for its own jobs' transitions, an
 * admin for one owner's or every owner's. Each check comes before anything is written: the URL's form and
 * where its name points now (webhooks/endpoint.ts), the job types configured, the per-owner limit. Another
 * owner's subscription is not found (404). The secret is made here and answered once (create, rotate).
 */
import { randomUUID } from 'node:crypto';
import {
  DEFAULT_OVERLAP_MS,
  ForbiddenError,
  NotFoundError,
  QuotaError,
  rotated,
  ValidationError,
  type Delivery,
  type DeliveryState,
  type JobStatus,
  type Subscription,
} from '../core/index.js';
import type { Principal } from '../auth/principal.js';
import type { SubscriptionStore } from '../store/subscriptions.js';
import { checkEndpoint } from '../webhooks/endpoint.js';
import { newSigningSecret } from '../webhooks/standard.js';

export interface SubscriptionsDeps {
  store: SubscriptionStore;
  clock: () => number;
  /** The local stack: http://127.0.0.1 endpoints allowed. */
  local: boolean;
  /** The most subscriptions one user makes. */
  maxPerOwner: number;
  /** The job types configured (a filter naming another is refused). */
  types: () => readonly string[];
}

export interface NewSubscription {
  url: string;
  types: string[];
  statuses: JobStatus[];
  projectId?: string | undefined;
  ownerId?: string | undefined;
}

/** The most deliveries one replay makes pending again. */
export const MAX_REPLAY = 1000;

export class SubscriptionsService {
  constructor(private readonly deps: SubscriptionsDeps) {}

  async create(who: Principal, req: NewSubscription): Promise<{ subscription: Subscription; secret: string }> {
    if (req.ownerId !== undefined && req.ownerId !== who.userId && !who.admin)
      throw new ForbiddenError('only an admin subscribes to another owner’s jobs');
    const unknown = req.types.filter((t) => !this.deps.types().includes(t));
    if (unknown.length > 0)
      throw new ValidationError('unknown job types', [{ path: 'types', message: `not configured: ${unknown}` }]);
    const refused = await checkEndpoint(req.url, this.deps.local);
    if (refused) throw new ValidationError(`url refused: ${refused}`, [{ path: 'url', message: refused }]);
    const mine = await this.deps.store.listOf(who.userId);
    if (mine.length >= this.deps.maxPerOwner)
      throw new QuotaError(`you have ${mine.length} subscriptions; the limit is ${this.deps.maxPerOwner}`, 60, {
        quota: 'subscriptions',
        limit: this.deps.maxPerOwner,
      });
    const now = this.deps.clock();
    const secret = newSigningSecret();
    const subscription: Subscription = {
      id: randomUUID(),
      scope: req.ownerId ?? who.userId,
      ownerId: who.userId,
      url: req.url,
      types: [...new Set(req.types)],
      statuses: [...new Set(req.statuses)],
      projectId: req.projectId ?? null,
      state: 'active',
      disabledReason: null,
      secrets: [{ value: secret, createdAt: now, expiresAt: null }],
      createdAt: now,
      updatedAt: now,
    };
    await this.deps.store.create(subscription);
    return { subscription, secret };
  }

  list(who: Principal): Promise<Subscription[]> {
    return this.deps.store.listOf(who.admin ? null : who.userId);
  }

  /** The caller's own subscription (an admin: any); 404 otherwise. */
  async read(who: Principal, id: string): Promise<Subscription> {
    const s = await this.deps.store.get(id);
    if (!s || (!who.admin && s.ownerId !== who.userId)) throw new NotFoundError('subscription not found');
    return s;
  }

  async remove(who: Principal, id: string): Promise<void> {
    await this.read(who, id);
    await this.deps.store.remove(id);
  }

  /** A new secret, answered once; the old ones keep signing for `overlapSeconds` (default a day). */
  async rotate(who: Principal, id: string, overlapSeconds?: number) {
    const s = await this.read(who, id);
    const secret = newSigningSecret();
    const overlap = overlapSeconds === undefined ? DEFAULT_OVERLAP_MS : overlapSeconds * 1000;
    const secrets = rotated(s.secrets, secret, this.deps.clock(), overlap);
    const subscription = await this.deps.store.update(id, { secrets });
    if (!subscription) throw new NotFoundError('subscription not found');
    return { subscription, secret };
  }

  /** Delivers again after a disable (what went to the dead-letter list stays there until replayed). */
  async enable(who: Principal, id: string): Promise<Subscription> {
    await this.read(who, id);
    const s = await this.deps.store.update(id, { state: 'active', disabledReason: null });
    if (!s) throw new NotFoundError('subscription not found');
    return s;
  }

  async deliveries(who: Principal, id: string, f: { state?: DeliveryState; jobId?: string }, limit: number) {
    await this.read(who, id);
    return this.deps.store.deliveriesOf(id, f, limit);
  }

  /**
   * Makes deliveries pending again, each with its first body and webhook id: one job's (from a `seq` on), or
   * every one since a time, or — neither given — the dead-letter list. At most MAX_REPLAY a request.
   */
  async replay(who: Principal, id: string, r: { jobId?: string; fromSeq?: number; since?: string }) {
    const s = await this.read(who, id);
    if (s.state !== 'active') throw new ValidationError('the subscription is disabled: enable it first');
    const since = r.since === undefined ? null : Date.parse(r.since);
    const all = r.jobId === undefined && r.fromSeq === undefined && since === null;
    const found = await this.deps.store.deliveriesOf(
      id,
      { ...(all ? { state: 'dead' as const } : {}), ...(r.jobId ? { jobId: r.jobId } : {}) },
      MAX_REPLAY,
    );
    const chosen = found.filter(
      (d: Delivery) =>
        (r.fromSeq === undefined || d.seq >= r.fromSeq) &&
        (since === null || d.createdAt >= since) &&
        d.state !== 'pending',
    );
    const ids = chosen.map((d) => d.id);
    await this.deps.store.requeue(ids, this.deps.clock());
    return { replayed: ids.length, ids };
  }
}
