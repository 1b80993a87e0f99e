/**
 * The five promises, checked at the end by reading everything back (issue 14): stuck, wrong, lost, deleted,
 * orphaned. Each finding is one line naming the job; the counts are the numbers of findings.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { protos } from '@google-cloud/run';
import { isActive, replayHistory, type Job, type RecordedTransition } from '../../shared/src/core/index.js';

export interface World {
  now: number;
  jobs: Map<string, Job>;
  histories: Map<string, RecordedTransition[]>;
  /** lock documents: the job holding each. */
  locks: { id: string; jobId: string }[];
  /** Objects in the bucket now, as gs:// URIs; and every one seen at any moment of the run. */
  objects: Set<string>;
  seenObjects: Set<string>;
  /** dedupeId → deliveries on verity-job-events. */
  events: Map<string, number>;
  stateDir: string;
  cloudRunExecutions: Iterable<protos.google.cloud.run.v2.IExecution>;
  /** externalJobId → the demo provider's status of it (only for the jobs' current executions). */
  providerStatus: Map<string, string>;
  /** The longest a job may stay active, and the sweep interval. */
  boundMs: number;
  sweepIntervalMs: number;
  /** How late a deadline may be acted on while the sweep runs: a sweep interval and a killed sweep's lease. */
  lateMs: number;
  /**
   * The sweeps that answered (when each was fired and answered, and the due jobs it left to a reconcile under
   * way). A deadline acted on late is stuck only if two sweeps fired after it was due (and a lease later)
   * answered before it was acted on without naming it as under way: the sweep ran and missed it. Otherwise the
   * sweep was down (killed, starting again) or still at it, and the delay is that fault's: reported as
   * `delayed`, with its recovery time, not counted.
   */
  sweeps: { start: number; end: number; movedOn: ReadonlySet<string> }[];
  /** Client-side findings: a duplicate key answered with another job. */
  duplicateMismatches: string[];
}

export type Findings = Record<'stuck' | 'wrong' | 'lost' | 'deleted' | 'orphaned', string[]> & {
  /** Reported, not counted: deadlines acted on late while no sweep could run (see World.sweeps). */
  delayed: string[];
  /** Reported, not counted: jobs whose start never happened before their queue timeout (under kills). */
  undispatched: string[];
};

