/**
 * The sweep: what events missed. Reads only the jobs whose `nextCheckAt` has passed (an indexed range query,
 * paged — never a scan of all jobs), takes a short lease on each so overlapping sweeps never act twice, and
 * reconciles each through the same path as everything else, with bounded parallelism and a time budget.
 * It also starts queued retries whose backoff is due (their `nextCheckAt`) and republishes events that a
 * crashed function left unpublished.
 */
import { randomUUID } from 'node:crypto';
import { onlyDispatchDue, type Job, type Source } from '../core/index.js';
import { mapLimit } from '../evidence/limits.js';
import { faultPoint } from '../faults.js';
import type { Logger } from '../log.js';
import type { DueCursor } from '../store/job-queries.js';
import type { JobStore } from '../store/job-store.js';
import type { Leases } from '../store/leases.js';
import { ALL_SHARDS } from '../store/shards.js';
import type { SweepCursors } from '../store/sweep-cursors.js';
import type { Reconciler } from './reconciler.js';

export interface SweepOptions {
  /** Report what is due without acting. */
  dryRun?: boolean;
  /** Stop taking new pages after this long; the next sweep continues. */
  budgetMs?: number;
  pageSize?: number;
  concurrency?: number;
  /** This sweep's share of the due index's shards (store/shards.ts); all when absent. */
  shards?: readonly number[];
  /** Stop taking new pages once this many documents are read (a run bounded in reads); the next continues. */
  maxDocuments?: number;
  /** Outbox entries a page of the drain (default 200); pages follow while full, within the budget. */
  outboxPageSize?: number;
  /** Called after each job (progress bars). */
  onProgress?: (done: number) => void;
  source?: Source;
  /**
   * A manual sweep's age filter (seed 003's `older_than_minutes`): instead of the due jobs, every queued or
   * running job created at least this long ago is looked at now, due or not.
   */
  olderThanMs?: number;
}

export interface SweepReport {
  checked: number;
  corrected: number;
  /**
   * Applied transitions by reason, plus `unchanged`, `leased` (another sweep had it), `busy` (this process is
   * still reconciling it), `error`, `slow` (it took longer than its lease: the sweep moved on, the reconcile
   * goes on by itself) and `unfinished` (its probes did not answer within half its lease: left as it was, due,
   * for the next sweep).
   */
  outcomes: Record<string, number>;
  /**
   * Documents this sweep read: the due jobs its query returned, and per job reconciled the transaction's
   * re-read (the lease is a create; the output and executor probes read no documents).
   */
  documentsRead: number;
  republished: number;
  /**
   * Due jobs this sweep did not decide on, each left to a reconcile already under way (`slow`, `busy`,
   * `leased`) or to the next sweep (`unfinished`); at most 1,000 named. A deadline still passed after a sweep
   * answered is missed only if it is not one of these.
   */
  movedOn: string[];
  /** False when the budget ran out before every due job was seen. */
  complete: boolean;
  dryRun: boolean;
  durationMs: number;
  due?: { jobId: string; status: string; nextCheckAt: string }[];
}

export interface SweeperDeps {
  jobs: JobStore;
  leases: Leases;
  reconciler: Reconciler;
  log: Logger;
  clock: () => number;
  /**
   * How long one sweep holds a job. The lease is not released (one write less per job): a job still due
   * after its reconcile (a probe failed) waits for the lease to lapse, well within one scheduler interval.
   */
  leaseMs?: number;
  /** Where a run cut short stopped (store/sweep-cursors.ts): the next run of its share resumes there. */
  cursors?: Pick<SweepCursors, 'get' | 'set'>;
}

/** One sweep's pass over its jobs: its options, its report and outcome counter, its page size and budget. */
interface Pass {
  opts: SweepOptions;
  report: SweepReport;
  count: (key: string, jobId?: string) => void;
  pageSize: number;
  outOfTime: () => boolean;
}

/** Outcomes of a job the sweep did not decide on: left to a reconcile under way, or to the next look. */
const MOVED_ON = new Set(['slow', 'busy', 'leased', 'unfinished']);
/** Whether due position `a` comes after `b` in the due index's order (nextCheckAt, then id). */
const dueAfter = (a: DueCursor, b: DueCursor): boolean =>
  a.nextCheckAt > b.nextCheckAt || (a.nextCheckAt === b.nextCheckAt && a.id > b.id);
