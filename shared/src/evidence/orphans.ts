/**
 * The orphan sweep (seed 002's temp/proxy sweeps): temporary prefixes `tmp/{jobId}/` and `proxy/{jobId}/`
 * older than their retention whose job is gone or ended are deleted. Declared outputs and project artifacts
 * are never deleted,
 * nor anything of a job still active, nor anything outside those two roots of the allowed buckets.
 */
import type { Storage } from '@google-cloud/storage';
import { isActive } from '../core/index.js';
import type { Ledger } from '../store/ledger.js';

export const ORPHAN_ROOTS = { tmp: 24 * 3600_000, proxy: 48 * 3600_000 } as const;
export type OrphanRoot = keyof typeof ORPHAN_ROOTS;

export interface OrphanSweepOptions {
  buckets: readonly string[];
  now: number;
  /** Per-root retention (ms); defaults: tmp 24 h, proxy 48 h. */
  retentionMs?: Partial<Record<OrphanRoot, number>>;
  dryRun?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface OrphanSweepReport {
  prefixesSeen: number;
  prefixesDeleted: number;
  objectsDeleted: number;
  bytesDeleted: number;
  kept: { prefix: string; why: string }[];
  deleted: string[];
  dryRun: boolean;
}

interface Group {
  bucket: string;
  root: OrphanRoot;
  jobId: string;
  files: { name: string; size: number; updated: number }[];
}

export async function sweepOrphans(
  deps: { storage: Storage; ledger: Pick<Ledger, 'jobs' | 'projects'> },
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
  };
  const groups = new Map<string, Group>();
  for (const bucket of o.buckets) {
    for (const root of Object.keys(ORPHAN_ROOTS) as OrphanRoot[]) {
      const [files] = await deps.storage.bucket(bucket).getFiles({ prefix: `${root}/`, autoPaginate: true });
      for (const f of files) {
        const m = /^(tmp|proxy)\/([A-Za-z0-9_-]{1,128})\//.exec(f.name);
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
    report.prefixesSeen++;
    o.onProgress?.(++done, groups.size);
    const retention = o.retentionMs?.[g.root] ?? ORPHAN_ROOTS[g.root];
    const newest = Math.max(...g.files.map((f) => f.updated));
    if (o.now - newest < retention) {
      report.kept.push({ prefix: `gs://${prefix}`, why: 'within retention' });
      continue;
    }
    const job = await deps.ledger.jobs.get(g.jobId);
    if (job && isActive(job.status)) {
      report.kept.push({ prefix: `gs://${prefix}`, why: 'job still active' });
      continue;
    }
    const outputs = new Set(job?.outputUris ?? []);
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
