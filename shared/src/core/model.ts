/** The job model. Times are epoch milliseconds inside the core; the store and the API convert. */
import type { FailureReason, JobStatus, Reason, Source } from './states.js';

export type EpochMs = number;

export interface Backoff {
  initialSeconds: number;
  multiplier: number;
  maxSeconds: number;
  /** 0..1: the delay is scaled by a factor drawn uniformly from [1 - jitter, 1 + jitter). */
  jitter: number;
}

export interface Policy {
  queueTimeoutSeconds: number;
  runTimeoutSeconds: number;
  /**
   * The longest a reporting worker may stay silent; null: the worker does not report, and the job is alive
   * while its executor says the attempt runs (liveness.ts), bounded by the run timeout.
   */
  heartbeatTimeoutSeconds: number | null;
  outputGraceSeconds: number;
  /** After a cancel request, how long the executor has to confirm before the job is canceled anyway. */
  cancelGraceSeconds: number;
  maxAttempts: number;
  /**
   * How long a due deadline may be held back while a probe (output, executor status) keeps failing; then the
   * attempt fails with EVIDENCE_UNAVAILABLE. Jobs stored before this field existed use the default.
   */
  probeFailureGraceSeconds: number;
  backoff: Backoff;
  retryableReasons: FailureReason[];
  /** Worker error codes that retry even when the worker did not mark them retryable. */
  retryableErrorCodes: string[];
  /**
   * How the work shows it is alive (liveness.ts): worker reports, the executor's status, or both. A null
   * heartbeat means `executor` whatever this says; absent (older jobs, most types): `reports`.
   */
  liveness?: Liveness | undefined;
  /** Age-based probes (seeds 003/004): the first look after this long in the attempt (null: the default). */
  probeAfterSeconds?: number | null | undefined;
  /** …then one every this long, doubling up to PROBE_EVERY_CAP_SECONDS (null: the default). */
  probeEverySeconds?: number | null | undefined;
}

export const LIVENESS = ['reports', 'executor', 'both'] as const;
export type Liveness = (typeof LIVENESS)[number];

export interface OutputState {
  /** The output's declared name. */
  uri: string;
  /** Other names it may take: any one present counts (outputs.ts). */
  anyOf?: string[];
  /** The alternative it was found under (absent: found under its declared name, or not found). */
  foundUri?: string;
  present: boolean;
  generation: string | null;
  size: number | null;
  timeCreated: EpochMs | null;
}

export type ExecutorKind = 'local-process' | 'external' | 'cloud-run-job' | 'http';

export interface ExecutorState {
  kind: ExecutorKind;
  /** The attempt the ref belongs to. */
  attempt: number;
  executionRef: string | null;
  /** Intent recorded before the start effect runs (record, then act). */
  startRequestedAt: EpochMs | null;
  /** Intent recorded before the cancel effect runs. */
  cancelRequestedAt: EpochMs | null;
  /** A bulk action's cancel (core/bulk.ts): named again by the transition that completes it. */
  cancelRequestedBy?: Attribution | null;
}

/** A declared step of a job type's work: its share of the whole is `weight / Σ weights`. */
export interface StepSpec {
  name: string;
  weight: number;
}

/** When a step ran, as far as worker reports tell (a step starts when the previous one completed). */
export interface StepTiming {
  name: string;
  startedAt: EpochMs | null;
  completedAt: EpochMs | null;
  /** Not run by this attempt: its checkpoint from an earlier one stood (the ETA does not learn from it). */
  skipped?: boolean;
}

export interface Progress {
  /** Overall percent: weighted from the step plan when there is one, else as reported. */
  pct: number;
  step: string | null;
  /** Percent of the current step, when the worker says. */
  stepPct: number | null;
  completedSteps: string[];
  /** Completed steps this attempt did not run: a checkpoint of an earlier attempt stood (resume). */
  skippedSteps?: string[];
  /** Timings of the steps seen so far, in the order they started: the ETA learns from these. */
  steps: StepTiming[];
}

