/**
 * The patches between transitions. A decision that changes the job without a transition (a heartbeat,
 * progress, an executor or output observation, a probe hold, a start or cancel recorded) is kept in the job's
 * patch log — its event, its `now`, its random draws — by the write that makes the patch (store/job-doc.ts:
 * no extra operation); the next transition moves the log into its cause (replay.ts). Replay then re-derives
 * the state each transition was decided from, instead of taking the recorded `prior` on trust. Pure.
 *
 * Bounded two ways:
 *  - a patch that makes the one before it redundant takes its place: when deciding the new event on the state
 *    before the last kept patch gives exactly the job it gave after that patch (a heartbeat after a heartbeat,
 *    progress within the same step), replaying without the older patch gives the same job, field for field,
 *    so nothing replay checks is lost. To tell, the log keeps the patchable fields from before its last patch
 *    (`beforeLast`); the other fields do not change between transitions.
 *  - past PATCH_LOG_MAX_ENTRIES patches or PATCH_LOG_MAX_CHARS characters, the log gives up on this stretch:
 *    it keeps no patch and counts them (`unkept`), and replay reports the stretch as unverifiable rather than
 *    trusting it.
 */
import { patchFieldsOf, withPatchFields, type PatchFields } from './apply.js';
import { decide } from './decide.js';
import { isRejection } from './errors.js';
import type { EpochMs, Job, JobEvent } from './model.js';
import { sameJson } from './replay-diff.js';

/** One decision that patched the job: the event, the time it was decided at, the random draws it used. */
export interface RecordedPatch {
  event: JobEvent;
  at: EpochMs;
  draws: number[];
}

/** The patches applied since the job's last transition, in order. */
export interface PatchLog {
  patches: RecordedPatch[];
  /** The log overflowed: the patches it held then, and every one since, were not kept (no check possible). */
  unkept?: number;
  /** The patchable fields before the last patch kept, to tell whether the next one makes it redundant. */
  beforeLast?: PatchFields;
}

/** Enough for a job's milestones between two transitions (steps, holds, starts) once redundant ones go. */
export const PATCH_LOG_MAX_ENTRIES = 100;
/** About 64 KB of the job document, far from Firestore's 1 MiB (the transition's cause holds it too). */
export const PATCH_LOG_MAX_CHARS = 64_000;

export const emptyPatchLog = (): PatchLog => ({ patches: [] });

/** The log after `entry` patched `before` into `after`. */
export function logPatch(log: PatchLog, entry: RecordedPatch, before: Job, after: Job): PatchLog {
  if (log.unkept !== undefined) return { patches: [], unkept: log.unkept + 1 };
  const last = log.patches.length > 0 && log.beforeLast !== undefined;
  const redundant = last && sameJson(replayPatch(withPatchFields(before, log.beforeLast!), entry).job, after);
  const next: PatchLog = redundant
    ? { patches: [...log.patches.slice(0, -1), entry], beforeLast: log.beforeLast! }
    : { patches: [...log.patches, entry], beforeLast: patchFieldsOf(before) };
  if (next.patches.length <= PATCH_LOG_MAX_ENTRIES && JSON.stringify(next).length <= PATCH_LOG_MAX_CHARS) return next;
  return { patches: [], unkept: next.patches.length };
}

/** What the transition that closes `log` records of it in its cause: nothing for a job that keeps no log. */
export function causePatches(log: PatchLog | null): { patches?: RecordedPatch[]; unkeptPatches?: number } {
  if (log === null) return {};
  return { patches: log.patches, ...(log.unkept !== undefined ? { unkeptPatches: log.unkept } : {}) };
}

/** A random source that gives the recorded draws back, in order, and fails past them. */
export function recordedRandom(recorded: readonly number[]): { random: () => number; left: () => number } {
  const draws = [...recorded];
  const random = (): number => {
    const r = draws.shift();
    if (r === undefined) throw new Error('replay asked for more random draws than were recorded');
    return r;
  };
  return { random, left: () => draws.length };
}

/** `p` decided again on `job`: the patched job, or why that is not the patch recorded. */
export function replayPatch(job: Job, p: RecordedPatch): { job: Job; error?: never } | { job?: never; error: string } {
  const draws = recordedRandom(p.draws);
  let decided;
  try {
    decided = decide(job, p.event, { now: p.at, random: draws.random });
  } catch (err) {
    return { error: (err as Error).message };
  }
  if (isRejection(decided)) return { error: `rejected ${decided.code}` };
  if (decided.transition !== null) return { error: `a transition to ${decided.transition.to}` };
  if (decided.job === job) return { error: 'no change' };
  if (draws.left() > 0) return { error: `${draws.left()} random draws unused` };
  return { job: decided.job };
}
