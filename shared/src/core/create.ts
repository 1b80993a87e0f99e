/** The first transition of a job: `null → queued` (ENQUEUED), or `null → succeeded` (OUTPUT_ALREADY_PRESENT). */
import { countsAsOutput } from './apply.js';
import { declareOutputs, foundName, observeOutput } from './outputs.js';
import { computeNextCheckAt, startable } from './deadlines.js';
import type {
  DecideContext,
  Decision,
  ExecutorKind,
  Job,
  Mirror,
  OutputObservation,
  Policy,
  StepSpec,
} from './model.js';
import { JobStatus, Reason, Source } from './states.js';

export interface NewJobSpec {
  id: string;
  type: string;
  ownerId: string;
  resourceKey: string | null;
  idempotencyKey: string | null;
  input: Record<string, unknown>;
  outputUris: string[];
  /** `outputAlternatives[i]`: other names output i may take (core/outputs.ts). */
  outputAlternatives?: string[][];
  reuseExistingOutputs: boolean;
  executorKind: ExecutorKind;
  policy: Policy;
  /** The job type's step plan (empty: none declared). */
  stepPlan?: StepSpec[];
  /** The checkpoint prefix of the job's steps (a retry keeps its original's). */
  checkpointPrefix?: string;
  /** Recorded on the first transition (e.g. `artifactsReused`: a project's artifacts not generated again). */
  evidence?: Record<string, unknown>;
  /**
   * An execution started elsewhere that the job tracks from here (issue 30: attach): its first attempt's
   * execution, recorded at creation; nothing is started. Its first look moves it on (STARTED from the
   * execution's real start time, or its end).
   */
  attach?: { executionRef: string };
  /** The imported record the job's status is written back to (adopt/importer.ts). */
  mirror?: Mirror;
}

export function createJob(spec: NewJobSpec, observations: readonly OutputObservation[], ctx: DecideContext): Decision {
  const now = ctx.now;
  const draft: Job = {
    id: spec.id,
    type: spec.type,
    ownerId: spec.ownerId,
    resourceKey: spec.resourceKey,
    idempotencyKey: spec.idempotencyKey,
    status: JobStatus.queued,
    statusReason: Reason.ENQUEUED,
    attempt: 1,
    maxAttempts: spec.policy.maxAttempts,
    version: 1,
    input: spec.input,
    ...declareOutputs(spec.outputUris, spec.outputAlternatives),
    reuseExistingOutputs: spec.reuseExistingOutputs,
    executor: {
      kind: spec.executorKind,
      attempt: 1,
      executionRef: null,
      startRequestedAt: null,
      cancelRequestedAt: null,
    },
    policy: spec.policy,
    stepPlan: spec.stepPlan ?? [],
    ...(spec.checkpointPrefix ? { checkpointPrefix: spec.checkpointPrefix } : {}),
    ...(spec.mirror ? { mirror: spec.mirror } : {}),
    progress: null,
    error: null,
    createdAt: now,
    updatedAt: now,
    attemptQueuedAt: now,
    notBefore: null,
    startedAt: null,
    heartbeatAt: null,
    progressAt: null,
    executorAliveAt: null,
    livenessCheckedAt: null,
    reportedSucceededAt: null,
    completedAt: null,
    canceledAt: null,
    endedAt: null,
    nextCheckAt: null,
  };
  const outputs = spec.reuseExistingOutputs
    ? draft.outputs.map((o) => observeOutput(o, observations, (obs) => countsAsOutput(draft, obs)))
    : draft.outputs;
  if (spec.reuseExistingOutputs && outputs.length > 0 && outputs.every((o) => o.present)) {
    const job: Job = {
      ...draft,
      outputs,
      status: JobStatus.succeeded,
      statusReason: Reason.OUTPUT_ALREADY_PRESENT,
      completedAt: now,
      endedAt: now,
    };
    const evidence = {
      ...spec.evidence,
      outputs: outputs.map((o) => ({
        uri: foundName(o),
        generation: o.generation,
        size: o.size,
        timeCreated: o.timeCreated,
      })),
    };
    return {
      job,
      transition: {
        seq: 1,
        from: null,
        to: JobStatus.succeeded,
        reason: Reason.OUTPUT_ALREADY_PRESENT,
        source: Source.api,
        attempt: 1,
        at: now,
        evidence,
      },
      effects: [],
    };
  }
  const starts = !spec.attach && startable(draft, 1);
  const executor = spec.attach
    ? { ...draft.executor, executionRef: spec.attach.executionRef }
    : { ...draft.executor, startRequestedAt: starts ? now : null };
  const job: Job = { ...draft, outputs, executor };
  job.nextCheckAt = computeNextCheckAt(job);
  return {
    job,
    transition: {
      seq: 1,
      from: null,
      to: JobStatus.queued,
      reason: Reason.ENQUEUED,
      source: Source.api,
      attempt: 1,
      at: now,
      evidence: { ...spec.evidence, ...(spec.attach ? { attached: spec.attach.executionRef } : {}) },
    },
    effects: starts ? [{ kind: 'startExecution', jobId: spec.id, attempt: 1 }] : [],
  };
}

/**
 * What a request's idempotency key resolves to: the job its record names when that job exists (the request was
 * made before: answer it), else null — create, replacing a record whose job was never written. The store asks
 * this both before the work a new job costs (quota, probes) and in the create's own write (a racing twin).
 */
export function idempotentAnswer(record: { jobId: string } | null, job: Job | null): Job | null {
  return record !== null && job !== null && job.id === record.jobId ? job : null;
}
