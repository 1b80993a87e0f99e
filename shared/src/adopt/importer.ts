/**
 * `verity import` (issue 30), the acting part: reads every document of the mapped collection and makes each
 * the job its plan says (import-plan.ts), as an admin, through the same enqueue as the API — an active record
 * that names its execution is attached (and looked at at once), a record whose outputs are all there becomes a
 * succeeded job (nothing runs). Each record's key is `import:{path}`: a rerun imports nothing twice. A dry run
 * reads the outputs and writes nothing. With the mapping's `writeBack`, each job keeps where its record is
 * (`mirror`), and every transition writes the status back to it (store/mirror-writer.ts).
 */
import type { Principal } from '../auth/principal.js';
import { VerityError } from '../core/index.js';
import type { OutputProbe } from '../evidence/outputs.js';
import type { JobsService } from '../reconcile/jobs-service.js';
import type { JobStore } from '../store/job-store.js';
import type { RecordSource } from '../store/foreign-records.js';
import { ownerOf, planRecord, writeBackOf, type ImportMapping, type RecordPlan } from './import-plan.js';

export interface ImportResult {
  /** The record's document path. */
  path: string;
  plan: RecordPlan['kind'];
  outcome: 'imported' | 'already imported' | 'would import' | 'left';
  jobId?: string;
  /** The job's status once imported (or what it would be). */
  status?: string;
  reason?: string;
}

export interface ImportDeps {
  /** Where the records are (the app's database). */
  source: RecordSource;
  jobs: JobsService;
  store: JobStore;
  probe: OutputProbe;
  /** The records' project and database: where a mapping's `writeBack` writes. */
  sourceRef?: { project: string; database?: string };
}

const IMPORTER: Principal = { userId: 'verity-import', admin: true, workerJobId: null };

export async function importRecords(
  d: ImportDeps,
  m: ImportMapping,
  opts: { dryRun: boolean; onRecord?: (r: ImportResult) => void },
): Promise<ImportResult[]> {
  if (m.writeBack && !d.sourceRef) throw new Error("writeBack needs the records' project (sourceRef)");
  const out: ImportResult[] = [];
  for (const doc of await d.source.list(m.collection)) {
    const r = await importOne(d, m, doc.path, doc.data, opts.dryRun);
    out.push(r);
    opts.onRecord?.(r);
  }
  return out;
}

async function importOne(
  d: ImportDeps,
  m: ImportMapping,
  path: string,
  data: Record<string, unknown>,
  dryRun: boolean,
): Promise<ImportResult> {
  const plan = planRecord(m, data);
  const key = `import:${path}`.slice(0, 200);
  // imported before — whatever the record says now (with write back, its job's own end): nothing again
  const owner = ownerOf(m, data);
  const existing = owner === null ? null : await d.store.findIdempotent(owner, key);
  if (existing)
    return { path, plan: plan.kind, outcome: 'already imported', jobId: existing.id, status: existing.status };
  if (plan.kind === 'skip') return { path, plan: plan.kind, outcome: 'left', reason: plan.reason };
  if (plan.kind === 'by-outputs') {
    const { observations } = await d.probe.probe(plan.outputs);
    const missing = plan.outputs.filter((u) => !observations.some((o) => o.uri === u && o.exists));
    if (missing.length > 0) {
      const reason = `${plan.was}, no execution named, and ${missing.length} of its outputs are not there (${missing[0]})`;
      return { path, plan: plan.kind, outcome: 'left', reason };
    }
  }
  if (dryRun)
    return {
      path,
      plan: plan.kind,
      outcome: 'would import',
      status: plan.kind === 'attach' ? 'attached, then as its execution says' : 'succeeded',
    };
  const evidence = { importedFrom: path, ...(plan.at ? { recordCreatedAt: plan.at } : {}) };
  const back = writeBackOf(m);
  const mirror = back && d.sourceRef ? { ...d.sourceRef, path, ...back } : undefined;
  try {
    const { job } = await d.jobs.enqueue(
      IMPORTER,
      {
        type: m.type,
        idempotencyKey: key,
        reuseExistingOutputs: true,
        ...(plan.outputs ? { outputs: plan.outputs } : {}),
        ...(plan.resourceKey ? { resourceKey: plan.resourceKey } : {}),
        ...(plan.kind === 'attach' ? { attach: { execution: plan.execution, ownerId: plan.ownerId } } : {}),
      },
      { evidence, ...(plan.kind === 'by-outputs' ? { ownerId: plan.ownerId } : {}), ...(mirror ? { mirror } : {}) },
    );
    return { path, plan: plan.kind, outcome: 'imported', jobId: job.id, status: job.status };
  } catch (err) {
    // one record's trouble (a refusal, or a dependency down for a moment) leaves that record, listed with
    // why, and the run goes on: a rerun takes it up and imports nothing twice
    const reason = err instanceof VerityError ? `${err.code}: ${err.message}` : `error: ${(err as Error).message}`;
    return { path, plan: plan.kind, outcome: 'left', reason };
  }
}
