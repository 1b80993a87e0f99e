/**
 * Outbound webhooks (issue 31), the service: fans a transition out to the subscriptions that asked for it and
 * delivers each event by the Standard Webhooks spec (webhooks/standard.ts).
 * - The fan-out is part of sending a transition's outbox entry (events/outbox.ts): the entry leaves only once
 *   every delivery of it is written, so no event is lost to a crash between the commit and its fan-out, and
 *   none exists without its transition.
 * - First tries run in the background right after the fan-out (a commit never waits for a subscriber); the
 *   sweep takes up every delivery due (`deliverDue`): retries with backoff and jitter for a day
 *   (core/subscriptions.ts), then the dead-letter list, and the subscription is disabled with the reason.
 * - Per job, in `seq` order per subscription: a delivery waits while an earlier transition of its job is
 *   pending to the same subscription, or not yet fanned out; a success takes up the next one at once.
 * - A pass gives each subscription its own share and runs subscriptions side by side: a slow or failing
 *   endpoint delays only its own deliveries. Every try is bounded in time and in what is read back.
 */
import {
  afterFailure,
  deliveryId,
  eventBody,
  signingSecrets,
  wants,
  webhookIdOf,
  type Delivery,
  type Job,
  type Subscription,
  type Transition,
} from '../core/index.js';
import { mapLimit } from '../evidence/limits.js';
import type { Logger } from '../log.js';
import type { Settlement, SubscriptionStore } from '../store/subscriptions.js';
import { jobView } from '../views.js';
import { postWebhook, type PostLimits, type PostResult } from '../webhooks/post.js';
import { standardHeaders } from '../webhooks/standard.js';

export interface DelivererDeps {
  store: SubscriptionStore;
  log: Logger;
  /** Verity's time: when tries are due. */
  clock: () => number;
  /** The `webhook-timestamp`: the receiver checks it against its own clock, so it is the wall clock. */
  wallClock?: () => number;
  random?: () => number;
  post: PostLimits;
  /** The most deliveries one subscription gets in one pass (per-owner fairness). */
  perSubscriptionPerPass: number;
}

/** How long a taken delivery is held by its try (longer than the try's own bound). */
const tryLeaseMs = (p: PostLimits): number => p.timeoutMs + 20_000;
/** How soon a delivery held back for an earlier one is looked at again, if no success takes it up first. */
const WAIT_MS = 5_000;

export type TryOutcome = 'delivered' | 'retry' | 'dead' | 'waiting' | 'skipped';

export interface DeliveryPass {
  due: number;
  delivered: number;
  failed: number;
  dead: number;
  waiting: number;
}

export class Deliverer {
  private readonly background = new Set<Promise<unknown>>();
  constructor(private readonly deps: DelivererDeps) {}

  /** Writes a delivery per subscription that asked for this transition, then tries them in the background. */
  async fanOut(job: Job, t: Transition): Promise<void> {
    const subs = (await this.deps.store.matching(job.ownerId)).filter((s) => wants(s, job, t));
    if (subs.length === 0) return;
    const now = this.deps.clock();
    const body = eventBody(t, job.id, jobView(job, t.at));
    const ds: Delivery[] = subs.map((s) => ({
      id: deliveryId(s.id, job.id, t.seq),
      subscriptionId: s.id,
      ownerId: s.ownerId,
      jobId: job.id,
      seq: t.seq,
      webhookId: webhookIdOf(job.id, t.seq),
      body,
      state: 'pending',
      attempts: 0,
      windowStart: now,
      dueAt: now,
      lastError: null,
      lastStatus: null,
      waiting: false,
      createdAt: now,
      deliveredAt: null,
    }));
    this.kick(await this.deps.store.fanOut(ds));
  }

  /** Tries these deliveries in the background (each subscription's one after another, subscriptions apart). */
  kick(ids: readonly string[]): void {
    if (ids.length === 0) return;
    const run = mapLimit([...ids], 8, (id) => this.tryOne(id)).catch((err: unknown) =>
      this.deps.log.warn({ err }, 'webhook deliveries left for the sweep'),
    );
    this.background.add(run);
    void run.finally(() => this.background.delete(run));
  }