/** Outbox entries a page: the sweep drains page after page within its budget (drainOutbox). */
const OUTBOX_PAGE = 200;

export class Sweeper {
  private readonly owner = randomUUID();
  /** Jobs this process is reconciling now (one a sweep moved on from may still be): later sweeps skip them. */
  private readonly inFlight = new Set<string>();
  constructor(private readonly deps: SweeperDeps) {}

  /** Takes the job's lease for this sweeper if free or lapsed (store/leases.ts). */
  lease(jobId: string): Promise<boolean> {
    return this.deps.leases.take(jobId, this.owner, this.deps.leaseMs ?? 30_000);
  }

  async sweep(opts: SweepOptions = {}): Promise<SweepReport> {
    const started = this.deps.clock();
    const t0 = performance.now();
    const budgetMs = opts.budgetMs ?? 50_000;
    const pageSize = opts.pageSize ?? 200;
    const report: SweepReport = {
      checked: 0,
      corrected: 0,
      outcomes: {},
      documentsRead: 0,
      republished: 0,
      movedOn: [],
      complete: true,
      dryRun: opts.dryRun === true,
      durationMs: 0,
    };
    const count = (key: string, jobId?: string): void => {
      report.outcomes[key] = (report.outcomes[key] ?? 0) + 1;
      if (jobId && MOVED_ON.has(key) && report.movedOn.length < 1000) report.movedOn.push(jobId);
    };
    // The outbox goes alongside the due jobs, not after them: a stop or a start a dead process left undone is
    // repeated on time however long the due jobs take, and whether or not this sweep is killed before their end.
    const outOfTime = (): boolean =>
      performance.now() - t0 > budgetMs || report.documentsRead >= (opts.maxDocuments ?? Infinity);
    const pass: Pass = { opts, report, count, pageSize, outOfTime };
    const [, republished] = await Promise.all([
      opts.olderThanMs === undefined ? this.dueJobs(started, pass) : this.agedJobs(started - opts.olderThanMs, pass),
      opts.dryRun ? 0 : this.drainOutbox(pass),
    ]);
    report.republished = republished;
    report.durationMs = Math.round(performance.now() - t0);
    this.deps.log.info({ ...report, due: undefined }, 'sweep done');
    return report;
  }

  /**
   * The outbox entries a dead process (or a Pub/Sub outage) left, page after page while each page is full and
   * every entry of it left (a page with one that did not — a publish still failing — ends the run's share), within
   * the budget: a backlog of events drains at the run's pace, not a page a minute.
   */
  private async drainOutbox(pass: Pass): Promise<number> {
    let total = 0;
    for (;;) {
      const page = pass.opts.outboxPageSize ?? OUTBOX_PAGE;
      const left = await this.deps.reconciler.drainPending(this.deps.clock(), page, pass.opts.shards);
      total += left;
      if (left < page || pass.outOfTime()) return total;
    }
  }

  /**
   * Reconciles the jobs due at `started`, soonest first across its share of the shards, page by page within the
   * budget (each within its lease) — from where the last run of the share was cut short, if it was.
   */
  private async dueJobs(started: number, pass: Pass): Promise<void> {
    const share = pass.opts.shards ?? ALL_SHARDS;
    const cursors = pass.opts.dryRun ? undefined : this.deps.cursors;
    const stored = (await cursors?.get(share)) ?? null;
    let cursor: DueCursor | undefined;
    // A resumed run first reads a page's worth from the soonest, then jumps to where the last run stopped: a job
    // passed while it was held (another's lease, a slow look) — a start to make among them — is looked at again by
    // the next run, not left until some run reads the range to its end (the CI soak's *never dispatched*).
    let fresh = stored ? pass.pageSize : 0;
    for (;;) {
      if (pass.outOfTime()) {
        pass.report.complete = false;
        break;
      }
      const { jobs: page, more } = await this.deps.jobs.due(started, pass.pageSize, cursor, share);
      pass.report.documentsRead += page.length;
      const last = page[page.length - 1];
      if (!last) break;
      cursor = { nextCheckAt: last.nextCheckAt ?? started, id: last.id };
      // starts first: each is one write and a call, and a sweep cut short (killed, cold) makes them all the same
      const starts = page.filter((j) => onlyDispatchDue(j, started));
      await this.sweepPage([...starts, ...page.filter((j) => !starts.includes(j))], pass);
      if (!more) break;
      if (fresh > 0 && stored) {
        fresh -= page.length;
        if (!dueAfter(stored, cursor))
          fresh = 0; // reached where the last run stopped: on from here
        else if (fresh <= 0) cursor = stored; // the soonest looked at: on from where the last run stopped
      }
    }
    // cut short: the next run of this share resumes here; read to the end: the next starts afresh
    if (!pass.report.complete && cursor) await cursors?.set(share, cursor);
    else if (stored) await cursors?.set(share, null);
  }

