/**
 * The job reads the services run, over the queries of queries.ts: plain Jobs out (codec), times as epoch ms,
 * list positions as opaque cursor strings. JobStore exposes each as a method; nothing here writes.
 */
import { Timestamp, type Firestore } from '@google-cloud/firestore';
import type { Job } from '../core/index.js';
import { jobFromDoc } from './codec.js';
import { readOf, type JobRead } from './job-doc.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { QUERIES, type JobFilter } from './queries.js';
import { ALL_SHARDS } from './shards.js';

export interface JobPage {
  jobs: Job[];
  /** The cursor of the page after this one; null on the last page. */
  nextCursor: string | null;
}

/** Where a page of due jobs ended: the last job's `nextCheckAt` when read, and its id (its shard: shardOf). */
export interface DueCursor {
  nextCheckAt: number;
  id: string;
}

const jobsOf = (snap: FirebaseFirestore.QuerySnapshot): Job[] => snap.docs.map((d) => jobFromDoc(d.data()));

/** Newest first, with equality filters; `cursor` is a page's `nextCursor` (ValidationError when malformed). */
export async function listJobs(db: Firestore, filter: JobFilter, limit: number, cursor?: string): Promise<JobPage> {
  const after = cursor ? decodeCursor(cursor) : undefined;
  const jobs = jobsOf(await QUERIES.listJobs(db, filter, limit + 1, after).get());
  const last = jobs.length > limit ? jobs[limit - 1] : undefined;
  return { jobs: jobs.slice(0, limit), nextCursor: last ? encodeCursor(last.createdAt, last.id) : null };
}

/** A count() aggregation: one read per 1,000 jobs counted, no counter document. */
export async function countJobs(db: Firestore, filter: JobFilter): Promise<number> {
  return (await QUERIES.countJobs(db, filter).get()).data().count;
}

/** The owner's latest succeeded jobs of a type, newest completion first. */
export async function recentSucceeded(db: Firestore, ownerId: string, type: string, limit: number): Promise<Job[]> {
  return jobsOf(await QUERIES.recentSucceeded(db, ownerId, type, limit).get());
}

/** Soonest `nextCheckAt` first, then document id (the due index's own order). */
const dueOrder = (a: Job, b: Job): number =>
  (a.nextCheckAt ?? 0) - (b.nextCheckAt ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * One page of jobs whose `nextCheckAt` is at or before `nowMs`, after `after` (the last page's end), soonest
 * first across the shards (shards.ts; `shards`: a sweep's share), all shards read at once. Each shard gives at
 * most twice its share of the page; past the soonest last job of a shard that gave that many, another shard may
 * hold sooner ones not read, so the page stops there (exact order, bounded over-read). `more`: a shard may hold
 * more.
 */
export async function dueJobs(
  db: Firestore,
  nowMs: number,
  limit: number,
  after?: DueCursor,
  shards: readonly number[] = ALL_SHARDS,
): Promise<{ jobs: Job[]; more: boolean }> {
  const now = Timestamp.fromMillis(nowMs);
  const per = Math.max(1, Math.min(limit, Math.ceil((2 * limit) / shards.length)));
  const pages = await Promise.all(
    shards.map(async (shard) => {
      let q = QUERIES.dueJobs(db, shard, now, per);
      if (after) q = q.startAfter(Timestamp.fromMillis(after.nextCheckAt), after.id);
      return jobsOf(await q.get());
    }),
  );
  const bound = pages
    .filter((p) => p.length === per)
    .map((p) => p[p.length - 1]!)
    .sort(dueOrder)[0];
  const all = pages.flat().sort(dueOrder);
  const jobs = (bound ? all.filter((j) => dueOrder(j, bound) <= 0) : all).slice(0, limit);
  return { jobs, more: bound !== undefined || all.length > jobs.length };
}

/** Jobs in `status` created by `beforeMs`, newest first, a page after `after` (a manual sweep's age filter). */
export async function agedJobs(db: Firestore, status: string, beforeMs: number, limit: number, after?: Job) {
  const cursor = after ? { createdAtMs: after.createdAt, id: after.id } : undefined;
  return jobsOf(await QUERIES.agedJobs(db, status, Timestamp.fromMillis(beforeMs), limit, cursor).get());
}

/** Jobs whose start is due at `nowMs` (core: dispatchDueAt), soonest first. */
export async function startsDue(db: Firestore, nowMs: number, limit: number): Promise<Job[]> {
  return jobsOf(await QUERIES.startsDue(db, Timestamp.fromMillis(nowMs), limit).get());
}

/** The job an execution reference belongs to, if any. */
export async function jobByExecutionRef(db: Firestore, ref: string): Promise<Job | null> {
  return jobsOf(await QUERIES.jobByExecutionRef(db, ref).get())[0] ?? null;
}

/** The jobs that may take this object as evidence (active, or failed: late output); at most 50. */
/** The active jobs expecting an object, each as read (a write that follows needs no read of its own). */
export async function jobsExpectingOutput(db: Firestore, uri: string): Promise<JobRead[]> {
  return (await QUERIES.jobsExpectingOutput(db, uri).get()).docs.map((d) => readOf(d.data(), d.updateTime));
}

/** Whether any job, in any state, declares this object as an output. */
export async function anyJobWithOutput(db: Firestore, uri: string): Promise<boolean> {
  return !(await QUERIES.anyJobWithOutput(db, uri).get()).empty;
}
