/**
 * Ground truth for the soak (issue 26): what really happened, written by the workload's own actors — the soak's
 * API client, the demo worker, the demo provider, the Cloud Run fake's driver, the external worker — as
 * append-only JSON lines in a folder Verity never reads or writes. The soak's verdict is computed from these
 * records against Verity's documents, so a count cannot stay 0 while the thing it names happens.
 *
 * One line per record, appended with O_APPEND (a line under 4 KiB is written whole even with several
 * processes appending to one file). Writing is synchronous so a record made in an `exit` handler lands.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const EXECUTORS = ['local', 'cloud-run', 'provider'] as const;

const Execution = {
  executor: z.enum(EXECUTORS),
  jobId: z.string(),
  attempt: z.number().int(),
  /** The executor's own name of the execution (a pid, a Cloud Run execution, a provider's job id). */
  exec: z.string(),
  at: z.number(),
};

export const TruthRecord = z.discriminatedUnion('t', [
  /** One answer of the API (or a try that got none: status 0 and `error`). */
  z.object({
    t: z.literal('request'),
    sentAt: z.number(),
    at: z.number(),
    owner: z.string(),
    method: z.string(),
    path: z.string(),
    /** The route's pattern (ids replaced by `:id`), for the 5xx count by route. */
    route: z.string(),
    status: z.number().int(),
    /** Which try of the same request this was (1 = the first). */
    try: z.number().int(),
    jobId: z.string().optional(),
    code: z.string().optional(),
    /** A 409's holder, as the API named it. */
    activeJobId: z.string().optional(),
    /** The resourceKey the request asked for. */
    resourceKey: z.string().optional(),
    error: z.string().optional(),
  }),
  z.object({ t: z.literal('start'), ...Execution }),
  z.object({ t: z.literal('exit'), ...Execution, outcome: z.string() }),
  /** The execution received a cancel (a SIGTERM, a CancelExecution, a provider cancel). */
  z.object({ t: z.literal('cancel'), ...Execution }),
  /** An object really written: by whom, for which job and attempt when known, and its generation. */
  z.object({
    t: z.literal('output'),
    at: z.number(),
    writer: z.string(),
    uri: z.string(),
    generation: z.string(),
    jobId: z.string().optional(),
    attempt: z.number().int().optional(),
  }),
]);
export type TruthRecord = z.infer<typeof TruthRecord>;

/** Appends to `file`; with no file, records nothing (the actors outside a soak). */
export function truthWriter(file: string | undefined): (r: TruthRecord) => void {
  if (!file) return () => undefined;
  return (r) => appendFileSync(file, `${JSON.stringify(r)}\n`);
}

/** Every record in the truth folder (a line torn by a crash mid-write is reported, not trusted). */
export function readTruth(dir: string): { records: TruthRecord[]; torn: string[] } {
  const records: TruthRecord[] = [];
  const torn: string[] = [];
  for (const name of existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.jsonl')) : []) {
    for (const line of readFileSync(path.join(dir, name), 'utf8').split('\n').filter(Boolean)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        parsed = null;
      }
      const r = TruthRecord.safeParse(parsed);
      if (r.success) records.push(r.data);
      else torn.push(`${name}: ${line.slice(0, 120)}`);
    }
  }
  return { records, torn };
}
