/**
 * The orphan sweep (seed 002's temp/proxy sweeps): temporary prefixes `tmp/{jobId}/` and `proxy/{jobId}/`
 * older than their retention whose job is gone or ended are deleted, and step checkpoints `ckpt/{ownerId}/{jobId}/`
 * (docs/workers.md) once the retry chain they belong to no longer needs them: a succeeded job's after its
 * type's `checkpointHours`, a failed or canceled one's after its type's retry window. Retention comes from the
 * job's type (`retention` in its configuration), else the defaults. Declared outputs and project artifacts are
 * never deleted, nor anything of a job still active, nor anything outside those roots of the allowed buckets.
 */
import type { Storage } from '@google-cloud/storage';
import { isActive, type Job } from '../core/index.js';
import { RETENTION_DEFAULTS, type JobTypeRegistry } from '../config/job-types.js';
import type { Ledger } from '../store/ledger.js';

const H = 3600_000;
export const ORPHAN_ROOTS = {
  tmp: RETENTION_DEFAULTS.tempHours * H,
  proxy: RETENTION_DEFAULTS.proxyHours * H,
  ckpt: RETENTION_DEFAULTS.checkpointHours * H,
} as const;
export type OrphanRoot = keyof typeof ORPHAN_ROOTS;

export interface OrphanSweepOptions {
  buckets: readonly string[];
  now: number;
  /** Per-root retention (ms), for every type: overrides the types' `retention` and the defaults. */
  retentionMs?: Partial<Record<OrphanRoot, number>>;
  dryRun?: boolean;
  onProgress?: (done: number, total: number) => void;
  /** Look at no more prefixes than this in one run (a scheduled run's bound); the rest wait for the next. */
  maxPrefixes?: number;
}

export interface OrphanSweepReport {
  prefixesSeen: number;
  prefixesDeleted: number;
  objectsDeleted: number;
  bytesDeleted: number;
  kept: { prefix: string; why: string }[];
  deleted: string[];
  dryRun: boolean;
  /** False when `maxPrefixes` stopped the run before every prefix was looked at. */
  complete: boolean;
}

interface Group {
  bucket: string;
  root: OrphanRoot;
  jobId: string;
  files: { name: string; size: number; updated: number }[];
}

/**
 * How long the group is kept after its newest file (tmp, proxy: the job's type; a prefix without a job: the
 * default), or until when (checkpoints: from the chain's latest job's end); `why` when it is kept regardless.
 */
function keepUntil(
  g: Group,
  jobs: readonly Job[],
  registry: Pick<JobTypeRegistry, 'get'> | undefined,
  override: number | undefined,
): { until: number } | { why: string } {
  const newest = Math.max(...g.files.map((f) => f.updated));
  if (jobs.some((j) => isActive(j.status))) return { why: 'job still active' };
  const latest = jobs.at(-1);
  const r = { ...RETENTION_DEFAULTS, ...(latest ? registry?.get(latest.type)?.retention : {}) };
  if (g.root !== 'ckpt' || !latest) {
    const hours = g.root === 'tmp' ? r.tempHours : g.root === 'proxy' ? r.proxyHours : r.checkpointHours;
    return { until: newest + (override ?? hours * H) };
  }
  // checkpoints: a retry resumes from them within the retry window; a success needs them only a while longer
  const hours = latest.status === 'succeeded' ? r.checkpointHours : r.retryWindowHours;
  return { until: Math.max(newest, latest.endedAt ?? newest) + (override ?? hours * H) };
}

export async function sweepOrphans(
  deps: { storage: Storage; ledger: Pick<Ledger, 'jobs' | 'projects'>; registry?: Pick<JobTypeRegistry, 'get'> },
  o: OrphanSweepOptions,
): Promise<OrphanSweepReport> {
  const report: OrphanSweepReport = {
    prefixesSeen: 0,
    prefixesDeleted: 0,
    objectsDeleted: 0,
    bytesDeleted: 0,
    kept: [],
    deleted: [],
    dryRun: o.dryRun === true,
    complete: true,
  };
  const groups = new Map<string, Group>();
  for (const bucket of o.buckets) {
    for (const root of Object.keys(ORPHAN_ROOTS) as OrphanRoot[]) {
      const [files] = await deps.storage.bucket(bucket).getFiles({ prefix: `${root}/`, autoPaginate: true });
      for (const f of files) {
        // tmp/{jobId}/, proxy/{jobId}/, ckpt/{ownerId}/{jobId}/ (the default layouts)
        const m =
          /^(tmp|proxy)\/([A-Za-z0-9_-]{1,128})\//.exec(f.name) ??
          /^(ckpt\/[^/]{1,128})\/([A-Za-z0-9_-]{1,128})\//.exec(f.name);
        if (!m) continue;
        const key = `${bucket}/${m[1]}/${m[2]}/`;
        const g = groups.get(key) ?? { bucket, root, jobId: m[2]!, files: [] };
        g.files.push({
          name: f.name,
          size: Number(f.metadata.size ?? 0),
          updated: Date.parse(String(f.metadata.updated ?? f.metadata.timeCreated ?? 0)),
        });
        groups.set(key, g);
      }
    }
  }
  let done = 0;
  for (const [prefix, g] of groups) {
    if (o.maxPrefixes !== undefined && report.prefixesSeen >= o.maxPrefixes) {
      report.complete = false;
      break;
    }
    report.prefixesSeen++;
    o.onProgress?.(++done, groups.size);
    // a checkpoint prefix belongs to a retry chain (every job naming it); tmp and proxy to their one job
    const jobs =
      g.root === 'ckpt'
        ? await deps.ledger.jobs.withCheckpointPrefix(`gs://${prefix}`)
        : [await deps.ledger.jobs.get(g.jobId)].filter((j): j is Job => j !== null);
    const keep = keepUntil(g, jobs, deps.registry, o.retentionMs?.[g.root]);
    if ('why' in keep || o.now < keep.until) {
      report.kept.push({ prefix: `gs://${prefix}`, why: 'why' in keep ? keep.why : 'within retention' });
      continue;
    }
    const outputs = new Set(jobs.flatMap((j) => j.outputUris));
    const doomed: Group['files'] = [];
    for (const f of g.files) {
      const uri = `gs://${g.bucket}/${f.name}`;
      // a declared output is never deleted: this job's, or any other job's that put it here
      if (outputs.has(uri) || (await deps.ledger.jobs.anyWithOutput(uri))) continue;
      if ((await deps.ledger.projects.artifactsAt(uri)).length > 0) continue; // a project artifact, never deleted
      doomed.push(f);
    }
    if (doomed.length < g.files.length) report.kept.push({ prefix: `gs://${prefix}`, why: 'declared outputs kept' });
    for (const f of doomed) {
      if (!o.dryRun) await deps.storage.bucket(g.bucket).file(f.name).delete({ ignoreNotFound: true });
      report.deleted.push(`gs://${g.bucket}/${f.name}`);
      report.objectsDeleted++;
      report.bytesDeleted += f.size;
    }
    if (doomed.length > 0) report.prefixesDeleted++;
  }
  return report;
}
