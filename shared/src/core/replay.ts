/**
 * Replay of a recorded history (the check Temporal's replay tests give): every stored transition keeps the
 * event that caused it, the patches applied since the transition before (patch-log.ts), the patchable fields
 * of the state it was decided from (`prior`) and the random draws its decision used. Each transition is
 * replayed from the state the previous one produced: its patches go through `decide` again (same `now`, same
 * draws), the result must have the recorded `prior`, field by field, and the transition is decided from it
 * and must come out exactly. The job's pending patches (those since its last transition) then give the stored
 * job, every field of it. Nothing recorded is taken on trust, but what was recorded before patches were:
 * a cause without `patches` replays from its `prior` as it always did, and a job without its patch log is
 * compared on its own patchable fields. Once a history records patches, every later cause must. Pure.
 */
import { patchFieldsOf, withPatchFields, type PatchFields } from './apply.js';
import { decide } from './decide.js';
import { isRejection } from './errors.js';
import type { Job, JobEvent, Transition } from './model.js';
import { recordedRandom, replayPatch, type PatchLog, type RecordedPatch } from './patch-log.js';
import { diff, type ReplayMismatch } from './replay-diff.js';

export type { ReplayMismatch };

/** Why a transition happened, as the store records it beside the transition. */
export type Cause =
  /** The first transition: the job as created (its input is the job's, which never changes). `patches`: none
   * came before it; present when the history records patches (absent on histories from before). */
  | { kind: 'created'; initial: Omit<Job, 'input'>; draws: number[]; patches?: [] }
  /** Any later transition: the event applied to the job whose patchable fields were `prior`, reached from the
   * transition before by `patches` (absent on causes recorded before patches were; `unkeptPatches`: the log
   * overflowed and kept none of them, so this stretch cannot be checked). */
  | EventCause;

type EventCause = {
  kind: 'event';
  event: JobEvent;
  prior: PatchFields;
  draws: number[];
  patches?: RecordedPatch[];
  unkeptPatches?: number;
};

export interface RecordedTransition extends Transition {
  cause: Cause | null;
}

const TRANSITION_FIELDS = ['seq', 'from', 'to', 'reason', 'source', 'attempt', 'at', 'evidence'] as const;

/**
 * Replays `history` (ordered by seq) against the stored `job`; returns every difference found (none: it
 * replays). `pending`: the job document's patch log (null: the document has none); without it (undefined)
 * the job's patchable fields are taken as they are for the last comparison.
 */
export function replayHistory(
  job: Job,
  history: readonly RecordedTransition[],
  pending?: PatchLog | null,
): ReplayMismatch[] {
  const out: ReplayMismatch[] = [];
  const first = history[0];
  if (!first || first.cause?.kind !== 'created')
    return [{ seq: first?.seq ?? 0, path: 'cause', recorded: first?.cause?.kind ?? null, replayed: 'created' }];
  let state: Job = { ...first.cause.initial, input: job.input } as Job;
  let logged = first.cause.patches !== undefined;
  diff(first.seq, 'seq', first.seq, 1, out);
  diff(first.seq, 'version', state.version, first.seq, out);
  for (const t of history.slice(1)) {
    const cause = t.cause;
    if (cause?.kind !== 'event') {
      out.push({ seq: t.seq, path: 'cause', recorded: cause?.kind ?? null, replayed: 'event' });
      return out;
    }
    state = decidedFrom(state, t.seq, cause, logged, out);
    logged ||= cause.patches !== undefined;
    const draws = recordedRandom(cause.draws);
    let decided;
    try {
      decided = decide(state, cause.event, { now: t.at, random: draws.random });
    } catch (err) {
      out.push({ seq: t.seq, path: 'decide', recorded: 'a decision', replayed: (err as Error).message });
      return out;
    }
    if (isRejection(decided) || decided.transition === null) {
      const replayed = isRejection(decided) ? `rejected ${decided.code}` : 'no transition';
      out.push({ seq: t.seq, path: 'transition', recorded: t.to, replayed });
      return out;
    }
    for (const f of TRANSITION_FIELDS) diff(t.seq, `transition.${f}`, t[f], decided.transition[f], out);
    if (draws.left() > 0) out.push({ seq: t.seq, path: 'draws', recorded: cause.draws.length, replayed: 'fewer' });
    state = decided.job;
  }
  const last = history[history.length - 1]!.seq;
  diff(last, 'job', job, current(state, job, last, pending, logged, out), out);
  return out;
}

/**
 * A stored job and its history as read back, either possibly missing: a job document without a history, or
 * a history whose job document is gone, is a mismatch (`history`, `job`); else replayHistory.
 */
export function replayStored(
  job: Job | null,
  history: readonly RecordedTransition[],
  pending: PatchLog | null,
): ReplayMismatch[] {
  if (job === null) {
    const seq = history[history.length - 1]?.seq ?? 0;
    return [{ seq, path: 'job', recorded: null, replayed: `the job of ${history.length} transitions` }];
  }
  if (history.length === 0) return [{ seq: 0, path: 'history', recorded: [], replayed: `${job.version} transitions` }];
  return replayHistory(job, history, pending);
}

/** The state a transition was decided from: the previous one with its patches replayed, checked against `prior`. */
function decidedFrom(state: Job, seq: number, cause: EventCause, logged: boolean, out: ReplayMismatch[]): Job {
  if (cause.patches === undefined) {
    // recorded before patches were: `prior` on trust, as it always was; a history recording them must go on
    if (logged) out.push({ seq, path: 'patches', recorded: null, replayed: 'the patches since the transition before' });
    return { ...state, ...cause.prior };
  }
  const log: PatchLog = {
    patches: cause.patches,
    ...(cause.unkeptPatches !== undefined ? { unkept: cause.unkeptPatches } : {}),
  };
  const patched = applyPatches(state, seq, 'patches', log, out);
  if (patched === null) return withPatchFields(state, cause.prior); // reported: go on from what was recorded
  diff(seq, 'prior', cause.prior, patchFieldsOf(patched), out);
  return patched;
}

/** The job as its pending patches make it, to compare with the stored one. */
function current(
  state: Job,
  job: Job,
  seq: number,
  pending: PatchLog | null | undefined,
  logged: boolean,
  out: ReplayMismatch[],
): Job {
  const trusted = withPatchFields(state, patchFieldsOf(job));
  if (pending === undefined) return trusted; // the caller has no patch log: the job's patchable fields stand
  if (pending === null) {
    if (logged) out.push({ seq, path: 'pending', recorded: null, replayed: "the job's patch log" });
    return trusted;
  }
  return applyPatches(state, seq, 'pending', pending, out) ?? trusted;
}

/** `log`'s patches applied to `state` in order; null, with the mismatch recorded, when they cannot be. */
function applyPatches(state: Job, seq: number, path: string, log: PatchLog, out: ReplayMismatch[]): Job | null {
  if (log.unkept !== undefined) {
    out.push({ seq, path, recorded: `${log.unkept} patches not kept`, replayed: 'unverifiable' });
    return null;
  }
  let s = state;
  for (const [i, p] of log.patches.entries()) {
    const r = replayPatch(s, p);
    if (r.error !== undefined) {
      out.push({ seq, path: `${path}.${i}`, recorded: `a patch by ${p.event.kind}`, replayed: r.error });
      return null;
    }
    s = r.job;
  }
  return s;
}
