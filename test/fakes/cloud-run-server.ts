/**
 * A local gRPC server speaking enough of the Cloud Run Admin API v2 for the real `@google-cloud/run` client:
 * `google.cloud.run.v2.Jobs` (RunJob, GetJob) and `google.cloud.run.v2.Executions` (GetExecution,
 * ListExecutions, CancelExecution), built from the protos shipped inside `@google-cloud/run` and `google-gax`.
 *
 * It is a fake of a remote API, driven by the test: executions start at once (or wait for `begin` when
 * `startImmediately` is false) and finish when the test calls `complete`; `forget` drops one as Cloud Run does
 * after 7 days / 1,000 executions (GetExecution → NOT_FOUND, no longer listed). RunJob and CancelExecution
 * answer with a not-done `google.longrunning.Operation` whose `metadata` is an `Any` holding the Execution;
 * nothing polls it (the executor never awaits the operation), so `google.longrunning.Operations` is absent.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { protos } from '@google-cloud/run';

type IExecution = protos.google.cloud.run.v2.IExecution;
type IContainer = protos.google.cloud.run.v2.IContainer;
type ITimestamp = protos.google.protobuf.ITimestamp;

export interface FakeJob {
  name: string;
  containers: IContainer[];
  latestCreatedExecution: string | null;
}

export type FakeMethod = 'RunJob' | 'GetJob' | 'GetExecution' | 'ListExecutions' | 'CancelExecution';

export interface FakeCloudRun {
  /** "127.0.0.1:port": give it to `createCloudRunClients({ endpoint })`. */
  endpoint: string;
  jobs: Map<string, FakeJob>;
  executions: Map<string, IExecution>;
  /** Every RunJob request received, including the ones answered with an error. */
  readonly runJobCalls: number;
  /** Requests received per method (errors included). */
  calls: Record<FakeMethod, number>;
  /** When true, RunJob's operation carries no metadata (exercises the executor's fallbacks). */
  omitOperationMetadata: boolean;
  /** Registers a job (full name projects/P/locations/L/jobs/J) with containers of these names. */
  addJob(fullName: string, containers?: string[]): void;
  /** Marks a pending execution's tasks as started. */
  begin(name: string): void;
  complete(name: string, outcome: 'succeeded' | 'failed'): void;
  forget(name: string): void;
  /** The next call of `method` fails with this gRPC status code. */
  failNext(method: FakeMethod, code: grpc.status, message?: string): void;
  /**
   * Asked before every call (null: none): an error to answer instead, or a delay before answering (a slow API).
   * For soaks; tests that want one precise failure use failNext.
   */
  chaos: ((method: FakeMethod, request: unknown) => { code: grpc.status } | { delayMs: number } | null) | null;
  stop(): Promise<void>;
}

/** google.longrunning.Operation as proto-loader (keepCase false) expects it: `Any.type_url` is `typeUrl`. */
interface IOperation {
  name: string;
  done: boolean;
  metadata?: { typeUrl: string; value: Buffer };
}

class RpcError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

const require = createRequire(import.meta.url);
const runMain = require.resolve('@google-cloud/run');
const RUN_PROTOS = path.resolve(path.dirname(runMain), '../protos');
const GAX_PROTOS = path.resolve(path.dirname(createRequire(runMain).resolve('google-gax')), '../protos');

