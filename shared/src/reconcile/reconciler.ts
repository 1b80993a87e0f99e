/**
 * Level-based reconcile: read the job, gather evidence in parallel outside any transaction, apply an
 * `observed` event through the one transactional path (which re-reads and re-decides on the latest state),
 * then run the effects. Effects are idempotent; their intent was recorded in the commit.
 */
import {
  isActive,
  lateOutputCheckDue,
  onlyDispatchDue,
  type DecideContext,
  type Decision,
  type Effect,
  type ExecutorObservation,
  type Job,
  type JobEvent,
  type OutputObservation,
  type Source,
} from '../core/index.js';
import type { EventPublisher } from '../events/outbox.js';
import type { TempCleaner } from '../evidence/temp.js';
import { NotFoundError } from '../core/errors.js';
import type { JobTypeRegistry } from '../config/job-types.js';
import type { ExecutorSet } from '../evidence/executors/types.js';
import { CUT, within, withTimeout } from '../evidence/limits.js';
import { faultPoint } from '../faults.js';
import type { OutputProbe } from '../evidence/outputs.js';
import type { Logger } from '../log.js';
import type { JobReactions } from './reactions.js';
import { Effects } from './effects.js';
import type { ApplyOptions, ApplyResult, CreateResult, JobStore } from '../store/job-store.js';
import type { JobRead } from '../store/job-doc.js';

export interface EvidenceItem {
  source: 'gcs' | 'executor' | 'deadline';
  observation: unknown;
  at: string;
}

export interface ReconcileReport {
  jobId: string;
  originalStatus: Job['status'];
  correctedStatus: Job['status'];
  action: 'corrected' | 'unchanged';
  reason: Job['statusReason'];
  evidence: EvidenceItem[];
}

export interface ReconcilerDeps {
  store: JobStore;
  registry: JobTypeRegistry;
  executors: ExecutorSet;
  probe: OutputProbe;
  log: Logger;
  clock: () => number;
  outbox: EventPublisher;
  temp: TempCleaner;
  /** What follows each applied transition beyond the job: the projects (reactions.ts). */
  reactions: Pick<JobReactions, 'onJobTransition'>;
  /** Told after each commit (due-starts.ts: the unit looks for starts a dead process left). */
  onCommitted?: () => void;
  executorTimeoutMs?: number;
}

interface Gathered {
  outputs: OutputObservation[] | undefined;
  executor: ExecutorObservation | undefined;
  complete: boolean;
  errors: string[];
  /** Probes the caller's budget cut short (not failures: they did not have their own timeout). */
  unfinished: string[];
}

/** A look that needs no evidence (core: onlyDispatchDue): it probed nothing, and nothing failed. */
const NOTHING_GATHERED: Gathered = {
  outputs: undefined,
  executor: undefined,
  complete: false,
  errors: [],
  unfinished: [],
};

export class Reconciler {
  private readonly effects: Effects;
  constructor(private readonly deps: ReconcilerDeps) {
    this.effects = new Effects({
      ...deps,
      commit: (jobId, event, opts) => this.commit(jobId, event, opts),
      reconcile: (jobId, source) => this.reconcile(jobId, source),
    });
  }

  /** Runs effects after commit. Failures are logged: recorded intent lets reconcile/sweep repeat them. */
  runEffects(effects: readonly Effect[], known?: Job): Promise<void> {
    return this.effects.runEffects(effects, known);
  }

  /**
   * Runs again the effects of a commit whose process left them undone (the outbox's): like runEffects, but a
   * start is asked of reconcile, which starts the attempt only once the recorded start's lease is over.
   */
  rerunEffects(effects: readonly Effect[], known?: Job): Promise<void> {
    return this.effects.runEffects(effects, known, false);
  }

