/**
 * The one transactional write path for job state. Every change: read the job (or take the read the caller holds),
 * run `decide`, write the job (version + 1 when a transition applies) with its bookkeeping (the delivery key, the
 * transition to announce, the patch log: job-doc.ts), `transitions/{seq}` with its cause (the event, the patches
 * since the transition before, the patchable fields it was decided from, the random draws: core/replay.ts) and
 * its effects, and take or release the resourceKey lock. Nothing else writes job state.
 */
import { Timestamp, type Firestore, type WriteBatch } from '@google-cloud/firestore';
import {
  causePatches,
  decide,
  emptyPatchLog,
  idempotentAnswer,
  logPatch,
  type Cause,
  isActive,
  isRejection,
  outboxRetryMs,
  type DecideContext,
  type Decision,
  type Effect,
  type Job,
  patchFieldsOf,
  type JobEvent,
  type RecordedTransition,
  type Rejection,
  type Transition,
} from '../core/index.js';
import { retryOnConflict } from './conflicts.js';
import { jobFromDoc, jobToDoc, recordedTransitionFromDoc, transitionFromDoc, transitionToDoc } from './codec.js';
import {
  bookkeeping,
  hashKey,
  outboxOf,
  overwrite,
  patchLogField,
  patchLogOf,
  readOf,
  seenDelivery,
  type JobRead,
} from './job-doc.js';
import { Collections, col, named } from './firestore.js';

/** A transition's outbox entry: announced by `at`, taken up again by the sweep from when core says. */
const announceOf = (job: Job, t: Transition) => ({ seq: t.seq, atMs: t.at, dueMs: t.at + outboxRetryMs(job) });
import {
  anyJobWithOutput,
  countJobs,
  agedJobs,
  dueJobs,
  jobByExecutionRef,
  jobsExpectingOutput,
  listJobs,
  startsDue,
  recentSucceeded,
  type DueCursor,
  type JobPage,
} from './job-queries.js';
import { QUERIES, type JobFilter } from './queries.js';
import { shardOf } from './shards.js';

export type Clock = () => number;

export type ApplyOutcome = 'applied' | 'patched' | 'unchanged' | 'duplicate' | 'rejected' | 'not_found';

export interface ApplyResult {
  outcome: ApplyOutcome;
  job: Job | null;
  before: Job | null;
  transition: Transition | null;
  effects: Effect[];
  rejection?: Rejection;
  /** The job document as this apply read or wrote it (a later write may start from it). */
  read?: JobRead;
  /** Announcements this write marked done (`announced`). */
  announced?: number[];
}

export interface ApplyOptions {
  dedupeKey?: string | undefined;
  /** The job as the caller last read or wrote it: the first attempt decides on it without reading again. */
  known?: JobRead | undefined;
  /** Transitions whose event is out and whose effects this write completes: their outbox entries leave. */
  announced?: readonly number[];
}

export type CreateResult =
  | { outcome: 'created'; job: Job; transition: Transition; effects: Effect[]; read: JobRead }
  | { outcome: 'idempotent'; job: Job }
  | { outcome: 'locked'; holderId: string };

export interface JobStoreDeps {
  db: Firestore;
  clock: Clock;
  random?: () => number;
}

export { hashKey };

/** resourceKey locks and idempotency keys are per owner; the pair is JSON-encoded, so none spells another. */
export const lockDocId = (ownerId: string, resourceKey: string): string =>
  hashKey(JSON.stringify(['lock', ownerId, resourceKey]));
export const idempotencyDocId = (ownerId: string, key: string): string =>
  hashKey(JSON.stringify(['idempotency', ownerId, key]));

export class JobStore {
  private readonly db: Firestore;
  private readonly clock: Clock;
  private readonly random: () => number;

