/**
 * The outside shape of jobs, transitions and projects (docs/contract.md): RFC 3339 UTC times, no internal
 * fields. Each shape is a zod schema, the one source for both the builder below (typed by it) and the OpenAPI
 * document's response schema (functions/api/openapi/schemas.ts renders it).
 */
import { z } from 'zod';
import {
  canResume,
  foundName,
  JOB_STATUSES,
  PHASES,
  phaseOf,
  ProjectStatus,
  Reason,
  Source,
  signingSecrets,
  transitionCause,
  type Delivery,
  type Diagnosis,
  type Job,
  type Subscription,
  type Transition,
} from './core/index.js';
import { PolicySchema } from './policy-schema.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const isoOf = (ms: number): string => new Date(ms).toISOString();

const Time = z.iso.datetime();
const MaybeTime = Time.nullable();
const Json = z.record(z.string(), z.unknown());
const Status = z.enum(JOB_STATUSES);
const ReasonCode = z.enum(Object.values(Reason) as [string, ...string[]]);

export const ProgressViewSchema = z
  .object({
    pct: z.number(),
    step: z.string().nullable(),
    stepPct: z.number().nullable(),
    completedSteps: z.array(z.string()),
    skippedSteps: z.array(z.string()),
    steps: z.array(z.object({ name: z.string(), startedAt: MaybeTime, completedAt: MaybeTime })),
  })
  .meta({ description: 'as reported; with a step plan `pct` is weighted from it' });

export const JobViewSchema = z.object({
  id: z.string(),
  type: z.string(),
  ownerId: z.string(),
  resourceKey: z.string().nullable(),
  idempotencyKey: z.string().nullable(),
  status: Status,
  statusReason: ReasonCode,
  attempt: z.int(),
  maxAttempts: z.int(),
  version: z.int(),
  input: Json,
  outputs: z.array(
    z.object({
      uri: z.string(),
      anyOf: z
        .array(z.string())
        .optional()
        .meta({ description: 'other names this output may take: any one present counts (the type declares them)' }),
      foundUri: z
        .string()
        .nullable()
        .meta({ description: 'where the output was found: its name, or the alternative present; null while absent' }),
      present: z.boolean(),
      generation: z.string().nullable(),
      size: z.number().nullable(),
      timeCreated: MaybeTime,
    }),
  ),
  reuseExistingOutputs: z.boolean(),
  executor: z.object({ kind: z.string(), executionRef: z.string().nullable() }),
  policy: PolicySchema,
  progress: ProgressViewSchema.nullable(),
  stepPlan: z
    .array(z.object({ name: z.string(), weight: z.number() }))
    .meta({ description: 'declared steps and their weights (job type config, or the worker’s first report)' }),
  checkpointPrefix: z.string().nullable().meta({
    description: 'where the worker checkpoints its steps (a retry keeps its original’s: it resumes from them)',
  }),
  createdAt: Time,
  updatedAt: Time,
  startedAt: MaybeTime,
  heartbeatAt: MaybeTime,
  completedAt: MaybeTime,
  canceledAt: MaybeTime,
  endedAt: MaybeTime,
  notBefore: MaybeTime,
  nextCheckAt: MaybeTime,
  error: z.object({ code: z.string(), message: z.string(), retryable: z.boolean() }).nullable(),
  phase: z.enum(PHASES).meta({
    description:
      'where it stands (docs/contract.md "Job states and reasons", its phases): waiting, running, held, ' +
      'recovering or ended — as of the answer; in an event, as of its transition',
  }),
  phaseReason: z.string().meta({ description: 'the phase in one line ("waiting for an executor slot (queued 20 s)")' }),
  canResume: z.boolean().meta({
    description: 'failed or canceled after completing steps: a retry (or a bulk `resume`) resumes past them',
  }),
});
export type JobView = z.infer<typeof JobViewSchema>;

export const TransitionViewSchema = z.object({
  seq: z.int(),
  from: Status.nullable(),
  to: Status,
  reason: ReasonCode,
  source: z.enum(Object.values(Source) as [string, ...string[]]),
  attempt: z.int(),
  at: Time,
  evidence: Json,
  cause: z.string().meta({
    description:
      'who or what made it, in words: its source, and for a bulk action the bulk and who asked (evidence.bulk)',
  }),
});

export const ProjectViewSchema = z.object({
  id: z.string(),
  ownerId: z.string(),
  name: z.string(),
  status: z.enum(Object.values(ProjectStatus) as [string, ...string[]]),
  artifacts: z
    .array(z.object({ key: z.string(), uri: z.string(), present: z.boolean(), generation: z.string().nullable() }))
    .optional()
    .meta({ description: 'on a single project; not in lists' }),
  activeJobId: z.string().nullable(),
  version: z.int(),
  createdAt: Time,
  updatedAt: Time,
});

