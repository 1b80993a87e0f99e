/**
 * The reads behind GET /api/stats/recoveries: count() and sum() aggregations over the stored transitions and
 * jobs (indexed; queries.ts), and the recoveries' evidence — no counter document, nothing written.
 */
import { AggregateField, Timestamp, type Firestore } from '@google-cloud/firestore';
import { QUERIES, type TransitionFilter } from './queries.js';
import type { Transition } from '../core/index.js';

/** Whose and since when: an owner (null: everyone, for an admin) and the window's start. */
export interface StatsScope {
  ownerId: string | null;
  sinceMs: number;
}

export class StatsStore {
  constructor(private readonly db: Firestore) {}

  /** Transitions in the scope (before `untilMs`, when given), with a filter. */
  async countTransitions(scope: StatsScope, by?: TransitionFilter, untilMs?: number): Promise<number> {
    const until = untilMs === undefined ? undefined : Timestamp.fromMillis(untilMs);
    const q = QUERIES.transitionsIn(this.db, scope.ownerId, Timestamp.fromMillis(scope.sinceMs), by, until);
    return (await q.count().get()).data().count;
  }

  /** Σ of a numeric evidence field over the filtered transitions (ENQUEUED's `artifactsReused`, the ends' `stepsSkipped`). */
  async sumEvidence(scope: StatsScope, by: TransitionFilter, field: string): Promise<number> {
    const q = QUERIES.transitionsIn(this.db, scope.ownerId, Timestamp.fromMillis(scope.sinceMs), by);
    const snap = await q.aggregate({ n: AggregateField.sum(`evidence.${field}`) }).get();
    return snap.data().n ?? 0;
  }

  /** The recoveries in the window (at most `limit`, oldest first): their times and evidence. */
  async recoveries(
    scope: StatsScope,
    sources: readonly string[],
    limit: number,
  ): Promise<Pick<Transition, 'at' | 'evidence'>[]> {
    const q = QUERIES.recoveriesIn(this.db, scope.ownerId, [...sources], Timestamp.fromMillis(scope.sinceMs), limit);
    return (await q.get()).docs.map((d) => ({
      at: (d.get('at') as Timestamp).toMillis(),
      evidence: (d.get('evidence') as Record<string, unknown> | undefined) ?? {},
    }));
  }

  async countEnded(scope: StatsScope, type: string, status: string, untilMs?: number): Promise<number> {
    const until = untilMs === undefined ? undefined : Timestamp.fromMillis(untilMs);
    const q = QUERIES.endedJobs(this.db, scope.ownerId, type, status, Timestamp.fromMillis(scope.sinceMs), until);
    return (await q.count().get()).data().count;
  }
}
