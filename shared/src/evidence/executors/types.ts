import type { ExecutorKind, ExecutorObservation, Job } from '../../core/index.js';
import type { JobType } from '../../config/job-types.js';

/** Starts, observes and cancels executions. Every method is idempotent and safe to repeat. */
export interface Executor {
  readonly kind: ExecutorKind;
  /**
   * Starts the job's current attempt; a second call for the same job and attempt returns the same execution
   * (the effect may be repeated after a crash between commit and effect). `outputUris` is set by executors
   * whose outputs are only known once started (an http provider's predictable `{externalJobId}` URIs).
   */
  start(job: Job, type: JobType, opts?: StartOptions): Promise<StartedExecution>;
  status(executionRef: string): Promise<ExecutorObservation>;
  cancel(executionRef: string): Promise<void>;
  /**
   * The execution a start of this attempt made, if any, without starting one: for a start whose record was
   * lost. Executors that cannot look an execution up by job and attempt leave it out.
   */
  find?(job: Job, type: JobType, attempt: number): Promise<string | null>;
  /**
   * The reference of an execution started elsewhere, from the name a caller gives it (issue 30: attach), only
   * within the type's configuration (its Cloud Run job, its provider, its command); null when the name is not one. Executors
   * that cannot track work they did not start leave it out.
   */
  adopt?(type: JobType, name: string, jobId: string): Promise<StartedExecution | null>;
}

export interface StartOptions {
  /**
   * The start's lease (core/deadlines.ts startLease), as time left from the call (ms; the caller's clock decides
   * it, the executor measures it): an executor whose start cannot be made idempotent by itself (Cloud Run's
   * runJob has no request id) begins no creating call after `startWithinMs` and bounds each call to end within
   * `endWithinMs`; otherwise it throws StartLeaseOver. Unset: no bound.
   */
  lease?: { startWithinMs: number; endWithinMs: number };
}

/** The start's lease ran out before the execution was created: nothing was started; the next holder starts it. */
export class StartLeaseOver extends Error {
  override name = 'StartLeaseOver';
}

/** A start that failed; `retryable` false means trying again cannot help (bad configuration). */
export class ExecutorStartError extends Error {
  override name = 'ExecutorStartError';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export interface StartedExecution {
  executionRef: string;
  outputUris?: string[];
  /** `outputAlternatives[i]`: other names output i may take (core/outputs.ts). */
  outputAlternatives?: string[][];
}

export type ExecutorSet = Partial<Record<ExecutorKind, Executor>>;