  /**
   * Probes the job's outputs and execution in parallel, each within its own timeout. `budgetMs` (the sweep's)
   * may cut them shorter: what has not answered by then is `unfinished` — not a failure, since it did not have
   * its time — and the reconcile leaves the job as it is, due, for the next look (`reconcile`).
   */
  async gather(job: Job, budgetMs?: number): Promise<Gathered> {
    const wantOutputs = job.outputs.length > 0 && (isActive(job.status) || job.status === 'failed');
    const executor = this.deps.executors[job.executor.kind];
    const errors: string[] = [];
    const unfinished: string[] = [];
    const ref = await this.executionToAsk(job).catch((err: unknown) => {
      errors.push(`executor: ${(err as Error).message}`);
      return null;
    });
    const wantExecutor = ref !== null && executor !== undefined && job.executor.kind !== 'external';
    const timeoutMs = this.probeTimeoutMs();
    const [outs, exec] = await Promise.all([
      wantOutputs ? within(this.deps.probe.probe(job.outputUris), budgetMs) : undefined,
      wantExecutor
        ? within(
            withTimeout(executor.status(ref), timeoutMs, `status of ${ref}`).catch((err: unknown) => {
              errors.push(`executor: ${(err as Error).message}`);
              return undefined;
            }),
            budgetMs,
          )
        : undefined,
    ]);
    if (outs === CUT) unfinished.push(`outputs: no answer within ${budgetMs} ms`);
    else if (outs) errors.push(...outs.errors);
    if (exec === CUT) unfinished.push(`executor: status of ${ref} not answered within ${budgetMs} ms`);
    const outputs = outs === CUT ? undefined : outs?.observations;
    const observed = exec === CUT ? undefined : exec;
    const complete = errors.length === 0 && unfinished.length === 0;
    return { outputs, executor: observed, complete, errors, unfinished };
  }

  /** A probe's own timeout (the output probe's is its own, 10 s by default, too). */
  private probeTimeoutMs(): number {
    return this.deps.executorTimeoutMs ?? 10_000;
  }

  /**
   * The execution whose status this look needs: an active job's; and a failed job's at its late-output check,
   * since an execution told to stop may write its outputs until it has ended (core/decide.ts). A start that
   * was requested but never recorded is found by job and attempt, where the executor can.
   */
  private async executionToAsk(job: Job): Promise<string | null> {
    const ref = job.executor.executionRef;
    if (isActive(job.status)) return ref;
    if (lateOutputCheckDue(job, this.deps.clock()) === null) return null;
    if (ref !== null || job.executor.startRequestedAt === null) return ref;
    const executor = this.deps.executors[job.executor.kind];
    const type = this.deps.registry.get(job.type);
    return executor?.find && type ? executor.find(job, type, job.executor.attempt) : null;
  }

  /**
   * The way every job change is made: apply one event through the store's transaction, then publish the
   * applied transition on the events topic, then run the effects. Returns the store's result.
   */
  /** Applies an event through the store's one write path, then publishes and acts; the job as it is after both. */
  async commit(jobId: string, event: JobEvent, opts: ApplyOptions = {}): Promise<ApplyResult> {
    const res = await this.deps.store.apply(jobId, event, opts);
    this.deps.onCommitted?.();
    const after = await this.afterCommit(res.job, res.transition, res.effects, event.source, res.read);
    return after ? { ...res, job: after.job, read: after } : res;
  }

  /** Creates a job through the store's transaction, then publishes and acts like every other commit. */
  async create(build: (ctx: DecideContext) => Decision, source: Source): Promise<CreateResult> {
    const res = await this.deps.store.create(build);
    if (res.outcome !== 'created') return res;
    this.deps.onCommitted?.();
    const after = await this.afterCommit(res.job, res.transition, res.effects, source, res.read);
    return after ? { ...res, job: after.job, read: after } : res;
  }