const definition = protoLoader.loadSync(['google/cloud/run/v2/job.proto', 'google/cloud/run/v2/execution.proto'], {
  includeDirs: [RUN_PROTOS, GAX_PROTOS],
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const JOBS = definition['google.cloud.run.v2.Jobs'] as protoLoader.ServiceDefinition;
const EXECUTIONS = definition['google.cloud.run.v2.Executions'] as protoLoader.ServiceDefinition;
/** Encodes an Execution: GetExecution's response serializer is exactly that. */
const encodeExecution = (ex: IExecution): Buffer => EXECUTIONS.GetExecution!.responseSerialize(ex);

function timestamp(ms = Date.now()): ITimestamp {
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

function operation(location: string, ex: IExecution): IOperation {
  return {
    name: `${location}/operations/${randomUUID()}`,
    done: false,
    metadata: { typeUrl: 'type.googleapis.com/google.cloud.run.v2.Execution', value: encodeExecution(ex) },
  };
}

function locationOf(name: string): string {
  return name.split('/').slice(0, 4).join('/');
}

type Chaos = ((request: unknown) => { code: grpc.status } | { delayMs: number } | null) | undefined;

/** A unary handler; `chaos` (asked on arrival) may answer an error instead, or answer later (a slow API). */
function unary<Req, Res>(fn: (req: Req) => Res, chaos?: Chaos): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const c = chaos?.(call.request) ?? null;
    if (c && 'code' in c) return callback({ code: c.code, details: `injected ${grpc.status[c.code]}` });
    const answer = (): void => {
      try {
        callback(null, fn(call.request));
      } catch (err) {
        if (err instanceof RpcError) callback({ code: err.code, details: err.message });
        else callback({ code: grpc.status.INTERNAL, details: String(err) });
      }
    };
    if (c && c.delayMs > 0) setTimeout(answer, c.delayMs);
    else answer();
  };
}

export interface FakeCloudRunOptions {
  port?: number;
  startImmediately?: boolean;
  /**
   * Told of every execution RunJob creates, when it creates it (the moment its createTime records, with
   * sub-millisecond precision: `performance.timeOrigin + performance.now()`, a wall clock comparable between
   * processes). For benches that time a dispatch up to the executor's own log of its start.
   */
  onRun?: (name: string, atMs: number) => void;
}

export async function startFakeCloudRun(opts: FakeCloudRunOptions = {}): Promise<FakeCloudRun> {
  const jobs = new Map<string, FakeJob>();
  const executions = new Map<string, IExecution>();
  const injected = new Map<FakeMethod, RpcError>();
  const startImmediately = opts.startImmediately ?? true;

  const calls: Record<FakeMethod, number> = {
    RunJob: 0,
    GetJob: 0,
    GetExecution: 0,
    ListExecutions: 0,
    CancelExecution: 0,
  };
  const chaosOf =
    (method: FakeMethod): Chaos =>
    (request) => {
      const c = fake.chaos?.(method, request) ?? null;
      if (c && 'code' in c) calls[method]++;
      return c;
    };
  const maybeFail = (method: FakeMethod): void => {
    calls[method]++;
    const err = injected.get(method);
    if (err) {
      injected.delete(method);
      throw err;
    }
  };
  const execution = (name: string | null | undefined): IExecution => {
    const ex = name ? executions.get(name) : undefined;
    if (!ex) throw new RpcError(grpc.status.NOT_FOUND, `Resource '${name}' of kind 'EXECUTION' was not found.`);
    return ex;
  };
  const finish = (ex: IExecution, condition: protos.google.cloud.run.v2.ICondition): void => {
    ex.runningCount = 0;
    ex.completionTime = timestamp();
    ex.updateTime = ex.completionTime;
    ex.conditions = [{ type: 'Completed', lastTransitionTime: ex.completionTime, ...condition }];
  };

  const runJob = (req: protos.google.cloud.run.v2.IRunJobRequest): IOperation => {
    maybeFail('RunJob');
    const job = jobs.get(req.name ?? '');
    if (!job) throw new RpcError(grpc.status.NOT_FOUND, `Resource '${req.name}' of kind 'JOB' was not found.`);
    const containers: IContainer[] = job.containers.map((c) => ({ ...c, env: [...(c.env ?? [])] }));
    for (const o of req.overrides?.containerOverrides ?? []) {
      const target = o.name ? containers.find((c) => c.name === o.name) : containers[0];
      if (!target) throw new RpcError(grpc.status.INVALID_ARGUMENT, `container ${o.name} not found in ${job.name}`);
      const env = (target.env ?? []).filter((e) => !(o.env ?? []).some((n) => n.name === e.name));
      target.env = [...env, ...(o.env ?? []).map((e) => ({ name: e.name ?? '', value: e.value ?? '' }))];
      if (o.args?.length) target.args = [...o.args];
    }
    const short = job.name.split('/').pop() ?? 'job';
    let name: string;
    do name = `${job.name}/executions/${short}-${randomBytes(4).toString('hex').slice(0, 5)}`;
    while (executions.has(name));
    const taskCount = req.overrides?.taskCount || 1;
    const now = timestamp();
    const ex: IExecution = {
      name,
      uid: randomUUID(),
      job: short,
      generation: '1',
      createTime: now,
      updateTime: now,
      ...(startImmediately ? { startTime: now } : {}),
      taskCount,
      parallelism: taskCount,
      template: { containers, maxRetries: 0, ...(req.overrides?.timeout ? { timeout: req.overrides.timeout } : {}) },
      runningCount: startImmediately ? taskCount : 0,
      succeededCount: 0,
      failedCount: 0,
      cancelledCount: 0,
      retriedCount: 0,
      conditions: [{ type: 'Completed', state: 'CONDITION_PENDING' }],
      etag: randomUUID(),
    };
    executions.set(name, ex);
    job.latestCreatedExecution = name;
    opts.onRun?.(name, performance.timeOrigin + performance.now());
    const op = operation(locationOf(job.name), ex);
    return fake.omitOperationMetadata ? { name: op.name, done: false } : op;
  };

  const getJob = (req: protos.google.cloud.run.v2.IGetJobRequest): protos.google.cloud.run.v2.IJob => {
    maybeFail('GetJob');
    const job = jobs.get(req.name ?? '');
    if (!job) throw new RpcError(grpc.status.NOT_FOUND, `Resource '${req.name}' of kind 'JOB' was not found.`);
    const latest = job.latestCreatedExecution ? executions.get(job.latestCreatedExecution) : undefined;
    return {
      name: job.name,
      template: { taskCount: 1, template: { containers: job.containers } },
      ...(latest
        ? {
            latestCreatedExecution: {
              name: latest.name,
              createTime: latest.createTime,
              completionTime: latest.completionTime,
            },
          }
        : {}),
    };
  };

  const listExecutions = (
    req: protos.google.cloud.run.v2.IListExecutionsRequest,
  ): protos.google.cloud.run.v2.IListExecutionsResponse => {
    maybeFail('ListExecutions');
    // An unknown job lists nothing (rather than NOT_FOUND), so a RunJob on it is what reports the bad name.
    const all = [...executions.values()].filter((ex) => ex.name?.startsWith(`${req.parent}/executions/`)).reverse(); // newest first
    const offset = Number(req.pageToken || 0);
    const size = req.pageSize && req.pageSize > 0 ? req.pageSize : 100;
    const page = all.slice(offset, offset + size);
    return { executions: page, nextPageToken: offset + size < all.length ? String(offset + size) : '' };
  };

  const cancelExecution = (req: protos.google.cloud.run.v2.ICancelExecutionRequest): IOperation => {
    maybeFail('CancelExecution');
    const ex = execution(req.name);
    if (ex.completionTime)
      throw new RpcError(grpc.status.FAILED_PRECONDITION, `Execution '${ex.name}' has already completed.`);
    ex.cancelledCount = Math.max(1, (ex.taskCount ?? 1) - (ex.succeededCount ?? 0) - (ex.failedCount ?? 0));
    finish(ex, { state: 'CONDITION_FAILED', executionReason: 'CANCELLED', message: 'The execution was cancelled.' });
    return operation(locationOf(ex.name ?? ''), ex);
  };

  const server = new grpc.Server();
  server.addService(JOBS, {
    RunJob: unary(runJob, chaosOf('RunJob')),
    GetJob: unary(getJob, chaosOf('GetJob')),
  });
  server.addService(EXECUTIONS, {
    GetExecution: unary((req: protos.google.cloud.run.v2.IGetExecutionRequest) => {
      maybeFail('GetExecution');
      return execution(req.name);
    }, chaosOf('GetExecution')),
    ListExecutions: unary(listExecutions, chaosOf('ListExecutions')),
    CancelExecution: unary(cancelExecution, chaosOf('CancelExecution')),
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${opts.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    );
  });

  const fake: FakeCloudRun = {
    endpoint: `127.0.0.1:${port}`,
    jobs,
    executions,
    get runJobCalls() {
      return calls.RunJob;
    },
    calls,
    omitOperationMetadata: false,
    chaos: null,
    addJob(fullName, containers = ['main']) {
      jobs.set(fullName, {
        name: fullName,
        containers: containers.map((name) => ({
          name,
          image: 'us-docker.pkg.dev/cloudrun/container/job:latest',
          env: [],
        })),
        latestCreatedExecution: null,
      });
    },
    begin(name) {
      const ex = execution(name);
      ex.startTime ??= timestamp();
      ex.runningCount = ex.taskCount ?? 1;
    },
    complete(name, outcome) {
      const ex = execution(name);
      if (ex.completionTime) throw new Error(`${name} has already completed`);
      const tasks = ex.taskCount ?? 1;
      ex.startTime ??= timestamp();
      if (outcome === 'succeeded') {
        ex.succeededCount = tasks;
        finish(ex, { state: 'CONDITION_SUCCEEDED', message: 'Execution completed successfully.' });
      } else {
        ex.failedCount = tasks;
        const task = `${name.split('/').pop()}-task0`;
        finish(ex, {
          state: 'CONDITION_FAILED',
          executionReason: 'NON_ZERO_EXIT_CODE',
          message: `Task ${task} failed with message: The container exited with an error.`,
        });
      }
    },
    forget(name) {
      executions.delete(name);
    },
    failNext(method, code, message = `injected ${grpc.status[code]}`) {
      injected.set(method, new RpcError(code, message));
    },
    stop() {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
  return fake;
}
