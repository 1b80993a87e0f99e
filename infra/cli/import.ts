/** `verity import`: existing records through a field mapping (shared/src/adopt/), printed one line per record. */
import { readFileSync } from 'node:fs';
import { importRecords, type ImportResult } from '../../shared/src/adopt/importer.js';
import { ImportMappingSchema } from '../../shared/src/adopt/import-plan.js';
import type { Runtime } from '../../shared/src/runtime.js';
import { foreignRecords } from '../../shared/src/store/foreign-records.js';

export class ImportUsageError extends Error {}

export interface ImportArgs {
  mapping: string | undefined;
  sourceProject: string | undefined;
  sourceDatabase: string | undefined;
  dryRun: boolean;
  json: boolean;
}

function readMapping(file: string) {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ImportUsageError(`--mapping ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = ImportMappingSchema.safeParse(raw);
  if (!parsed.success)
    throw new ImportUsageError(
      `--mapping ${file}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

const line = (r: ImportResult): string =>
  `${r.outcome.padEnd(16)} ${r.path}` +
  (r.jobId ? ` → ${r.jobId}` : '') +
  (r.status ? ` (${r.status})` : '') +
  (r.reason ? `: ${r.reason}` : '') +
  '\n';

/** Exit code: 0 every record imported (or already), 4 some were left (each listed with its reason). */
export async function importCommand(rt: Runtime, a: ImportArgs, projectId: string): Promise<number> {
  if (!a.mapping) throw new ImportUsageError('import needs --mapping <file.json>');
  const mapping = readMapping(a.mapping);
  if (!rt.registry.get(mapping.type)) throw new ImportUsageError(`mapping: unknown job type "${mapping.type}"`);
  const sourceRef = {
    project: a.sourceProject ?? projectId,
    ...(a.sourceDatabase ? { database: a.sourceDatabase } : {}),
  };
  const source = foreignRecords(sourceRef.project, sourceRef.database);
  try {
    const deps = { source, sourceRef, jobs: rt.jobs, store: rt.store, probe: rt.probe };
    const results = await importRecords(deps, mapping, {
      dryRun: a.dryRun,
      ...(a.json ? {} : { onRecord: (r) => process.stdout.write(line(r)) }),
    });
    const count = (o: ImportResult['outcome']) => results.filter((r) => r.outcome === o).length;
    if (a.json) process.stdout.write(`${JSON.stringify({ dryRun: a.dryRun, results }, null, 2)}\n`);
    else
      process.stdout.write(
        `${results.length} records: ${count('imported')} imported, ${count('already imported')} already imported, ` +
          `${count('would import')} would be imported, ${count('left')} left\n`,
      );
    return count('left') > 0 ? 4 : 0;
  } finally {
    await source.close();
  }
}
