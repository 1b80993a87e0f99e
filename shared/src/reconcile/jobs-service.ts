/** What the API (and later the triggers) do with jobs: enqueue, read, reconcile, cancel, report. */
import {
  ConflictError,
  createJob,
  estimate,
  ErrorCode,
  ForbiddenError,
  isActive,
  VerityError,
  JOB_STATUSES,
  NotFoundError,
  resolvePolicy,
  ValidationError,
  type Job,
  type OutputObservation,
  type PastRun,
  type Transition,
} from '../core/index.js';
import type { JobType, JobTypeRegistry } from '../config/job-types.js';
import type { Principal } from '../auth/principal.js';
import { fillTemplate, parseGcsUri } from '../evidence/gcs-uri.js';
import { assertRequestUris, DEFAULT_REQUEST_PREFIXES, ownerPrefixes } from '../evidence/prefixes.js';
import { storedBytes } from '../json-limits.js';
import { canSee, newJobId, validationProblems } from '../api-kit.js';
import type { Quotas } from '../store/quotas.js';
import type { OutputProbe } from '../evidence/outputs.js';
import type { Logger } from '../log.js';
import type { EnqueueRequest, WorkerUpdate } from '../schemas.js';
import type { JobStore } from '../store/job-store.js';
import type { ReconcileReport, Reconciler } from './reconciler.js';

export interface JobsServiceDeps {
  store: JobStore;
  reconciler: Reconciler;
  registry: JobTypeRegistry;
  probe: OutputProbe;
  log: Logger;
  clock: () => number;
  bucket: string;
  allowedBuckets: readonly string[];
  quotas: Quotas;
  newId?: () => string;
}

/**
 * A new job's stored-size budget. What a job may gain later is bounded by the update schemas (completed
 * steps, step timings and plan ≤ 500 × 200 characters each, an error ≤ 2 KB: under 350 KB in all), so a job
 * created within this budget stays under Firestore's 1 MiB document limit for life.
 */
export const MAX_NEW_JOB_BYTES = 512 * 1024;

/** Outputs carried over from the job a retry repeats: checked when that job was enqueued, not again. */
export interface EnqueueOptions {
  inheritedOutputs?: string[];
}

export class JobsService {
  private readonly newId: () => string;
  constructor(private readonly deps: JobsServiceDeps) {
    this.newId = deps.newId ?? newJobId;
  }

  /** Enqueue (seed 000's flow): a held resourceKey first reconciles its holder; only a really active one is a 409. */
  async enqueue(
    who: Principal,
    req: EnqueueRequest,
    opts: EnqueueOptions = {},
  ): Promise<{ created: boolean; job: Job }> {
    if (who.workerJobId) throw new ForbiddenError('a worker token cannot enqueue jobs');
    const type = this.deps.registry.get(req.type);
    if (!type)
      throw new ValidationError(`unknown job type "${req.type}"`, { field: 'type', known: this.deps.registry.names() });
    const input = type.input.safeParse(req.input ?? {});
    if (!input.success) {
      throw new ValidationError('invalid input for this job type', validationProblems(input.error.issues, ['input']));
    }
    const resolved = resolvePolicy(type.policy, type.limits, req.policy);
    if ('problems' in resolved) throw new ValidationError('policy out of bounds for this job type', resolved.problems);
    const id = this.newId();
    const outputUris = opts.inheritedOutputs ?? this.outputsFor(type, req, id, who.userId);
    const inputBytes = storedBytes(input.data);
    if (inputBytes > MAX_NEW_JOB_BYTES / 2) {
      throw new VerityError(
        ErrorCode.JOB_TOO_LARGE,
        `input is ${inputBytes} bytes stored; at most ${MAX_NEW_JOB_BYTES / 2}`,
        { field: 'input' },
      );
    }

    if (req.idempotencyKey) {
      const existing = await this.deps.store.findIdempotent(who.userId, req.idempotencyKey);
      if (existing) return { created: false, job: existing };
    }
    await this.deps.quotas.checkActiveJobs(who.userId, type.name, type.quotas.maxActiveJobs);
    const observations: OutputObservation[] =
      req.reuseExistingOutputs && outputUris.length > 0 ? (await this.deps.probe.probe(outputUris)).observations : [];
    const spec = {
      id,
      type: type.name,
      ownerId: who.userId,
      resourceKey: req.resourceKey ?? null,
      idempotencyKey: req.idempotencyKey ?? null,
      input: input.data,
      outputUris,
      reuseExistingOutputs: req.reuseExistingOutputs,
      executorKind: type.executor.kind,
      policy: resolved.policy,
      stepPlan: type.steps,
    };
    for (let round = 0; ; round++) {
      const res = await this.deps.reconciler.create((ctx) => {
        const decision = createJob(spec, observations, ctx);
        const bytes = storedBytes(decision.job);
        if (bytes > MAX_NEW_JOB_BYTES)
          throw new VerityError(
            ErrorCode.JOB_TOO_LARGE,
            `the job would take ${bytes} bytes stored; at most ${MAX_NEW_JOB_BYTES}`,
          );
        return decision;
      }, 'api');
      if (res.outcome === 'idempotent') return { created: false, job: res.job };
      if (res.outcome === 'created') {
        this.deps.log.info(
          { jobId: id, type: type.name, ownerId: who.userId, to: res.job.status, reason: res.job.statusReason },
          'job enqueued',
        );
        return { created: true, job: (await this.deps.store.get(id)) ?? res.job };
      }
      // The key is held: reconcile the holder (it may be stuck), then try once more.
      const { job: holder } = await this.deps.reconciler.reconcile(res.holderId, 'api');
      if (round >= 1 || isActive(holder.status)) {
        throw new ConflictError(
          ErrorCode.ACTIVE_JOB_EXISTS,
          `resourceKey "${req.resourceKey}" is held by an active job`,
          { activeJob: holder },
        );
      }
    }
  }

