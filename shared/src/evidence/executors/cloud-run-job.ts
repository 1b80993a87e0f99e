/**
 * cloud-run-job: one Cloud Run Jobs execution per attempt, through the real `@google-cloud/run` v2 client.
 *
 * - start: first looks for an execution of this job and attempt among the job's most recent 50 executions
 *   (by the VERITY_JOB_ID / VERITY_ATTEMPT env overrides it was started with), so a crash between runJob and
 *   recording the ref never starts a second one; otherwise runJob with container overrides and takes the
 *   execution name from the operation's metadata, without waiting for the operation (that is the whole run).
 *   runJob has no request id, so a start runs within its lease (`opts.lease`, core/deadlines.ts startLease):
 *   no runJob begins after its `startWithinMs`, each call ends within `endWithinMs`, and the attempt's next
 *   start only comes after the lease — then it finds ours by listing. Should two starts still overlap (no
 *   lease given, a clock far off), both may find nothing and both run: so after runJob the attempt's
 *   executions are listed again, the oldest is the attempt's execution (every racer sees it: it was created
 *   before their own), and the others are cancelled. What still slips through (an execution not yet listed)
 *   is caught when the ref is recorded: decide keeps the recorded one and cancels the other.
 * - status: getExecution. Before completionTime: `pending` while no task has started (runningCount 0, no
 *   startTime, nothing finished), else `running`. After: the `Completed` condition decides; NOT_FOUND is `lost`
 *   (Cloud Run keeps only recent executions).
 * - cancel: cancelExecution; NOT_FOUND and FAILED_PRECONDITION (already finished) count as done.
 */
import { ExecutionsClient, JobsClient, type protos } from '@google-cloud/run';
import { grpc, type ClientOptions } from 'google-gax';
import type { ExecutorObservation, Job } from '../../core/index.js';
import { EXECUTION_ID_PATTERN } from './attach-names.js';
import { ExecutorStartError, StartLeaseOver, type Executor, type StartOptions } from './types.js';

type IExecution = protos.google.cloud.run.v2.IExecution;
type ICondition = protos.google.cloud.run.v2.ICondition;

export interface CloudRunJobOptions {
  jobsClient: JobsClient;
  executionsClient: ExecutionsClient;
  /** Deadline of each API call (ms); default 30 s. */
  timeoutMs?: number;
  /** The credential the execution reports with (VERITY_WORKER_TOKEN): its own job's attempt only. */
  credential?: (job: Job) => string;
}

/** gRPC status codes this executor distinguishes. */
const Code = {
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  INVALID_ARGUMENT: 3,
} as const;
const PERMANENT: ReadonlySet<number> = new Set([
  Code.NOT_FOUND,
  Code.PERMISSION_DENIED,
  Code.INVALID_ARGUMENT,
  Code.FAILED_PRECONDITION,
]);
const TRANSIENT: ReadonlySet<number> = new Set([
  Code.UNAVAILABLE,
  Code.RESOURCE_EXHAUSTED,
  Code.DEADLINE_EXCEEDED,
  Code.INTERNAL,
]);

export const ENV_JOB_ID = 'VERITY_JOB_ID';
export const ENV_ATTEMPT = 'VERITY_ATTEMPT';
export const ENV_INPUT = 'VERITY_INPUT';
export const ENV_OUTPUTS = 'VERITY_OUTPUTS';
export const ENV_CHECKPOINT_PREFIX = 'VERITY_CHECKPOINT_PREFIX';
export const ENV_WORKER_TOKEN = 'VERITY_WORKER_TOKEN';

function grpcCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Enums arrive as names from the gRPC client and as numbers from decoded LRO metadata: accept both. */
function enumIs(value: unknown, name: string, num: number): boolean {
  return value === name || value === num;
}

function isSet(ts: protos.google.protobuf.ITimestamp | null | undefined): boolean {
  return ts !== null && ts !== undefined && (Number(ts.seconds ?? 0) !== 0 || Number(ts.nanos ?? 0) !== 0);
}

function millisOf(ts: protos.google.protobuf.ITimestamp): number {
  return Number(ts.seconds ?? 0) * 1000 + Math.floor(Number(ts.nanos ?? 0) / 1e6);
}

const EXECUTION_ID = new RegExp(`^${EXECUTION_ID_PATTERN}$`);

/**
 * An execution of the type's own job, by its id or its full name (attach, issue 30); null for anything else: a
 * request never names a job outside configuration.
 */
export function adoptCloudRunExecution(jobName: string, name: string): string | null {
  const prefix = `${jobName}/executions/`;
  const id = name.startsWith(prefix) ? name.slice(prefix.length) : name;
  return EXECUTION_ID.test(id) ? prefix + id : null;
}

/** Does this execution carry the env overrides of this job and attempt? */
export function isExecutionOf(execution: IExecution, jobId: string, attempt: number): boolean {
  for (const container of execution.template?.containers ?? []) {
    const env = new Map((container.env ?? []).map((e) => [e.name ?? '', e.value ?? '']));
    if (env.get(ENV_JOB_ID) === jobId && env.get(ENV_ATTEMPT) === String(attempt)) return true;
  }
  return false;
}

