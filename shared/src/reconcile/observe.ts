/**
 * A look at one job (level-based): read it, gather the evidence (its outputs, its execution) in parallel outside
 * any transaction, and commit one `observed` event — decide, on the job as stored then, says what it means. It
 * acts on nothing: what the commit asks for is the effect runner's (effect-runner.ts).
 */
import {
  decide,
  dueForMs,
  isActive,
  isRejection,
  lateOutputCheckDue,
  onlyDispatchDue,
  type Attribution,
  type ExecutorObservation,
  type Job,
  type JobEvent,
  type OutputObservation,
  type Source,
} from '../core/index.js';
import { NotFoundError } from '../core/errors.js';
import type { JobTypeRegistry } from '../config/job-types.js';
import type { ExecutorSet } from '../evidence/executors/types.js';
import { CUT, within, withTimeout } from '../evidence/limits.js';
import type { OutputProbe } from '../evidence/outputs.js';
import type { Logger } from '../log.js';
import type { ApplyResult, JobStore } from '../store/job-store.js';
import type { Commit } from './commit.js';

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
  /** A look before a fix: what a reconcile would do now; nothing was written. */
  dryRun?: true;
}

export interface ObserveDeps {
  store: JobStore;
  commit: Commit;
  registry: JobTypeRegistry;
  executors: ExecutorSet;
  probe: OutputProbe;
  log: Logger;
  clock: () => number;
  executorTimeoutMs?: number;
}

/** A look's result: the commit's (the entry the runner drains), the report, and whether probes were cut short. */
export interface Observed {
  res: ApplyResult & { job: Job };
  report: ReconcileReport;
  /** Its probes were cut short by the caller's budget: the job was left as it was, due, for the next look. */
  cutShort: boolean;
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

/** The event a look commits (or, in a preview, decides on): what it gathered, and what failed. */
function observedEvent(source: Source, g: Gathered, by?: Attribution): JobEvent {
  return {
    kind: 'observed',
    source,
    ...(by ? { by } : {}),
    probed: g.complete,
    outputs: g.outputs,
    executor: g.executor,
    ...(g.errors.length > 0 ? { probeErrors: g.errors.map((e) => e.slice(0, 300)).slice(0, 10) } : {}),
  };
}

export class Observer {
  constructor(private readonly deps: ObserveDeps) {}

  /**
   * Looks at one job now; `probeBudgetMs` bounds its probes (the sweep's: within the job's lease). Throws
   * NotFoundError for an unknown id.
   */
  async observe(
    jobId: string,
    source: Source,
    known?: Job,
    probeBudgetMs?: number,
    by?: Attribution,
  ): Promise<Observed> {
    const job = known ?? (await this.deps.store.get(jobId));
    if (!job) throw new NotFoundError(`job ${jobId} not found`);
    // A budget applies while the job has been due less than a probe's own timeout: a probe cut short is no
    // evidence either way, and the job stays due for the next look (a sweep seconds later). Past that, the
    // probes get their own time, so a hung dependency ends in their timeout (a failed probe, a hold), and a
    // merely slow one (a loaded machine) answers.
    const now = this.deps.clock();
    const g = onlyDispatchDue(job, now)
      ? NOTHING_GATHERED
      : await this.gather(job, dueForMs(job, now) < this.probeTimeoutMs() ? probeBudgetMs : undefined);
    if (g.unfinished.length > 0) this.deps.log.info({ jobId, unfinished: g.unfinished }, 'reconcile: probes cut short');
    if (g.errors.length > 0)
      this.deps.log.warn(
        { jobId, errors: g.errors },
        'reconcile: some probes failed; a due deadline is held back, with backoff',
      );
    const res = await this.deps.commit.apply(jobId, observedEvent(source, g, by));
    if (!res.job) throw new NotFoundError(`job ${jobId} not found`);
    const committed = { ...res, job: res.job };
    return {
      res: committed,
      report: this.report(jobId, job, committed, g),
      cutShort: g.unfinished.length > 0 && g.errors.length === 0,
    };
  }

  /**
   * A look before a fix (seed 001's `auto_fix=False`): the same evidence, gathered now, and what decide would
   * make of it — the report a reconcile would give — with nothing written and nothing acted on.
   */
  async preview(jobId: string, known?: Job): Promise<ReconcileReport> {
    const job = known ?? (await this.deps.store.get(jobId));
    if (!job) throw new NotFoundError(`job ${jobId} not found`);
    const now = this.deps.clock();
    const g = onlyDispatchDue(job, now) ? NOTHING_GATHERED : await this.gather(job);
    const d = decide(job, observedEvent('reconcile', g), { now, random: () => 0.5 });
    const next = isRejection(d) ? { job, transition: null } : d;
    const res = { job: next.job, transition: next.transition, before: job } as ApplyResult & { job: Job };
    return { ...this.report(jobId, job, res, g), dryRun: true };
  }

  private report(jobId: string, job: Job, res: ApplyResult & { job: Job }, g: Gathered): ReconcileReport {
    const at = new Date(this.deps.clock()).toISOString();
    const deadline = res.transition?.evidence.deadline;
    const evidence: EvidenceItem[] = [
      ...(g.outputs ?? []).map((o) => ({ source: 'gcs' as const, observation: o, at })),
      ...(g.executor ? [{ source: 'executor' as const, observation: g.executor, at }] : []),
      ...(res.transition && typeof deadline === 'string'
        ? [{ source: 'deadline' as const, observation: { deadline, at: res.transition.evidence.deadlineAt }, at }]
        : []),
    ];
    const before = res.before ?? job;
    return {
      jobId,
      originalStatus: before.status,
      correctedStatus: res.job.status,
      action: res.transition ? 'corrected' : 'unchanged',
      reason: res.job.statusReason,
      evidence,
    };
  }

  /**
   * Probes the job's outputs and execution in parallel, each within its own timeout. `budgetMs` (the sweep's)
   * may cut them shorter: what has not answered by then is `unfinished` — not a failure, since it did not have
   * its time — and the look leaves the job as it is, due, for the next one.
   */
  private async gather(job: Job, budgetMs?: number): Promise<Gathered> {
    const wantOutputs = job.outputs.length > 0 && (isActive(job.status) || job.status === 'failed');
    const executor = this.deps.executors[job.executor.kind];
    const errors: string[] = [];
    const unfinished: string[] = [];
    const ref = await this.executionToAsk(job).catch((err: unknown) => {
      errors.push(`executor: ${(err as Error).message}`);
      return null;
    });
    const wantExecutor = ref !== null && executor !== undefined && job.executor.kind !== 'external';
    const [outs, exec] = await Promise.all([
      wantOutputs ? within(this.deps.probe.probe(job.outputUris), budgetMs) : undefined,
      wantExecutor
        ? within(
            withTimeout(executor.status(ref), this.probeTimeoutMs(), `status of ${ref}`).catch((err: unknown) => {
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
}
