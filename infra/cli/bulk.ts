/**
 * `verity bulk <action> [filter…]` (issue 33, docs/api.md "Bulk actions"): one action on every job a filter matches,
 * through the same service and schema as POST /api/jobs/bulk, as the admin OPERATOR. It shows the count and a
 * sample first (a dry run); then, confirmed (`--yes`, or "y" at a terminal), starts the bulk and follows it with a
 * progress bar until no job is pending. `verity bulk show <id>` prints a bulk and its failed and skipped jobs.
 * Exit 0 done, 1 refused, 2 usage, 3 not found, 4 done with failures.
 */
import { createInterface } from 'node:readline/promises';
import { ValidationError, VerityError, type BulkFilter } from '../../shared/src/core/index.js';
import type { Runtime } from '../../shared/src/runtime.js';
import { BulkRequestSchema } from '../../shared/src/schemas.js';
import { jobView } from '../../shared/src/views.js';
import { progress, table } from './format.js';
import { OPERATOR } from './insight.js';

export const BULK_OPTIONS = {
  reason: { type: 'string' },
  'created-before': { type: 'string' },
  'created-after': { type: 'string' },
  yes: { type: 'boolean' },
  'request-id': { type: 'string' },
} as const;

export const BULK_USAGE = `  bulk cancel|retry|reconcile|resume [--type T] [--status S] [--reason R] [--resource-key K] [--project-id P]
       [--owner U] [--created-before ISO] [--created-after ISO] [--dry-run] [--yes] [--request-id ID]
                               every matching job: the count and a sample, then (confirmed) the action with progress
  bulk show <bulkId>           a bulk's counts, and its failed and skipped jobs with why`;

export interface BulkOptions {
  type?: string | undefined;
  status?: string | undefined;
  reason?: string | undefined;
  'resource-key'?: string | undefined;
  'project-id'?: string | undefined;
  owner?: string | undefined;
  'created-before'?: string | undefined;
  'created-after'?: string | undefined;
  'dry-run'?: boolean | undefined;
  yes?: boolean | undefined;
  'request-id'?: string | undefined;
  json?: boolean | undefined;
}

class Usage extends Error {}

function print(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : human());
}

/** The request the flags spell, checked by the API's own schema. */
function requestOf(action: string, o: BulkOptions) {
  const filter = Object.fromEntries(
    Object.entries({
      type: o.type,
      status: o.status,
      statusReason: o.reason,
      resourceKey: o['resource-key'],
      projectId: o['project-id'],
      ownerId: o.owner,
      createdBefore: o['created-before'],
      createdAfter: o['created-after'],
    }).filter(([, v]) => v !== undefined),
  );
  const parsed = BulkRequestSchema.safeParse({
    action,
    filter,
    dryRun: o['dry-run'] === true,
    ...(o['request-id'] ? { requestId: o['request-id'] } : {}),
  });
  if (!parsed.success)
    throw new ValidationError(
      `invalid input: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const { createdBefore, createdAfter, ...rest } = parsed.data.filter;
  const ms = (t: string | number) => (typeof t === 'number' ? t : Date.parse(t));
  const f: BulkFilter = {
    ...rest,
    ...(createdBefore !== undefined ? { createdBefore: ms(createdBefore) } : {}),
    ...(createdAfter !== undefined ? { createdAfter: ms(createdAfter) } : {}),
  };
  return { ...parsed.data, filter: f };
}

async function confirmed(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`${question} [y/N] `);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

export async function bulkCommand(rt: Runtime, sub: string | undefined, id: string | undefined, o: BulkOptions) {
  try {
    return await run(rt, sub, id, o);
  } catch (err) {
    if (err instanceof Usage) {
      process.stderr.write(`verity: ${err.message}\n\nusage:\n${BULK_USAGE}\n`);
      return 2;
    }
    if (!(err instanceof VerityError)) throw err;
    process.stderr.write(`verity: ${err.code}: ${err.message}\n`);
    return err.code === 'NOT_FOUND' ? 3 : 1;
  }
}

async function run(rt: Runtime, sub: string | undefined, id: string | undefined, o: BulkOptions): Promise<number> {
  const json = o.json === true;
  if (sub === 'show') {
    if (!id) throw new Usage('bulk show needs a bulk id');
    return show(rt, id, json);
  }
  if (!sub || !['cancel', 'retry', 'reconcile', 'resume'].includes(sub)) throw new Usage(`unknown bulk action: ${sub}`);
  const req = requestOf(sub, o);
  const preview = await rt.bulks.start(OPERATOR, { ...req, dryRun: true });
  if (!('dryRun' in preview)) throw new Error('a dry run answered a bulk');
  const sample = preview.sample.map((j) => jobView(j, rt.clock()));
  if (req.dryRun || preview.matched === 0) {
    print(json, { matched: preview.matched, sample }, () => previewText(sub, preview.matched, sample));
    return 0;
  }
  if (!json) process.stderr.write(previewText(sub, preview.matched, sample));
  if (o.yes !== true && !(await confirmed(`${sub} ${preview.matched} jobs?`))) {
    process.stderr.write('not confirmed: nothing done (--yes confirms without asking)\n');
    return 1;
  }
  const bulk = await rt.bulks.start(OPERATOR, req);
  if ('dryRun' in bulk) throw new Error('a bulk answered a dry run');
  const bar = progress(`${sub} ${bulk.id}`, !json);
  for (;;) {
    const v = await rt.bulks.read(OPERATOR, bulk.id);
    bar.update(v.done + v.skipped + v.failed, v.matched);
    if (v.state === 'done') break;
    await new Promise((r) => setTimeout(r, 300)); // a batch under way elsewhere (this process's background)
  }
  bar.end();
  return show(rt, bulk.id, json);
}

function previewText(action: string, matched: number, sample: ReturnType<typeof jobView>[]): string {
  const rows = sample.map((j) => ({
    id: j.id,
    owner: j.ownerId,
    type: j.type,
    status: j.status,
    reason: j.statusReason,
  }));
  const cols = ['id', 'owner', 'type', 'status', 'reason'];
  return `${action}: ${matched} jobs match${matched > 0 ? `; the first ${rows.length}:\n${table(rows, cols)}` : '\n'}`;
}

async function show(rt: Runtime, id: string, json: boolean): Promise<number> {
  const v = await rt.bulks.read(OPERATOR, id);
  const trouble = [
    ...(await rt.bulks.items(OPERATOR, id, 'failed', 100)),
    ...(await rt.bulks.items(OPERATOR, id, 'skipped', 100)),
  ];
  print(json, { bulk: v, items: trouble }, () => {
    const counts = `${v.matched} matched, ${v.done} done, ${v.skipped} skipped, ${v.failed} failed`;
    const head = `${v.id}: ${v.action} by ${v.by}, ${v.state} — ${counts}\n`;
    return trouble.length === 0
      ? head
      : head +
          table(
            trouble.map((t) => ({ job: t.jobId, state: t.state, why: t.detail })),
            ['job', 'state', 'why'],
          );
  });
  return v.failed > 0 ? 4 : 0;
}
