/**
 * The effects a commit asks for, run after it: start an execution (and record it), cancel one, stop an
 * unrecorded start, look again (probe), have other jobs expecting outputs found by a probe look too, clean
 * the temp prefix. Each is idempotent and its intent was recorded
 * in the commit (the transition carries its effects while it is in the job's outbox), so a failure is logged
 * and repeated by reconcile or the sweep.
 */
import { assertNever, startLease, type Effect, type Job, type JobEvent, type Source } from '../core/index.js';
import type { JobTypeRegistry } from '../config/job-types.js';
import type { ExecutorSet } from '../evidence/executors/types.js';
import { ExecutorStartError, StartLeaseOver } from '../evidence/executors/types.js';
import type { TempCleaner } from '../evidence/temp.js';
import { faultPoint } from '../faults.js';
import type { Logger } from '../log.js';
import type { JobRead } from '../store/job-doc.js';
import type { ApplyOptions, ApplyResult, JobStore } from '../store/job-store.js';

/** A transition whose one effect is a start: its outbox entry leaves in the start's recording write. */
export interface Carry {
  seq: number;
  /** Whether its event went out. */
  sent: Promise<boolean>;
}

export interface EffectsDeps {
  store: JobStore;
  registry: JobTypeRegistry;
  executors: ExecutorSet;
  temp: TempCleaner;
  log: Logger;
  clock: () => number;
  /** The reconciler's commit (the one write path, then publish and effects). */
  commit(jobId: string, event: JobEvent, opts?: ApplyOptions): Promise<ApplyResult>;
  reconcile(jobId: string, source: Source): Promise<unknown>;
}

export class Effects {
  constructor(private readonly deps: EffectsDeps) {}

  /**
   * The effects of a commit, given the job document it wrote (`read`); `latest`: the document as the effects
   * left it, when one wrote it; `carried`: the dispatch's write took `carry.seq` out of the outbox.
   */
  async after(
    effects: readonly Effect[],
    read: JobRead | undefined,
    carry: Carry | undefined,
  ): Promise<{ latest?: JobRead | undefined; carried: boolean }> {
    const only = effects.length === 1 ? effects[0]! : undefined;
    if (only?.kind !== 'startExecution' || read?.job.id !== only.jobId) {
      await this.runEffects(effects, read?.job);
      return { carried: false };
    }
    try {
      const res = await this.start(only.jobId, only.attempt, read, carry);
      return { latest: res?.read, carried: carry !== undefined && (res?.announced ?? []).includes(carry.seq) };
    } catch (err) {
      this.deps.log.error({ err, effect: only }, 'effect failed; it will be retried by reconcile');
      return { carried: false };
    }
  }

  /**
   * Runs effects after commit. Failures are logged: recorded intent lets reconcile/sweep repeat them. `owned`:
   * the caller made the commit that asked for them (and holds its start lease); false for a rerun of effects
   * a process left undone (the outbox's), whose start is then asked of reconcile: decide starts the attempt
   * again only once the lease of the start it recorded is over, and takes the lease in the same write.
   */
  async runEffects(effects: readonly Effect[], known?: Job, owned = true): Promise<void> {
    for (const effect of effects) {
      try {
        if (effect.kind === 'startExecution' && !owned) await this.deps.reconcile(effect.jobId, 'reconcile');
        else await this.runEffect(effect, known?.id === effect.jobId ? known : undefined);
      } catch (err) {
        this.deps.log.error({ err, effect }, 'effect failed; it will be retried by reconcile');
      }
    }
  }

