/**
 * The way in for every job change, one direction: a caller's event is committed (commit.ts: decide, then one
 * write of the transition, its cause and its outbox entry), then the effect runner drains the entry
 * (effect-runner.ts: publish, act, commit each result). A look (`reconcile`) is an observation committed the
 * same way (observe.ts). The parts are built here, each from those before it; none calls back into this class.
 * After each commit of a caller's, the unit looks for starts a dead process left (due-starts.ts).
 */
import type { Attribution, DecideContext, Decision, Job, JobEvent, Source } from '../core/index.js';
import type { JobTypeRegistry } from '../config/job-types.js';
import type { EventPublisher } from '../events/outbox.js';
import type { ExecutorSet } from '../evidence/executors/types.js';
import type { OutputProbe } from '../evidence/outputs.js';
import type { TempCleaner } from '../evidence/temp.js';
import type { Logger } from '../log.js';
import type { ApplyOptions, ApplyResult, CreateResult, JobStore } from '../store/job-store.js';
import type { OutboxStore } from '../store/outbox-store.js';
import { Commit } from './commit.js';
import { DueStarts } from './due-starts.js';
import { EffectRunner } from './effect-runner.js';
import { EffectActions } from './effects.js';
import { Observer, type ReconcileReport } from './observe.js';
import type { JobReactions } from './reactions.js';

export type { EvidenceItem, ReconcileReport } from './observe.js';

export interface ReconcilerDeps {
  store: JobStore;
  /** The outbox's pending entries (the sweep drains them). */
  pending: Pick<OutboxStore, 'pending'>;
  registry: JobTypeRegistry;
  executors: ExecutorSet;
  probe: OutputProbe;
  log: Logger;
  clock: () => number;
  outbox: EventPublisher;
  temp: TempCleaner;
  /** What follows each applied transition beyond the job: the projects (reactions.ts). */
  reactions: Pick<JobReactions, 'onJobTransition'>;
  /** At most one look for starts a dead process left per this many ms (due-starts.ts); 0 or absent: none. */
  dueStartsEveryMs?: number;
  executorTimeoutMs?: number;
}

export class Reconciler {
  private readonly committer: Commit;
  private readonly observer: Observer;
  /** Drains outbox entries: after each commit here, and the sweep's pending ones (`drainPending`). */
  readonly runner: EffectRunner;
  /** The starts a dead process left, looked for after this unit's commits. */
  readonly dueStarts: DueStarts;

  constructor(deps: ReconcilerDeps) {
    const { store, log, clock } = deps;
    this.committer = new Commit({ store, log });
    this.observer = new Observer({ ...deps, commit: this.committer });
    const actions = new EffectActions(deps);
    this.runner = new EffectRunner({ ...deps, commit: this.committer, observer: this.observer, actions });
    this.dueStarts = new DueStarts({
      startsDue: (nowMs, limit) => store.startsDue(nowMs, limit),
      look: async (jobId, known) => this.runner.run((await this.observer.observe(jobId, 'reconcile', known)).res),
      clock,
      log,
      everyMs: deps.dueStartsEveryMs ?? 0,
    });
  }

  /** Commits one event, then drains what it left; the job as the effects left it. */
  async commit(jobId: string, event: JobEvent, opts: ApplyOptions = {}): Promise<ApplyResult> {
    const res = await this.committer.apply(jobId, event, opts);
    void this.dueStarts.kick();
    const latest = await this.runner.run(res);
    return latest ? { ...res, job: latest.job, read: latest } : res;
  }

  /** Creates a job, then drains what its creation left (its first start). */
  async create(build: (ctx: DecideContext) => Decision, source: Source): Promise<CreateResult> {
    const res = await this.committer.create(build, source);
    if (res.outcome !== 'created') return res;
    void this.dueStarts.kick();
    const latest = await this.runner.run(res);
    return latest ? { ...res, job: latest.job, read: latest } : res;
  }

  /**
   * Looks at one job now (observe.ts), then drains what the look's commit left; `probeBudgetMs` bounds its
   * probes (the sweep's; `cutShort`: they were, and the job was left as it is for the next look). Throws
   * NotFoundError for an unknown id.
   */
  async reconcile(
    jobId: string,
    source: Source,
    known?: Job,
    probeBudgetMs?: number,
    by?: Attribution,
  ): Promise<{ job: Job; report: ReconcileReport; cutShort: boolean }> {
    const { res, report, cutShort } = await this.observer.observe(jobId, source, known, probeBudgetMs, by);
    void this.dueStarts.kick();
    const latest = await this.runner.run(res);
    return { job: latest?.job ?? res.job, report, cutShort };
  }

  /** What a reconcile would do now (observe.ts `preview`): nothing written, nothing acted on. */
  preview(jobId: string, known?: Job): Promise<ReconcileReport> {
    return this.observer.preview(jobId, known);
  }

  /** Drains the outbox entries a dead process left (the sweep's); how many left the outbox. */
  drainPending(nowMs: number, limit?: number, shards?: readonly number[]): Promise<number> {
    return this.runner.drainPending(nowMs, limit, shards);
  }
}
