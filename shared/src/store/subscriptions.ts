/**
 * Outbound webhooks in Firestore (issue 31): `subscriptions/{id}` (the endpoint, its filter, its secrets) and
 * `deliveries/{subscriptionId}:{jobId}:{seq}`, one per event per subscription, made by the fan-out of a
 * transition's outbox entry (create only: a second fan-out of the same entry changes nothing). A pending
 * delivery carries `dueAt`, which the deliverer queries; taking one for a try moves `dueAt` on by the try's
 * lease with a write conditional on the document read (no transaction, no lock left by a dead process).
 * Settled ones carry `expireAt` (a TTL policy deletes them after DELIVERY_RETENTION_MS).
 */
import { FieldValue, Timestamp, type DocumentData, type Firestore } from '@google-cloud/firestore';
import type { Delivery, DeliveryState, SigningSecret, Subscription } from '../core/index.js';
import { Code, codeOf } from './conflicts.js';
import { Collections, col } from './firestore.js';
import { outboxOf } from './job-doc.js';
import { QUERIES } from './queries.js';
import { shardOf } from './shards.js';

/** How long a delivered or dead delivery is kept: what can be listed and replayed. */
export const DELIVERY_RETENTION_MS = 7 * 24 * 3600_000;

const ts = (ms: number): Timestamp => Timestamp.fromMillis(ms);
const ms = (v: unknown): number => (v as Timestamp).toMillis();
const msOrNull = (v: unknown): number | null => (v ? ms(v) : null);

function subscriptionOf(id: string, d: DocumentData): Subscription {
  return {
    id,
    scope: d.scope as string,
    ownerId: d.ownerId as string,
    url: d.url as string,
    types: (d.types as string[]) ?? [],
    statuses: (d.statuses as Subscription['statuses']) ?? [],
    projectId: (d.projectId as string | null) ?? null,
    state: d.state as Subscription['state'],
    disabledReason: (d.disabledReason as string | null) ?? null,
    secrets: ((d.secrets as DocumentData[]) ?? []).map((s) => ({
      value: s.value as string,
      createdAt: ms(s.createdAt),
      expiresAt: msOrNull(s.expiresAt),
    })),
    createdAt: ms(d.createdAt),
    updatedAt: ms(d.updatedAt),
  };
}

const secretsDoc = (secrets: readonly SigningSecret[]) =>
  secrets.map((s) => ({ value: s.value, createdAt: ts(s.createdAt), expiresAt: s.expiresAt ? ts(s.expiresAt) : null }));

function deliveryOf(id: string, d: DocumentData): Delivery {
  return {
    id,
    subscriptionId: d.subscriptionId as string,
    ownerId: d.ownerId as string,
    jobId: d.jobId as string,
    seq: d.seq as number,
    webhookId: d.webhookId as string,
    body: d.body as string,
    state: d.state as DeliveryState,
    attempts: (d.attempts as number) ?? 0,
    windowStart: ms(d.windowStart),
    dueAt: msOrNull(d.dueAt),
    lastError: (d.lastError as string | null) ?? null,
    lastStatus: (d.lastStatus as number | null) ?? null,
    waiting: d.waiting === true,
    createdAt: ms(d.createdAt),
    deliveredAt: msOrNull(d.deliveredAt),
  };
}

/** A delivery as stored: times as Timestamps, and the shard its indexes spread over (the job's: queries.ts). */
export function deliveryToDoc(d: Delivery): DocumentData {
  const { id: _id, windowStart, dueAt, createdAt, deliveredAt, ...rest } = d;
  return {
    ...rest,
    shard: shardOf(rest.jobId),
    windowStart: ts(windowStart),
    dueAt: dueAt === null ? null : ts(dueAt),
    createdAt: ts(createdAt),
    deliveredAt: deliveredAt === null ? null : ts(deliveredAt),
  };
}

