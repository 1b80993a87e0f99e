/** Job states, reasons and sources: persisted as string literals, never renamed. */

export const JobStatus = {
  queued: 'queued',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  canceled: 'canceled',
} as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];
export const JOB_STATUSES = Object.values(JobStatus) as readonly JobStatus[];

export const ACTIVE_STATUSES = [JobStatus.queued, JobStatus.running] as const;
export type ActiveStatus = (typeof ACTIVE_STATUSES)[number];

export function isActive(status: JobStatus): status is ActiveStatus {
  return status === JobStatus.queued || status === JobStatus.running;
}

export const Reason = {
  ENQUEUED: 'ENQUEUED',
  STARTED: 'STARTED',
  OUTPUT_FOUND: 'OUTPUT_FOUND',
  OUTPUT_ALREADY_PRESENT: 'OUTPUT_ALREADY_PRESENT',
  LATE_OUTPUT: 'LATE_OUTPUT',
  WORKER_SUCCEEDED: 'WORKER_SUCCEEDED',
  WORKER_FAILED: 'WORKER_FAILED',
  EXECUTOR_SUCCEEDED: 'EXECUTOR_SUCCEEDED',
  EXECUTOR_FAILED: 'EXECUTOR_FAILED',
  EXECUTOR_CANCELED: 'EXECUTOR_CANCELED',
  EXECUTOR_LOST: 'EXECUTOR_LOST',
  EXECUTOR_START_FAILED: 'EXECUTOR_START_FAILED',
  QUEUE_TIMEOUT: 'QUEUE_TIMEOUT',
  RUN_TIMEOUT: 'RUN_TIMEOUT',
  HEARTBEAT_TIMEOUT: 'HEARTBEAT_TIMEOUT',
  OUTPUT_MISSING: 'OUTPUT_MISSING',
  /** A deadline passed while the probes kept failing for longer than the policy's probe-failure grace. */
  EVIDENCE_UNAVAILABLE: 'EVIDENCE_UNAVAILABLE',
  CANCELED_BY_USER: 'CANCELED_BY_USER',
  RETRY_SCHEDULED: 'RETRY_SCHEDULED',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

/** Failure reasons: the codes a policy may list as retryable. */
export const FAILURE_REASONS = [
  Reason.WORKER_FAILED,
  Reason.EXECUTOR_FAILED,
  Reason.EXECUTOR_CANCELED,
  Reason.EXECUTOR_LOST,
  Reason.EXECUTOR_START_FAILED,
  Reason.QUEUE_TIMEOUT,
  Reason.RUN_TIMEOUT,
  Reason.HEARTBEAT_TIMEOUT,
  Reason.OUTPUT_MISSING,
  Reason.EVIDENCE_UNAVAILABLE,
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export const Source = {
  api: 'api',
  read: 'read',
  reconcile: 'reconcile',
  gcs: 'gcs',
  worker: 'worker',
  webhook: 'webhook',
  executor: 'executor',
  sweep: 'sweep',
} as const;
export type Source = (typeof Source)[keyof typeof Source];

export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(value)}`);
}