/**
 * A due deadline held back because a probe failed (rule 3: a deadline fails an attempt only after the probes
 * show nothing better). Each held check pushes the next one further out; the hold ends with the probes' return,
 * with the deadline no longer due, with any transition, or after the policy's probe-failure grace.
 */
export interface ProbeHold {
  /** The first held check. */
  since: EpochMs;
  /** Held checks so far (the next delay doubles with each). */
  count: number;
  /** The deadline is not looked at again before this: the job's nextCheckAt while held. */
  retryAt: EpochMs;
}

export interface JobError {
  code: string;
  message: string;
  retryable: boolean;
}

export interface Job {
  id: string;
  type: string;
  ownerId: string;
  resourceKey: string | null;
  idempotencyKey: string | null;
  status: JobStatus;
  statusReason: Reason;
  attempt: number;
  maxAttempts: number;
  /** Number of applied transitions; the last transition's seq. */
  version: number;
  input: Record<string, unknown>;
  outputs: OutputState[];
  /** Plain array of output URIs, for array-contains look-ups. */
  outputUris: string[];
  reuseExistingOutputs: boolean;
  executor: ExecutorState;
  policy: Policy;
  /** The step plan (job type config, or declared by the worker's first report); empty when none. */
  stepPlan: StepSpec[];
  progress: Progress | null;
  error: JobError | null;
  createdAt: EpochMs;
  updatedAt: EpochMs;
  /** When the current attempt was queued (creation, or the retry). */
  attemptQueuedAt: EpochMs;
  /** A retried attempt may not start before this. */
  notBefore: EpochMs | null;
  startedAt: EpochMs | null;
  heartbeatAt: EpochMs | null;
  /** The last worker report that carried progress (absent on jobs stored before it was kept). */
  progressAt?: EpochMs | null;
  /**
   * The last time the executor confirmed the current attempt running, recorded as liveness (liveness.ts) at
   * most once per probe interval; null or absent before the first confirmation and on each new attempt.
   */
  executorAliveAt?: EpochMs | null;
  /** The last age-based probe of the current attempt (liveness.ts: the next one is scheduled from it). */
  livenessCheckedAt?: EpochMs | null;
  /** A worker or executor said "succeeded" while declared outputs were still missing. */
  reportedSucceededAt: EpochMs | null;
  completedAt: EpochMs | null;
  canceledAt: EpochMs | null;
  endedAt: EpochMs | null;
  /** Earliest pending deadline or due action; null when terminal. */
  nextCheckAt: EpochMs | null;
  /** Set while a due deadline is held back by failing probes; absent or null otherwise. */
  probeHold?: ProbeHold | null;
  /**
   * Where the worker keeps a checkpoint per finished step (the type's template, filled with the id of the first
   * job of a retry chain, so a retry resumes from its original's checkpoints); absent on older jobs.
   */
  checkpointPrefix?: string | null;
  /** Where the job's status is written back (an imported record's own status field); absent: nowhere. */
  mirror?: Mirror;
}

/**
 * The record a job was imported from (issue 30, write back): each transition writes the status value the import
 * mapping gives the new state into `field` of the document at `path`, in the app's `project` and `database`.
 * A state with no value is not written.
 */
export interface Mirror {
  project: string;
  database?: string;
  path: string;
  field: string;
  values: Partial<Record<JobStatus, string>>;
}

export interface Transition {
  seq: number;
  from: JobStatus | null;
  to: JobStatus;
  reason: Reason;
  source: Source;
  attempt: number;
  at: EpochMs;
  evidence: Record<string, unknown>;
}

/* ---------- evidence ---------- */

export interface OutputObservation {
  uri: string;
  exists: boolean;
  generation?: string | null;
  size?: number | null;
  timeCreated?: EpochMs | null;
}

export const ExecutionState = {
  pending: 'pending',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  canceled: 'canceled',
  /** The executor no longer knows the execution (e.g. Cloud Run forgot it, the process table lost it). */
  lost: 'lost',
} as const;
export type ExecutionState = (typeof ExecutionState)[keyof typeof ExecutionState];

