/**
 * The effect runner drains outbox entries: right after the commit that wrote one (in the same process), and
 * from the sweep for entries a dead process left pending (`drainPending`, once core's outboxRetryMs has passed).
 * For an entry it publishes the transition's event, tells the projects (reactions.ts), performs the effects
 * (effects.ts) and commits what each answered (commit.ts) — a start's `dispatched`, a probe's look
 * (observe.ts) — then drains what that commit wrote in turn. The entry leaves the outbox once its event is out
 * and its effects have run: in the write of its start's result when its one effect is a start (no write of its
 * own), else by a write conditional on the document it last saw. Entries that do not leave are found again by
 * the sweep; that is the only recovery path. Nothing here calls the reconciler: the flow runs one way.
 */
import { assertNever, type Effect, type Job, type Transition } from '../core/index.js';
import type { EventPublisher } from '../events/outbox.js';
import { mapLimit } from '../evidence/limits.js';
import type { Logger } from '../log.js';
import type { JobRead } from '../store/job-doc.js';
import type { OutboxStore } from '../store/outbox-store.js';
import type { Commit } from './commit.js';
import type { EffectActions } from './effects.js';
import type { Observer } from './observe.js';
import type { JobReactions } from './reactions.js';

export interface EffectRunnerDeps {
  commit: Commit;
  observer: Observer;
  actions: EffectActions;
  outbox: EventPublisher;
  pending: Pick<OutboxStore, 'pending'>;
  reactions: Pick<JobReactions, 'onJobTransition'>;
  log: Logger;
}

/** What a commit left to do: its transition's event (if it made one) and its effects. */
export interface Entry {
  job: Job | null;
  transition: Transition | null;
  effects: readonly Effect[];
  /** The job document the commit wrote (the effects start from it without a read). */
  read?: JobRead | undefined;
}

/** The entry being drained, for a start's result write to take it out of the outbox. */
interface Drain {
  seq: number;
  /** Whether its event went out. */
  sent: Promise<boolean>;
}

interface Performed {
  /** The job document as the effects' last write left it. */
  latest?: JobRead | undefined;
  /** A result's write took the entry out of the outbox. */
  completed: boolean;
}

export class EffectRunner {
  /** Entries this process is draining now: an overlapping sweep leaves them to it. */
  private readonly inFlight = new Set<string>();
  constructor(private readonly deps: EffectRunnerDeps) {}

  /**
   * Drains one entry; `owned`: the caller made the commit (and holds the start lease it took), false for an
   * entry a dead process left, whose start is then asked of a look: decide starts the attempt again only once
   * the lease of the start it recorded is over, and takes a new lease in the same write. The job document as
   * the effects left it, when they wrote it.
   */
  async run(entry: Entry, owned = true): Promise<JobRead | undefined> {
    return (await this.drain(entry, owned)).latest;
  }

  /** Drains the entries whose time to be taken up again has come (the sweep's); how many left the outbox. */
  async drainPending(nowMs: number, limit = 200, shards?: readonly number[]): Promise<number> {
    const entries = (await this.deps.pending.pending(nowMs, limit, shards)).filter(
      (e) => !this.inFlight.has(`${e.job.id}:${e.transition.seq}`),
    );
    // independent entries, each effect idempotent: a few at once, so one slow effect holds back no other
    const left = await mapLimit(entries, 8, async (e) => (await this.drain(e, false)).left);
    return left.filter(Boolean).length;
  }

  private async drain(entry: Entry, owned: boolean): Promise<Performed & { left: boolean }> {
    const { job, transition: t, effects, read } = entry;
    if (!job || !t) return { ...(await this.perform(effects, read, job ?? undefined, owned)), left: false };
    const key = `${job.id}:${t.seq}`;
    this.inFlight.add(key);
    try {
      const sent = this.deps.outbox.send(job, t);
      const [ok, done] = await Promise.all([
        sent,
        this.perform(effects, read, job, owned, effects.length === 1 ? { seq: t.seq, sent } : undefined),
        this.deps.reactions
          .onJobTransition(job, t)
          .catch((err: unknown) => this.deps.log.error({ err, jobId: job.id }, 'transition reaction failed')),
      ]);
      if (!ok) return { ...done, left: false };
      const left = done.completed || (await this.deps.outbox.markPublished(job, t, done.latest ?? read));
      return { ...done, left };
    } finally {
      this.inFlight.delete(key);
    }
  }

  /** Performs each effect; a failure is logged, and the entry, still pending, repeats it later. */
  private async perform(
    effects: readonly Effect[],
    read: JobRead | undefined,
    job: Job | undefined,
    owned: boolean,
    drain?: Drain,
  ): Promise<Performed> {
    const out: Performed = { completed: false };
    for (const effect of effects) {
      try {
        const r = await this.performOne(effect, read, job?.id === effect.jobId ? job : undefined, owned, drain);
        if (r?.latest) out.latest = r.latest;
        if (r?.completed) out.completed = true;
      } catch (err) {
        this.deps.log.error({ err, effect }, 'effect failed; it will be retried by reconcile');
      }
    }
    return out;
  }

  private async performOne(
    effect: Effect,
    read: JobRead | undefined,
    known: Job | undefined,
    owned: boolean,
    drain?: Drain,
  ): Promise<Performed | undefined> {
    const { actions } = this.deps;
    switch (effect.kind) {
      case 'startExecution':
        return owned ? this.start(effect.jobId, effect.attempt, read, drain) : this.look(effect.jobId, 'reconcile');
      case 'cancelExecution':
        return void (await actions.cancel(effect.jobId, effect.executionRef, known));
      case 'stopUnrecordedStart':
        return void (await actions.stopUnrecordedStart(effect.jobId, effect.attempt, known));
      case 'cleanupTemp':
        return void (await actions.cleanupTemp(effect.jobId, known));
      case 'probe':
        return this.look(effect.jobId, 'worker');
      case 'shareOutputs': {
        // every other job expecting one of these objects looks for itself (a probe: the objects are the truth)
        const others = new Set<string>();
        for (const uri of effect.uris)
          for (const r of await actions.expecting(uri)) if (r.job.id !== effect.jobId) others.add(r.job.id);
        for (const id of others) await this.look(id, 'reconcile');
        return undefined;
      }
      default:
        return assertNever(effect, 'effect');
    }
  }

  /** A start, and its result committed (taking the entry out when its event is out); then what that asks. */
  private async start(jobId: string, attempt: number, read?: JobRead, drain?: Drain): Promise<Performed> {
    const started = await this.deps.actions.start(jobId, attempt, read);
    if (!started) return { completed: false };
    const dispatched = started.event.kind === 'dispatched';
    const carried = dispatched && drain && (await drain.sent) ? [drain.seq] : [];
    const opts = dispatched ? { known: started.read, announced: carried } : {};
    const res = await this.deps.commit.apply(jobId, started.event, opts);
    const latest = await this.run(res);
    return { latest: latest ?? res.read, completed: (res.announced ?? []).some((s) => carried.includes(s)) };
  }

  /** A look the effects asked for (a commit of what it saw), then what that commit asks. */
  private async look(jobId: string, source: 'worker' | 'reconcile'): Promise<Performed> {
    const { res } = await this.deps.observer.observe(jobId, source);
    await this.run(res);
    return { completed: false };
  }
}