  /** The caller's prefixes for request-named objects of a type (a project's artifacts: its generation type's). */
  requestPrefixesOf(typeName: string | null, ownerId: string): string[] {
    const type = typeName === null ? undefined : this.deps.registry.get(typeName);
    return ownerPrefixes(type?.requestPrefixes ?? DEFAULT_REQUEST_PREFIXES, this.deps.bucket, ownerId);
  }

  /**
   * The outputs a request names (each under a prefix the type allows the caller, none under a temporary
   * prefix: 400 OUTPUT_NOT_ALLOWED before any probe), else the type's derived outputs.
   */
  private outputsFor(type: JobType, req: EnqueueRequest, jobId: string, ownerId: string): string[] {
    if (req.outputs === undefined) {
      const uris = type.outputTemplates.map((t) => fillTemplate(t, { bucket: this.deps.bucket, jobId }));
      const inAllowedBucket = (u: string): boolean => this.deps.allowedBuckets.includes(parseGcsUri(u)?.bucket ?? '');
      if (!uris.every(inAllowedBucket))
        throw new VerityError(
          ErrorCode.UNAVAILABLE,
          `job type ${type.name} derives outputs outside the allowed buckets`,
        );
      return uris;
    }
    // the request's list wins, an empty one included (a job with no declared outputs)
    if (!type.outputsFromRequest)
      throw new ValidationError(`job type ${type.name} does not accept outputs from the request`, { field: 'outputs' });
    assertRequestUris('outputs', req.outputs, this.requestPrefixesOf(type.name, ownerId));
    if (new Set(req.outputs).size !== req.outputs.length)
      throw new ValidationError('invalid outputs', [{ field: 'outputs', message: 'duplicate output URIs' }]);
    return req.outputs;
  }