/** Maps a finished or running execution to an observation (exported for unit tests). */
export function observeExecution(ref: string, ex: IExecution): ExecutorObservation {
  const running = ex.runningCount ?? 0;
  const succeeded = ex.succeededCount ?? 0;
  const failed = ex.failedCount ?? 0;
  const cancelled = ex.cancelledCount ?? 0;
  if (!isSet(ex.completionTime)) {
    const started = running > 0 || isSet(ex.startTime) || succeeded + failed + cancelled > 0;
    if (!started) return { executionRef: ref, state: 'pending' };
    return {
      executionRef: ref,
      state: 'running',
      ...(isSet(ex.startTime) ? { startedAt: millisOf(ex.startTime!) } : {}),
    };
  }
  const completed: ICondition | undefined = (ex.conditions ?? []).find((c) => c.type === 'Completed');
  if (completed && enumIs(completed.state, 'CONDITION_SUCCEEDED', 4)) return { executionRef: ref, state: 'succeeded' };
  // No Completed condition at all (should not happen): trust the counts rather than guess a failure.
  const tasks = ex.taskCount ?? 0;
  if (!completed && tasks > 0 && succeeded >= tasks && failed === 0 && cancelled === 0)
    return { executionRef: ref, state: 'succeeded' };
  if (cancelled > 0 || (completed && enumIs(completed.executionReason, 'CANCELLED', 3))) {
    return { executionRef: ref, state: 'canceled', detail: completed?.message || 'execution cancelled' };
  }
  const counts = `${failed} of ${tasks || '?'} task(s) failed`;
  return {
    executionRef: ref,
    state: 'failed',
    detail: completed?.message ? `${completed.message} (${counts})` : counts,
  };
}

/** Oldest first by createTime, then by name: every process orders one attempt's executions the same way. */
function byCreation(a: IExecution, b: IExecution): number {
  const secs = Number(a.createTime?.seconds ?? 0) - Number(b.createTime?.seconds ?? 0);
  const nanos = Number(a.createTime?.nanos ?? 0) - Number(b.createTime?.nanos ?? 0);
  return secs || nanos || (a.name ?? '').localeCompare(b.name ?? '');
}

function startError(err: unknown, what: string): unknown {
  const code = grpcCode(err);
  if (code !== undefined && PERMANENT.has(code)) return new ExecutorStartError(`${what}: ${errMessage(err)}`, false);
  if (code !== undefined && TRANSIENT.has(code)) return new ExecutorStartError(`${what}: ${errMessage(err)}`, true);
  return err;
}

