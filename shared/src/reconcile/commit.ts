/**
 * The commit: one event in, `decide` run on the job as stored, and the transition, its cause and its outbox
 * entry (the event to publish and the effects to perform) written in one conditional write (store/job-store.ts)
 * — and nothing else. It publishes nothing and acts on nothing: the effect runner (effect-runner.ts) drains the
 * entry afterwards, in this process or, if this one dies first, from the sweep. Every job change in Verity is
 * one of these.
 */
import type { DecideContext, Decision, JobEvent, Source, Transition } from '../core/index.js';
import { faultPoint } from '../faults.js';
import type { Logger } from '../log.js';
import type { ApplyOptions, ApplyResult, CreateResult, JobStore } from '../store/job-store.js';

export interface CommitDeps {
  store: JobStore;
  log: Logger;
}

export class Commit {
  constructor(private readonly deps: CommitDeps) {}

  /** Applies one event to one job: the store's result, with the transition and effects to run, if any. */
  async apply(jobId: string, event: JobEvent, opts: ApplyOptions = {}): Promise<ApplyResult> {
    const res = await this.deps.store.apply(jobId, event, opts);
    if (res.job && res.transition) this.recorded(res.job.id, res.job.type, res.transition, event.source);
    return res;
  }

  /** Creates a job from the decision `build` makes (on each try, with the time of that try). */
  async create(build: (ctx: DecideContext) => Decision, source: Source): Promise<CreateResult> {
    const res = await this.deps.store.create(build);
    if (res.outcome === 'created') this.recorded(res.job.id, res.job.type, res.transition, source);
    return res;
  }

  /** The transition's log line (its record is the write): a process may die right after it (a fault point). */
  private recorded(jobId: string, type: string, t: Transition, source: Source): void {
    faultPoint('after-commit', jobId);
    const { seq, from, to, reason } = t;
    this.deps.log.info({ jobId, type, seq, from, to, reason, source }, 'transition');
  }
}
