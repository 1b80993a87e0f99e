/**
 * Replay of a recorded history (the check Temporal's replay tests give): every stored transition keeps the
 * event that caused it, the patchable fields of the state it was decided from and the random draws its
 * decision used. Running the history through `decide` again must give every transition exactly and, with
 * the job's current patchable fields, the stored job. Pure.
 */
import { PATCH_FIELDS, patchFieldsOf, type PatchFields } from './apply.js';
import { decide } from './decide.js';
import { isRejection } from './errors.js';
import type { Job, JobEvent, Transition } from './model.js';

/** Why a transition happened, as the store records it beside the transition. */
export type Cause =
  /** The first transition: the job as created (its input is the job's, which never changes). */
  | { kind: 'created'; initial: Omit<Job, 'input'>; draws: number[] }
  /** Any later transition: the event applied to the job whose patchable fields were `prior`. */
  | { kind: 'event'; event: JobEvent; prior: PatchFields; draws: number[] };

export interface RecordedTransition extends Transition {
  cause: Cause | null;
}

export interface ReplayMismatch {
  seq: number;
  path: string;
  recorded: unknown;
  replayed: unknown;
}

const TRANSITION_FIELDS = ['seq', 'from', 'to', 'reason', 'source', 'attempt', 'at', 'evidence'] as const;

/** Replays `history` (ordered by seq) against the stored `job`; returns every difference found (none: it replays). */
export function replayHistory(job: Job, history: readonly RecordedTransition[]): ReplayMismatch[] {
  const out: ReplayMismatch[] = [];
  const first = history[0];
  if (!first || first.cause?.kind !== 'created')
    return [{ seq: first?.seq ?? 0, path: 'cause', recorded: first?.cause?.kind ?? null, replayed: 'created' }];
  let state: Job = { ...first.cause.initial, input: job.input } as Job;
  diff(first.seq, 'seq', first.seq, 1, out);
  diff(first.seq, 'version', state.version, first.seq, out);
  for (const t of history.slice(1)) {
    const cause = t.cause;
    if (cause?.kind !== 'event') {
      out.push({ seq: t.seq, path: 'cause', recorded: cause?.kind ?? null, replayed: 'event' });
      return out;
    }
    const draws = [...cause.draws];
    const random = () => {
      const r = draws.shift();
      if (r === undefined) throw new Error('replay asked for more random draws than were recorded');
      return r;
    };
    let decided;
    try {
      decided = decide({ ...state, ...cause.prior }, cause.event, { now: t.at, random });
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
    if (draws.length > 0) out.push({ seq: t.seq, path: 'draws', recorded: cause.draws.length, replayed: 'fewer' });
    state = decided.job;
  }
  const last = history[history.length - 1]!.seq;
  diff(last, 'job', job, { ...state, ...patchFieldsOf(job), ...absentPatchFields(job) }, out);
  return out;
}

/** A patchable field the stored job lacks is absent from the expectation too. */
function absentPatchFields(job: Job): Partial<Record<string, undefined>> {
  const out: Record<string, undefined> = {};
  for (const f of PATCH_FIELDS) if (job[f] === undefined) out[f] = undefined;
  return out;
}

/** Compares two values as JSON (undefined fields dropped), recording each differing leaf path. */
function diff(seq: number, path: string, recorded: unknown, replayed: unknown, out: ReplayMismatch[]): void {
  const a = normal(recorded);
  const b = normal(replayed);
  walk(seq, path, a, b, out);
}

function normal(v: unknown): unknown {
  return v === undefined ? null : JSON.parse(JSON.stringify(v));
}

function walk(seq: number, path: string, a: unknown, b: unknown, out: ReplayMismatch[]): void {
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    if (Array.isArray(a) !== Array.isArray(b)) {
      out.push({ seq, path, recorded: a, replayed: b });
      return;
    }
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys)
      walk(seq, `${path}.${k}`, (a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], out);
    return;
  }
  if (a !== b && !(a === undefined && b === null) && !(a === null && b === undefined))
    out.push({ seq, path, recorded: a, replayed: b });
}