  private async runEffect(effect: Effect, known: Job | undefined): Promise<void> {
    switch (effect.kind) {
      case 'startExecution':
        await this.start(effect.jobId, effect.attempt);
        return;
      case 'cancelExecution': {
        const job = known ?? (await this.deps.store.get(effect.jobId));
        const executor = job ? this.deps.executors[job.executor.kind] : undefined;
        if (executor) await executor.cancel(effect.executionRef);
        return;
      }
      case 'probe':
        await this.deps.reconcile(effect.jobId, 'worker');
        return;
      case 'stopUnrecordedStart': {
        const job = known ?? (await this.deps.store.get(effect.jobId));
        const executor = job ? this.deps.executors[job.executor.kind] : undefined;
        const type = job ? this.deps.registry.get(job.type) : undefined;
        const ref = job && type && executor?.find ? await executor.find(job, type, effect.attempt) : null;
        if (!ref) return;
        this.deps.log.warn(
          { jobId: effect.jobId, executionRef: ref },
          'stopping an execution whose start was never recorded',
        );
        await executor!.cancel(ref);
        return;
      }
      case 'shareOutputs': {
        // every other job expecting one of these objects looks for itself (a probe: the objects are the truth)
        const others = new Set<string>();
        for (const uri of effect.uris)
          for (const r of await this.deps.store.expectingOutput(uri))
            if (r.job.id !== effect.jobId) others.add(r.job.id);
        for (const id of others) await this.deps.reconcile(id, 'reconcile');
        return;
      }
      case 'cleanupTemp': {
        const job = known ?? (await this.deps.store.get(effect.jobId));
        const type = job ? this.deps.registry.get(job.type) : undefined;
        if (!job || !type) return;
        const deleted = await this.deps.temp.cleanup(job, type.tempPrefix);
        if (deleted > 0) this.deps.log.info({ jobId: job.id, deleted }, 'temporary objects deleted');
        return;
      }
      default:
        return assertNever(effect, 'effect');
    }
  }

  /**
   * Starts the execution of a queued attempt and records it. `known`: the job document just written (no read);
   * `carry`: the transition that asked for the start, taken out of the outbox in the recording write once its
   * event is out. The recording's result, when it ran.
   */
  private async start(
    jobId: string,
    attempt: number,
    known?: JobRead,
    carry?: Carry,
  ): Promise<ApplyResult | undefined> {
    const read = known?.job.id === jobId ? known : await this.deps.store.read(jobId);
    const job = read?.job;
    if (!job || job.status !== 'queued' || job.attempt !== attempt || job.executor.executionRef !== null) return;
    const type = this.deps.registry.get(job.type);
    const executor = this.deps.executors[job.executor.kind];
    if (!type || !executor) {
      const message = !type
        ? `job type ${job.type} is no longer configured`
        : `no ${job.executor.kind} executor in this deployment`;
      return this.deps.commit(jobId, {
        kind: 'dispatchFailed',
        source: 'executor',
        attempt,
        message,
        retryable: false,
      });
    }
    const lease = startLease(job);
    const now = this.deps.clock();
    if (lease && now > lease.startBy) return this.leaseOver(jobId, attempt, 'before the start');
    let started;
    try {
      const within = lease ? { lease: { startWithinMs: lease.startBy - now, endWithinMs: lease.until - now } } : {};
      started = await executor.start(job, type, within);
    } catch (err) {
      if (err instanceof StartLeaseOver) return this.leaseOver(jobId, attempt, 'before the executor was called');
      if (!(err instanceof ExecutorStartError)) throw err;
      return this.deps.commit(jobId, {
        kind: 'dispatchFailed',
        source: 'executor',
        attempt,
        message: err.message,
        retryable: err.retryable,
      });
    }
    const requested = job.executor.startRequestedAt;
    const sinceRequestMs = requested === null ? undefined : this.deps.clock() - requested;
    this.deps.log.info({ jobId, attempt, executionRef: started.executionRef, sinceRequestMs }, 'execution started');
    faultPoint('after-effect', jobId);
    const announced = carry && (await carry.sent) ? [carry.seq] : [];
    return this.deps.commit(
      jobId,
      {
        kind: 'dispatched',
        source: 'executor',
        attempt,
        executionRef: started.executionRef,
        ...(started.outputUris ? { outputUris: started.outputUris } : {}),
      },
      { known: read, announced },
    );
  }

  /** A start whose lease ran out did nothing: the job stays due (dispatchDueAt) for the next lease holder. */
  private leaseOver(jobId: string, attempt: number, when: string): undefined {
    this.deps.log.warn({ jobId, attempt }, `start lease over ${when}; the next dispatch starts it`);
    return undefined;
  }
}
