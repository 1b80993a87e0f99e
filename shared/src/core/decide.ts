/**
 * decide(job, event, ctx) → the next job, at most one transition, and the effects to run after commit;
 * or a Rejection for a command that can never apply. Pure: no I/O, no clock, no randomness of its own.
 */
import { allOutputsPresent, failAttempt, mergeOutputs, patch, transition, unchanged } from './apply.js';
import { cancelRequested, dispatchDueAt, dueDeadline, lateOutputCheckDue, type Deadline } from './deadlines.js';
import { nextProbeHold, probeFailureGraceMs } from './holds.js';
import { isRejection, type Rejection } from './errors.js';
import { ageProbeDue, executorKeepsAlive } from './liveness.js';
import { onCancel, onCancelPending, onDispatched, onDispatchFailed, probesOf } from './start-cancel.js';
import {
  ExecutionState,
  type DecideContext,
  type Decision,
  type ExecutorObservation,
  type Job,
  type JobEvent,
} from './model.js';
import { assertNever, JobStatus, Reason, Source } from './states.js';
import { onWorker } from './worker-report.js';

type Ev<K extends JobEvent['kind']> = Extract<JobEvent, { kind: K }>;

export function decide(job: Job, event: JobEvent, ctx: DecideContext): Decision | Rejection {
  const d = decideEvent(job, event, ctx);
  // a change a bulk action asked for names it and its caller in the transition's evidence (replay: the event
  // is in the recorded cause, so the evidence is decided again the same way)
  const by = 'by' in event ? event.by : undefined;
  if (!by || isRejection(d) || !d.transition) return d;
  return { ...d, transition: { ...d.transition, evidence: { ...d.transition.evidence, bulk: { ...by } } } };
}

function decideEvent(job: Job, event: JobEvent, ctx: DecideContext): Decision | Rejection {
  switch (event.kind) {
    case 'observed':
      return onObserved(job, event, ctx);
    case 'worker':
      return onWorker(job, event, ctx);
    case 'cancel':
      return onCancel(job, event, ctx);
    case 'dispatched':
      return onDispatched(job, event, ctx);
    case 'dispatchFailed':
      return onDispatchFailed(job, event, ctx);
    default:
      return assertNever(event, 'event');
  }
}

function outputsEvidence(job: Job): Record<string, unknown> {
  return {
    outputs: job.outputs.map((o) => ({
      uri: o.uri,
      generation: o.generation,
      size: o.size,
      timeCreated: o.timeCreated,
    })),
  };
}

function onObserved(job: Job, ev: Ev<'observed'>, ctx: DecideContext): Decision {
  if (job.status === JobStatus.succeeded || job.status === JobStatus.canceled) return unchanged(job);
  const outputs = mergeOutputs(job, ev.outputs);
  const withOutputs: Job = outputs === job.outputs ? job : { ...job, outputs };

  if (allOutputsPresent(outputs)) {
    const reason = job.status === JobStatus.failed ? Reason.LATE_OUTPUT : Reason.OUTPUT_FOUND;
    const evidence = {
      ...outputsEvidence(withOutputs),
      ...(reason === Reason.LATE_OUTPUT ? { correctedFrom: job.statusReason } : {}),
    };
    // found by looking: its finalize event may be lost, for the other jobs expecting these objects too
    const share =
      ev.source === Source.gcs ? [] : [{ kind: 'shareOutputs' as const, jobId: job.id, uris: [...job.outputUris] }];
    return transition(withOutputs, JobStatus.succeeded, reason, ev.source, evidence, ctx, { outputs }, share);
  }
  if (job.status === JobStatus.failed) return onLateOutputCheck(job, withOutputs, ev, ctx);

  const current =
    ev.executor && ev.executor.executionRef === job.executor.executionRef && job.executor.attempt === job.attempt
      ? ev.executor
      : undefined;
  if (cancelRequested(job)) return onCancelPending(withOutputs, outputs !== job.outputs, current, ev, ctx);
  if (current) {
    const decided = onExecution(withOutputs, current, ev.source, ctx);
    if (decided) return decided;
  }
  return onDeadlines(job, signsOfLife(withOutputs, current, ev, ctx.now), ev, ctx);
}

/** A look that changed no status by what it saw: a due deadline fails the attempt, or probes hold it; a start due. */
function onDeadlines(job: Job, withOutputs: Job, ev: Ev<'observed'>, ctx: DecideContext): Decision {
  const due = dueDeadline(withOutputs, ctx.now);
  if (ev.probed && due && due.reason !== Reason.CANCELED_BY_USER) {
    const evidence = {
      deadline: due.reason,
      deadlineAt: due.at,
      ...(ev.executor ? { executor: ev.executor } : {}),
      ...outputsEvidence(withOutputs),
    };
    return failAttempt(
      withOutputs,
      due.reason,
      `${due.reason.toLowerCase().replace(/_/g, ' ')} passed`,
      undefined,
      ev.source,
      evidence,
      ctx,
    );
  }
  const hold = nextProbeHold(withOutputs, due, probesOf(ev), ctx.now);
  if (hold === 'expired') return evidenceUnavailable(withOutputs, due!, ev, ctx);
  const held: Job = hold === (job.probeHold ?? null) ? withOutputs : { ...withOutputs, probeHold: hold };

  const dispatchAt = dispatchDueAt(held);
  if (dispatchAt !== null && dispatchAt <= ctx.now) {
    return patch(held, { executor: { ...held.executor, attempt: job.attempt, startRequestedAt: ctx.now } }, ctx, [
      { kind: 'startExecution', jobId: job.id, attempt: job.attempt },
    ]);
  }
  return held === job ? unchanged(job) : patch(held, {}, ctx);
}

