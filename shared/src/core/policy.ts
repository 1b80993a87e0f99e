import type { Backoff, Policy } from './model.js';
import { Reason, type FailureReason } from './states.js';

/**
 * Defaults, and why:
 * - queue 15 min: seed 000's stale timeout; a Cloud Run Job execution normally starts within a minute.
 * - run 60 min: seed 004 gives up on a render after an hour.
 * - heartbeat 5 min: seed 004 calls a job stuck after 5 minutes without news.
 * - output grace 2 min: an object is readable the moment it is finalized; two minutes covers a worker that
 *   reports before its upload finishes.
 * - cancel grace 1 min: a Cloud Run execution or provider job normally confirms a cancel within seconds.
 * - 3 attempts, 30 s × 2 up to 10 min, ±20 % jitter: transient executor trouble clears, load spreads.
 * - probe-failure grace 15 min: a GCS or Cloud Run hiccup clears within minutes; an outage longer than that
 *   should not keep jobs open (and hold their resource keys) forever.
 */
export const DEFAULT_POLICY: Policy = {
  queueTimeoutSeconds: 15 * 60,
  runTimeoutSeconds: 60 * 60,
  heartbeatTimeoutSeconds: 5 * 60,
  outputGraceSeconds: 2 * 60,
  cancelGraceSeconds: 60,
  maxAttempts: 3,
  probeFailureGraceSeconds: 15 * 60,
  backoff: { initialSeconds: 30, multiplier: 2, maxSeconds: 600, jitter: 0.2 },
  retryableReasons: [
    Reason.EXECUTOR_FAILED,
    Reason.EXECUTOR_LOST,
    Reason.EXECUTOR_START_FAILED,
    Reason.HEARTBEAT_TIMEOUT,
  ],
  retryableErrorCodes: [],
};

/** What a request may change, within the limits its type allows. */
export interface PolicyOverrides {
  queueTimeoutSeconds?: number | undefined;
  runTimeoutSeconds?: number | undefined;
  /** null: the worker does not report (liveness.ts); absent: the type's value. */
  heartbeatTimeoutSeconds?: number | null | undefined;
  outputGraceSeconds?: number | undefined;
  maxAttempts?: number | undefined;
  probeAfterSeconds?: number | null | undefined;
  probeEverySeconds?: number | null | undefined;
  backoff?: Partial<Backoff> | undefined;
}

export interface PolicyLimits {
  minTimeoutSeconds: number;
  maxTimeoutSeconds: number;
  maxAttempts: number;
}

/** Bounds of `probeFailureGraceSeconds` (the job-type configuration is checked against them too). */
export const PROBE_FAILURE_GRACE_BOUNDS = { minSeconds: 60, maxSeconds: 24 * 3600 } as const;

export const DEFAULT_LIMITS: PolicyLimits = { minTimeoutSeconds: 1, maxTimeoutSeconds: 24 * 3600, maxAttempts: 10 };

/** Fields held to the type's timeout bounds (a bound says nothing of null: a silent worker, the default probes). */
export const TIMEOUT_FIELDS = [
  'queueTimeoutSeconds',
  'runTimeoutSeconds',
  'heartbeatTimeoutSeconds',
  'outputGraceSeconds',
  'probeAfterSeconds',
  'probeEverySeconds',
] as const;

/** Fields a request may set to null: no heartbeat (a silent worker), the default probe schedule. */
const NULLABLE_FIELDS: ReadonlySet<string> = new Set([
  'heartbeatTimeoutSeconds',
  'probeAfterSeconds',
  'probeEverySeconds',
]);

export interface PolicyProblem {
  field: string;
  message: string;
}

/** The job's policy: the type's policy with the request's overrides, or the list of what is out of bounds. */
export function resolvePolicy(
  base: Policy,
  limits: PolicyLimits,
  overrides: PolicyOverrides | undefined,
): { policy: Policy } | { problems: PolicyProblem[] } {
  const policy: Policy = {
    ...base,
    backoff: { ...base.backoff, ...overrides?.backoff },
    retryableReasons: [...base.retryableReasons],
    retryableErrorCodes: [...base.retryableErrorCodes],
  };
  const problems: PolicyProblem[] = [];
  for (const field of TIMEOUT_FIELDS) {
    const value = overrides?.[field];
    if (value === undefined) continue;
    if (value === null) {
      if (NULLABLE_FIELDS.has(field)) (policy as unknown as Record<string, unknown>)[field] = null;
      continue;
    }
    if (value < limits.minTimeoutSeconds || value > limits.maxTimeoutSeconds) {
      problems.push({
        field: `policy.${field}`,
        message: `must be between ${limits.minTimeoutSeconds} and ${limits.maxTimeoutSeconds} seconds`,
      });
    } else {
      policy[field] = value;
    }
  }
  if (overrides?.maxAttempts !== undefined) {
    if (overrides.maxAttempts < 1 || overrides.maxAttempts > limits.maxAttempts) {
      problems.push({ field: 'policy.maxAttempts', message: `must be between 1 and ${limits.maxAttempts}` });
    } else {
      policy.maxAttempts = overrides.maxAttempts;
    }
  }
  const b = policy.backoff;
  if (b.initialSeconds > limits.maxTimeoutSeconds || b.maxSeconds > limits.maxTimeoutSeconds) {
    problems.push({ field: 'policy.backoff', message: `delays must be at most ${limits.maxTimeoutSeconds} seconds` });
  }
  // maxSeconds caps every delay, the first included (backoffDelayMs): a cap below initialSeconds is coherent,
  // and a rule between two fields is one no API schema can state, so it is not refused.
  return problems.length > 0 ? { problems } : { policy };
}

export function isRetryable(policy: Policy, reason: FailureReason, hint: boolean | undefined, code?: string): boolean {
  if (reason === Reason.WORKER_FAILED)
    return hint === true || (hint === undefined && code !== undefined && policy.retryableErrorCodes.includes(code));
  return policy.retryableReasons.includes(reason) && hint !== false;
}

/** Whether a failed call to a service may succeed when tried again, by its HTTP status (5xx, timeout, throttled). */
export function retryableHttpStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}