/** The job as the API shows it at `now` (its phase is as of then: an event's is its transition's time). */
export function jobView(job: Job, now: number): JobView {
  const phase = phaseOf(job, now);
  return {
    id: job.id,
    type: job.type,
    ownerId: job.ownerId,
    resourceKey: job.resourceKey,
    idempotencyKey: job.idempotencyKey,
    status: job.status,
    statusReason: job.statusReason,
    attempt: job.attempt,
    maxAttempts: job.maxAttempts,
    version: job.version,
    input: job.input,
    outputs: job.outputs.map((o) => ({
      uri: o.uri,
      ...(o.anyOf ? { anyOf: o.anyOf } : {}),
      foundUri: o.present ? foundName(o) : null,
      present: o.present,
      generation: o.generation,
      size: o.size,
      timeCreated: iso(o.timeCreated),
    })),
    reuseExistingOutputs: job.reuseExistingOutputs,
    executor: { kind: job.executor.kind, executionRef: job.executor.executionRef },
    policy: job.policy,
    progress: progressView(job),
    stepPlan: job.stepPlan,
    checkpointPrefix: job.checkpointPrefix ?? null,
    createdAt: isoOf(job.createdAt),
    updatedAt: isoOf(job.updatedAt),
    startedAt: iso(job.startedAt),
    heartbeatAt: iso(job.heartbeatAt),
    completedAt: iso(job.completedAt),
    canceledAt: iso(job.canceledAt),
    endedAt: iso(job.endedAt),
    notBefore: iso(job.notBefore),
    nextCheckAt: iso(job.nextCheckAt),
    error: job.error,
    phase: phase.phase,
    phaseReason: phase.reason,
    canResume: canResume(job),
  };
}

/** The job's progress as reported (times as RFC 3339); null before the first report. */
export function progressView(job: Job): z.infer<typeof ProgressViewSchema> | null {
  const p = job.progress;
  if (!p) return null;
  return {
    pct: p.pct,
    step: p.step,
    stepPct: p.stepPct,
    completedSteps: p.completedSteps,
    skippedSteps: p.skippedSteps ?? [],
    steps: p.steps.map((s) => ({ name: s.name, startedAt: iso(s.startedAt), completedAt: iso(s.completedAt) })),
  };
}

/** The diagnosis with its times as RFC 3339. */
export function diagnosisView(d: Diagnosis): Record<string, unknown> {
  return {
    ...d,
    nextDeadline: d.nextDeadline && { ...d.nextDeadline, at: iso(d.nextDeadline.at) },
    evidence: d.evidence.map((e) => ({ ...e, at: iso(e.at) })),
  };
}

export function transitionView(t: Transition): z.infer<typeof TransitionViewSchema> {
  return {
    seq: t.seq,
    from: t.from,
    to: t.to,
    reason: t.reason,
    source: t.source,
    attempt: t.attempt,
    at: isoOf(t.at),
    evidence: t.evidence,
    cause: transitionCause(t),
  };
}

export function projectView(
  p: {
    id: string;
    ownerId: string;
    name: string;
    status: string;
    activeJobId: string | null;
    version: number;
    createdAt: number;
    updatedAt: number;
  },
  artifacts?: { key: string; uri: string; present: boolean; generation: string | null }[],
): z.infer<typeof ProjectViewSchema> {
  return {
    id: p.id,
    ownerId: p.ownerId,
    name: p.name,
    status: p.status,
    ...(artifacts
      ? { artifacts: artifacts.map((a) => ({ key: a.key, uri: a.uri, present: a.present, generation: a.generation })) }
      : {}),
    activeJobId: p.activeJobId,
    version: p.version,
    createdAt: isoOf(p.createdAt),
    updatedAt: isoOf(p.updatedAt),
  };
}

export const SubscriptionViewSchema = z.object({
  id: z.string(),
  url: z.string(),
  /** The owner whose jobs it hears of, or `*` (an admin's, for every owner). */
  ownerId: z.string(),
  types: z.array(z.string()),
  statuses: z.array(Status),
  projectId: z.string().nullable(),
  state: z.enum(['active', 'disabled']),
  disabledReason: z.string().nullable(),
  /** How many secrets sign each delivery now: 2 during a rotation's overlap. */
  signingSecrets: z.number().int(),
  createdAt: Time,
  updatedAt: Time,
});

export const DeliveryViewSchema = z.object({
  /** The `webhook-id` header: `{jobId}:{seq}`, the same on every try and replay of one event. */
  webhookId: z.string(),
  jobId: z.string(),
  seq: z.number().int(),
  attempts: z.number().int(),
  status: z.enum(['pending', 'delivered', 'dead']),
  lastError: z.string().nullable(),
  lastStatus: z.number().int().nullable(),
  nextAttemptAt: MaybeTime,
  createdAt: Time,
  deliveredAt: MaybeTime,
});

/** A subscription as its owner sees it: never its secrets (shown once, when made or rotated). */
export function subscriptionView(s: Subscription, now: number): z.infer<typeof SubscriptionViewSchema> {
  return {
    id: s.id,
    url: s.url,
    ownerId: s.scope,
    types: [...s.types],
    statuses: [...s.statuses],
    projectId: s.projectId,
    state: s.state,
    disabledReason: s.disabledReason,
    signingSecrets: signingSecrets(s.secrets, now).length,
    createdAt: isoOf(s.createdAt),
    updatedAt: isoOf(s.updatedAt),
  };
}

export function deliveryView(d: Delivery): z.infer<typeof DeliveryViewSchema> {
  return {
    webhookId: d.webhookId,
    jobId: d.jobId,
    seq: d.seq,
    attempts: d.attempts,
    status: d.state,
    lastError: d.lastError,
    lastStatus: d.lastStatus,
    nextAttemptAt: d.state === 'pending' ? iso(d.dueAt) : null,
    createdAt: isoOf(d.createdAt),
    deliveredAt: iso(d.deliveredAt),
  };
}
