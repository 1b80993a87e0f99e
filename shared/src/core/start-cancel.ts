/**
 * decide's starts and cancels (decide.ts dispatches to them): a start's result (`dispatched`, `dispatchFailed`),
 * a cancel, and a pending cancel's confirmation. Pure, as decide.
 */
import { patch, stopExecution, transition, unchanged, failAttempt } from './apply.js';
import { cancelRequested, dueDeadline, needsExecutor, startInFlight, startRetryLeaseFrom } from './deadlines.js';
import { nextProbeHold, type ProbeOutcome } from './holds.js';
import { ErrorCode, reject, type Rejection } from './errors.js';
import type { DecideContext, Decision, ExecutorObservation, Job, JobEvent } from './model.js';
import { isActive, JobStatus, Reason } from './states.js';
import { declareOutputs } from './outputs.js';

type Ev<K extends JobEvent['kind']> = Extract<JobEvent, { kind: K }>;

/** The bulk action that asked for a pending cancel, for the evidence of the transition that completes it. */
const requestedBy = (job: Job) =>
  job.executor.cancelRequestedBy ? { bulk: { ...job.executor.cancelRequestedBy } } : {};

export function probesOf(ev: Ev<'observed'>): ProbeOutcome {
  return { probed: ev.probed, errors: ev.probed ? [] : (ev.probeErrors ?? []) };
}

/**
 * A cancel was requested and the execution has not confirmed. It is `canceled` once the executor says the
 * execution ended (any way) or is gone, or once the cancel grace passes; until then the cancel is repeated on
 * every look (idempotent), which also repairs a crash between the commit and the cancel effect.
 */
export function onCancelPending(
  job: Job,
  outputsChanged: boolean,
  exec: ExecutorObservation | undefined,
  ev: Ev<'observed'>,
  ctx: DecideContext,
): Decision {
  const ended = exec !== undefined && exec.state !== 'running' && exec.state !== 'pending';
  const due = dueDeadline(job, ctx.now);
  // While the executor cannot be asked, the grace is held like any deadline, then the cancel completes anyway.
  const hold = ended ? null : nextProbeHold(job, due, probesOf(ev), ctx.now);
  if (ended || (ev.probed && due) || hold === 'expired') {
    // No execution recorded: the start's lease is over (no creating call is left), and one it made whose
    // `dispatched` was lost with its process is found and stopped (stopUnrecordedStart).
    const unrecorded = job.executor.executionRef === null;
    const evidence = ended
      ? { executor: exec }
      : {
          ...(unrecorded ? { startLeaseOver: true } : { cancelGraceExpired: true }),
          requestedAt: job.executor.cancelRequestedAt,
          ...(hold === 'expired' ? { probeErrors: ev.probeErrors ?? [] } : {}),
        };
    const stop = unrecorded ? stopExecution(job, ctx).effects : [];
    return transition(
      job,
      JobStatus.canceled,
      Reason.CANCELED_BY_USER,
      ev.source,
      { ...evidence, ...requestedBy(job) },
      ctx,
      { outputs: job.outputs },
      stop,
    );
  }
  const again = exec
    ? [
        {
          kind: 'cancelExecution' as const,
          jobId: job.id,
          attempt: job.attempt,
          executionRef: job.executor.executionRef!,
        },
      ]
    : [];
  const holdChanged = hold !== (job.probeHold ?? null);
  if (!outputsChanged && !holdChanged) return unchanged(job, again);
  return patch(job, holdChanged ? { probeHold: hold } : {}, ctx, again);
}

/**
 * Cancel: with nothing running (no execution yet, or an `external` job) the job is canceled at once; otherwise
 * the intent is recorded and the executor's cancel runs after commit; the job is canceled when the executor
 * confirms or the cancel grace passes (onCancelPending). A repeated cancel repeats the executor's cancel.
 * A start still in flight (its lease not over) may yet create an execution: the cancel is recorded and waits
 * for it — its `dispatched` is stopped (onDispatched), a failed start ends it (onDispatchFailed), and at the
 * lease's end an execution whose start was never recorded is found and stopped (issue 26: a cancel that met a
 * start in flight ended the job, and the execution was launched 3 s later).
 */
