/**
 * The executions that really ran (the executors' own records, infra/local/truth-log.ts) against the jobs
 * (issue 26): duplicate launches, executions left running, attempts that ended without their execution ever
 * starting, executions that kept running or writing after their job ended, cancels never delivered, and
 * outputs that are not what the workers wrote.
 */
import { foundName, isActive, type Job, type RecordedTransition } from '../../shared/src/core/index.js';
import type { TruthRecord } from '../local/truth-log.js';
import { firstEndAt } from './bounds.js';

type Exec = Extract<TruthRecord, { t: 'start' }>;

export interface ExecutionFindings {
  duplicateLaunches: string[];
  orphaned: string[];
  neverDispatched: string[];
  wrong: string[];
}

interface Run {
  start: Exec;
  exit?: number;
  cancel?: number;
}

/** Per job, per attempt, each execution (by the executor's own name) with its start, exit and cancel. */
function runsOf(truth: readonly TruthRecord[]): Map<string, Map<number, Map<string, Run>>> {
  const runs = new Map<string, Map<number, Map<string, Run>>>();
  const runOf = (r: Exec | Extract<TruthRecord, { t: 'exit' | 'cancel' }>): Run | undefined =>
    runs.get(r.jobId)?.get(r.attempt)?.get(`${r.executor}:${r.exec}`);
  for (const r of truth) {
    if (r.t !== 'start') continue;
    const byAttempt = runs.get(r.jobId) ?? new Map<number, Map<string, Run>>();
    const byExec = byAttempt.get(r.attempt) ?? new Map<string, Run>();
    byExec.set(`${r.executor}:${r.exec}`, { start: r });
    byAttempt.set(r.attempt, byExec);
    runs.set(r.jobId, byAttempt);
  }
  for (const r of truth) {
    if (r.t === 'exit') Object.assign(runOf(r) ?? {}, { exit: r.at });
    if (r.t === 'cancel') {
      const run = runOf(r);
      if (run) run.cancel ??= r.at;
    }
  }
  return runs;
}

/** When attempt `a` ended: the first transition of a later attempt, or its own first terminal one. */
function attemptEndAt(history: readonly RecordedTransition[], a: number): RecordedTransition | undefined {
  return history.find((t) => t.attempt > a || (t.attempt === a && !isActive(t.to)));
}

export function checkExecutions(
  truth: readonly TruthRecord[],
  jobs: ReadonlyMap<string, Job>,
  histories: ReadonlyMap<string, readonly RecordedTransition[]>,
  /** How long an execution may outlive the end of its attempt: the executor's stop, a sweep to re-run it. */
  graceMs: (job: Job) => number,
  /** `jobId:attempt` of each attempt whose start met an injected executor fault (excepted from never dispatched). */
  startFaults: ReadonlySet<string> = new Set(),
): ExecutionFindings {
  const f: ExecutionFindings = { duplicateLaunches: [], orphaned: [], neverDispatched: [], wrong: [] };
  const runs = runsOf(truth);
  for (const [jobId, byAttempt] of runs) {
    const job = jobs.get(jobId);
    for (const [attempt, byExec] of byAttempt) {
      const names = [...byExec.keys()];
      if (!job) f.duplicateLaunches.push(`${names.join(', ')} ran for ${jobId}, which does not exist`);
      else if (attempt > job.attempt)
        f.duplicateLaunches.push(`${names.join(', ')} ran as attempt ${attempt} of ${jobId}, which has ${job.attempt}`);
      if (byExec.size > 1)
        f.duplicateLaunches.push(`${jobId} attempt ${attempt} started ${byExec.size} times: ${names.join(', ')}`);
      for (const [name, run] of byExec) {
        if (run.exit !== undefined) continue;
        const live = job && isActive(job.status) && job.attempt === attempt;
        if (!live)
          f.orphaned.push(
            `${name} (${jobId} attempt ${attempt}) still running at the end (job ${job?.status ?? 'missing'})`,
          );
      }
    }
  }
  for (const job of jobs.values()) {
    const h = histories.get(job.id) ?? [];
    const byAttempt = runs.get(job.id);
    if (job.executor.kind !== 'external') neverDispatched(job, h, byAttempt, startFaults, f);
    const end = firstEndAt(h);
    if (end === null || job.status === 'succeeded') continue;
    // failed or canceled: the current attempt's executions stopped, and a cancel reached them or they had ended
    for (const [name, run] of byAttempt?.get(job.attempt) ?? []) {
      const late = (run.exit ?? Number.POSITIVE_INFINITY) - (end + graceMs(job));
      if (run.exit !== undefined && late > 0)
        f.wrong.push(`${name} of ${job.id} (${job.status}) ran ${Math.round((run.exit - end) / 1000)} s past its end`);
      if (job.status === 'canceled' && run.cancel === undefined && (run.exit === undefined || run.exit > end))
        f.wrong.push(`${name} of ${job.id} (canceled) never received the cancel`);
    }
    for (const r of truth)
      if (r.t === 'output' && r.jobId === job.id && r.attempt === job.attempt && r.at > end + graceMs(job))
        f.wrong.push(
          `${r.uri} written by ${job.id} (${job.status}) ${Math.round((r.at - end) / 1000)} s after its end`,
        );
  }
  return f;
}

/**
 * Attempts that failed (or timed out) without their execution ever starting: work lost, not tried — unless an
 * executor fault was injected into that attempt's start (the rule: then the executor, not Verity, lost it).
 */
function neverDispatched(
  job: Job,
  h: readonly RecordedTransition[],
  byAttempt: Map<number, Map<string, Run>> | undefined,
  startFaults: ReadonlySet<string>,
  f: ExecutionFindings,
): void {
  for (let a = 1; a <= job.attempt; a++) {
    const ended = attemptEndAt(h, a);
    if (!ended || ended.to === 'succeeded' || ended.to === 'canceled') continue;
    if ((byAttempt?.get(a)?.size ?? 0) > 0 || startFaults.has(`${job.id}:${a}`)) continue;
    const why = typeof ended.evidence.failure === 'string' ? ended.evidence.failure : ended.reason;
    f.neverDispatched.push(`${job.id} attempt ${a} ended (${why}) without its execution ever starting`);
  }
}

/** Outputs against what the workers wrote: a succeeded job's objects are there, each one a recorded write. */
export function checkOutputs(
  truth: readonly TruthRecord[],
  jobs: ReadonlyMap<string, Job>,
  objects: ReadonlyMap<string, string>,
): string[] {
  const written = new Map<string, Set<string>>();
  for (const r of truth) if (r.t === 'output') written.set(r.uri, (written.get(r.uri) ?? new Set()).add(r.generation));
  const wrong: string[] = [];
  for (const job of jobs.values()) {
    if (job.status !== 'succeeded') continue;
    if (job.outputUris.length === 0) wrong.push(`${job.id} succeeded (${job.statusReason}) with no outputs declared`);
    // each output by the name it was found under (an alternative, or a name its provider reported)
    for (const uri of job.outputs.map(foundName)) {
      const generation = objects.get(uri);
      if (generation === undefined) wrong.push(`${job.id} succeeded (${job.statusReason}) without its output ${uri}`);
      else if (!written.get(uri)?.has(generation))
        wrong.push(`${job.id} succeeded on ${uri} generation ${generation}, which no worker wrote`);
    }
  }
  return wrong;
}
