/** The soak's figures: faults by kind, recovery times (fault → the job's next transition), the last line. */
import type { Job, Transition } from '../../shared/src/core/index.js';
import { COUNTED, type Counted, type Findings } from './invariants.js';
import type { FaultRecord } from './proxy.js';

export interface Recovery {
  kind: string;
  ms: number;
}

/** For each fault naming a job (or one of its outputs): the time to that job's next transition after it. */
export function recoveries(
  faults: FaultRecord[],
  jobs: Map<string, Job>,
  histories: Map<string, Transition[]>,
): Recovery[] {
  const byUri = new Map<string, string>();
  for (const j of jobs.values()) for (const u of j.outputUris) byUri.set(u, j.id);
  const out: Recovery[] = [];
  for (const f of faults) {
    if (!f.subject) continue;
    const jobId = f.subject.startsWith('gs://') ? byUri.get(f.subject) : f.subject;
    const next = (histories.get(jobId ?? '') ?? []).find((t) => t.at >= f.at);
    if (next) out.push({ kind: kindOf(f.kind), ms: next.at - f.at });
  }
  return out;
}

/** 'cloud-run:RunJob-unavailable' → 'cloud-run-unavailable'; the rest as recorded. */
const kindOf = (kind: string): string => kind.replace(/^cloud-run:.*-unavailable$/, 'cloud-run-unavailable');

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

export interface Summary {
  planned: number;
  acknowledged: number;
  jobs: number;
  kills: number;
  faults: number;
  messageFaults: number;
  /** Deliveries through the message proxies while faults were on, and the line that puts the two together. */
  deliveries: number;
  messageLine: string;
  counts: Record<Counted, number>;
  line: string;
  perKind: string[];
}

export function summarize(o: {
  planned: number;
  acknowledged: number;
  jobs: number;
  kills: FaultRecord[];
  faults: FaultRecord[];
  findings: Findings;
  recoveries: Recovery[];
  deliveries: number;
}): Summary {
  const counts = Object.fromEntries(COUNTED.map((k) => [k, o.findings[k].length])) as Summary['counts'];
  const kinds = new Map<string, { n: number; ms: number[] }>();
  for (const f of [...o.kills, ...o.faults]) {
    const k = kinds.get(kindOf(f.kind)) ?? { n: 0, ms: [] };
    k.n++;
    kinds.set(kindOf(f.kind), k);
  }
  for (const r of o.recoveries) kinds.get(r.kind)?.ms.push(r.ms);
  const perKind = [...kinds.entries()]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(
      ([k, v]) =>
        `  ${k}: ${v.n}` +
        (v.ms.length ? `, recovery p50 ${secs(percentile(v.ms, 50))} p99 ${secs(percentile(v.ms, 99))}` : ''),
    );
  const all = o.recoveries.map((r) => r.ms);
  const messageFaults = o.faults.filter((f) => /:(drop|duplicate|delay|reorder)$/.test(f.kind)).length;
  const lossy = o.faults.filter((f) => /:(drop|duplicate|reorder)$/.test(f.kind)).length;
  const pct = (n: number): string => `${o.deliveries ? ((100 * n) / o.deliveries).toFixed(1) : '0.0'}%`;
  const messageLine =
    `soak: ${o.deliveries} deliveries (finalize, updates, webhooks): ${lossy} dropped, duplicated or reordered ` +
    `(${pct(lossy)}), ${messageFaults - lossy} delayed; ${pct(messageFaults)} in all`;
  const w = o.findings.worst;
  const worst = w ? `worst lateness ${secs(w.lateMs)}, ${Math.round(w.share * 100)}% of its bound` : 'no job';
  const line =
    `soak: ${o.planned} planned, ${o.acknowledged} acknowledged, ${o.jobs} jobs, ${o.kills.length} kills, ` +
    `${o.faults.length} faults, 5xx ${counts.fiveXX}, stuck ${counts.stuck} (${worst}), wrong ${counts.wrong}, ` +
    `lost ${counts.lost}, never dispatched ${counts.neverDispatched}, duplicate launches ${counts.duplicateLaunches}, ` +
    `orphaned ${counts.orphaned}, deleted ${counts.deleted}, undelivered ${counts.undelivered}, ` +
    `recovery p50/p99 ${secs(percentile(all, 50))}/${secs(percentile(all, 99))}`;
  return {
    planned: o.planned,
    acknowledged: o.acknowledged,
    jobs: o.jobs,
    kills: o.kills.length,
    faults: o.faults.length,
    messageFaults,
    deliveries: o.deliveries,
    messageLine,
    counts,
    line,
    perKind,
  };
}

/**
 * The `n` jobs that took longest to end (the soak's tail): each with its transitions, as seconds after it was
 * created, so what held it is read off the line (a hold's 30 s, a retry's backoff, a late deadline).
 */
export function slowest(
  jobs: Map<string, Job>,
  histories: Map<string, Transition[]>,
  faults: readonly FaultRecord[],
  n = 5,
): string[] {
  return [...jobs.values()]
    .filter((j) => j.endedAt !== null)
    .sort((a, b) => b.endedAt! - b.createdAt - (a.endedAt! - a.createdAt))
    .slice(0, n)
    .map((j) => {
      const steps = (histories.get(j.id) ?? []).map((t) => `${t.reason} +${secs(t.at - j.createdAt)}`);
      // the injected faults that named the job or one of its outputs, so its tail can be explained
      const met = faults
        .filter((f) => f.subject === j.id || (f.subject !== null && j.outputUris.includes(f.subject)))
        .map((f) => `${kindOf(f.kind)} +${secs(f.at - j.createdAt)}`);
      const more = met.length > 12 ? `, … ${met.length - 12} more` : '';
      const faultsMet = met.length > 0 ? `; faults met: ${met.slice(0, 12).join(', ')}${more}` : '';
      return `soak: slowest: ${j.id} ${j.type} ${secs(j.endedAt! - j.createdAt)}: ${steps.join(', ')}${faultsMet}`;
    });
}

/** Every job and its history, one JSON line each (`<logDir>/jobs.jsonl`). */
export function jobsDump(jobs: Map<string, Job>, histories: Map<string, Transition[]>): string {
  const dump = [...jobs.values()].map((j) => ({
    id: j.id,
    type: j.type,
    status: j.status,
    reason: j.statusReason,
    attempt: j.attempt,
    ref: j.executor.executionRef,
    history: (histories.get(j.id) ?? []).map((t) => ({
      to: t.to,
      reason: t.reason,
      source: t.source,
      at: new Date(t.at).toISOString(),
      ...(t.evidence.failure ? { failure: t.evidence.failure, message: t.evidence.message } : {}),
    })),
  }));
  return dump.map((d) => JSON.stringify(d)).join('\n') + '\n';
}