export function onCancel(job: Job, ev: Ev<'cancel'>, ctx: DecideContext): Decision | Rejection {
  if (!isActive(job.status)) return reject(ErrorCode.JOB_TERMINAL, `job is already ${job.status}`);
  const ref = job.executor.attempt === job.attempt ? job.executor.executionRef : null;
  if (cancelRequested(job) && ref === null) return unchanged(job);
  // a bulk's cancel that waits (for a start, for the executor) is named by the transition that completes it
  const by = ev.by ? { cancelRequestedBy: ev.by } : {};
  if (ref === null && startInFlight(job, ctx.now))
    return patch(job, { executor: { ...job.executor, cancelRequestedAt: ctx.now, ...by } }, ctx);
  if (ref === null || !needsExecutor(job)) {
    const unrecorded = ref === null && needsExecutor(job) ? stopExecution(job, ctx).effects : [];
    return transition(job, JobStatus.canceled, Reason.CANCELED_BY_USER, ev.source, {}, ctx, {}, unrecorded);
  }
  const stop = stopExecution(job, ctx);
  if (cancelRequested(job)) return unchanged(job, stop.effects);
  const fields = stop.fields.executor ? { ...stop.fields, executor: { ...stop.fields.executor, ...by } } : stop.fields;
  return patch(job, fields, ctx, stop.effects);
}

export function onDispatched(job: Job, ev: Ev<'dispatched'>, ctx: DecideContext): Decision {
  const current = isActive(job.status) && ev.attempt === job.attempt && needsExecutor(job);
  if (!current) {
    // The job moved on while the execution was being started: that execution is an orphan; stop it.
    return unchanged(job, [
      { kind: 'cancelExecution', jobId: job.id, attempt: ev.attempt, executionRef: ev.executionRef },
    ]);
  }
  if (job.executor.executionRef === ev.executionRef) return unchanged(job);
  if (cancelRequested(job) && job.executor.executionRef === null) {
    // A cancel waited for this start (onCancel): the execution is recorded and told to stop; the job is
    // canceled once the executor confirms it ended, or its grace passes (onCancelPending).
    return patch(job, { executor: { ...job.executor, attempt: job.attempt, executionRef: ev.executionRef } }, ctx, [
      { kind: 'cancelExecution', jobId: job.id, attempt: job.attempt, executionRef: ev.executionRef },
    ]);
  }
  if (job.executor.executionRef !== null && job.executor.attempt === job.attempt) {
    // A second start of this attempt (a repeated start effect, two processes running it) made a second
    // execution: the recorded one stays the attempt's execution, the other is stopped before it does any work.
    return unchanged(job, [
      { kind: 'cancelExecution', jobId: job.id, attempt: ev.attempt, executionRef: ev.executionRef },
    ]);
  }
  // Outputs only known once started (an http provider's {externalJobId} URIs) are declared now, if none were.
  const declare = job.outputs.length === 0 && ev.outputUris && ev.outputUris.length > 0;
  return patch(
    job,
    {
      executor: { ...job.executor, attempt: job.attempt, executionRef: ev.executionRef },
      ...(declare ? declareOutputs(ev.outputUris!, ev.outputAlternatives) : {}),
    },
    ctx,
  );
}

export function onDispatchFailed(job: Job, ev: Ev<'dispatchFailed'>, ctx: DecideContext): Decision {
  if (job.status !== JobStatus.queued || ev.attempt !== job.attempt || job.executor.executionRef !== null)
    return unchanged(job);
  if (cancelRequested(job)) {
    // A cancel waited for this start, which failed: nothing runs (an execution a transient failure may still have
    // made is found and stopped).
    const stop = ev.retryable ? stopExecution(job, ctx).effects : [];
    const evidence = { startFailed: ev.message, requestedAt: job.executor.cancelRequestedAt, ...requestedBy(job) };
    return transition(job, JobStatus.canceled, Reason.CANCELED_BY_USER, ev.source, evidence, ctx, {}, stop);
  }
  if (ev.retryable) {
    // A transient error (the executor's API unavailable, a provider's 5xx): the start is not known to have
    // happened, so the same attempt is started again a few seconds later (startRetryLeaseFrom) — each executor
    // finds what an earlier try of this attempt made, so a second try never launches twice — until the queue
    // deadline. A hiccup never spends an attempt on work that was not tried (the soak's "never dispatched").
    const startRequestedAt = startRetryLeaseFrom(job, ctx.now);
    return patch(job, { executor: { ...job.executor, attempt: job.attempt, startRequestedAt } }, ctx);
  }
  return failAttempt(job, Reason.EXECUTOR_START_FAILED, ev.message, false, ev.source, { message: ev.message }, ctx, {
    stop: false,
  });
}
