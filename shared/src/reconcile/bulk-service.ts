/**
 * Bulk actions (issue 33, docs/api.md "Bulk actions"): cancel, retry, reconcile or resume every job a filter
 * matches. Everything is checked before anything is written — the caller's scope (its own jobs; an admin's, one
 * owner's or every owner's), the types configured, at most MAX_BULK_JOBS matched — and a dry run answers the count
 * and a sample with nothing written. A real one freezes the matched jobs as the bulk's items (store/bulks.ts), then
 * carries the action out a batch at a time under the bulk's lease: right after the request in the background, on
 * each read of the bulk (GET), and by the sweep, whichever comes first — so a process that dies mid-batch leaves
 * the rest to the next. Each job goes through its own command (ownership, quotas, the one transactional path),
 * attributed: every transition it makes names the bulk and its caller. An item is marked started before its action
 * and settled after; a started item found again (its process died) is done when the job's history names the bulk.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  bulkApplies,
  bulkView,
  ErrorCode,
  filterResourceKey,
  ForbiddenError,
  matchesFilter,
  MAX_BULK_JOBS,
  NotFoundError,
  ValidationError,
  VerityError,
  type Attribution,
  type Bulk,
  type BulkAction,
  type BulkFilter,
  type Job,
} from '../core/index.js';
import type { Principal } from '../auth/principal.js';
import { mapLimit } from '../evidence/limits.js';
import type { Logger } from '../log.js';
import type { BulkStore } from '../store/bulks.js';
import type { Leases } from '../store/leases.js';
import type { JobFilter } from '../store/queries.js';
import type { JobsService } from './jobs-service.js';

export interface BulkRequest {
  action: BulkAction;
  filter: BulkFilter;
  dryRun?: boolean | undefined;
  requestId?: string | undefined;
}

export interface BulkDeps {
  store: BulkStore;
  jobs: JobsService;
  leases: Leases;
  /** A job's history (the redo of a started item): did the bulk's transition land? */
  history(jobId: string): Promise<{ evidence: Record<string, unknown> }[]>;
  types: () => readonly string[];
  clock: () => number;
  log: Logger;
}

/** Jobs a page of the scan, and the most read before a filter is called too broad. */
const SCAN_PAGE = 500;
const MAX_SCANNED = 50_000;
/** Items a batch, and how long one holds the bulk's lease. */
const BATCH = 20;
const LEASE_MS = 60_000;
const SAMPLE = 10;
/** An item whose action failed for a passing reason is tried this many times in all before it is `failed`. */
const TRIES = 5;

export class BulkService {
  private readonly background = new Set<Promise<unknown>>();
  constructor(private readonly deps: BulkDeps) {}

  /** A dry run: the count and a sample; else the bulk made (202) — or the one this request id made before. */
  async start(who: Principal, req: BulkRequest): Promise<{ dryRun: true; matched: number; sample: Job[] } | Bulk> {
    if (who.workerJobId) throw new ForbiddenError('a worker token cannot act on jobs in bulk');
    const scope = this.scopeOf(who, req.filter);
    if (req.filter.type !== undefined && !this.deps.types().includes(req.filter.type))
      throw new ValidationError('unknown job type', [
        { path: 'filter.type', message: `not configured: ${req.filter.type}` },
      ]);
    const id = req.requestId ? `bulk_${hashOf(who.userId, req.requestId)}` : `bulk_${randomUUID()}`;
    if (req.requestId && !req.dryRun) {
      const first = await this.deps.store.get(id);
      if (first) return first; // a repeated request id answers the first bulk, matching nothing again
    }
    const now = this.deps.clock();
    const matched = await this.match(scope, req.filter, now);
    if (req.dryRun) return { dryRun: true, matched: matched.length, sample: matched.slice(0, SAMPLE) };
    const bulk: Bulk = {
      id,
      action: req.action,
      filter: req.filter,
      by: who.userId,
      scope,
      requestId: req.requestId ?? null,
      matched: matched.length,
      state: 'running',
      createdAt: now,
      endedAt: null,
    };
    const made = await this.deps.store.create(
      bulk,
      matched.map((j) => j.id),
    );
    this.kick(made.id);
    return made;
  }

