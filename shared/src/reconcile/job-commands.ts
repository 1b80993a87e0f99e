/** The write side of jobs: enqueue, retry, cancel and worker reports, each through the reconciler's commit. */
import {
  alternativesOf,
  ConflictError,
  createJob,
  ErrorCode,
  ForbiddenError,
  isActive,
  VerityError,
  NotFoundError,
  resolvePolicy,
  ValidationError,
  type Attribution,
  type Job,
  type Mirror,
  type OutputObservation,
} from '../core/index.js';
import type { JobType } from '../config/job-types.js';
import type { Principal } from '../auth/principal.js';
import { fillTemplate, parseGcsUri } from '../evidence/gcs-uri.js';
import { outputScheme } from '../evidence/stores.js';
import { fillOutputs } from '../evidence/output-templates.js';
import { assertRequestUris, DEFAULT_REQUEST_PREFIXES, ownerPrefixes } from '../evidence/prefixes.js';
import { storedBytes } from '../json-limits.js';
import { newJobId, validationProblems } from '../api-kit.js';
import type { EnqueueRequest, WorkerUpdate } from '../schemas.js';
import type { JobReads } from './job-reads.js';
import type { JobsServiceDeps } from './job-deps.js';
import { resolveAttach } from './attach.js';

/**
 * A new job's stored-size budget. What a job may gain later is bounded by the update schemas (completed
 * steps, step timings and plan ≤ 500 × 200 characters each, an error ≤ 2 KB: under 350 KB in all), so a job
 * created within this budget stays under Firestore's 1 MiB document limit for life.
 */
export const MAX_NEW_JOB_BYTES = 512 * 1024;

/** A new job's outputs: `uris[i]` output i's name, `alternatives[i]` its other names (core/outputs.ts). */
interface DeclaredOutputs {
  uris: string[];
  alternatives: string[][];
}

export interface EnqueueOptions {
  /** Outputs carried over from the job a retry repeats: checked when that job was enqueued, not again. */
  inheritedOutputs?: DeclaredOutputs;
  /** A retry resumes from the checkpoints of the job it repeats: their prefix. */
  checkpointPrefix?: string;
  /** Recorded on the job's first transition (projects: `artifactsReused`, for the stats' avoided work). */
  evidence?: Record<string, unknown>;
  /** Whose job it becomes, when not the caller's (an admin's import: adopt/importer.ts). */
  ownerId?: string;
  /** The imported record its status is written back to (an admin's import with `writeBack`). */
  mirror?: Mirror;
}

