/**
 * zod schemas for every request body and message Verity accepts: validation, and the request side of the OpenAPI
 * document (functions/api/openapi/requests.ts).
 */
import { z } from 'zod';
import { Reason } from './core/states.js';
import { GCS_URI_PATTERN } from './evidence/gcs-uri.js';
import { CURSOR_PATTERN } from './store/cursor.js';
import { PolicyOverridesSchema } from './policy-schema.js';

/** Job and project ids: they name Firestore documents, so nothing else may reach a document path. */
export const JobIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/);
/** A job type's name as the registry spells it. */
export const JobTypeNameSchema = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/);
/** A gs://bucket/object URI (bucket naming rules; the object part is checked again where it is used). */
export const GcsUriSchema = z.string().min(6).max(1100).regex(GCS_URI_PATTERN);
/** The cursors this API gives out: `<epoch ms>.<id>` of the last item (shared/src/store/cursor.ts). */
export const CursorSchema = z.string().regex(CURSOR_PATTERN);

/** The most artifacts one project declares (its documents are written in one batch: 500 writes with the project). */
export const MAX_ARTIFACTS = 499;

export { PolicyOverridesSchema };

export const EnqueueRequestSchema = z
  .object({
    type: JobTypeNameSchema,
    input: z.record(z.string(), z.unknown()).optional(),
    outputs: z.array(GcsUriSchema).max(100).optional(),
    resourceKey: z.string().min(1).max(500).optional(),
    idempotencyKey: z.string().min(1).max(200).optional(),
    policy: PolicyOverridesSchema.optional(),
    reuseExistingOutputs: z.boolean().default(true),
    /**
     * Track an execution started elsewhere instead of starting one (issue 30; admins only): a Cloud Run
     * execution of the type's job (its id or full name), an http provider's job id, a local pid on the stack.
     * `ownerId`: whose job it becomes (default the caller).
     */
    attach: z
      .object({
        execution: z.string().min(1).max(500),
        ownerId: z
          .string()
          .regex(/^[A-Za-z0-9_.:@+-]{1,200}$/)
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type EnqueueRequest = z.infer<typeof EnqueueRequestSchema>;

export const WorkerUpdateSchema = z
  .object({
    /** The update's own id, used as its dedupe key when present. */
    id: z.string().min(1).max(200).optional(),
    jobId: JobIdSchema,
    attempt: z.number().int().min(1).max(1000).optional(),
    kind: z.enum(['started', 'progress', 'heartbeat', 'succeeded', 'failed']),
    progress: z
      .object({
        /** Overall percent; may be left out when the job has a step plan (computed from its weights). */
        pct: z.number().min(0).max(100).optional(),
        step: z.string().min(1).max(200).nullable().optional(),
        /** Percent of the current step. */
        stepPct: z.number().min(0).max(100).nullable().optional(),
        completedSteps: z.array(z.string().min(1).max(200)).max(500).optional(),
        /** Steps not run because a checkpoint of an earlier attempt stood (docs/workers.md: resume). */
        skippedSteps: z.array(z.string().min(1).max(200)).max(500).optional(),
        /** A step plan with optional weights (default 1), used when the job type declares none. */
        steps: z
          .array(
            z.object({ name: z.string().min(1).max(200), weight: z.number().positive().max(1e6).optional() }).strict(),
          )
          .min(1)
          .max(500)
          .optional(),
      })
      .strict()
      .refine(
        (p) =>
          p.pct !== undefined || p.step !== undefined || p.completedSteps !== undefined || p.skippedSteps !== undefined,
        { message: 'progress needs pct, step, completedSteps or skippedSteps' },
      )
      .optional(),
    error: z
      .object({ code: z.string().min(1).max(100), message: z.string().max(2000), retryable: z.boolean().optional() })
      .strict()
      .optional(),
  })
  .strict();
export type WorkerUpdate = z.infer<typeof WorkerUpdateSchema>;

export const SweepRequestSchema = z
  .object({
    dryRun: z.boolean().default(false),
    /** Seed 003's `older_than_minutes`: every queued or running job created this long ago, due or not. */
    olderThanMinutes: z.number().int().min(1).max(10_080).optional(),
    /** This run's share of the due index's 16 shards (a fanned-out schedule, issue 32); all when absent. */
    shards: z.array(z.number().int().min(0).max(15)).min(1).max(16).optional(),
  })
  .strict();

export const CreateProjectSchema = z
  .object({
    name: z.string().min(1).max(200),
    artifacts: z.array(z.object({ key: z.string().min(1).max(200), uri: GcsUriSchema }).strict()).max(MAX_ARTIFACTS),
  })
  .strict();

export const ListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: CursorSchema.optional(),
});

export const JobListQuerySchema = z.object({
  status: z.enum(['queued', 'running', 'succeeded', 'failed', 'canceled']).optional(),
  type: JobTypeNameSchema.optional(),
  resourceKey: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: CursorSchema.optional(),
});

/** GET /api/stats/recoveries: the window (core/recovery.ts: STATS_WINDOWS). */
/** `?dryRun=true` on a reconcile: what it would do, nothing written. */
export const DryRunQuerySchema = z.object({
  dryRun: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => v === 'true' || v === '1'),
});

export const StatsQuerySchema = z.object({
  window: z.enum(['1h', '24h', '7d']).default('24h'),
});

/** POST /api/subscriptions (docs/api.md "Subscriptions"); the URL's safety is checked by webhooks/endpoint.ts. */
export const CreateSubscriptionSchema = z
  .object({
    url: z.string().min(8).max(2048),
    types: z.array(JobTypeNameSchema).max(50).default([]),
    statuses: z
      .array(z.enum(['queued', 'running', 'succeeded', 'failed', 'canceled']))
      .max(5)
      .default([]),
    projectId: JobIdSchema.optional(),
    /** Admins only: the owner whose jobs it hears of, or `*` for every owner's. */
    ownerId: z.union([z.literal('*'), z.string().regex(/^[A-Za-z0-9_.@:-]{1,128}$/)]).optional(),
  })
  .strict();

export const RotateSecretSchema = z
  .object({
    /** How long the old secret keeps signing beside the new one (default a day, at most a week). */
    overlapSeconds: z.number().int().min(0).max(604_800).optional(),
  })
  .strict();

export const ReplaySchema = z
  .object({
    jobId: JobIdSchema.optional(),
    fromSeq: z.number().int().min(1).max(1_000_000).optional(),
    since: z.string().datetime({ offset: true }).optional(),
  })
  .strict();

export const DeliveriesQuerySchema = z.object({
  state: z.enum(['pending', 'delivered', 'dead']).optional(),
  jobId: JobIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** Bulk actions (issue 33): an action on every job a filter matches; times as ISO 8601 or epoch ms. */
const BulkTimeSchema = z.union([z.string().datetime({ offset: true }), z.number().int().min(0).max(8_640_000_000_000)]);
export const BulkRequestSchema = z
  .object({
    action: z.enum(['cancel', 'retry', 'reconcile', 'resume']),
    filter: z
      .object({
        type: JobTypeNameSchema.optional(),
        status: z.enum(['queued', 'running', 'succeeded', 'failed', 'canceled']).optional(),
        statusReason: z.enum(Object.values(Reason) as [Reason, ...Reason[]]).optional(),
        resourceKey: z.string().min(1).max(500).optional(),
        projectId: JobIdSchema.optional(),
        createdBefore: BulkTimeSchema.optional(),
        createdAfter: BulkTimeSchema.optional(),
        /** Admins only: one owner's jobs. */
        ownerId: z
          .string()
          .regex(/^[A-Za-z0-9_.@:-]{1,128}$/)
          .optional(),
      })
      .strict(),
    dryRun: z.boolean().default(false),
    /** The same id again answers the first bulk (its caller's). */
    requestId: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,128}$/)
      .optional(),
  })
  .strict();

export const BulkItemsQuerySchema = z.object({
  state: z.enum(['pending', 'done', 'skipped', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
