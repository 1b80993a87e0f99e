/**
 * Cleanup that runs itself (issue 31): the sweep unit runs the orphan sweep (orphans.ts) at its own cadence —
 * every `everyMs`, however often the scheduler calls the sweep — by taking a lease named `orphan-sweep` for
 * that long. Whoever takes it runs one bounded pass (`maxPrefixes`); everyone else skips until it lapses. A
 * pass killed half-way is taken up at the next cadence: each deletion is idempotent.
 */
import type { Storage } from '@google-cloud/storage';
import type { JobTypeRegistry } from '../config/job-types.js';
import type { Ledger } from '../store/ledger.js';
import { sweepOrphans, type OrphanSweepReport } from './orphans.js';

/** The lease's name: a document of the leases collection no job id can take (ids start `job_`). */
export const ORPHAN_SWEEP_LEASE = 'orphan-sweep';

export interface OrphanSchedule {
  everyMs: number;
  maxPrefixes: number;
}

/** What a scheduled pass did, in short (the sweep's report carries it). */
export type OrphanPass =
  | { ran: false; why: 'off' | 'not due' | 'failed' }
  | ({ ran: true } & Pick<OrphanSweepReport, 'prefixesSeen' | 'prefixesDeleted' | 'objectsDeleted' | 'complete'>);

export async function scheduledOrphanSweep(
  deps: {
    storage: Storage;
    ledger: Pick<Ledger, 'jobs' | 'projects' | 'leases'>;
    registry: Pick<JobTypeRegistry, 'get'>;
    buckets: readonly string[];
    owner: string;
    now: number;
  },
  s: OrphanSchedule,
): Promise<OrphanPass> {
  if (s.everyMs <= 0) return { ran: false, why: 'off' };
  if (!(await deps.ledger.leases.take(ORPHAN_SWEEP_LEASE, deps.owner, s.everyMs)))
    return { ran: false, why: 'not due' };
  const r = await sweepOrphans(deps, { buckets: deps.buckets, now: deps.now, maxPrefixes: s.maxPrefixes });
  const { prefixesSeen, prefixesDeleted, objectsDeleted, complete } = r;
  return { ran: true, prefixesSeen, prefixesDeleted, objectsDeleted, complete };
}