export interface ExecutorObservation {
  executionRef: string;
  state: ExecutionState;
  detail?: string;
  /** When the execution really started, where the executor knows it (an attached one's deadlines count from it). */
  startedAt?: EpochMs;
}

/* ---------- events ---------- */

export const WorkerReportKind = {
  started: 'started',
  progress: 'progress',
  heartbeat: 'heartbeat',
  succeeded: 'succeeded',
  failed: 'failed',
} as const;
export type WorkerReportKind = (typeof WorkerReportKind)[keyof typeof WorkerReportKind];

export interface WorkerReport {
  kind: WorkerReportKind;
  attempt?: number;
  progress?: ProgressReport;
  error?: { code: string; message: string; retryable?: boolean };
}

/** One more name for output `output` (its index in `Job.outputs`). */
export interface OutputName {
  output: number;
  uri: string;
}

export interface ProgressReport {
  /** Overall percent; optional when the job has a step plan (then it is computed from the weights). */
  pct?: number;
  step?: string | null;
  stepPct?: number | null;
  completedSteps?: string[];
  /** Steps skipped because their checkpoint exists (they count as completed). */
  skippedSteps?: string[];
  /** A plan the worker declares, used when the job type declares none. */
  steps?: { name: string; weight?: number }[];
}

export type JobEvent =
  /**
   * Evidence gathered by a reconcile. `probed` says every available probe ran (deadlines may fire);
   * `probeErrors` names the probes that were tried and failed (a due deadline is then held, with backoff).
   */
  | {
      kind: 'observed';
      source: Source;
      /** A look asked for by a bulk action (its transition names it). */
      by?: Attribution;
      probed: boolean;
      outputs?: OutputObservation[];
      executor?: ExecutorObservation;
      probeErrors?: string[];
    }
  | {
      kind: 'worker';
      source: Source;
      report: WorkerReport;
      /** Names a provider's webhook reported for outputs, matched to the type's declared patterns (outputs.ts). */
      outputNames?: OutputName[];
    }
  | { kind: 'cancel'; source: Source; by?: Attribution }
  /** The start effect ran and the executor named its execution. */
  | {
      kind: 'dispatched';
      source: Source;
      attempt: number;
      executionRef: string;
      /** Outputs known once started (an http provider's); `outputAlternatives[i]`: output i's other names. */
      outputUris?: string[];
      outputAlternatives?: string[][];
    }
  /** The start effect failed in a way that will not fix itself. */
  | { kind: 'dispatchFailed'; source: Source; attempt: number; message: string; retryable: boolean };

/* ---------- effects ---------- */

export type Effect =
  | { kind: 'startExecution'; jobId: string; attempt: number }
  | { kind: 'cancelExecution'; jobId: string; attempt: number; executionRef: string }
  /** Delete the job's temporary objects (never a declared output). */
  | { kind: 'cleanupTemp'; jobId: string }
  /**
   * Stop the execution a start of this attempt may have made although none was recorded (the starting process
   * died between the executor's start and the `dispatched` commit); the executor finds it by job and attempt.
   */
  | { kind: 'stopUnrecordedStart'; jobId: string; attempt: number }
  /** Gather evidence now (e.g. a worker said succeeded and outputs must be checked). */
  | { kind: 'probe'; jobId: string }
  /**
   * The job's outputs were found by looking (a probe), not by their finalize event: the other jobs expecting the
   * same objects (the failed job a retry repeats, say) may have missed that event too, and look now.
   */
  | { kind: 'shareOutputs'; jobId: string; uris: string[] };

/** Who asked for a change made on many jobs at once: the bulk action and its caller (core/bulk.ts). */
export interface Attribution {
  bulkId: string;
  userId: string;
}

export interface Decision {
  /** The next job; the same object as the input when nothing changed. */
  job: Job;
  transition: Transition | null;
  effects: Effect[];
}

export interface DecideContext {
  now: EpochMs;
  /** Uniform [0, 1) source for jitter. */
  random: () => number;
}
