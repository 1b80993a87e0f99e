/**
 * The soak's settings, from the environment (zod, once). Ports default to a 24xxx block of their own, so a
 * soak runs beside `npm start` (8xxx) and `npm test` (18xxx).
 */
import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);
const rate = (fallback: number) => z.coerce.number().min(0).max(1).default(fallback);

const SoakEnvSchema = z.object({
  VERITY_SOAK_JOBS: z.coerce.number().int().min(1).max(100_000).default(2000),
  VERITY_SOAK_SEED: z.coerce.number().int().min(0).default(1),
  /** Jobs active at once (the rest wait to be submitted): the machine's share, not the system's limit. */
  VERITY_SOAK_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(32),
  /** Random SIGKILLs of units: one every this many ms on average (0: none). */
  VERITY_SOAK_KILL_EVERY_MS: z.coerce.number().int().min(0).default(4000),
  /** Probability of a kill at each named fault point (shared/src/faults.ts) per pass. */
  VERITY_SOAK_POINT_RATE: rate(0.01),
  /** Per delivery through the push bridge and webhooks: drop, duplicate, delay, reorder. */
  VERITY_SOAK_DROP_RATE: rate(0.04),
  VERITY_SOAK_DUP_RATE: rate(0.04),
  VERITY_SOAK_DELAY_RATE: rate(0.04),
  VERITY_SOAK_REORDER_RATE: rate(0.03),
  /** Errors / slow answers of the Cloud Run fake, per call. */
  VERITY_SOAK_CLOUD_RUN_ERROR_RATE: rate(0.05),
  /** Per object metadata read by a unit (a probe): a 503 from the GCS proxy; a fifth of it starts an outage. */
  VERITY_SOAK_GCS_ERROR_RATE: rate(0.03),
  /** A transaction of the soak's own holding a random active job's lock a moment, every this many ms (0: none). */
  VERITY_SOAK_CONTENTION_EVERY_MS: z.coerce.number().int().min(0).default(1000),
  VERITY_SOAK_SWEEP_INTERVAL_MS: z.coerce.number().int().min(200).default(2000),
  /** The soak gives up waiting for terminal states this long after the last submit. */
  VERITY_SOAK_DRAIN_TIMEOUT_MS: z.coerce.number().int().min(1000).default(180_000),
  VERITY_SOAK_LOG_DIR: z.string().optional(),
  /** The units' log level (their logs are in the log folder). */
  VERITY_SOAK_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('warn'),
  VERITY_SOAK_FIRESTORE_PORT: port(24681),
  VERITY_SOAK_PUBSUB_PORT: port(24685),
  VERITY_SOAK_GCS_PORT: port(24443),
  VERITY_SOAK_S3_PORT: port(24569),
  /** The first of a block of 11 ports: api, finalize, updates, sweep, webhooks, provider, cloud run, 4 proxies. */
  VERITY_SOAK_BASE_PORT: port(24080),
});

export interface SoakConfig {
  jobs: number;
  seed: number;
  concurrency: number;
  killEveryMs: number;
  pointRate: number;
  messageRates: { drop: number; duplicate: number; delay: number; reorder: number };
  cloudRunErrorRate: number;
  gcsErrorRate: number;
  contentionEveryMs: number;
  sweepIntervalMs: number;
  drainTimeoutMs: number;
  logDir: string | undefined;
  logLevel: string;
  ports: { firestore: number; pubsub: number; gcs: number; s3: number; base: number };
}

export function parseSoakConfig(env: NodeJS.ProcessEnv = process.env): SoakConfig {
  const parsed = SoakEnvSchema.safeParse(env);
  if (!parsed.success)
    throw new Error(
      `invalid soak settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const e = parsed.data;
  return {
    jobs: e.VERITY_SOAK_JOBS,
    seed: e.VERITY_SOAK_SEED,
    concurrency: e.VERITY_SOAK_CONCURRENCY,
    killEveryMs: e.VERITY_SOAK_KILL_EVERY_MS,
    pointRate: e.VERITY_SOAK_POINT_RATE,
    messageRates: {
      drop: e.VERITY_SOAK_DROP_RATE,
      duplicate: e.VERITY_SOAK_DUP_RATE,
      delay: e.VERITY_SOAK_DELAY_RATE,
      reorder: e.VERITY_SOAK_REORDER_RATE,
    },
    cloudRunErrorRate: e.VERITY_SOAK_CLOUD_RUN_ERROR_RATE,
    gcsErrorRate: e.VERITY_SOAK_GCS_ERROR_RATE,
    contentionEveryMs: e.VERITY_SOAK_CONTENTION_EVERY_MS,
    sweepIntervalMs: e.VERITY_SOAK_SWEEP_INTERVAL_MS,
    drainTimeoutMs: e.VERITY_SOAK_DRAIN_TIMEOUT_MS,
    logDir: e.VERITY_SOAK_LOG_DIR,
    logLevel: e.VERITY_SOAK_LOG_LEVEL,
    ports: {
      firestore: e.VERITY_SOAK_FIRESTORE_PORT,
      pubsub: e.VERITY_SOAK_PUBSUB_PORT,
      gcs: e.VERITY_SOAK_GCS_PORT,
      s3: e.VERITY_SOAK_S3_PORT,
      base: e.VERITY_SOAK_BASE_PORT,
    },
  };
}