  /** A job the caller may see: its own, or any for an admin. Others' jobs are "not found". */
  private async visible(who: Principal, id: string): Promise<Job> {
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
   * A new attempt of a failed or canceled job. Terminal jobs stay terminal (the history keeps what happened):
   * the retry is a new job with the same type, input, outputs, resourceKey and policy, reusing outputs that
   * already exist — so the steps whose outputs are there are not redone (all there: it is born succeeded).
   */
  async retry(who: Principal, id: string): Promise<Job> {
    const old = await this.visible(who, id);
    if (who.workerJobId) throw new ForbiddenError('a worker token cannot retry jobs');
    if (old.status !== 'failed' && old.status !== 'canceled')
      throw new ConflictError(
        ErrorCode.CONFLICT,
        `only a failed or canceled job can be retried; this one is ${old.status}`,
        { job: old },
      );
    // The retry names the same objects as the job it repeats (checked, or derived by the type, back then);
    // for a type whose outputs are derived from the execution (http providers) it derives its own.
    const type = this.deps.registry.get(old.type);
    const derivedLater = type !== undefined && type.executor.kind === 'http' && !type.outputsFromRequest;
    const { job } = await this.enqueue(
      who,
      {
        type: old.type,
        input: old.input,
        ...(old.resourceKey ? { resourceKey: old.resourceKey } : {}),
        policy: {
          queueTimeoutSeconds: old.policy.queueTimeoutSeconds,
          runTimeoutSeconds: old.policy.runTimeoutSeconds,
          heartbeatTimeoutSeconds: old.policy.heartbeatTimeoutSeconds,
          outputGraceSeconds: old.policy.outputGraceSeconds,
          maxAttempts: old.policy.maxAttempts,
        },
        reuseExistingOutputs: true,
        idempotencyKey: `retry:${old.id}:${old.version}`,
      },
      derivedLater ? {} : { inheritedOutputs: old.outputUris },
    );
    return job;
  }

  /**
   * Seed 002's progress view, with each step's status and ETA. The ETA is learned from the latest 20
   * succeeded jobs of the same type (per-step medians, else the whole-run median); null with nothing to learn.
   */
  async progress(who: Principal, id: string): Promise<Record<string, unknown>> {
    const job = await this.read(who, id);
    const history: PastRun[] = (await this.deps.store.recentSucceeded(job.ownerId, job.type, 20))
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
      steps,
      canResume:
        (job.status === 'failed' || job.status === 'canceled') && (job.progress?.completedSteps.length ?? 0) > 0,
      hasErrors: job.error !== null,
      hasWarnings: job.attempt > 1,
    };
  }

  /**
   * Reconcile-on-read: one document read and no probes while the job is inside all its deadlines. A verify
   * the caller asks for is a probe: it counts against the owner's probe quota (429); a due check does not.
   */
  async read(who: Principal, id: string, opts: { verify?: boolean } = {}): Promise<Job> {
    const job = await this.visible(who, id);
    const due = job.nextCheckAt !== null && job.nextCheckAt <= this.deps.clock();
    if (!opts.verify && !due) return job;
    if (!opts.verify && !isActive(job.status)) return job;
    if (opts.verify) await this.takeProbe(who, job);
    return (await this.deps.reconciler.reconcile(id, 'read', job)).job;
  }

  async reconcile(who: Principal, id: string): Promise<ReconcileReport> {
    const job = await this.visible(who, id);
    await this.takeProbe(who, job);
    return (await this.deps.reconciler.reconcile(id, 'reconcile', job)).report;
  }

  /** Probes are charged to the caller (an admin looking at another's job spends the admin's budget). */
  private async takeProbe(who: Principal, job: Job): Promise<void> {
    const perMinute = this.deps.registry.get(job.type)?.quotas.probesPerMinute ?? Number.POSITIVE_INFINITY;
    if (Number.isFinite(perMinute)) await this.deps.quotas.takeProbe(who.userId, perMinute);
  }

  async history(who: Principal, id: string): Promise<Transition[]> {
    await this.visible(who, id);
    return this.deps.store.history(id);
  }

  async cancel(who: Principal, id: string): Promise<Job> {
    await this.visible(who, id);
    if (who.workerJobId) throw new ForbiddenError('a worker token cannot cancel jobs');
    const res = await this.deps.reconciler.commit(id, { kind: 'cancel', source: 'api' });
    if (res.outcome === 'not_found' || !res.job) throw new NotFoundError(`job ${id} not found`);
    if (res.rejection) throw new ConflictError(res.rejection.code, res.rejection.message, { job: res.job });
    // The executor was asked to stop; look once now, so a quick confirmation shows in the answer.
    if (isActive(res.job.status)) return (await this.deps.reconciler.reconcile(id, 'api')).job;
    return res.job;
  }

  /** A worker's report (HTTP or Pub/Sub). Reports on finished jobs are accepted and change nothing. */
  async report(
    who: Principal | null,
    update: WorkerUpdate,
    dedupeKey?: string,
  ): Promise<{ outcome: string; job: Job | null }> {
    if (who) await this.visible(who, update.jobId);
    const res = await this.deps.reconciler.commit(
      update.jobId,
      {
        kind: 'worker',
        source: 'worker',
        report: {
          kind: update.kind,
          ...(update.attempt !== undefined ? { attempt: update.attempt } : {}),
          ...(update.progress ? { progress: update.progress } : {}),
          ...(update.error ? { error: update.error } : {}),
        },
      },
      dedupeKey ? { dedupeKey } : {},
    );
    if (res.outcome === 'not_found') throw new NotFoundError(`job ${update.jobId} not found`);
    return { outcome: res.outcome, job: res.job };
  }
}
