/** Words for the diagnosis (diagnose.ts): times, durations and reasons as a person reads them. Pure. */
import type { EpochMs } from './model.js';

/** `2026-01-01 10:05:00 UTC`: a time a reader can compare with their logs. */
export function clockTime(ms: EpochMs): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** `45 s`, `5 min`, `5 min 30 s`, `2 h 5 min`, `3 d 4 h`: the two largest units that are not zero. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const units: [number, string][] = [
    [Math.floor(s / 86400), 'd'],
    [Math.floor((s % 86400) / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'min'],
    [s % 60, 's'],
  ];
  const first = units.findIndex(([n]) => n > 0);
  return units
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, u]) => `${n} ${u}`)
    .join(' ');
}

/** What a recorded reason means, in a phrase ("the heartbeat deadline passed"). */
export const REASON_WORDS: Record<string, string> = {
  ENQUEUED: 'it was queued',
  STARTED: 'it started',
  OUTPUT_FOUND: 'its outputs were found',
  OUTPUT_ALREADY_PRESENT: 'its outputs already existed when it was asked for',
  LATE_OUTPUT: 'its outputs landed after it had been failed',
  WORKER_SUCCEEDED: 'the worker reported success',
  WORKER_FAILED: 'the worker reported a failure',
  EXECUTOR_SUCCEEDED: 'the executor reported success',
  EXECUTOR_FAILED: 'the execution failed',
  EXECUTOR_CANCELED: 'the execution was canceled outside Verity',
  EXECUTOR_LOST: 'the executor no longer knew the execution',
  EXECUTOR_START_FAILED: 'the executor could not start it',
  QUEUE_TIMEOUT: 'it never started before its queue deadline',
  RUN_TIMEOUT: 'it ran past its run deadline',
  HEARTBEAT_TIMEOUT: 'no worker report came before the heartbeat deadline',
  OUTPUT_MISSING: 'its outputs were still missing when the output grace ended',
  EVIDENCE_UNAVAILABLE: 'a deadline passed while the evidence could not be read',
  CANCELED_BY_USER: 'a user canceled it',
  RETRY_SCHEDULED: 'a retry was scheduled',
};

/** Who set a state, in words ("the sweep", "a finalize event"). */
export const SOURCE_WORDS: Record<string, string> = {
  api: 'a request',
  read: 'a read that checked its deadlines',
  reconcile: 'a reconcile',
  gcs: 'a Cloud Storage finalize event',
  worker: "the worker's report",
  webhook: "the provider's webhook",
  executor: "the executor's status",
  sweep: 'the sweep',
};
