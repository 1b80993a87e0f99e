/** The outside shape of jobs and transitions (contract.md): RFC 3339 UTC times, no internal fields. */
import type { Diagnosis, Job, Transition } from './core/index.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function jobView(job: Job): Record<string, unknown> {
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
    createdAt: iso(job.createdAt),
    updatedAt: iso(job.updatedAt),
    startedAt: iso(job.startedAt),
    heartbeatAt: iso(job.heartbeatAt),
    completedAt: iso(job.completedAt),
    canceledAt: iso(job.canceledAt),
    endedAt: iso(job.endedAt),
    notBefore: iso(job.notBefore),
    nextCheckAt: iso(job.nextCheckAt),
    error: job.error,
  };
}

/** The job's progress as reported (times as RFC 3339); null before the first report. */
export function progressView(job: Job): Record<string, unknown> | null {
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

export function transitionView(t: Transition): Record<string, unknown> {
  return {
    seq: t.seq,
    from: t.from,
    to: t.to,
    reason: t.reason,
    source: t.source,
    attempt: t.attempt,
    at: new Date(t.at).toISOString(),
    evidence: t.evidence,
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
): Record<string, unknown> {
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
    createdAt: new Date(p.createdAt).toISOString(),
    updatedAt: new Date(p.updatedAt).toISOString(),
  };
}