  /**
   * The bulk, as the caller may see it (its own; an admin every one), after carrying it on for up to 5 s (a
   * client polling for progress moves it; `advance: false`, the answer to its creation, does not wait).
   */
  async read(who: Principal, id: string, opts: { advance?: boolean } = {}) {
    const bulk = await this.deps.store.get(id);
    if (!bulk || (bulk.by !== who.userId && !who.admin)) throw new NotFoundError(`bulk ${id} not found`);
    if (bulk.state === 'running' && opts.advance !== false)
      await this.advance(bulk, 5_000).catch((err) => this.warn(err, id));
    return bulkView((await this.deps.store.get(id))!, await this.deps.store.counts(id));
  }

  /** Its failed and skipped jobs, with why (the answer's `items`). */
  async items(who: Principal, id: string, state: 'failed' | 'skipped' | 'done' | 'pending' | undefined, limit: number) {
    const bulk = await this.deps.store.get(id);
    if (!bulk || (bulk.by !== who.userId && !who.admin)) throw new NotFoundError(`bulk ${id} not found`);
    return this.deps.store.itemsOf(id, state, limit);
  }

  /** The sweep's part: carries on every running bulk within the budget. */
  async carryOn(budgetMs: number): Promise<number> {
    const t0 = performance.now();
    let n = 0;
    for (const bulk of await this.deps.store.running(20)) {
      const left = budgetMs - (performance.now() - t0);
      if (left <= 0) break;
      n += await this.advance(bulk, left).catch((err) => (this.warn(err, bulk.id), 0));
    }
    return n;
  }

