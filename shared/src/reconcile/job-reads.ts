/** The read side of jobs for the API: visibility, the queue, one job (reconcile-on-read), progress, history. */
import {
  diagnose,
  estimate,
  ForbiddenError,
  isActive,
  isDue,
  JOB_STATUSES,
  NotFoundError,
  canResume,
  type Attribution,
  type Diagnosis,
  type Job,
  type PastRun,
  type Transition,
} from '../core/index.js';
import type { Principal } from '../auth/principal.js';
import { canSee } from '../api-kit.js';
import type { JobsServiceDeps } from './job-deps.js';
import type { ReconcileReport } from './reconciler.js';

export class JobReads {
  constructor(private readonly deps: JobsServiceDeps) {}

  /** A job the caller may see: its own, or any for an admin. Others' jobs are "not found". */
  async visible(who: Principal, id: string): Promise<Job> {
    const job = await this.deps.store.get(id);
    if (!job || !canSee(who, { ownerId: job.ownerId, jobId: id })) {
      throw new NotFoundError(`job ${id} not found`);
    }
    return job;
  }

  /**
   * The queue (seed 002): own jobs (an admin's: all), newest first, with filters; an opaque cursor that stays
   * stable while jobs change (ordered by creation time and id, both immutable); stats from count() aggregations.
   */
  async list(
    who: Principal,
    q: { status?: string; type?: string; resourceKey?: string; limit: number; cursor?: string },
  ): Promise<{ jobs: Job[]; stats: Record<string, number>; nextCursor: string | null }> {
    if (who.workerJobId) throw new ForbiddenError('a worker token cannot list jobs');
    const scope = {
      ...(who.admin ? {} : { ownerId: who.userId }),
      ...(q.type ? { type: q.type } : {}),
      ...(q.resourceKey ? { resourceKey: q.resourceKey } : {}),
    };
    const store = this.deps.store;
    const [page, counts] = await Promise.all([
      store.list({ ...scope, ...(q.status ? { status: q.status } : {}) }, q.limit, q.cursor),
      Promise.all([scope, ...JOB_STATUSES.map((s) => ({ ...scope, status: s }))].map((f) => store.count(f))),
    ]);
    const stats: Record<string, number> = { total: counts[0]! };
    JOB_STATUSES.forEach((s, i) => (stats[s] = counts[i + 1]!));
    return { jobs: page.jobs, stats, nextCursor: page.nextCursor };
  }

  /**
   * Seed 002's progress view, with each step's status and ETA. The ETA is learned from the latest 20
   * succeeded jobs of the same type (per-step medians, else the whole-run median); null with nothing to learn.
   */
  async progress(who: Principal, id: string): Promise<Record<string, unknown>> {
    const job = await this.read(who, id);
    const [recent, checkpoints] = await Promise.all([
      this.deps.store.recentSucceeded(job.ownerId, job.type, 20),
      this.deps.checkpoints?.list(job.id) ?? new Map<string, { at: number | null }>(),
    ]);
    const history: PastRun[] = recent
      .filter((j) => j.startedAt !== null && j.completedAt !== null && j.id !== job.id)
      .map((j) => ({ startedAt: j.startedAt!, completedAt: j.completedAt!, steps: j.progress?.steps ?? [] }));
    const eta = estimate(job, history, this.deps.clock());
    const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
    const round = (n: number | null): number | null => (n === null ? null : Math.round(n));
    const steps = eta.steps.map((s) => ({
      name: s.name,
      status: s.status,
      weight: s.weight,
      startedAt: iso(s.startedAt),
      completedAt: iso(s.completedAt),
      estimatedSeconds: round(s.estimatedSeconds),
      remainingSeconds: round(s.remainingSeconds),
      // its checkpoint landed (a finalize event): the step is resumable from there
      checkpointAt: iso(checkpoints.get(s.name)?.at ?? null),
    }));
    const current = steps.find((s) => s.status === 'running');
    return {
      jobId: job.id,
      status: job.status,
      progressPct: job.status === 'succeeded' ? 100 : (job.progress?.pct ?? 0),
      createdAt: iso(job.createdAt),
      startedAt: iso(job.startedAt),
      elapsedSeconds: Math.round(eta.elapsedSeconds),
      estimatedTotalSeconds: round(eta.estimatedTotalSeconds),
      remainingSeconds: round(eta.remainingSeconds),
      etaBasis: eta.basis,
      etaSamples: eta.samples,
      currentStep: current ? { ...current, progressPct: job.progress?.stepPct ?? null } : null,
      completedSteps: job.progress?.completedSteps ?? [],
      skippedSteps: job.progress?.skippedSteps ?? [],
      steps,
      canResume: canResume(job),
      hasErrors: job.error !== null,
      hasWarnings: job.attempt > 1,
    };
  }

  /**
   * Reconcile-on-read: one document read and no probes while the job is inside all its deadlines. A verify
   * the caller asks for is a probe: it counts against the owner's probe quota (429). A due check probes too, and
   * is charged the same way; past the quota the read answers the record as it is (the sweep corrects it).
   */
  async read(who: Principal, id: string, opts: { verify?: boolean } = {}): Promise<Job> {
    const job = await this.visible(who, id);
    const due = isDue(job, this.deps.clock());
    if (!opts.verify && !due) return job;
    if (!opts.verify && !isActive(job.status)) return job;
    if (opts.verify) await this.takeProbe(who, job);
    else if (!(await this.takeProbe(who, job, { orSkip: true }))) return job;
    return (await this.deps.reconciler.reconcile(id, 'read', job)).job;
  }

  /** A look now (with `dryRun`: what it would do, nothing written); a probe of the caller's budget either way. */
  /** A look now (a probe, charged to the caller); a bulk action's (`by`) is attributed to it, source `api`. */
  async reconcile(
    who: Principal,
    id: string,
    opts: { dryRun?: boolean; by?: Attribution } = {},
  ): Promise<ReconcileReport> {
    const job = await this.visible(who, id);
    await this.takeProbe(who, job);
    if (opts.dryRun) return this.deps.reconciler.preview(id, job);
    if (opts.by) return (await this.deps.reconciler.reconcile(id, 'api', job, undefined, opts.by)).report;
    return (await this.deps.reconciler.reconcile(id, 'reconcile', job)).report;
  }

  /**
   * Probes are charged to the caller (an admin looking at another's job spends the admin's budget): a spent
   * budget is 429, or with `orSkip` false (the look is skipped).
   */
  private async takeProbe(who: Principal, job: Job, opts: { orSkip?: boolean } = {}): Promise<boolean> {
    const perMinute = this.deps.registry.get(job.type)?.quotas.probesPerMinute ?? Number.POSITIVE_INFINITY;
    if (!Number.isFinite(perMinute)) return true;
    if (opts.orSkip) return this.deps.quotas.tryTakeProbe(who.userId, perMinute);
    await this.deps.quotas.takeProbe(who.userId, perMinute);
    return true;
  }

  /**
   * The job explained (core/diagnose.ts): read as GET /api/jobs/:id reads it — a job inside its deadlines costs
   * one document read and no probe; a due one is reconciled first, so the diagnosis speaks of what is true now.
   */
  async diagnosis(who: Principal, id: string): Promise<Diagnosis> {
    const job = await this.read(who, id);
    return diagnose(job, await this.deps.store.history(id), this.deps.clock());
  }

  async history(who: Principal, id: string): Promise<Transition[]> {
    await this.visible(who, id);
    return this.deps.store.history(id);
  }
}
