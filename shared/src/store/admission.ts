/**
 * Enqueue rate limits (issue 32), counted without a counter document (a token bucket in one document would be
 * the hottest document of all): count() aggregations over the jobs' own creation times.
 * - per owner: the owner's jobs created in the last minute (index (ownerId, createdAt)); past the limit, 429;
 * - global: the jobs created in the last second against the ramp's allowance (core/admission.ts), which this
 *   instance recounts over the last five minutes at most every 30 s.
 * Enqueues racing at one instant may overshoot by their number: the limits bound load, they are not a lock.
 */
import { Timestamp, type Firestore } from '@google-cloud/firestore';
import { allowedPerSecond, QuotaError, RAMP_WINDOW_MS } from '../core/index.js';
import { QUERIES } from './queries.js';

const MINUTE = 60_000;
const RECOUNT_MS = 30_000;

export interface AdmissionLimits {
  /** Enqueues one owner makes a minute; 0: no limit. */
  perOwnerPerMinute: number;
  /** The ramp's base, enqueues a second for the whole deployment; 0: no limit. */
  basePerSecond: number;
}

export class Admission {
  private ramp: { allowed: number; at: number } | null = null;
  constructor(
    private readonly db: Firestore,
    private readonly clock: () => number,
    private readonly limits: AdmissionLimits,
  ) {}

  private created(since: number, ownerId?: string) {
    return QUERIES.createdSince(this.db, ownerId ?? null, Timestamp.fromMillis(since)).get();
  }

  /** Throws QuotaError (429, with when to try again) past the owner's or the deployment's rate. */
  async admit(ownerId: string): Promise<void> {
    const now = this.clock();
    const { perOwnerPerMinute: perOwner, basePerSecond: base } = this.limits;
    const [mine, all] = await Promise.all([
      perOwner > 0 ? this.created(now - MINUTE, ownerId) : null,
      base > 0 ? this.created(now - 1000) : null,
    ]);
    const used = mine?.data().count ?? 0;
    if (perOwner > 0 && used >= perOwner)
      throw new QuotaError(
        `enqueue rate: at most ${perOwner} jobs a minute per owner`,
        Math.max(1, Math.ceil(60 / perOwner)),
        { quota: 'enqueuesPerMinute', limit: perOwner },
      );
    if (base <= 0) return;
    if (!this.ramp || now - this.ramp.at >= RECOUNT_MS) {
      const window = (await this.created(now - RAMP_WINDOW_MS)).data().count;
      this.ramp = { allowed: allowedPerSecond(base, window), at: now };
    }
    if ((all?.data().count ?? 0) >= this.ramp.allowed)
      throw new QuotaError(`enqueue rate: the deployment takes ${this.ramp.allowed} jobs a second now`, 1, {
        quota: 'enqueuesPerSecond',
        limit: this.ramp.allowed,
      });
  }
}
