/** Job and transition ↔ Firestore documents: epoch ms in the core, Timestamps in the store. */
import { Timestamp, type DocumentData } from '@google-cloud/firestore';
import { shardOf } from './shards.js';
import { dispatchDueAt, type Cause, type Job, type RecordedTransition, type Transition } from '../core/index.js';

const STORE_FIELDS = ['lease', 'dedupe', 'outbox', 'outboxDueAt', 'patchLogJson', 'startDueAt', 'dueShard'] as const;

/** The job's times: Timestamps in the store (index-load.ts exempts those no query reads alone). */
export const JOB_TIME_FIELDS = [
  'createdAt',
  'updatedAt',
  'attemptQueuedAt',
  'notBefore',
  'startedAt',
  'heartbeatAt',
  'progressAt',
  'executorAliveAt',
  'livenessCheckedAt',
  'reportedSucceededAt',
  'completedAt',
  'canceledAt',
  'endedAt',
  'nextCheckAt',
] as const satisfies readonly (keyof Job)[];

function toTs(ms: number | null | undefined): Timestamp | null {
  return ms === null || ms === undefined ? null : Timestamp.fromMillis(ms);
}

function fromTs(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Timestamp) return v.toMillis();
  if (typeof v === 'number') return v;
  throw new Error(`expected a Timestamp, got ${typeof v}`);
}

export function jobToDoc(job: Job): DocumentData {
  // The input is stored as JSON text: any JSON object survives (Firestore refuses arrays in arrays, empty
  // and `__reserved__` field names), and nothing in it is indexed.
  const { input, ...rest } = job;
  const doc: DocumentData = { ...rest, inputJson: JSON.stringify(input), executor: { ...job.executor } };
  for (const f of JOB_TIME_FIELDS) doc[f] = toTs(job[f]);
  doc.executor.startRequestedAt = toTs(job.executor.startRequestedAt);
  doc.executor.cancelRequestedAt = toTs(job.executor.cancelRequestedAt);
  // derived, for one query: when a start is (again) due (core: dispatchDueAt), null with none to make — so the
  // units looking for starts a dead process left read only those (queries.ts: startsDue), whatever else is due
  doc.startDueAt = toTs(dispatchDueAt(job));
  // the due index's shard (shards.ts): the sweep's query reads (dueShard, nextCheckAt), no hot range
  doc.dueShard = shardOf(job.id);
  doc.outputs = job.outputs.map((o) => ({ ...o, timeCreated: toTs(o.timeCreated) }));
  if (job.progress)
    doc.progress = {
      ...job.progress,
      steps: job.progress.steps.map((s) => ({ ...s, startedAt: toTs(s.startedAt), completedAt: toTs(s.completedAt) })),
    };
  return doc;
}

export function jobFromDoc(doc: DocumentData): Job {
  const { inputJson, ...fields } = doc;
  const job = { ...fields, executor: { ...doc.executor } } as Record<string, unknown> & Job;
  job.input =
    typeof inputJson === 'string'
      ? (JSON.parse(inputJson) as Job['input'])
      : ((doc.input as Job['input'] | undefined) ?? {});
  for (const f of JOB_TIME_FIELDS) (job as Record<string, unknown>)[f] = fromTs(doc[f]);
  job.executor.startRequestedAt = fromTs(doc.executor?.startRequestedAt);
  job.executor.cancelRequestedAt = fromTs(doc.executor?.cancelRequestedAt);
  job.outputs = (doc.outputs as DocumentData[]).map((o) => ({
    ...o,
    timeCreated: fromTs(o.timeCreated),
  })) as Job['outputs'];
  job.stepPlan = (doc.stepPlan as Job['stepPlan'] | undefined) ?? [];
  const p = doc.progress as DocumentData | null | undefined;
  job.progress = p
    ? {
        pct: p.pct,
        step: p.step ?? null,
        stepPct: p.stepPct ?? null,
        completedSteps: p.completedSteps ?? [],
        ...(Array.isArray(p.skippedSteps) && p.skippedSteps.length ? { skippedSteps: p.skippedSteps as string[] } : {}),
        steps: ((p.steps as DocumentData[] | undefined) ?? []).map((s) => ({
          name: s.name,
          startedAt: fromTs(s.startedAt),
          completedAt: fromTs(s.completedAt),
          ...(s.skipped ? { skipped: true } : {}),
        })),
      }
    : null;
  // the store's bookkeeping in the document (job-doc.ts; the sweep's lease of old), never part of a Job
  for (const f of STORE_FIELDS) delete (job as Record<string, unknown>)[f];
  return job;
}

/**
 * A stored transition, with the cause that made it (core/replay.ts) as JSON text: events and job states may
 * hold what Firestore fields cannot (arrays in arrays), and nothing in them is queried.
 */
export function transitionToDoc(t: Transition, cause: Cause): DocumentData {
  return { ...t, at: Timestamp.fromMillis(t.at), causeJson: JSON.stringify(cause) };
}

export function transitionFromDoc(doc: DocumentData): Transition {
  const { seq, from, to, reason, source, attempt, at, evidence } = doc;
  return { seq, from, to, reason, source, attempt, at: fromTs(at) ?? 0, evidence } as Transition;
}

/** The transition with its recorded cause; null for a transition stored before causes were recorded. */
export function recordedTransitionFromDoc(doc: DocumentData): RecordedTransition {
  const cause = typeof doc.causeJson === 'string' ? (JSON.parse(doc.causeJson) as Cause) : null;
  return { ...transitionFromDoc(doc), cause };
}