/** A try's outcome to record: delivered, another try at `dueAt`, or dead. */
export type Settlement =
  | { state: 'delivered'; status: number }
  | { state: 'pending'; dueAt: number; error: string; status: number | null; waiting?: boolean }
  | { state: 'dead'; error: string; status: number | null };

export class SubscriptionStore {
  constructor(
    private readonly db: Firestore,
    private readonly clock: () => number,
  ) {}

  private subs() {
    return col(this.db, Collections.subscriptions);
  }
  private deliveries() {
    return col(this.db, Collections.deliveries);
  }

  async create(s: Subscription): Promise<void> {
    const { id, secrets, createdAt, updatedAt, ...rest } = s;
    await this.subs()
      .doc(id)
      .create({ ...rest, secrets: secretsDoc(secrets), createdAt: ts(createdAt), updatedAt: ts(updatedAt) });
  }

  async get(id: string): Promise<Subscription | null> {
    const snap = await this.subs().doc(id).get();
    return snap.exists ? subscriptionOf(snap.id, snap.data()!) : null;
  }

  /** The ones `ownerId` made (null: every one), newest first. */
  async listOf(ownerId: string | null): Promise<Subscription[]> {
    const snap = await QUERIES.subscriptionsOf(this.db, ownerId).get();
    return snap.docs.map((d) => subscriptionOf(d.id, d.data())).sort((a, b) => b.createdAt - a.createdAt);
  }

  /** The active ones hearing of `ownerId`'s jobs. */
  async matching(ownerId: string): Promise<Subscription[]> {
    const snap = await QUERIES.subscriptionsFor(this.db, ownerId).get();
    return snap.docs.map((d) => subscriptionOf(d.id, d.data()));
  }

  /** Changes state, reason or secrets; the subscription as written, null when it is gone. */
  async update(
    id: string,
    patch: Partial<Pick<Subscription, 'state' | 'disabledReason' | 'secrets'>>,
  ): Promise<Subscription | null> {
    const { secrets, ...rest } = patch;
    try {
      await this.subs()
        .doc(id)
        .update({ ...rest, ...(secrets ? { secrets: secretsDoc(secrets) } : {}), updatedAt: ts(this.clock()) });
    } catch (err) {
      if (codeOf(err) === Code.NOT_FOUND) return null;
      throw err;
    }
    return this.get(id);
  }

  async remove(id: string): Promise<void> {
    await this.subs().doc(id).delete();
  }

  /** Creates each delivery that does not exist yet; the ids created. */
  async fanOut(ds: readonly Delivery[]): Promise<string[]> {
    const made = await Promise.all(
      ds.map(async (d) => {
        try {
          await this.deliveries().doc(d.id).create(deliveryToDoc(d));
          return d.id;
        } catch (err) {
          if (codeOf(err) === Code.ALREADY_EXISTS) return null; // fanned out before (a repeated entry)
          throw err;
        }
      }),
    );
    return made.filter((id): id is string => id !== null);
  }

  async delivery(id: string): Promise<Delivery | null> {
    const snap = await this.deliveries().doc(id).get();
    return snap.exists ? deliveryOf(snap.id, snap.data()!) : null;
  }

  /** Pending deliveries due by `now`, oldest first. */
  async due(now: number, limit: number): Promise<Delivery[]> {
    const snap = await QUERIES.dueDeliveries(this.db, ts(now), limit).get();
    return snap.docs.map((d) => deliveryOf(d.id, d.data()));
  }

  /** One subscription's pending deliveries due by `now`, oldest first. */
  async dueOf(subscriptionId: string, now: number, limit: number): Promise<Delivery[]> {
    const snap = await QUERIES.dueDeliveriesOf(this.db, subscriptionId, ts(now), limit).get();
    return snap.docs.map((d) => deliveryOf(d.id, d.data()));
  }

  /** The ids of every active subscription. */
  async activeIds(): Promise<string[]> {
    const snap = await QUERIES.activeSubscriptions(this.db).get();
    return snap.docs.map((d) => d.id);
  }