export function createCloudRunJobExecutor(opts: CloudRunJobOptions): Executor {
  const { jobsClient, executionsClient, credential } = opts;
  const call = { timeout: opts.timeoutMs ?? 30_000 };

  /** A call's options within a start's lease (taken at `t0`, performance.now()): it ends by the lease's end. */
  const leased = (lease: StartOptions['lease'], t0: number): { timeout: number } =>
    lease
      ? { timeout: Math.max(1, Math.min(call.timeout, Math.floor(lease.endWithinMs - (performance.now() - t0)))) }
      : call;

  /** This attempt's executions among the job's most recent ones, oldest first: the first is the attempt's. */
  async function executionsOf(jobName: string, job: Job, opts = call): Promise<string[]> {
    const [executions] = await executionsClient.listExecutions(
      { parent: jobName, pageSize: 50 },
      { ...opts, autoPaginate: false },
    );
    return executions
      .filter((ex) => isExecutionOf(ex, job.id, job.attempt) && ex.name)
      .sort(byCreation)
      .map((ex) => ex.name!);
  }

  async function findExisting(jobName: string, job: Job, opts = call): Promise<string | null> {
    return (await executionsOf(jobName, job, opts))[0] ?? null;
  }

  /**
   * After our runJob: when another start of this attempt ran too, keep the oldest execution and cancel the rest
   * (ours included). A listing that fails, or does not show ours yet, settles nothing: ours is returned, and
   * recording it settles the race (decide keeps the recorded execution and cancels the other).
   */
  async function settle(jobName: string, job: Job, ours: string): Promise<string> {
    let all: string[];
    try {
      all = await executionsOf(jobName, job);
    } catch {
      return ours;
    }
    if (!all.includes(ours) || all.length < 2) return ours;
    const [keep, ...others] = all as [string, ...string[]];
    const results = await Promise.allSettled(others.map((name) => cancelExecution(name)));
    // our own duplicate could not be stopped: report it, so the recorded one's owner cancels it later
    if (results.some((r, i) => r.status === 'rejected' && others[i] === ours)) return ours;
    return keep;
  }

  async function cancelExecution(ref: string): Promise<void> {
    try {
      // Not awaiting the operation: it completes when the execution has stopped.
      await executionsClient.cancelExecution({ name: ref }, call);
    } catch (err) {
      const code = grpcCode(err);
      if (code === Code.NOT_FOUND || code === Code.FAILED_PRECONDITION) return; // gone, or already finished
      throw err;
    }
  }

  /** The just-started execution's name when the operation's metadata did not carry it. */
  async function nameAfterRun(jobName: string, job: Job): Promise<string | null> {
    const listed = await findExisting(jobName, job);
    if (listed) return listed;
    const [cloudJob] = await jobsClient.getJob({ name: jobName }, call);
    const latest = cloudJob.latestCreatedExecution?.name;
    if (!latest) return null;
    const [ex] = await executionsClient.getExecution({ name: latest }, call);
    return isExecutionOf(ex, job.id, job.attempt) ? latest : null;
  }

  return {
    kind: 'cloud-run-job',

    async find(job, type, attempt) {
      if (type.executor.kind !== 'cloud-run-job') return null;
      return findExisting(type.executor.job, { ...job, attempt });
    },

    async start(job, type, opts) {
      const cfg = type.executor;
      if (cfg.kind !== 'cloud-run-job')
        throw new ExecutorStartError(`type ${type.name} is not a cloud-run-job type`, false);
      const lease = opts?.lease;
      const t0 = performance.now();
      try {
        const existing = await findExisting(cfg.job, job, leased(lease, t0));
        if (existing) return { executionRef: existing };
      } catch (err) {
        throw startError(err, `listing executions of ${cfg.job}`);
      }

      const env = [
        { name: ENV_JOB_ID, value: job.id },
        { name: ENV_ATTEMPT, value: String(job.attempt) },
        { name: ENV_INPUT, value: JSON.stringify(job.input) },
        { name: ENV_OUTPUTS, value: JSON.stringify(job.outputs.map((o) => o.uri)) },
        ...(job.checkpointPrefix ? [{ name: ENV_CHECKPOINT_PREFIX, value: job.checkpointPrefix }] : []),
        ...(credential ? [{ name: ENV_WORKER_TOKEN, value: credential(job) }] : []),
      ];
      const overrides: protos.google.cloud.run.v2.RunJobRequest.IOverrides = {
        containerOverrides: [{ ...(cfg.container ? { name: cfg.container } : {}), env }],
        ...(cfg.taskCount ? { taskCount: cfg.taskCount } : {}),
        ...(cfg.timeoutSeconds ? { timeout: { seconds: cfg.timeoutSeconds } } : {}),
      };
      let name: string | null | undefined;
      // runJob has no request id: a second one is a second execution. Within the lease only, so the next
      // holder (after it) never runs one while ours may still create its execution.
      if (lease && performance.now() - t0 > lease.startWithinMs)
        throw new StartLeaseOver(`the start lease of ${job.id} ran out`);
      try {
        const [operation] = await jobsClient.runJob({ name: cfg.job, overrides }, leased(lease, t0));
        // The decoded metadata is the Execution; do not await operation.promise(): it lasts the whole run.
        name = (operation.metadata as IExecution | null)?.name;
      } catch (err) {
        throw startError(err, `running ${cfg.job}`);
      }
      if (!name) {
        try {
          name = await nameAfterRun(cfg.job, job);
        } catch (err) {
          throw startError(err, `finding the execution started for ${cfg.job}`);
        }
      }
      // Retrying is safe: the next start finds this execution by its env overrides.
      if (!name) throw new ExecutorStartError(`${cfg.job} was run but its execution is not visible yet`, true);
      return { executionRef: await settle(cfg.job, job, name) };
    },

    async status(ref) {
      try {
        const [ex] = await executionsClient.getExecution({ name: ref }, call);
        return observeExecution(ref, ex);
      } catch (err) {
        if (grpcCode(err) === Code.NOT_FOUND)
          return { executionRef: ref, state: 'lost', detail: 'Cloud Run no longer knows this execution' };
        throw err;
      }
    },

    cancel: cancelExecution,

    async adopt(type, name) {
      const executionRef =
        type.executor.kind === 'cloud-run-job' ? adoptCloudRunExecution(type.executor.job, name) : null;
      return executionRef ? { executionRef } : null;
    },
  };
}

export interface CloudRunClientOptions {
  /** "host:port" of a local fake speaking plaintext gRPC; unset: the real API with default credentials. */
  endpoint?: string;
  projectId?: string;
}

export function createCloudRunClients(opts: CloudRunClientOptions = {}): {
  jobsClient: JobsClient;
  executionsClient: ExecutionsClient;
} {
  let options: ClientOptions = opts.projectId ? { projectId: opts.projectId } : {};
  if (opts.endpoint) {
    const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(opts.endpoint);
    if (!m) throw new Error(`Cloud Run endpoint must be host:port, got ${opts.endpoint}`);
    options = {
      ...options,
      apiEndpoint: m[1],
      port: Number(m[2]),
      sslCreds: grpc.credentials.createInsecure(), // plaintext; gax then skips authentication altogether
      universeDomain: 'googleapis.com',
    };
  }
  return { jobsClient: new JobsClient(options), executionsClient: new ExecutionsClient(options) };
}