  constructor(deps: JobStoreDeps) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.random = deps.random ?? Math.random;
  }

  private jobRef(id: string) {
    return col(this.db, Collections.jobs).doc(id);
  }

  /** A context whose random draws are recorded (`draws`), for the transition's cause. */
  private ctx(): DecideContext & { draws: number[] } {
    const draws: number[] = [];
    const random = () => {
      const r = this.random();
      draws.push(r);
      return r;
    };
    return { now: this.clock(), random, draws };
  }

  /** One document read. */
  async get(id: string): Promise<Job | null> {
    return (await this.read(id))?.job ?? null;
  }

  /** One document read, kept with its update time for a write that follows. */
  async read(id: string): Promise<JobRead | null> {
    const snap = await this.jobRef(id).get();
    return snap.exists ? readOf(snap.data()!, snap.updateTime!) : null;
  }

  async history(id: string): Promise<Transition[]> {
    return (await this.transitionDocs(id)).map(transitionFromDoc);
  }

  private async transitionDocs(id: string) {
    const snap = await this.jobRef(id).collection(named(this.db, Collections.transitions)).orderBy('seq').get();
    return snap.docs.map((d) => d.data());
  }

  /** The history with each transition's cause, for replay (core/replay.ts). */
  async recordedHistory(id: string): Promise<RecordedTransition[]> {
    return (await this.transitionDocs(id)).map(recordedTransitionFromDoc);
  }

  /** Finds the job an idempotency key of an owner created, if any. */
  async findIdempotent(ownerId: string, key: string): Promise<Job | null> {
    const snap = await col(this.db, Collections.idempotency).doc(idempotencyDocId(ownerId, key)).get();
    if (!snap.exists) return null;
    const jobId = String(snap.get('jobId'));
    return idempotentAnswer({ jobId }, await this.get(jobId));
  }

  /**
   * Writes a new job and its first transition; takes the resourceKey lock while the job is active. Optimistic
   * like `apply`: the idempotency record and the lock are read without a lock, and the batch creates the job,
   * its history, the idempotency record (failing if another request made one meanwhile) and the lock (created,
   * or taken over from an ended holder on the condition that it did not change); on conflict, again.
   * `build` runs on each attempt with the current time, so a retried attempt decides afresh.
   */
  create(build: (ctx: DecideContext) => Decision): Promise<CreateResult> {
    return retryOnConflict(() => this.createOnce(build));
  }

  private async createOnce(build: (ctx: DecideContext) => Decision): Promise<CreateResult> {
    const ctx = this.ctx();
    const decision = build(ctx);
    const job = decision.job;
    const idemRef = job.idempotencyKey
      ? col(this.db, Collections.idempotency).doc(idempotencyDocId(job.ownerId, job.idempotencyKey))
      : null;
    const lockRef = job.resourceKey
      ? col(this.db, Collections.locks).doc(lockDocId(job.ownerId, job.resourceKey))
      : null;
    const refs = [idemRef, lockRef].filter((r) => r !== null);
    const snaps = refs.length > 0 ? await this.db.getAll(...refs) : [];
    const idemSnap = idemRef ? snaps[0] : undefined;
    const lockSnap = lockRef ? snaps[idemRef ? 1 : 0] : undefined;
    if (idemSnap?.exists) {
      const record = { jobId: String(idemSnap.get('jobId')) };
      const existing = idempotentAnswer(record, await this.get(record.jobId));
      if (existing) return { outcome: 'idempotent', job: existing };
    }
    if (lockRef && lockSnap?.exists && isActive(job.status)) {
      const holderId = String(lockSnap.get('jobId'));
      const holder = await this.get(holderId);
      if (holder && isActive(holder.status)) return { outcome: 'locked', holderId };
    }
    const batch = this.db.batch();
    const stored = {
      ...jobToDoc(job),
      ...bookkeeping(null, { announce: announceOf(job, decision.transition!) }),
      ...patchLogField(emptyPatchLog()),
    };
    batch.create(this.jobRef(job.id), stored); // first in the batch: its result is the job's
    const { input: _input, ...initial } = job;
    const cause: Cause = { kind: 'created', initial, draws: ctx.draws, patches: [] };
    this.writeTransition(batch, job, decision.transition!, cause, decision.effects);
    const createdAt = Timestamp.fromMillis(job.createdAt);
    if (idemRef) {
      const record = { jobId: job.id, ownerId: job.ownerId, createdAt };
      // a record whose job was never written (none is, today) is replaced on the condition it did not change
      if (idemSnap?.exists) batch.update(idemRef, record, { lastUpdateTime: idemSnap.updateTime! });
      else batch.create(idemRef, record);
    }
    if (lockRef && isActive(job.status)) {
      const lock = { resourceKey: job.resourceKey, ownerId: job.ownerId, jobId: job.id, at: createdAt };
      if (lockSnap?.exists) batch.update(lockRef, lock, { lastUpdateTime: lockSnap.updateTime! });
      else batch.create(lockRef, lock);
    }
    const [written] = await batch.commit();
    const read = { job, doc: stored, updateTime: written!.writeTime };
    return { outcome: 'created', job, transition: decision.transition!, effects: decision.effects, read };
  }

  /**
   * Applies one event to one job, atomically and optimistically: the job (and its dedupe record) are read
   * without a lock, decided on, and the change commits in one batch whose preconditions fail if anything read
   * changed meanwhile (the job's update time, the dedupe record's and transition's absence, the resourceKey
   * lock's update time); then it is read and decided again. No lock is held across a round trip, so a process
   * killed mid-apply leaves nothing locked: a transaction's lock outlives its dead holder until the database
   * expires it (60 s idle, in Firestore and its emulator alike), and the job it guards could not move.
   * A dedupe key seen before changes nothing; a decision that changes nothing writes nothing.
   */
  apply(jobId: string, event: JobEvent, opts: ApplyOptions = {}): Promise<ApplyResult> {
    let known = opts.known?.job.id === jobId ? opts.known : undefined;
    return retryOnConflict(async () => {
      const read = known ?? (await this.read(jobId));
      known = undefined; // a retry reads again
      return this.applyOnce(read, event, opts);
    });
  }

  private async applyOnce(read: JobRead | null, event: JobEvent, opts: ApplyOptions): Promise<ApplyResult> {
    if (!read) return { outcome: 'not_found', job: null, before: null, transition: null, effects: [] };
    const before = read.job;
    const ref = this.jobRef(before.id);
    if (opts.dedupeKey && seenDelivery(read.doc, opts.dedupeKey))
      return { outcome: 'duplicate', job: before, before, transition: null, effects: [], read };

    const ctx = this.ctx();
    const decided = decide(before, event, ctx);
    if (isRejection(decided))
      return { outcome: 'rejected', job: before, before, transition: null, effects: [], rejection: decided, read };
    const { job, transition } = decided;
    // nothing changed: nothing to write, not even the delivery key (a redelivery changes nothing either, or
    // applies to whatever the job has become, as a late first delivery would)
    if (job === before) return { outcome: 'unchanged', job, before, transition: null, effects: decided.effects, read };

    const releaseLock =
      transition !== null && job.resourceKey !== null && isActive(before.status) && !isActive(job.status);
    const lockRef = releaseLock ? col(this.db, Collections.locks).doc(lockDocId(job.ownerId, job.resourceKey!)) : null;
    const lockSnap = lockRef ? await lockRef.get() : null;

    const batch = this.db.batch();
    const announced = (opts.announced ?? []).filter((seq) => outboxOf(read.doc).some((e) => e.seq === seq));
    // the patches since the last transition: a transition takes them into its cause and starts a new log, a
    // patch joins them (a document from before patches were recorded starts its log at its next transition)
    const log = patchLogOf(read.doc);
    const nextLog = transition
      ? emptyPatchLog()
      : log && logPatch(log, { event, at: ctx.now, draws: ctx.draws }, before, job);
    const stored = {
      ...jobToDoc(job),
      ...bookkeeping(read.doc, {
        dedupeKey: opts.dedupeKey,
        ...(transition ? { announce: announceOf(job, transition) } : {}),
        announced,
      }),
      ...patchLogField(nextLog),
    };
    batch.update(ref, overwrite(read.doc, stored), { lastUpdateTime: read.updateTime }); // first: its result is the job's
    if (transition) {
      const prior = patchFieldsOf(before);
      const cause: Cause = { kind: 'event', event, prior, draws: ctx.draws, ...causePatches(log) };
      this.writeTransition(batch, job, transition, cause, decided.effects);
    }
    if (lockRef && lockSnap?.exists && lockSnap.get('jobId') === job.id)
      batch.delete(lockRef, { lastUpdateTime: lockSnap.updateTime! });
    const [written] = await batch.commit();
    return {
      outcome: transition ? 'applied' : 'patched',
      job,
      before,
      transition,
      effects: decided.effects,
      read: { job, doc: stored, updateTime: written!.writeTime },
      announced,
    };
  }

  /**
   * The transition with its cause and its effects (run after the commit; again by the sweep while the job's
   * outbox holds the transition): history, announcement and effects commit together.
   */
  private writeTransition(tx: WriteBatch, job: Job, t: Transition, cause: Cause, effects: readonly Effect[]): void {
    tx.create(this.jobRef(job.id).collection(named(this.db, Collections.transitions)).doc(String(t.seq)), {
      ...transitionToDoc(t, cause),
      jobId: job.id,
      ownerId: job.ownerId,
      shard: shardOf(job.id), // everyone's transitions are read across the shards (queries.ts)
      ...(effects.length > 0 ? { effects: effects.map((e) => ({ ...e })) } : {}),
    });
  }

  // Reads over the indexed queries (job-queries.ts): plain Jobs out, no Firestore types.
  list(filter: JobFilter, limit: number, cursor?: string): Promise<JobPage> {
    return listJobs(this.db, filter, limit, cursor);
  }
  count(filter: JobFilter): Promise<number> {
    return countJobs(this.db, filter);
  }
  recentSucceeded(ownerId: string, type: string, limit: number): Promise<Job[]> {
    return recentSucceeded(this.db, ownerId, type, limit);
  }
  due(nowMs: number, limit: number, after?: DueCursor, shards?: readonly number[]) {
    return dueJobs(this.db, nowMs, limit, after, shards);
  }
  aged(status: string, beforeMs: number, limit: number, after?: Job): Promise<Job[]> {
    return agedJobs(this.db, status, beforeMs, limit, after);
  }
  startsDue(nowMs: number, limit: number): Promise<Job[]> {
    return startsDue(this.db, nowMs, limit);
  }
  byExecutionRef(ref: string): Promise<Job | null> {
    return jobByExecutionRef(this.db, ref);
  }
  expectingOutput(uri: string): Promise<JobRead[]> {
    return jobsExpectingOutput(this.db, uri);
  }
  /** The jobs whose steps checkpoint under a prefix (a retry chain), oldest first. */
  async withCheckpointPrefix(prefix: string): Promise<Job[]> {
    const snap = await QUERIES.jobsByCheckpointPrefix(this.db, prefix).get();
    return snap.docs.map((d) => jobFromDoc(d.data())).sort((a, b) => a.createdAt - b.createdAt);
  }
  anyWithOutput(uri: string): Promise<boolean> {
    return anyJobWithOutput(this.db, uri);
  }
}