  /**
   * Takes a pending, due delivery for one try until `now + leaseMs` (its `dueAt` moves there: a process that
   * dies mid-try leaves it due again then). Null when it is not pending, not due, or another took it first.
   */
  async claim(id: string, now: number, leaseMs: number, chained = false): Promise<Delivery | null> {
    const ref = this.deliveries().doc(id);
    const snap = await ref.get();
    if (!snap.exists) return null;
    const d = deliveryOf(snap.id, snap.data()!);
    if (d.state !== 'pending' || d.dueAt === null || (d.dueAt > now && !(chained && d.waiting))) return null;
    try {
      await ref.update({ dueAt: ts(now + leaseMs), waiting: false }, { lastUpdateTime: snap.updateTime! });
      return d;
    } catch (err) {
      if (codeOf(err) === Code.FAILED_PRECONDITION || codeOf(err) === Code.NOT_FOUND) return null;
      throw err;
    }
  }

  /**
   * Whether an earlier transition of the job must reach this subscription first: a pending delivery of a lower
   * `seq`, or an outbox entry of a lower `seq` not yet fanned out (it leaves the outbox only after its fan-out).
   */
  async waitsForEarlier(d: Pick<Delivery, 'subscriptionId' | 'jobId' | 'seq'>): Promise<boolean> {
    const [earlier, job] = await Promise.all([
      QUERIES.earlierDelivery(this.db, d.subscriptionId, d.jobId, d.seq).get(),
      col(this.db, Collections.jobs).doc(d.jobId).get(),
    ]);
    if (!earlier.empty) return true;
    return job.exists && outboxOf(job.data()!).some((e) => e.seq < d.seq);
  }

  /** The job's next pending delivery to the subscription after `seq`, if any. */
  async nextOf(d: Pick<Delivery, 'subscriptionId' | 'jobId' | 'seq'>): Promise<string | null> {
    const snap = await QUERIES.laterDelivery(this.db, d.subscriptionId, d.jobId, d.seq).get();
    return snap.empty ? null : snap.docs[0]!.id;
  }

  /** Records a try (`counted`: it reached the network) or a wait: its state, next time, last error. */
  async settle(id: string, s: Settlement, counted = true): Promise<void> {
    const now = this.clock();
    const settled = s.state !== 'pending';
    await this.deliveries()
      .doc(id)
      .update({
        state: s.state,
        ...(counted ? { attempts: FieldValue.increment(1) } : {}),
        dueAt: s.state === 'pending' ? ts(s.dueAt) : null,
        lastError: s.state === 'delivered' ? null : s.error,
        lastStatus: s.status,
        waiting: s.state === 'pending' && s.waiting === true,
        ...(s.state === 'delivered' ? { deliveredAt: ts(now) } : {}),
        ...(settled ? { expireAt: ts(now + DELIVERY_RETENTION_MS) } : {}),
      })
      .catch((err: unknown) => {
        if (codeOf(err) !== Code.NOT_FOUND) throw err; // gone with its subscription
      });
  }

  /** A subscription's deliveries, newest first: one state's, one job's, or all. */
  async deliveriesOf(subscriptionId: string, f: { state?: DeliveryState; jobId?: string }, limit: number) {
    const snap = await QUERIES.deliveriesOf(this.db, subscriptionId, f, limit).get();
    return snap.docs.map((d) => deliveryOf(d.id, d.data()));
  }

  /** Makes these deliveries pending again from `now`, a new window of tries each (a replay). */
  async requeue(ids: readonly string[], now: number): Promise<void> {
    const writer = this.db.bulkWriter();
    for (const id of ids)
      void writer
        .update(this.deliveries().doc(id), {
          state: 'pending',
          attempts: 0,
          windowStart: ts(now),
          dueAt: ts(now),
          waiting: false,
          expireAt: FieldValue.delete(),
        })
        .catch(() => undefined); // a delivery deleted meanwhile: nothing to replay
    await writer.close();
  }
}
