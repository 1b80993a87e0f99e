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

/**
 * A filter as queries Firestore can run: everyone's transitions are read across the shards with an `in`, and a
 * query holds one `in` (at most 30 disjunctions), so a filter among values becomes one query per value.
 */
function split(scope: StatsScope, by?: TransitionFilter): (TransitionFilter | undefined)[] {
  if (scope.ownerId !== null || !by || !('in' in by)) return [by];
  return by.in.map((value) => ({ field: by.field, value }));
}

export class StatsStore {
  constructor(private readonly db: Firestore) {}

  /** Transitions in the scope (before `untilMs`, when given), with a filter. */
  async countTransitions(scope: StatsScope, by?: TransitionFilter, untilMs?: number): Promise<number> {
    const until = untilMs === undefined ? undefined : Timestamp.fromMillis(untilMs);
    const counts = await Promise.all(
      split(scope, by).map(async (f) => {
        const q = QUERIES.transitionsIn(this.db, scope.ownerId, Timestamp.fromMillis(scope.sinceMs), f, until);
        return (await q.count().get()).data().count;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Σ of a numeric evidence field over the filtered transitions (ENQUEUED's `artifactsReused`, the ends' `stepsSkipped`). */
  async sumEvidence(scope: StatsScope, by: TransitionFilter, field: string): Promise<number> {
    const sums = await Promise.all(
      split(scope, by).map(async (f) => {
        const q = QUERIES.transitionsIn(this.db, scope.ownerId, Timestamp.fromMillis(scope.sinceMs), f);
        const snap = await q.aggregate({ n: AggregateField.sum(`evidence.${field}`) }).get();
        return snap.data().n ?? 0;
      }),
    );
    return sums.reduce((a, b) => a + b, 0);
  }

  /** The recoveries in the window (at most `limit`, oldest first): their times and evidence. */
  async recoveries(
    scope: StatsScope,
    sources: readonly string[],
    limit: number,
  ): Promise<Pick<Transition, 'at' | 'evidence'>[]> {
    const since = Timestamp.fromMillis(scope.sinceMs);
    // everyone's: the shards' `in` leaves room for no other, so one source a query, merged oldest first
    const groups = scope.ownerId === null ? sources.map((s) => [s]) : [[...sources]];
    const snaps = await Promise.all(
      groups.map((g) => QUERIES.recoveriesIn(this.db, scope.ownerId, g, since, limit).get()),
    );
    return snaps
      .flatMap((snap) => snap.docs)
      .map((d) => ({
        at: (d.get('at') as Timestamp).toMillis(),
        evidence: (d.get('evidence') as Record<string, unknown> | undefined) ?? {},
      }))
      .sort((a, b) => a.at - b.at)
      .slice(0, limit);
  }

  async countEnded(scope: StatsScope, type: string, status: string, untilMs?: number): Promise<number> {
    const until = untilMs === undefined ? undefined : Timestamp.fromMillis(untilMs);
    const q = QUERIES.endedJobs(this.db, scope.ownerId, type, status, Timestamp.fromMillis(scope.sinceMs), until);
    return (await q.count().get()).data().count;
  }
}
