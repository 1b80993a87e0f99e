/**
 * Bulk actions (issue 33, docs/api.md "Bulk actions"), the pure part: which jobs a filter matches, what an action
 * does to each (or why it leaves one alone), and a bulk's progress. The store (store/bulks.ts) freezes the matched
 * jobs as items before anything is done to them; the service (reconcile/bulk-service.ts) carries the actions out
 * batch by batch, each through the job's own command (its ownership, quotas and one transactional path).
 */
import type { Job } from './model.js';
import type { JobStatus, Reason } from './states.js';

export const BULK_ACTIONS = ['cancel', 'retry', 'reconcile', 'resume'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** At most this many jobs a bulk (a larger filter is refused before anything is done: narrow it). */
export const MAX_BULK_JOBS = 10_000;

export interface BulkFilter {
  type?: string;
  status?: JobStatus;
  statusReason?: Reason;
  resourceKey?: string;
  /** The jobs of one project (their resourceKey is `project:{id}`). */
  projectId?: string;
  /** Created before / after (epoch ms). */
  createdBefore?: number;
  createdAfter?: number;
  /** An admin's: one owner's jobs (absent: every owner's). Others always act on their own. */
  ownerId?: string;
}

export type BulkState = 'running' | 'done';
export type BulkItemState = 'pending' | 'done' | 'skipped' | 'failed';

export interface Bulk {
  id: string;
  action: BulkAction;
  filter: BulkFilter;
  /** Who asked (every transition it makes names them and the bulk). */
  by: string;
  /** Whose jobs it may touch: the caller's, or (an admin's) null for every owner's. */
  scope: string | null;
  requestId: string | null;
  matched: number;
  state: BulkState;
  createdAt: number;
  endedAt: number | null;
}

/** A bulk's counts by item state (store: count() over its items). */
export type BulkCounts = Record<BulkItemState, number>;

/** The resource key a filter needs, if any: its own, or its project's. */
export function filterResourceKey(f: BulkFilter): string | undefined {
  return f.resourceKey ?? (f.projectId !== undefined ? `project:${f.projectId}` : undefined);
}

/** Whether a job matches the filter (the store narrows by an index first; this decides). */
export function matchesFilter(job: Job, f: BulkFilter): boolean {
  const key = filterResourceKey(f);
  return (
    (f.type === undefined || job.type === f.type) &&
    (f.status === undefined || job.status === f.status) &&
    (f.statusReason === undefined || job.statusReason === f.statusReason) &&
    (key === undefined || job.resourceKey === key) &&
    (f.ownerId === undefined || job.ownerId === f.ownerId) &&
    (f.createdBefore === undefined || job.createdAt < f.createdBefore) &&
    (f.createdAfter === undefined || job.createdAt > f.createdAfter)
  );
}

/** A failed or canceled job that completed steps: a retry resumes past them (docs/workers.md, "resume"). */
export function canResume(job: Job): boolean {
  return (job.status === 'failed' || job.status === 'canceled') && (job.progress?.completedSteps.length ?? 0) > 0;
}

const ACTIVE: readonly string[] = ['queued', 'running'];

/**
 * Whether an action applies to this job now, or why it is left alone (a skip is not a failure: the job is
 * where the action would take it, or the action cannot apply to its state).
 */
export function bulkApplies(action: BulkAction, job: Job): { apply: true } | { apply: false; why: string } {
  switch (action) {
    case 'cancel':
      return ACTIVE.includes(job.status) ? { apply: true } : { apply: false, why: `already ${job.status}` };
    case 'retry':
      return job.status === 'failed' || job.status === 'canceled'
        ? { apply: true }
        : { apply: false, why: `only failed or canceled jobs are retried; this one is ${job.status}` };
    case 'resume':
      return canResume(job) ? { apply: true } : { apply: false, why: 'no completed steps to resume past' };
    case 'reconcile':
      return { apply: true };
  }
}

/** The bulk as the API answers it: its counts, and running until no item is pending. */
export function bulkView(b: Bulk, c: BulkCounts) {
  return {
    id: b.id,
    action: b.action,
    filter: b.filter,
    by: b.by,
    matched: b.matched,
    done: c.done,
    skipped: c.skipped,
    failed: c.failed,
    pending: c.pending,
    state: c.pending > 0 ? ('running' as const) : ('done' as const),
    requestId: b.requestId,
    createdAt: new Date(b.createdAt).toISOString(),
    endedAt: b.endedAt === null ? null : new Date(b.endedAt).toISOString(),
  };
}