  /** The active jobs created by `beforeMs`, queued then running, page by page within the budget. */
  private async agedJobs(beforeMs: number, pass: Pass): Promise<void> {
    for (const status of ['queued', 'running']) {
      let after: Job | undefined;
      for (;;) {
        if (pass.outOfTime()) return void (pass.report.complete = false);
        const page = await this.deps.jobs.aged(status, beforeMs, pass.pageSize, after);
        pass.report.documentsRead += page.length;
        after = page[page.length - 1];
        if (!after) break;
        await this.sweepPage(page, pass);
        if (page.length < pass.pageSize) break;
      }
    }
  }

  /** Reconciles a page of jobs (a dry run lists them), each within its lease. */
  private async sweepPage(page: Job[], { opts, report, count }: Pass): Promise<void> {
    if (opts.dryRun) {
      report.due ??= [];
      for (const j of page) {
        report.due.push({ jobId: j.id, status: j.status, nextCheckAt: new Date(j.nextCheckAt ?? 0).toISOString() });
        report.checked++;
      }
    } else {
      await mapLimit(page, opts.concurrency ?? 16, async (job) => {
        // No job holds the sweep longer than its lease: a transaction waiting on a lock a dead process holds
        // (until the database times it out) would otherwise hold back every job after it, and every sweep
        // after this one that takes the lapsed lease. The abandoned reconcile goes on, transactional as ever.
        const leaseMs = this.deps.leaseMs ?? 30_000;
        let timer: NodeJS.Timeout | undefined;
        const slow = new Promise<'slow'>((r) => (timer = setTimeout(() => r('slow'), leaseMs)));
        const t1 = performance.now();
        const one = this.sweepOne(job, opts, report, count);
        const outcome = await Promise.race([one, slow]);
        clearTimeout(timer);
        if (outcome === 'slow') {
          count('slow', job.id);
          this.deps.log.warn({ jobId: job.id, leaseMs }, 'sweep: a job took longer than its lease; moving on');
          // how long it really took: what holds a due job back (a lock, a hung call) shows in the logs
          void one.then(() =>
            this.deps.log.info({ jobId: job.id, ms: Math.round(performance.now() - t1) }, 'sweep: a slow job done'),
          );
        }
        opts.onProgress?.(report.checked);
      });
    }
  }

  /** Lease, reconcile and count one due job; never rejects. */
  private async sweepOne(
    job: Job,
    opts: SweepOptions,
    report: SweepReport,
    count: (key: string, jobId?: string) => void,
  ): Promise<void> {
    const jobId = job.id;
    if (this.inFlight.has(jobId)) return void count('busy', jobId);
    this.inFlight.add(jobId);
    try {
      if (!(await this.lease(jobId))) {
        count('leased', jobId);
        return;
      }
      // probes get half the lease: what has not answered by then is left for the next sweep (Reconciler.gather)
      const leaseMs = this.deps.leaseMs ?? 30_000;
      const source = opts.source ?? 'sweep';
      const { job: after, report: r, cutShort } = await this.deps.reconciler.reconcile(jobId, source, job, leaseMs / 2);
      report.documentsRead += 1; // the transaction's re-read of the job
      faultPoint('mid-sweep', jobId);
      // the lease guards this reconcile, not the job's next check: one due before it lapses frees it
      if (after.nextCheckAt !== null && after.nextCheckAt < this.deps.clock() + leaseMs)
        await this.deps.leases.release(jobId, this.owner);
      report.checked++;
      if (r.action === 'corrected') {
        report.corrected++;
        count(r.reason);
      } else count(cutShort ? 'unfinished' : 'unchanged', jobId);
    } catch (err) {
      count('error');
      this.deps.log.error({ err, jobId }, 'sweep: reconcile failed; the next sweep retries');
    } finally {
      this.inFlight.delete(jobId);
    }
  }
}