export class JobCommands {
  private readonly newId: () => string;
  constructor(
    private readonly deps: JobsServiceDeps,
    private readonly reads: JobReads,
  ) {
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
    // an attached execution's worker reports to its old system, not here: its executor speaks for it (a request
    // may still give a heartbeat); a request's own key comes first
    const overrides = req.attach ? { heartbeatTimeoutSeconds: null, ...req.policy } : req.policy;
    const resolved = resolvePolicy(type.policy, type.limits, overrides);
    if ('problems' in resolved) throw new ValidationError('policy out of bounds for this job type', resolved.problems);
    const id = this.newId();
    const attached = req.attach
      ? await resolveAttach(this.deps.executors, who, type, req.attach, id, req.idempotencyKey)
      : null;
    const ownerId = attached?.ownerId ?? opts.ownerId ?? who.userId;
    const idempotencyKey = attached?.idempotencyKey ?? req.idempotencyKey;
    const adopted = attached?.execution.outputUris;
    const declared =
      opts.inheritedOutputs ??
      (adopted && !req.outputs?.length
        ? { uris: adopted, alternatives: attached!.execution.outputAlternatives ?? adopted.map(() => []) }
        : this.outputsFor(type, req, id, ownerId));
    const outputUris = declared.uris;
    const inputBytes = storedBytes(input.data);
    if (inputBytes > MAX_NEW_JOB_BYTES / 2) {
      throw new VerityError(
        ErrorCode.JOB_TOO_LARGE,
        `input is ${inputBytes} bytes stored; at most ${MAX_NEW_JOB_BYTES / 2}`,
        { field: 'input' },
      );
    }

    if (idempotencyKey) {
      const existing = await this.deps.store.findIdempotent(ownerId, idempotencyKey);
      if (existing) return { created: false, job: existing };
    }
    await this.deps.admission?.admit(ownerId); // rates before the quota: both before anything is written
    await this.deps.quotas.checkActiveJobs(ownerId, type.name, type.quotas.maxActiveJobs);
    const observations: OutputObservation[] =
      req.reuseExistingOutputs && outputUris.length > 0
        ? (await this.deps.probe.probe([...outputUris, ...declared.alternatives.flat()])).observations
        : [];
    const spec = {
      id,
      type: type.name,
      ownerId,
      resourceKey: req.resourceKey ?? null,
      idempotencyKey: idempotencyKey ?? null,
      input: input.data,
      outputUris,
      ...(declared.alternatives.some((a) => a.length > 0) ? { outputAlternatives: declared.alternatives } : {}),
      reuseExistingOutputs: req.reuseExistingOutputs,
      executorKind: type.executor.kind,
      policy: resolved.policy,
      stepPlan: type.steps,
      checkpointPrefix:
        opts.checkpointPrefix ?? fillTemplate(type.checkpointPrefix, { bucket: this.deps.bucket, jobId: id, ownerId }),
      ...(opts.evidence ? { evidence: opts.evidence } : {}),
      ...(attached ? { attach: { executionRef: attached.execution.executionRef } } : {}),
      ...(opts.mirror ? { mirror: opts.mirror } : {}),
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
          { jobId: id, type: type.name, ownerId, to: res.job.status, reason: res.job.statusReason },
          attached ? 'job attached' : 'job enqueued',
        );
        // an attached job is looked at once: STARTED from the execution's own start time, or its end
        if (attached && isActive(res.job.status))
          return { created: true, job: (await this.deps.reconciler.reconcile(id, 'api')).job };
        return { created: true, job: res.job }; // as the dispatch left it (the commit returns the latest)
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
  private outputsFor(type: JobType, req: EnqueueRequest, jobId: string, ownerId: string): DeclaredOutputs {
    if (req.outputs === undefined) {
      const filled = fillOutputs(type.outputTemplates, { bucket: this.deps.bucket, jobId });
      const uris = [...filled.uris, ...filled.alternatives.flat()];
      // s3:// and https:// templates were checked against their stores when the registry was built
      const inAllowedBucket = (u: string): boolean =>
        outputScheme(u) !== 'gs' || this.deps.allowedBuckets.includes(parseGcsUri(u)?.bucket ?? '');
      if (!uris.every(inAllowedBucket))
        throw new VerityError(
          ErrorCode.UNAVAILABLE,
          `job type ${type.name} derives outputs outside the allowed buckets`,
        );
      return filled;
    }
    // the request's list wins, an empty one included (a job with no declared outputs)
    if (!type.outputsFromRequest)
      throw new ValidationError(`job type ${type.name} does not accept outputs from the request`, { field: 'outputs' });
    assertRequestUris('outputs', req.outputs, this.requestPrefixesOf(type.name, ownerId));
    if (new Set(req.outputs).size !== req.outputs.length)
      throw new ValidationError('invalid outputs', [{ field: 'outputs', message: 'duplicate output URIs' }]);
    return { uris: req.outputs, alternatives: [] };
  }

  /**
   * A new attempt of a failed or canceled job. Terminal jobs stay terminal (the history keeps what happened):
   * the retry is a new job with the same type, input, outputs, resourceKey and policy, reusing outputs that
   * already exist — so the steps whose outputs are there are not redone (all there: it is born succeeded).
   */
  async retry(who: Principal, id: string, by?: Attribution): Promise<Job> {
    const old = await this.reads.visible(who, id);
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
      {
        ...(derivedLater
          ? {}
          : { inheritedOutputs: { uris: old.outputs.map((o) => o.uri), alternatives: alternativesOf(old) } }),
        ...(old.checkpointPrefix ? { checkpointPrefix: old.checkpointPrefix } : {}),
        // the job's owner's, whoever asks (an admin's retry of another's job): its quota, its outputs
        ownerId: old.ownerId,
        // a bulk action's: the new job's first transition names it and its caller
        ...(by ? { evidence: { retryOf: old.id, bulk: { ...by } } } : {}),
        // the imported record follows the retry (a later job's write wins: store/mirror-writer.ts)
        ...(old.mirror ? { mirror: old.mirror } : {}),
      },
    );
    return job;
  }

  async cancel(who: Principal, id: string, by?: Attribution): Promise<Job> {
    await this.reads.visible(who, id);
    if (who.workerJobId) throw new ForbiddenError('a worker token cannot cancel jobs');
    const res = await this.deps.reconciler.commit(id, { kind: 'cancel', source: 'api', ...(by ? { by } : {}) });
    if (res.outcome === 'not_found' || !res.job) throw new NotFoundError(`job ${id} not found`);
    if (res.rejection) throw new ConflictError(res.rejection.code, res.rejection.message, { job: res.job });
    // The executor was asked to stop; look once now, so a quick confirmation shows in the answer.
    if (isActive(res.job.status)) return (await this.deps.reconciler.reconcile(id, 'api')).job;
    return res.job;
  }

  /** A worker's report (HTTP or Pub/Sub). Reports on finished jobs are accepted and change nothing. */
  /**
   * An update under a worker credential (auth/worker-credential.ts) moves its own attempt only, and only while
   * that attempt is the job's current one: anything else is refused and changes nothing.
   */
  private credentialed(attempt: number, job: Job, update: WorkerUpdate): WorkerUpdate {
    if (update.attempt !== undefined && update.attempt !== attempt)
      throw new ForbiddenError(`this credential reports for attempt ${attempt} only`);
    // the attempt that succeeded may still report: its output's event can end the job before the worker's last
    // reports land, and those only complete its progress (core keeps an ended attempt's late progress, and takes
    // no finished step back); an attempt that failed, was canceled or was followed by another is refused
    const ownSuccess = job.attempt === attempt && job.status === 'succeeded';
    if (job.attempt !== attempt || (!isActive(job.status) && !ownSuccess))
      throw new ConflictError(ErrorCode.CONFLICT, `attempt ${attempt} of job ${job.id} has ended`);
    return { ...update, attempt };
  }

  async report(
    who: Principal | null,
    update: WorkerUpdate,
    dedupeKey?: string,
  ): Promise<{ outcome: string; job: Job | null }> {
    if (who) {
      const job = await this.reads.visible(who, update.jobId);
      if (who.workerAttempt !== undefined) update = this.credentialed(who.workerAttempt, job, update);
    }
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
