/**
 * What a job document holds beside the Job: the store's bookkeeping, folded into the document every change
 * writes anyway (issue 15: operations per job), never part of a Job (codec.ts drops it on read).
 *  - `dedupe`: the hashed delivery keys of the last DEDUPE_KEEP changes. A report, a notification or a webhook
 *    delivered again while its key is here changes nothing. A key only enters with a change it made (a delivery
 *    that changed nothing leaves no key, as before), so the window is the job's last 64 changes: a delivery
 *    repeated after that is decided afresh on the job as it is, like a late first delivery (decide refuses a
 *    report of another attempt and one for an ended job; a progress or heartbeat report repeated that late
 *    re-states a liveness the 64 later changes already proved).
 *  - `outbox`: the transitions committed and not yet announced on `verity-job-events` with their effects run
 *    (events/outbox.ts), `{seq, at, due}` each — `due`: when the sweep runs it again if it is still here
 *    (`at` + core's outboxRetryMs) — and `outboxDueAt`, the earliest `due`, which the sweep queries. The
 *    transition's effects are stored on the transition itself. An entry leaves when its event is published and
 *    its effects have run: in the next write of the job when that write is the effects' own (the dispatch that
 *    records its execution), else by an update on the condition that the document is still the one written.
 *  - `patchLogJson`: the patches applied since the job's last transition (core/patch-log.ts), as JSON text (an
 *    event may hold arrays in arrays): each patch's write appends its event, time and draws; the next
 *    transition moves the log into its cause and starts an empty one. Every job written since patches are
 *    recorded has one (empty or not); a document without one was written before, and starts its log at its
 *    next transition (the patches before it were never recorded: that transition's `prior` stands on trust).
 */
import { createHash } from 'node:crypto';
import { FieldValue, Timestamp, type DocumentData } from '@google-cloud/firestore';
import type { Job, PatchLog } from '../core/index.js';
import { jobFromDoc } from './codec.js';

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 40);
}

/** Delivery keys kept per job: 64 × 20 hex characters, about 1.5 KB of the document. */
export const DEDUPE_KEEP = 64;
const dedupeHash = (key: string): string => hashKey(`dedupe:${key}`).slice(0, 20);

export interface OutboxEntry {
  seq: number;
  at: Timestamp;
  /** When the sweep runs it again; absent in entries written before it existed (then `at` + 60 s). */
  due?: Timestamp;
}

const LEGACY_RETRY_MS = 60_000;

/** When the sweep takes up an entry still in the outbox. */
export const dueOf = (e: OutboxEntry): Timestamp => e.due ?? Timestamp.fromMillis(e.at.toMillis() + LEGACY_RETRY_MS);

/** A job document as read or as just written: the job, the stored fields, and the document's update time. */
export interface JobRead {
  readonly job: Job;
  readonly doc: DocumentData;
  readonly updateTime: Timestamp;
}

export const readOf = (doc: DocumentData, updateTime: Timestamp): JobRead => ({
  job: jobFromDoc(doc),
  doc,
  updateTime,
});

export const seenDelivery = (doc: DocumentData, key: string): boolean =>
  ((doc.dedupe as string[] | undefined) ?? []).includes(dedupeHash(key));

export const outboxOf = (doc: DocumentData): OutboxEntry[] => (doc.outbox as OutboxEntry[] | undefined) ?? [];

/** The job's patch log; null on a document written before patches were recorded. */
export const patchLogOf = (doc: DocumentData): PatchLog | null =>
  typeof doc.patchLogJson === 'string' ? (JSON.parse(doc.patchLogJson) as PatchLog) : null;

/** The patch log's field: none for a document that has no log and starts none (the write is a patch). */
export const patchLogField = (log: PatchLog | null): DocumentData =>
  log === null ? {} : { patchLogJson: JSON.stringify(log) };

/** The bookkeeping after a change: a delivery key remembered, a transition to announce, announcements done. */
export function bookkeeping(
  prev: DocumentData | null,
  change: {
    dedupeKey?: string | undefined;
    announce?: { seq: number; atMs: number; dueMs: number };
    announced?: readonly number[];
  },
): DocumentData {
  const keys = (prev?.dedupe as string[] | undefined) ?? [];
  const dedupe = change.dedupeKey ? [...keys, dedupeHash(change.dedupeKey)].slice(-DEDUPE_KEEP) : keys;
  const outbox = outboxOf(prev ?? {}).filter((e) => !change.announced?.includes(e.seq));
  if (change.announce) {
    const { seq, atMs, dueMs } = change.announce;
    outbox.push({ seq, at: Timestamp.fromMillis(atMs), due: Timestamp.fromMillis(dueMs) });
  }
  const due = outbox.reduce<Timestamp | null>((min, e) => (min === null || dueOf(e) < min ? dueOf(e) : min), null);
  return {
    ...(dedupe.length > 0 ? { dedupe } : {}),
    ...(outbox.length > 0 ? { outbox, outboxDueAt: due } : {}),
  };
}

/**
 * The write of `stored` over `prev`: every field `stored` no longer has is deleted (a job field that became
 * absent, bookkeeping that emptied).
 */
export function overwrite(prev: DocumentData, stored: DocumentData): DocumentData {
  const write: DocumentData = { ...stored };
  for (const field of Object.keys(prev)) if (!(field in stored)) write[field] = FieldValue.delete();
  return write;
}
