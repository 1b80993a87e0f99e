/**
 * The effects a commit asks for, performed: start an execution, cancel one, stop an unrecorded start, clean the
 * temp prefix. Each is idempotent, and each answers with the event its result is (a start: `dispatched` or
 * `dispatchFailed`), which the effect runner (effect-runner.ts) commits; none commits or looks at a job itself.
 * Looks an effect asks for (`probe`, `shareOutputs`) are the runner's: they are commits.
 */
import { startable, startLease, type Job, type JobEvent } from '../core/index.js';
import type { JobTypeRegistry } from '../config/job-types.js';
import type { ExecutorSet } from '../evidence/executors/types.js';
import { ExecutorStartError, StartLeaseOver } from '../evidence/executors/types.js';
import { PROXY_PREFIX, type TempCleaner } from '../evidence/temp.js';
import { faultPoint } from '../faults.js';
import type { Logger } from '../log.js';
import type { JobRead } from '../store/job-doc.js';
import type { JobStore } from '../store/job-store.js';

export interface EffectActionsDeps {
  store: JobStore;
  registry: JobTypeRegistry;
  executors: ExecutorSet;
  temp: TempCleaner;
  log: Logger;
  clock: () => number;
}

/** What a start did: the event to commit, on the document it was decided from (`read`). */
export interface StartResult {
  event: Extract<JobEvent, { kind: 'dispatched' | 'dispatchFailed' }>;
  read: JobRead;
}

export class EffectActions {
  constructor(private readonly deps: EffectActionsDeps) {}

  /**
   * Starts the execution of a queued attempt, within the start lease its commit took (core: startLease); `known`:
   * the job document just written (no read). Null when there is nothing to start, or the lease ran out first
   * (the job stays due, core: dispatchDueAt, for the next lease holder).
   */
  async start(jobId: string, attempt: number, known?: JobRead): Promise<StartResult | null> {
    const read = known?.job.id === jobId ? known : await this.deps.store.read(jobId);
    const job = read?.job;
    if (!read || !job || !startable(job, attempt)) return null;
    const type = this.deps.registry.get(job.type);
    const executor = this.deps.executors[job.executor.kind];
    if (!type || !executor) {
      const message = !type
        ? `job type ${job.type} is no longer configured`
        : `no ${job.executor.kind} executor in this deployment`;
      return { event: { kind: 'dispatchFailed', source: 'executor', attempt, message, retryable: false }, read };
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
      const { message, retryable } = err;
      this.deps.log.warn({ jobId, attempt, retryable, err: message }, 'start failed');
      return { event: { kind: 'dispatchFailed', source: 'executor', attempt, message, retryable }, read };
    }
    const requested = job.executor.startRequestedAt;
    const sinceRequestMs = requested === null ? undefined : this.deps.clock() - requested;
    this.deps.log.info({ jobId, attempt, executionRef: started.executionRef, sinceRequestMs }, 'execution started');
    faultPoint('after-effect', jobId);
    const { executionRef, outputUris, outputAlternatives } = started;
    return {
      event: {
        kind: 'dispatched',
        source: 'executor',
        attempt,
        executionRef,
        ...(outputUris ? { outputUris } : {}),
        ...(outputAlternatives ? { outputAlternatives } : {}),
      },
      read,
    };
  }

  /** Asks the job's executor to stop an execution (idempotent). */
  async cancel(jobId: string, executionRef: string, known?: Job): Promise<void> {
    const job = known ?? (await this.deps.store.get(jobId));
    const executor = job ? this.deps.executors[job.executor.kind] : undefined;
    if (executor) await executor.cancel(executionRef);
  }

  /** Stops an execution of `attempt` whose start was never recorded, when the executor can find one. */
  async stopUnrecordedStart(jobId: string, attempt: number, known?: Job): Promise<void> {
    const job = known ?? (await this.deps.store.get(jobId));
    const executor = job ? this.deps.executors[job.executor.kind] : undefined;
    const type = job ? this.deps.registry.get(job.type) : undefined;
    const ref = job && type && executor?.find ? await executor.find(job, type, attempt) : null;
    if (!ref) return;
    this.deps.log.warn({ jobId, executionRef: ref }, 'stopping an execution whose start was never recorded');
    await executor!.cancel(ref);
  }

  /** Deletes the job's temporary objects. */
  async cleanupTemp(jobId: string, known?: Job): Promise<void> {
    const job = known ?? (await this.deps.store.get(jobId));
    const type = job ? this.deps.registry.get(job.type) : undefined;
    if (!job || !type) return;
    // a canceled job's proxies go too (kept for their retention after any other end: seed 002's previews)
    const proxies = job.status === 'canceled' ? await this.deps.temp.cleanup(job, PROXY_PREFIX) : 0;
    const deleted = (await this.deps.temp.cleanup(job, type.tempPrefix)) + proxies;
    if (deleted > 0) this.deps.log.info({ jobId: job.id, deleted }, 'temporary objects deleted');
  }

  /** The jobs expecting an object among their outputs (each looks for itself when one job found it). */
  expecting(uri: string): Promise<JobRead[]> {
    return this.deps.store.expectingOutput(uri);
  }

  private leaseOver(jobId: string, attempt: number, when: string): null {
    this.deps.log.warn({ jobId, attempt }, `start lease over ${when}; the next dispatch starts it`);
    return null;
  }
}
