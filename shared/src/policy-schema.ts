/**
 * The policy, written once: one zod object with one set of bounds, from which the job-type configuration
 * (every configurable field) and a request's overrides (the subset a request may set) are derived. The
 * core's `Policy` and `PolicyOverrides` types are checked against it at compile time, so a field added to
 * one and not the other fails `tsc`. Lives outside shared/src/core: the core stays free of zod.
 */
import { z } from 'zod';
import {
  FAILURE_REASONS,
  LIVENESS,
  PROBE_FAILURE_GRACE_BOUNDS,
  type Backoff,
  type Policy,
  type PolicyOverrides,
} from './core/index.js';

/** A timeout or grace in whole seconds: one second to one week. */
export const PolicySecondsSchema = z
  .number()
  .int()
  .min(1)
  .max(7 * 24 * 3600);
/** How many attempts a job may make (the type's `limits.maxAttempts` narrows it per type). */
export const MaxAttemptsSchema = z.number().int().min(1).max(20);

export const BackoffSchema = z
  .object({
    initialSeconds: z.number().min(0),
    multiplier: z.number().min(1).max(10),
    maxSeconds: z.number().min(0),
    jitter: z.number().min(0).max(1),
  })
  .strict();

/** Every field of the core's `Policy`, each with its bounds. */
export const PolicySchema = z
  .object({
    queueTimeoutSeconds: PolicySecondsSchema,
    runTimeoutSeconds: PolicySecondsSchema,
    heartbeatTimeoutSeconds: PolicySecondsSchema.nullable(),
    outputGraceSeconds: PolicySecondsSchema,
    cancelGraceSeconds: PolicySecondsSchema,
    maxAttempts: MaxAttemptsSchema,
    probeFailureGraceSeconds: z
      .number()
      .int()
      .min(PROBE_FAILURE_GRACE_BOUNDS.minSeconds)
      .max(PROBE_FAILURE_GRACE_BOUNDS.maxSeconds),
    backoff: BackoffSchema,
    retryableReasons: z.array(z.enum(FAILURE_REASONS)),
    retryableErrorCodes: z.array(z.string().min(1).max(100)),
    liveness: z.enum(LIVENESS).optional(),
    probeAfterSeconds: PolicySecondsSchema.nullable().optional(),
    probeEverySeconds: PolicySecondsSchema.nullable().optional(),
  })
  .strict();

/** A backoff in a configuration or a request: any of its fields, the rest from the type's policy. */
const PartialBackoffSchema = BackoffSchema.partial();

/**
 * A job type's `policy`: every field but `cancelGraceSeconds` (a fixed minute, not configurable today),
 * each optional; the rest from DEFAULT_POLICY.
 */
export const PolicyConfigSchema = PolicySchema.omit({ cancelGraceSeconds: true })
  .partial()
  .extend({ backoff: PartialBackoffSchema.optional() })
  .strict();

/** What a request may override, within the limits of its type (resolvePolicy). */
export const PolicyOverridesSchema = PolicySchema.pick({
  queueTimeoutSeconds: true,
  runTimeoutSeconds: true,
  heartbeatTimeoutSeconds: true,
  outputGraceSeconds: true,
  maxAttempts: true,
  probeAfterSeconds: true,
  probeEverySeconds: true,
})
  .partial()
  .extend({ backoff: PartialBackoffSchema.optional() })
  .strict();

/** An intersection written out as one object type, so Equals compares fields, not spelling. */
type Flat<T> = { [K in keyof T]: T[K] };

/** True when A and B are the same type (not merely assignable either way). */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

// Compile-time checks: the schema and the core's types describe the same fields with the same types.
const policyMatchesModel: Equals<z.infer<typeof PolicySchema>, Policy> = true;
const overridesMatchModel: Equals<z.infer<typeof PolicyOverridesSchema>, PolicyOverrides> = true;
const configMatchesModel: Equals<
  z.infer<typeof PolicyConfigSchema>,
  Flat<Partial<Omit<Policy, 'cancelGraceSeconds' | 'backoff'>> & { backoff?: Partial<Backoff> | undefined }>
> = true;
void [policyMatchesModel, overridesMatchModel, configMatchesModel];