  /** Settles once the background batches started so far have ended (tests; a unit shutting down). */
  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.all([...this.background]);
  }

  private kick(id: string): void {
    const run = this.deps.store
      .get(id)
      .then((b) => (b ? this.advance(b, 50_000) : 0))
      .catch((err) => this.warn(err, id));
    this.background.add(run);
    void run.finally(() => this.background.delete(run));
  }

  private warn(err: unknown, id: string): void {
    this.deps.log.warn({ err, bulk: id }, 'bulk: a batch failed; the next read or sweep carries on');
  }

  /** Batches under the bulk's lease until none is pending or the budget is spent; the items settled. */
  private async advance(bulk: Bulk, budgetMs: number): Promise<number> {
    const owner = randomUUID();
    const lease = `bulk:${bulk.id}`;
    if (!(await this.deps.leases.take(lease, owner, LEASE_MS))) return 0;
    const t0 = performance.now();
    let settled = 0;
    try {
      for (;;) {
        const batch = await this.deps.store.pending(bulk.id, BATCH);
        if (batch.length === 0) {
          await this.deps.store.end(bulk.id, this.deps.clock());
          break;
        }
        await mapLimit(batch, 4, (item) => this.one(bulk, item.jobId, item.started, item.tries));
        settled += batch.length;
        if (performance.now() - t0 > budgetMs) break;
      }
    } finally {
      await this.deps.leases.release(lease, owner);
    }
    return settled;
  }

  /** One item: the job read again, its action if it still applies, the outcome recorded. */
  private async one(bulk: Bulk, jobId: string, started: boolean, tries: number): Promise<void> {
    const who: Principal = { userId: bulk.by, admin: bulk.scope === null || bulk.scope !== bulk.by, workerJobId: null };
    const by: Attribution = { bulkId: bulk.id, userId: bulk.by };
    const job = await this.deps.jobs.reads
      .visible(who, jobId)
      .catch((err: unknown) => (err instanceof NotFoundError ? null : Promise.reject(err)));
    if (!job) return this.deps.store.settle(bulk.id, jobId, 'skipped', 'not found');
    const applies = bulkApplies(bulk.action, job);
    if (!applies.apply || !matchesFilter(job, bulk.filter)) {
      // a started item whose process died after the action: the job's history names the bulk
      if (started && (await this.landed(jobId, bulk.id))) return this.deps.store.settle(bulk.id, jobId, 'done', null);
      const why = applies.apply ? 'no longer matches the filter' : applies.why;
      return this.deps.store.settle(bulk.id, jobId, 'skipped', why);
    }
    await this.deps.store.start(bulk.id, jobId);
    try {
      const detail = await this.act(bulk.action, who, job, by);
      await this.deps.store.settle(bulk.id, jobId, 'done', detail);
    } catch (err) {
      // a refusal (a quota, a conflict, a job gone) is the item's answer; anything else (the database busy, a
      // process dying) is tried again by the next batch, up to TRIES times
      // the job ended between its read and the action: where a cancel would take it, as a skip (the soak saw it)
      if (err instanceof VerityError && err.code === ErrorCode.JOB_TERMINAL)
        return this.deps.store.settle(bulk.id, jobId, 'skipped', err.message);
      const refused = err instanceof VerityError && !err.retryable;
      const e = err instanceof VerityError ? `${err.code}: ${err.message}` : `INTERNAL: ${String(err).slice(0, 200)}`;
      if (refused || tries + 1 >= TRIES) await this.deps.store.settle(bulk.id, jobId, 'failed', e.slice(0, 300));
      else await this.deps.store.retryLater(bulk.id, jobId, e.slice(0, 300));
    }
  }

  private async act(action: BulkAction, who: Principal, job: Job, by: Attribution): Promise<string | null> {
    switch (action) {
      case 'cancel':
        return (await this.deps.jobs.cancel(who, job.id, by)).status;
      case 'retry':
      case 'resume':
        return (await this.deps.jobs.retry(who, job.id, by)).id;
      case 'reconcile':
        return (await this.deps.jobs.reconcile(who, job.id, { by })).correctedStatus;
    }
  }

  private async landed(jobId: string, bulkId: string): Promise<boolean> {
    const history = await this.deps.history(jobId);
    return history.some((t) => (t.evidence.bulk as Attribution | undefined)?.bulkId === bulkId);
  }

  /** Whose jobs the caller may act on: its own; an admin's, the filter's owner or (none named) everyone's. */
  private scopeOf(who: Principal, f: BulkFilter): string | null {
    if (who.admin) return f.ownerId ?? null;
    if (f.ownerId !== undefined && f.ownerId !== who.userId)
      throw new ForbiddenError('only an admin acts on another owner’s jobs');
    return who.userId;
  }

  /** Every job the filter matches, newest first: refused when more than MAX_BULK_JOBS, or too broad to scan. */
  private async match(scope: string | null, f: BulkFilter, now: number): Promise<Job[]> {
    const key = filterResourceKey(f);
    // the index that narrows most: a resource key, else a status, else a type (with the owner when there is one)
    const narrow: JobFilter = {
      ...(scope !== null ? { ownerId: scope } : {}),
      ...(key !== undefined ? { resourceKey: key } : f.status ? { status: f.status } : f.type ? { type: f.type } : {}),
    };
    const before = Math.min(f.createdBefore ?? Infinity, now + 1);
    const found: Job[] = [];
    let scanned = 0;
    let after: Job | undefined;
    for (;;) {
      const page = await this.deps.store.scan(narrow, before, SCAN_PAGE, after);
      scanned += page.length;
      for (const j of page)
        if (matchesFilter(j, { ...f, ...(scope !== null ? { ownerId: scope } : {}) })) found.push(j);
      if (found.length > MAX_BULK_JOBS)
        throw new ValidationError(`the filter matches more than ${MAX_BULK_JOBS} jobs; narrow it`, [
          { path: 'filter', message: `at most ${MAX_BULK_JOBS} jobs a bulk` },
        ]);
      const last = page[page.length - 1];
      if (page.length < SCAN_PAGE || !last || (f.createdAfter !== undefined && last.createdAt <= f.createdAfter))
        return found;
      if (scanned >= MAX_SCANNED)
        throw new ValidationError(`the filter is too broad to scan (over ${MAX_SCANNED} jobs); narrow it`, [
          { path: 'filter', message: 'add a status, a type, a resource key or a creation window' },
        ]);
      after = last;
    }
  }
}

const hashOf = (userId: string, requestId: string): string =>
  createHash('sha256')
    .update(JSON.stringify([userId, requestId]))
    .digest('hex')
    .slice(0, 32);