  /**
   * Publish and act after a commit; the job document as the effects left it, when they wrote it. The event and
   * the effects go out together; the transition leaves the job's outbox once both are done — in the dispatch's
   * own write when the transition's one effect is to start an execution (no write of its own), else by a write
   * conditional on the document being the one last read or written (no read).
   */
  private async afterCommit(
    job: Job | null,
    transition: ApplyResult['transition'],
    effects: readonly Effect[],
    source: Source,
    read: JobRead | undefined,
  ): Promise<JobRead | undefined> {
    if (job && transition) {
      faultPoint('after-commit', job.id);
      this.deps.log.info(
        {
          jobId: job.id,
          type: job.type,
          seq: transition.seq,
          from: transition.from,
          to: transition.to,
          reason: transition.reason,
          source,
        },
        'transition',
      );
    }
    const sent = job && transition ? this.deps.outbox.send(job, transition) : null;
    const carry =
      sent && effects.length === 1 && effects[0]!.kind === 'startExecution'
        ? { seq: transition!.seq, sent }
        : undefined;
    const effectsRun = this.effects.after(effects, read, carry);
    const [, out] = await Promise.all([
      sent &&
        (async () => {
          if (!(await sent)) return;
          const { latest, carried } = await effectsRun;
          if (!carried) await this.deps.outbox.markPublished(job!, transition!, latest ?? read);
        })(),
      effectsRun,
      job && transition
        ? this.deps.reactions
            .onJobTransition(job, transition)
            .catch((err: unknown) => this.deps.log.error({ err, jobId: job.id }, 'transition reaction failed'))
        : null,
    ]);
    return out.latest;
  }

  /**
   * Reconciles one job now; `probeBudgetMs` bounds its probes (the sweep's: within the job's lease; see
   * `gather`; `cutShort`: they were, and the job was left as it is for the next look). Throws NotFoundError for
   * an unknown id.
   */
  async reconcile(
    jobId: string,
    source: Source,
    known?: Job,
    probeBudgetMs?: number,
  ): Promise<{ job: Job; report: ReconcileReport; cutShort: boolean }> {
    const job = known ?? (await this.deps.store.get(jobId));
    if (!job) throw new NotFoundError(`job ${jobId} not found`);
    // A budget applies while the job has been due less than a probe's own timeout: a probe cut short is no
    // evidence either way, and the job stays due for the next look (a sweep seconds later). Past that, the
    // probes get their own time, so a hung dependency ends in their timeout (a failed probe, a hold), and a
    // merely slow one (a loaded machine) answers.
    const now = this.deps.clock();
    const dueFor = now - (job.nextCheckAt ?? Infinity);
    const g = onlyDispatchDue(job, now)
      ? NOTHING_GATHERED
      : await this.gather(job, dueFor < this.probeTimeoutMs() ? probeBudgetMs : undefined);
    if (g.unfinished.length > 0) this.deps.log.info({ jobId, unfinished: g.unfinished }, 'reconcile: probes cut short');
    if (g.errors.length > 0)
      this.deps.log.warn(
        { jobId, errors: g.errors },
        'reconcile: some probes failed; a due deadline is held back, with backoff',
      );
    const res = await this.commit(jobId, {
      kind: 'observed',
      source,
      probed: g.complete,
      outputs: g.outputs,
      executor: g.executor,
      ...(g.errors.length > 0 ? { probeErrors: g.errors.map((e) => e.slice(0, 300)).slice(0, 10) } : {}),
    });
    if (!res.job) throw new NotFoundError(`job ${jobId} not found`);
    const at = new Date(this.deps.clock()).toISOString();
    const evidence: EvidenceItem[] = [
      ...(g.outputs ?? []).map((o) => ({ source: 'gcs' as const, observation: o, at })),
      ...(g.executor ? [{ source: 'executor' as const, observation: g.executor, at }] : []),
      ...(res.transition && typeof res.transition.evidence.deadline === 'string'
        ? [
            {
              source: 'deadline' as const,
              observation: { deadline: res.transition.evidence.deadline, at: res.transition.evidence.deadlineAt },
              at,
            },
          ]
        : []),
    ];
    const before = res.before ?? job;
    return {
      job: res.job,
      report: {
        jobId,
        originalStatus: before.status,
        correctedStatus: res.job.status,
        action: res.transition ? 'corrected' : 'unchanged',
        reason: res.job.statusReason,
        evidence,
      },
      cutShort: g.unfinished.length > 0 && g.errors.length === 0,
    };
  }
}