  /** Settles once the background tries started so far have ended (tests; a unit shutting down). */
  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.all([...this.background]);
  }

  /**
   * The sweep's pass: the due deliveries, each subscription's share (at most `perSubscriptionPerPass`, in job
   * and seq order) one after another, subscriptions side by side. A subscription's share stops at its first
   * failure (one slow or failing endpoint costs a pass one try). When more are due than one query reads, each
   * active subscription's share is read on its own, so a flood to one endpoint starves no other.
   */
  async deliverDue(budgetMs = 50_000, limit = 500): Promise<DeliveryPass> {
    const t0 = performance.now();
    const { store, clock, perSubscriptionPerPass: share } = this.deps;
    const now = clock();
    const due = await store.due(now, limit);
    const bySub = new Map<string, Delivery[]>();
    for (const d of due) bySub.set(d.subscriptionId, [...(bySub.get(d.subscriptionId) ?? []), d]);
    if (due.length === limit) {
      const ids = new Set([...bySub.keys(), ...(await store.activeIds())]);
      await mapLimit([...ids], 8, async (id) => bySub.set(id, await store.dueOf(id, now, share)));
    }
    const pass: DeliveryPass = { due: due.length, delivered: 0, failed: 0, dead: 0, waiting: 0 };
    await mapLimit([...bySub.values()], 8, async (ds) => {
      const mine = ds.sort((a, b) => a.jobId.localeCompare(b.jobId) || a.seq - b.seq).slice(0, share);
      for (const d of mine) {
        if (performance.now() - t0 > budgetMs) return; // the rest wait for the next pass
        const r = await this.tryOne(d.id).catch((err: unknown) => {
          this.deps.log.warn({ err, delivery: d.id }, 'delivery try failed to record; the next pass tries again');
          return 'skipped' as const;
        });
        if (r === 'delivered') pass.delivered++;
        else if (r === 'waiting') pass.waiting++;
        else if (r === 'dead') pass.dead++;
        else if (r === 'retry') {
          pass.failed++;
          return; // this endpoint is failing: its other deliveries wait for the next pass
        }
      }
    });
    return pass;
  }

  /** One try of one delivery, then (on success) of the job's next one held back for it. */
  async tryOne(id: string, chained = false): Promise<TryOutcome> {
    const { store, clock } = this.deps;
    const now = clock();
    const d = await store.claim(id, now, tryLeaseMs(this.deps.post), chained);
    if (!d) return 'skipped';
    const sub = await store.get(d.subscriptionId);
    if (!sub || sub.state !== 'active') {
      const why = sub ? `the subscription is disabled: ${sub.disabledReason ?? ''}` : 'the subscription is gone';
      await store.settle(id, { state: 'dead', error: why, status: null }, false);
      return 'dead';
    }
    if (await store.waitsForEarlier(d)) {
      const wait = {
        state: 'pending',
        dueAt: now + WAIT_MS,
        error: 'waiting for an earlier transition',
        waiting: true,
      };
      await store.settle(id, { ...wait, status: null } as Settlement, false);
      return 'waiting';
    }
    const r = await this.send(sub, d);
    if (r.ok) {
      await store.settle(id, { state: 'delivered', status: r.status });
      const next = await store.nextOf(d);
      if (next) await this.tryOne(next, true);
      return 'delivered';
    }
    const after = afterFailure({ ...d, attempts: d.attempts + 1 }, clock(), this.deps.random ?? Math.random);
    this.deps.log.info({ delivery: id, attempts: d.attempts + 1, error: r.error }, 'webhook delivery failed');
    if (after.next === 'retry') {
      await store.settle(id, { state: 'pending', dueAt: after.dueAt, error: r.error, status: r.status });
      return 'retry';
    }
    await store.settle(id, { state: 'dead', error: r.error, status: r.status });
    const reason = `deliveries failed for 24 hours; the last: ${r.error}`;
    await store.update(sub.id, { state: 'disabled', disabledReason: reason });
    this.deps.log.warn({ subscription: sub.id, reason }, 'subscription disabled');
    return 'dead';
  }

  private send(sub: Subscription, d: Delivery): Promise<PostResult> {
    const secrets = signingSecrets(sub.secrets, this.deps.clock()).map((s) => s.value);
    const at = Math.floor((this.deps.wallClock ?? Date.now)() / 1000);
    return postWebhook(sub.url, standardHeaders(secrets, d.webhookId, at, d.body), d.body, this.deps.post);
  }
}
