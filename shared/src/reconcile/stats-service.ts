/**
 * GET /api/stats/recoveries: what recovered what in a window — transitions by source and by reason, the
 * recoveries with their time to recover (p50, p99), per type the ended jobs and the failure rate, and the work
 * avoided. Own jobs (an admin's: everyone's); all from aggregations and the recoveries' own records.
 */
import type { Principal } from '../auth/principal.js';
import type { JobTypeRegistry } from '../config/job-types.js';
import {
  failureRate,
  ForbiddenError,
  isRecovery,
  percentile,
  Reason,
  RECOVERY_SOURCES,
  recoveryLagMs,
  Source,
  STATS_WINDOWS,
  type StatsWindow,
} from '../core/index.js';
import type { StatsScope, StatsStore } from '../store/stats.js';
import { seconds, statsSeries, type SeriesBucket } from './stats-series.js';

export { SERIES_BUCKETS, type SeriesBucket } from './stats-series.js';

/** At most this many recoveries are read for the percentiles (the count is exact). */
export const MAX_RECOVERIES_READ = 2000;

const SOURCES = Object.values(Source);
const REASONS = Object.values(Reason);
const ENDED = ['succeeded', 'failed', 'canceled'] as const;

export interface RecoveryStats {
  window: StatsWindow;
  since: string;
  transitions: number;
  bySource: Record<string, number>;
  byReason: Record<string, number>;
  recovered: {
    count: number;
    bySource: Record<string, number>;
    secondsToRecover: { p50: number | null; p99: number | null; samples: number };
  };
  byType: Record<string, { succeeded: number; failed: number; canceled: number; failureRate: number | null }>;
  avoided: { outputsAlreadyPresent: number; stepsSkipped: number; artifactsNotRegenerated: number };
  /** The window in SERIES_BUCKETS equal buckets, oldest first: the Health page's charts over time. */
  series: SeriesBucket[];
}

export class StatsService {
  constructor(private readonly deps: { stats: StatsStore; registry: JobTypeRegistry; clock: () => number }) {}

  async recoveries(who: Principal, window: StatsWindow): Promise<RecoveryStats> {
    if (who.workerJobId) throw new ForbiddenError('a worker token cannot read stats');
    const scope: StatsScope = {
      ownerId: who.admin ? null : who.userId,
      sinceMs: this.deps.clock() - STATS_WINDOWS[window],
    };
    const s = this.deps.stats;
    const types = this.deps.registry.names();
    const [transitions, sources, reasons, recoveries, ended, reused, skippedByEnd] = await Promise.all([
      s.countTransitions(scope),
      Promise.all(SOURCES.map((value) => s.countTransitions(scope, { field: 'source', value }))),
      Promise.all(REASONS.map((value) => s.countTransitions(scope, { field: 'reason', value }))),
      s.recoveries(scope, RECOVERY_SOURCES, MAX_RECOVERIES_READ),
      Promise.all(types.map((t) => Promise.all(ENDED.map((status) => s.countEnded(scope, t, status))))),
      s.sumEvidence(scope, { field: 'reason', value: Reason.ENQUEUED }, 'artifactsReused'),
      Promise.all(ENDED.map((to) => s.sumEvidence(scope, { field: 'to', value: to }, 'stepsSkipped'))),
    ]);
    const series = await statsSeries(s, scope, STATS_WINDOWS[window], types, recoveries);
    const bySource = Object.fromEntries(SOURCES.map((k, i) => [k, sources[i]!]));
    const byReason = Object.fromEntries(REASONS.map((k, i) => [k, reasons[i]!]).filter(([, n]) => n !== 0));
    const lags = recoveries.map(recoveryLagMs).filter((x): x is number => x !== null);
    const sec = seconds;
    const recoveredBySource = Object.fromEntries(
      SOURCES.filter((k) => isRecovery({ source: k })).map((k) => [k, bySource[k]!]),
    );
    return {
      window,
      since: new Date(scope.sinceMs).toISOString(),
      transitions,
      bySource,
      byReason,
      recovered: {
        count: Object.values(recoveredBySource).reduce((a, b) => a + b, 0),
        bySource: recoveredBySource,
        secondsToRecover: { p50: sec(percentile(lags, 50)), p99: sec(percentile(lags, 99)), samples: lags.length },
      },
      byType: Object.fromEntries(
        types
          .map((t, i) => {
            const [succeeded, failed, canceled] = ended[i]!;
            return [
              t,
              {
                succeeded: succeeded!,
                failed: failed!,
                canceled: canceled!,
                failureRate: failureRate(succeeded!, failed!),
              },
            ] as const;
          })
          .filter(([, v]) => v.succeeded + v.failed + v.canceled > 0),
      ),
      avoided: {
        outputsAlreadyPresent: byReason[Reason.OUTPUT_ALREADY_PRESENT] ?? 0,
        stepsSkipped: skippedByEnd.reduce((a, b) => a + b, 0),
        artifactsNotRegenerated: reused,
      },
      series,
    };
  }
}
