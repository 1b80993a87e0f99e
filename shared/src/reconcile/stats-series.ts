/**
 * The stats' series (stats-service.ts): the window in SERIES_BUCKETS equal buckets, each with its transitions by
 * source, the recoveries among them, the endings and failure rate overall and by type, and the median time to
 * recover — for the Health page's charts over time. count() aggregations per bucket; no document written.
 */
import { failureRate, percentile, recoveryLagMs, Source, type Transition, isRecovery } from '../core/index.js';
import type { StatsScope, StatsStore } from '../store/stats.js';

/** Buckets of the series (5 min in an hour, 2 h in a day, 14 h in a week). */
export const SERIES_BUCKETS = 12;

const SOURCES = Object.values(Source);

export interface SeriesBucket {
  start: string;
  end: string;
  transitions: number;
  bySource: Record<string, number>;
  /** Set by a read, a reconcile or the sweep (Σ of those sources). */
  recovered: number;
  /** Transitions to succeeded and to failed (a late output's failed → succeeded counts once each way). */
  succeeded: number;
  failed: number;
  failureRate: number | null;
  /** Jobs of each type that ended in the bucket succeeded or failed, and their failure rate (types with any). */
  byType: Record<string, { succeeded: number; failed: number; failureRate: number | null }>;
  /** The median time to recover of the recoveries read that fell in the bucket; null with none. */
  secondsToRecoverP50: number | null;
}

export const seconds = (ms: number | null): number | null => (ms === null ? null : Math.round(ms / 100) / 10);

export async function statsSeries(
  s: StatsStore,
  scope: StatsScope,
  windowMs: number,
  types: readonly string[],
  recoveries: readonly Pick<Transition, 'at' | 'evidence'>[],
): Promise<SeriesBucket[]> {
  const now = scope.sinceMs + windowMs;
  const step = windowMs / SERIES_BUCKETS;
  const starts = Array.from({ length: SERIES_BUCKETS }, (_, i) => scope.sinceMs + i * step);
  // the last bucket ends now, inclusive: a transition at this very instant is in the window
  const endOf = (start: number): number | undefined => (start + step >= now ? undefined : start + step);
  const buckets = await Promise.all(
    starts.map(async (start) => {
      const b: StatsScope = { ...scope, sinceMs: start };
      const end = endOf(start);
      const [sources, succeeded, failed, byType] = await Promise.all([
        Promise.all(SOURCES.map((value) => s.countTransitions(b, { field: 'source', value }, end))),
        s.countTransitions(b, { field: 'to', value: 'succeeded' }, end),
        s.countTransitions(b, { field: 'to', value: 'failed' }, end),
        Promise.all(
          types.map((t) => Promise.all(['succeeded', 'failed'].map((status) => s.countEnded(b, t, status, end)))),
        ),
      ]);
      return { sources, succeeded, failed, byType };
    }),
  );
  return starts.map((start, i) => {
    const { sources, succeeded, failed, byType } = buckets[i]!;
    const bySource = Object.fromEntries(SOURCES.map((k, j) => [k, sources[j]!]));
    const lags = recoveries
      .filter((t) => t.at >= start && (endOf(start) === undefined || t.at < start + step))
      .map(recoveryLagMs)
      .filter((x): x is number => x !== null);
    return {
      start: new Date(start).toISOString(),
      end: new Date(start + step).toISOString(),
      transitions: sources.reduce((a, b) => a + b, 0),
      bySource,
      recovered: SOURCES.filter((k) => isRecovery({ source: k })).reduce((a, k) => a + bySource[k]!, 0),
      succeeded,
      failed,
      failureRate: failureRate(succeeded, failed),
      byType: Object.fromEntries(
        types
          .map((t, j) => {
            const [ok, bad] = byType[j]!;
            return [t, { succeeded: ok!, failed: bad!, failureRate: failureRate(ok!, bad!) }] as const;
          })
          .filter(([, v]) => v.succeeded + v.failed > 0),
      ),
      secondsToRecoverP50: seconds(percentile(lags, 50)),
    };
  });
}
