import {
  createJob,
  DEFAULT_POLICY,
  type DecideContext,
  type Job,
  type NewJobSpec,
  type Policy,
} from '../../shared/src/core/index.js';

export const T0 = Date.parse('2026-01-01T00:00:00Z');
export const S = 1000;

export function ctx(now: number, random = 0.5): DecideContext {
  return { now, random: () => random };
}

export function policy(over: Partial<Policy> = {}): Policy {
  return {
    ...DEFAULT_POLICY,
    queueTimeoutSeconds: 60,
    runTimeoutSeconds: 600,
    heartbeatTimeoutSeconds: 30,
    outputGraceSeconds: 20,
    ...over,
  };
}

export function newJob(
  over: {
    outputs?: string[];
    kind?: 'local-process' | 'external';
    policy?: Partial<Policy>;
    reuse?: boolean;
    resourceKey?: string;
  } = {},
): Job {
  const d = createJob(
    {
      id: 'job_1',
      type: 'demo-render',
      ownerId: 'alice',
      resourceKey: over.resourceKey ?? null,
      idempotencyKey: null,
      input: {},
      outputUris: over.outputs ?? ['gs://b/out.mp4'],
      reuseExistingOutputs: over.reuse ?? true,
      executorKind: over.kind ?? 'local-process',
      policy: policy(over.policy),
    },
    [],
    ctx(T0),
  );
  return d.job;
}

/** A new job's spec: alice's, no keys, no input, nothing declared, the default policy; `over` changes any of it. */
export function jobSpec(over: Partial<NewJobSpec> & Pick<NewJobSpec, 'id' | 'type' | 'executorKind'>): NewJobSpec {
  return {
    ownerId: 'alice',
    resourceKey: null,
    idempotencyKey: null,
    input: {},
    outputUris: [],
    reuseExistingOutputs: true,
    policy: DEFAULT_POLICY,
    ...over,
  };
}

/** A job whose execution was started and named. */
export function dispatched(job: Job, ref = 'local:job_1:1'): Job {
  return { ...job, executor: { ...job.executor, executionRef: ref } };
}