/**
 * The executor's word as liveness (liveness.ts), recorded only when it is asked for, so a long job writes a
 * bounded number of times: at an age-based probe (its time, and the executor's "running" if it said so), and when
 * the heartbeat deadline of a job that counts its executor comes while the executor says the attempt runs.
 * Returns the job unchanged when neither applies.
 */
function signsOfLife(job: Job, current: ExecutorObservation | undefined, ev: Ev<'observed'>, now: number): Job {
  const looked = probesOf(ev);
  const running = current?.state === ExecutionState.running;
  const probeDue = (looked.probed || looked.errors.length > 0) && ageProbeDue(job, now);
  const heartbeatDue =
    running && executorKeepsAlive(job.policy) && dueDeadline(job, now)?.reason === Reason.HEARTBEAT_TIMEOUT;
  if (!probeDue && !heartbeatDue) return job;
  return { ...job, ...(probeDue ? { livenessCheckedAt: now } : {}), ...(running ? { executorAliveAt: now } : {}) };
}

/**
 * A failed job's one late-output check (deadlines.ts: lateOutputCheckAt), once due and probed: the outputs were
 * not all there, so the check is done (the patch's time ends it). While the probes fail it is held like a
 * deadline, and given up once the probe-failure grace is over; likewise while the execution told to stop says
 * it still runs (it may yet write them): the check is final only once the execution has ended.
 */
function onLateOutputCheck(job: Job, withOutputs: Job, ev: Ev<'observed'>, ctx: DecideContext): Decision {
  const at = lateOutputCheckDue(job, ctx.now);
  const looked = probesOf(ev);
  if (at === null) return unchanged(job);
  if (!looked.probed && looked.errors.length === 0) return unchanged(job); // an event that probed nothing
  const running = ev.executor?.state === ExecutionState.running || ev.executor?.state === ExecutionState.pending;
  const probes = running ? { probed: false, errors: [`execution ${ev.executor!.executionRef} still running`] } : looked;
  const hold = nextProbeHold(job, { reason: Reason.OUTPUT_MISSING, at }, probes, ctx.now);
  // The attempt ended and its execution still runs: it was told to stop (the failing transition's effect), and
  // is told again on every look — level-based, so a stop lost with its process is repeated (idempotent).
  const stop = running
    ? [
        {
          kind: 'cancelExecution' as const,
          jobId: job.id,
          attempt: job.attempt,
          executionRef: ev.executor!.executionRef,
        },
      ]
    : [];
  return patch(withOutputs, { probeHold: hold === 'expired' ? null : hold }, ctx, stop);
}

/** A deadline passed and the probes kept failing for the whole probe-failure grace: the attempt fails. */
function evidenceUnavailable(job: Job, due: Deadline, ev: Ev<'observed'>, ctx: DecideContext): Decision {
  const hold = job.probeHold;
  const evidence = {
    deadline: due.reason,
    deadlineAt: due.at,
    heldSince: hold?.since ?? ctx.now,
    heldChecks: hold?.count ?? 0,
    probeErrors: ev.probeErrors ?? [],
    ...outputsEvidence(job),
  };
  const seconds = Math.round(probeFailureGraceMs(job.policy) / 1000);
  const what = due.reason.toLowerCase().replace(/_/g, ' ');
  const message = `${what} passed and the probes failed for ${seconds} s: ${(ev.probeErrors ?? []).join('; ')}`;
  return failAttempt(job, Reason.EVIDENCE_UNAVAILABLE, message.slice(0, 1000), undefined, ev.source, evidence, ctx);
}

/** The executor speaks for its execution (rule 2). Null: nothing it says changes the job. */
function onExecution(
  job: Job,
  obs: ExecutorObservation,
  source: (typeof Source)[keyof typeof Source],
  ctx: DecideContext,
): Decision | null {
  const evidence = { executor: obs };
  switch (obs.state) {
    case 'pending':
      return null;
    case 'running': {
      if (job.status !== JobStatus.queued) return null;
      // the execution's own start time, where the executor knows it (one attached after it started elsewhere):
      // the run timeout counts from then, never from a time to come
      const real = obs.startedAt !== undefined && job.startedAt === null ? Math.min(obs.startedAt, ctx.now) : null;
      return transition(
        real === null ? job : { ...job, startedAt: real },
        JobStatus.running,
        Reason.STARTED,
        source,
        evidence,
        ctx,
      );
    }
    case 'succeeded':
      if (job.outputs.length === 0)
        return transition(job, JobStatus.succeeded, Reason.EXECUTOR_SUCCEEDED, source, evidence, ctx);
      if (job.reportedSucceededAt !== null) return null;
      return patch(job, { reportedSucceededAt: ctx.now }, ctx);
    case 'failed':
      return failAttempt(
        job,
        Reason.EXECUTOR_FAILED,
        obs.detail ?? 'execution failed',
        undefined,
        source,
        evidence,
        ctx,
        { stop: false },
      );
    case 'canceled':
      return failAttempt(
        job,
        Reason.EXECUTOR_CANCELED,
        obs.detail ?? 'execution canceled outside Verity',
        undefined,
        source,
        evidence,
        ctx,
        { stop: false },
      );
    case 'lost':
      return failAttempt(
        job,
        Reason.EXECUTOR_LOST,
        obs.detail ?? 'the executor no longer knows the execution',
        undefined,
        source,
        evidence,
        ctx,
        { stop: false },
      );
    default:
      return assertNever(obs.state, 'execution state');
  }
}