const readJson = (file: string): { runnerPid: number } | null => {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { runnerPid: number };
  } catch {
    return null;
  }
};
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export function checkInvariants(w: World): Findings {
  const f: Findings = { stuck: [], wrong: [], lost: [], deleted: [], orphaned: [], undispatched: [], delayed: [] };
  for (const m of w.duplicateMismatches) f.wrong.push(`idempotency key answered two jobs: ${m}`);
  for (const job of w.jobs.values()) {
    const h = w.histories.get(job.id) ?? [];
    // stuck: active past its next deadline plus a sweep interval (with slack for a busy machine), or past the bound
    if (isActive(job.status)) {
      const overdue = job.nextCheckAt === null || w.now > job.nextCheckAt + 2 * w.sweepIntervalMs + 5000;
      if (overdue || w.now > job.createdAt + w.boundMs)
        f.stuck.push(`${job.id} ${job.status} (${job.statusReason}) nextCheckAt ${job.nextCheckAt}`);
    }
    // stuck on the way: a deadline acted on later than one sweep after it (plus a killed sweep's lease)
    for (const t of h) {
      const at = t.evidence.deadlineAt;
      const due = typeof at === 'number' ? at : typeof at === 'string' ? Date.parse(at) : NaN;
      // a deadline held back while probes failed (core/holds.ts) fires late by design, within the type's grace
      const held = t.cause?.kind === 'event' && t.cause.prior.probeHold ? ' (held: probes failed)' : '';
      if (t.at > due + w.lateMs && !held) {
        const between = w.sweeps.filter((s) => s.start >= due + w.lateMs - w.sweepIntervalMs && s.end < t.at);
        const ran = between.filter((s) => !s.movedOn.has(job.id)).length;
        const underWay = between.length - ran;
        const line = `${job.id}:${t.seq} ${t.reason} ${Math.round((t.at - due) / 1000)} s after its deadline, by ${t.source}`;
        if (ran >= 2) f.stuck.push(`${line}; ${ran} sweeps ran in between`);
        else f.delayed.push(`${line}; ${ran} sweeps answered in between, ${underWay} found it under way`);
      }
    }
    // wrong: the terminal state against the bucket; the history replays to the job
    const present = job.outputUris.length > 0 && job.outputUris.every((u) => w.objects.has(u));
    if (job.status === 'succeeded' && job.outputUris.length > 0 && !present)
      f.wrong.push(`${job.id} succeeded (${job.statusReason}) without its outputs`);
    if (job.status === 'failed' && present)
      f.wrong.push(`${job.id} failed (${job.statusReason}) with its outputs present`);
    // not one of the five (the state agrees with the bucket), but worth a figure: the work never had its chance
    if (job.statusReason === 'QUEUE_TIMEOUT' && job.executor.kind !== 'external' && job.executor.executionRef === null)
      f.undispatched.push(`${job.id} failed QUEUE_TIMEOUT without ever being dispatched`);
    const mismatches = replayHistory(job, h);
    if (mismatches.length > 0) f.wrong.push(`${job.id} does not replay: ${JSON.stringify(mismatches[0])}`);
    // lost: contiguous seqs, every transition announced
    h.forEach((t, i) => {
      if (t.seq !== i + 1) f.lost.push(`${job.id} history has seq ${t.seq} at position ${i + 1}`);
      if (!w.events.has(`${job.id}:${t.seq}`))
        f.lost.push(`${job.id}:${t.seq} (${t.to}) never delivered on the events topic`);
    });
    if (h.length !== job.version) f.lost.push(`${job.id} version ${job.version} but ${h.length} transitions`);
  }
  for (const id of w.events.keys()) {
    const [jobId, seq] = id.split(':');
    if (!(w.histories.get(jobId!) ?? []).some((t) => String(t.seq) === seq))
      f.wrong.push(`event ${id} of no transition`);
  }
  for (const lock of w.locks) {
    const holder = w.jobs.get(lock.jobId);
    if (!holder || !isActive(holder.status)) f.lost.push(`lock ${lock.id} still held by ended job ${lock.jobId}`);
  }
  // deleted: an object seen once is there still (temporary files excepted: they are deleted by design)
  for (const uri of w.seenObjects)
    if (!w.objects.has(uri) && !/\/tmp\//.test(uri)) f.deleted.push(`${uri} was deleted`);
  checkOrphans(w, f);
  return f;
}

/** Executions still running whose job has ended or moved on to another execution. */
function checkOrphans(w: World, f: Findings): void {
  const ended = (jobId: string, ref: string): string | null => {
    const job = w.jobs.get(jobId);
    if (!job) return 'no such job';
    if (!isActive(job.status)) return `job ${job.status}`;
    return job.executor.executionRef === ref ? null : `job moved to ${job.executor.executionRef}`;
  };
  const dir = path.join(w.stateDir, 'executions');
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    const m = /^(.+)\.(\d+)$/.exec(name);
    if (!m) continue;
    const runner = readJson(path.join(dir, name, 'runner.json'));
    const exited = existsSync(path.join(dir, name, 'exit.json'));
    if (!runner || exited || !alive(runner.runnerPid)) continue;
    const why = ended(m[1]!, `local:${m[1]}:${m[2]}`);
    if (why) f.orphaned.push(`local execution ${name} still running (${why})`);
  }
  for (const ex of w.cloudRunExecutions) {
    if (ex.completionTime) continue;
    const jobId = ex.template?.containers?.[0]?.env?.find((e) => e.name === 'VERITY_JOB_ID')?.value ?? '';
    const why = ended(jobId, ex.name ?? '');
    if (why) f.orphaned.push(`cloud run execution ${ex.name} still running (${why})`);
  }
  for (const job of w.jobs.values()) {
    const ref = job.executor.executionRef;
    const ext = ref?.startsWith('http:') ? ref.split(':')[2] : undefined;
    if (ext && !isActive(job.status) && w.providerStatus.get(ext) === 'running')
      f.orphaned.push(`provider job ${ext} still running (job ${job.id} ${job.status})`);
  }
}
