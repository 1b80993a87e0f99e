/**
 * `verity import` (issue 30), the pure part: what one record of an existing collection becomes, through a
 * declared field mapping. Nothing here reads or writes; importer.ts acts on the plan. A record becomes a job
 * only when Verity can judge it by evidence: an active record that names its execution is attached; a record
 * whose outputs are all there (active or succeeded) becomes a succeeded job, nothing run; everything else is
 * listed with the reason it was left, never dropped silently.
 */
import { z } from 'zod';
import { GcsUriSchema } from '../schemas.js';

const Field = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,199}$/, 'a field name (a.b for a nested one)');
const Value = z.string().min(1).max(100);
const Values = z.array(Value).max(50).default([]);

export const ImportMappingSchema = z
  .object({
    /** The collection to read (a path: `jobs`, or `users/u1/projects`). */
    collection: z.string().regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+)*$/),
    /** The Verity job type every record becomes. */
    type: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/),
    fields: z
      .object({
        status: Field,
        owner: Field,
        /** The execution the record names: a Cloud Run execution, a provider's job id, a local pid. */
        execution: Field.optional(),
        /** A URI or object path, or a list of them. */
        outputs: Field.optional(),
        resourceKey: Field.optional(),
        createdAt: Field.optional(),
      })
      .strict(),
    /** The record's status values, by what they mean. */
    statuses: z
      .object({ queued: Values, running: Values, succeeded: Values, failed: Values, canceled: Values })
      .strict(),
    /** Where output paths that are not URIs live, e.g. `gs://renders/stitched/`. */
    outputPrefix: z
      .string()
      .regex(/^gs:\/\/[a-z0-9][a-z0-9._-]{1,220}\/([^\s]*\/)?$/)
      .optional(),
    /**
     * Write each job's status back into its record (the app keeps reading its own field): into `field` (the
     * status field when absent), as `values` says or else the first value `statuses` lists for the state; a
     * state with neither is not written.
     */
    writeBack: z
      .object({
        field: Field.optional(),
        values: z
          .object({ queued: Value, running: Value, succeeded: Value, failed: Value, canceled: Value })
          .partial()
          .strict()
          .default({}),
      })
      .strict()
      .optional(),
  })
  .strict();
export type ImportMapping = z.infer<typeof ImportMappingSchema>;
type JobState = keyof ImportMapping['statuses'];

export type RecordPlan =
  | { kind: 'attach'; ownerId: string; execution: string; outputs?: string[]; resourceKey?: string; at?: string }
  | { kind: 'by-outputs'; ownerId: string; outputs: string[]; was: string; resourceKey?: string; at?: string }
  | { kind: 'skip'; reason: string };

/** `a.b.c` of a document. */
function get(doc: Record<string, unknown>, field: string): unknown {
  return field.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as never)[k] : undefined), doc);
}

const text = (v: unknown): string | null =>
  typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : null;

/** A timestamp as the record keeps it (Firestore Timestamp, Date, ISO string, epoch ms) in ISO form. */
function isoOf(v: unknown): string | undefined {
  const ms =
    v && typeof v === 'object' && 'toMillis' in v && typeof (v as { toMillis: unknown }).toMillis === 'function'
      ? (v as { toMillis(): number }).toMillis()
      : v instanceof Date
        ? v.getTime()
        : typeof v === 'string' || typeof v === 'number'
          ? new Date(v).getTime()
          : NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

function outputsOf(m: ImportMapping, doc: Record<string, unknown>): string[] | { bad: string } {
  if (!m.fields.outputs) return [];
  const raw = get(doc, m.fields.outputs);
  const list = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw : [raw];
  const out: string[] = [];
  for (const item of list) {
    const s = text(item);
    if (s === null) return { bad: `${m.fields.outputs} holds ${JSON.stringify(item)}` };
    const uri = s.startsWith('gs://') ? s : m.outputPrefix ? m.outputPrefix + s.replace(/^\/+/, '') : null;
    if (uri === null) return { bad: `output "${s}" is a path, and the mapping has no outputPrefix` };
    if (!GcsUriSchema.safeParse(uri).success) return { bad: `output "${uri}" is not a gs:// object URI` };
    out.push(uri);
  }
  return [...new Set(out)];
}

/** The record's field and the value each state writes to it; null without `writeBack`. */
export function writeBackOf(m: ImportMapping): { field: string; values: Partial<Record<JobState, string>> } | null {
  if (!m.writeBack) return null;
  const values: Partial<Record<JobState, string>> = {};
  for (const k of Object.keys(m.statuses) as JobState[]) {
    const v = m.writeBack.values[k] ?? m.statuses[k][0];
    if (v !== undefined) values[k] = v;
  }
  return { field: m.writeBack.field ?? m.fields.status, values };
}

/** The record's owner, when the mapping's owner field holds a usable id. */
export function ownerOf(m: ImportMapping, doc: Record<string, unknown>): string | null {
  const ownerId = text(get(doc, m.fields.owner));
  return ownerId !== null && /^[A-Za-z0-9_.:@+-]{1,200}$/.test(ownerId) ? ownerId : null;
}

/** What one record becomes. */
export function planRecord(m: ImportMapping, doc: Record<string, unknown>): RecordPlan {
  const status = text(get(doc, m.fields.status));
  const meaning = (Object.keys(m.statuses) as (keyof ImportMapping['statuses'])[]).find(
    (k) => status !== null && m.statuses[k].includes(status),
  );
  if (!meaning) return { kind: 'skip', reason: `status ${JSON.stringify(status)} is not in the mapping` };
  const ownerId = ownerOf(m, doc);
  if (ownerId === null) return { kind: 'skip', reason: `no usable owner in ${m.fields.owner}` };
  const outputs = outputsOf(m, doc);
  if ('bad' in outputs) return { kind: 'skip', reason: outputs.bad };
  const key = m.fields.resourceKey ? text(get(doc, m.fields.resourceKey)) : null;
  const at = m.fields.createdAt ? isoOf(get(doc, m.fields.createdAt)) : undefined;
  const common = { ownerId, ...(key ? { resourceKey: key.slice(0, 500) } : {}), ...(at ? { at } : {}) };
  const execution = m.fields.execution ? text(get(doc, m.fields.execution)) : null;
  if (meaning === 'failed' || meaning === 'canceled')
    return { kind: 'skip', reason: `${status}: it ended, there is nothing to track` };
  if ((meaning === 'queued' || meaning === 'running') && execution !== null)
    return { kind: 'attach', ...common, execution, ...(outputs.length ? { outputs } : {}) };
  if (outputs.length === 0)
    return { kind: 'skip', reason: `${status} with no execution and no outputs: no evidence to judge it by` };
  return { kind: 'by-outputs', ...common, outputs, was: status! };
}
