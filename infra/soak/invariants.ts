/**
 * The soak's verdict (issues 14 and 26), computed at the end from the ground truth (what the workload's actors
 * recorded: infra/local/truth-log.ts) against Verity's documents, the bucket and the events topic. Each finding
 * is one line naming the job; the counts are the numbers of findings. Pure: tests plant each violation in a
 * world built by hand (test/unit/soak-verdict.test.ts).
 */
import {
  isActive,
  namesOf,
  replayHistory,
  type Job,
  type PatchLog,
  type RecordedTransition,
} from '../../shared/src/core/index.js';
import type { TruthRecord } from '../local/truth-log.js';
import { jobBoundMs, lateness, wasHeld, type BoundTiming } from './bounds.js';
import { checkExecutions, checkOutputs } from './execution-checks.js';
import { checkRequests } from './request-checks.js';

export interface World extends BoundTiming {
  now: number;
  jobs: Map<string, Job>;
  histories: Map<string, RecordedTransition[]>;
  /** Job ids with transitions stored but no job document. */
  historiesWithoutJob: string[];
  /** Each job document's patches since its last transition (absent: replay takes its fields as they are). */
  pendingPatches?: Map<string, PatchLog | null>;
  /** lock documents: the job holding each. */
  locks: { id: string; jobId: string }[];
  /** Objects in the bucket now (gs:// URI → generation); and every one seen at any moment of the run. */
  objects: Map<string, string>;
  seenObjects: Set<string>;
  /** dedupeId → deliveries on verity-job-events, and the state each announced. */
  events: Map<string, number>;
  eventTo: Map<string, string>;
  /** Everything the workload's actors recorded. */
  truth: TruthRecord[];
  /** Client-side findings: a duplicate key answered with another job. */
  duplicateMismatches: string[];
  /** `jobId:attempt` of each attempt whose start met an injected executor fault (the fake's record). */
  startFaults?: ReadonlySet<string>;
}

export const COUNTED = [
  'fiveXX',
  'stuck',
  'wrong',
  'lost',
  'neverDispatched',
  'duplicateLaunches',
  'orphaned',
  'deleted',
  /** Outbound webhooks (issue 31): a transition never delivered, delivered out of order, or badly signed. */
  'undelivered',
] as const;
export type Counted = (typeof COUNTED)[number];

export type Findings = Record<Counted, string[]> & {
  /** The job closest to (or furthest past) its bound: ms past it (negative: in time) and the share used. */
  worst: { jobId: string; lateMs: number; share: number } | null;
};

export function checkInvariants(w: World): Findings {
  const f: Findings = {
    fiveXX: [],
    stuck: [],
    wrong: [],
    lost: [],
    neverDispatched: [],
    duplicateLaunches: [],
    orphaned: [],
    deleted: [],
    undelivered: [],
    worst: null,
  };
  for (const m of w.duplicateMismatches) f.wrong.push(`idempotency key answered two jobs: ${m}`);
  const requests = w.truth.filter((r): r is Extract<TruthRecord, { t: 'request' }> => r.t === 'request');
  const asked = checkRequests(requests, w.jobs, w.histories);
  f.fiveXX.push(...asked.fiveXX);
  f.wrong.push(...asked.wrong);
  f.lost.push(...asked.lost);

  // stuck: every job ended by its bound, whatever state it ended in
  for (const l of lateness(w.jobs.values(), w.histories, w.now, w)) {
    if (!f.worst || l.lateMs > f.worst.lateMs) f.worst = { jobId: l.jobId, lateMs: l.lateMs, share: l.share };
    const job = w.jobs.get(l.jobId)!;
    if (!l.ended) f.stuck.push(`${job.id} still ${job.status} (${job.statusReason}) at the end`);
    else if (l.lateMs > 0)
      f.stuck.push(`${job.id} ended ${Math.round(l.lateMs / 1000)} s past its bound: ${timeline(job, w)}`);
  }

  const ran = checkExecutions(w.truth, w.jobs, w.histories, (job) => graceMs(job, w), w.startFaults);
  f.duplicateLaunches.push(...ran.duplicateLaunches);
  f.orphaned.push(...ran.orphaned);
  f.neverDispatched.push(...ran.neverDispatched);
  f.wrong.push(...ran.wrong, ...checkOutputs(w.truth, w.jobs, w.objects));

  for (const id of w.historiesWithoutJob) f.lost.push(`${id} has a history but no job document`);
  for (const job of w.jobs.values()) {
    const h = w.histories.get(job.id) ?? [];
    const present = (o: Job['outputs'][number]): boolean => namesOf(o).some((u) => w.objects.has(u));
    if (job.status === 'failed' && job.outputs.length > 0 && job.outputs.every(present))
      f.wrong.push(`${job.id} failed (${job.statusReason}) with its outputs present`);
    // silent work (seeds 000/003/004) is alive by its executor's word: never failed for not reporting
    if (job.policy.heartbeatTimeoutSeconds === null && h.some((t) => t.reason === 'HEARTBEAT_TIMEOUT'))
      f.wrong.push(`${job.id} does not report, yet an attempt was failed HEARTBEAT_TIMEOUT`);
    if (h.length === 0) {
      f.lost.push(`${job.id} has no history`);
      continue;
    }
    const mismatches = replayHistory(job, h, w.pendingPatches?.get(job.id));
    if (mismatches.length > 0) f.wrong.push(`${job.id} does not replay: ${JSON.stringify(mismatches[0])}`);
    // lost: contiguous seqs, every transition announced, as the state it reached
    h.forEach((t, i) => {
      const id = `${job.id}:${t.seq}`;
      if (t.seq !== i + 1) f.lost.push(`${job.id} history has seq ${t.seq} at position ${i + 1}`);
      if (!w.events.has(id)) f.lost.push(`${id} (${t.to}) never delivered on the events topic`);
      else if (w.eventTo.get(id) !== t.to) f.wrong.push(`event ${id} announced ${w.eventTo.get(id)}, not ${t.to}`);
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
  // deleted: an object seen once, or written by a worker, is there still (temporary files are deleted by design)
  const written = w.truth.flatMap((r) => (r.t === 'output' ? [r.uri] : []));
  for (const uri of new Set([...w.seenObjects, ...written]))
    if (!w.objects.has(uri) && !/\/tmp\//.test(uri)) f.deleted.push(`${uri} was deleted`);
  return f;
}

/** How long an execution may outlive its job's end: the cancel's grace, and a sweep to repeat the stop. */
function graceMs(job: Job, t: BoundTiming): number {
  return job.policy.cancelGraceSeconds * 1000 + t.sweepIntervalMs + t.sweepLeaseMs;
}

/** What a late job went through, read off a CI log: its type, bound, and transitions as seconds after creation. */
function timeline(job: Job, w: World): string {
  const at = (ms: number) => `+${(ms / 1000).toFixed(1)}s`;
  const h = w.histories.get(job.id) ?? [];
  const bound = Math.round(jobBoundMs(job, wasHeld(job, h, w.storageFaults), w) / 1000);
  const steps = h.map((t) => `${t.to}/${t.reason}/${t.source} ${at(t.at - job.createdAt)}`);
  return `${job.type} attempt ${job.attempt}, bound ${bound} s; ${steps.join(', ')}`;
}
