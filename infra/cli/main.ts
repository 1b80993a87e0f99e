/**
 * `npx verity …` / `npm run verity -- …`: the operator's CLI. It uses the shared library directly, so it
 * works against the local stack (`--local`, or the emulator env) and against a real project (Application
 * Default Credentials, `--project`). Exit codes: 0 done, 1 failed, 2 usage or no credentials, 3 not found,
 * 4 partly done.
 */
import { parseArgs } from 'node:util';
import { loadLocalSecret, mintLocalToken } from '../../shared/src/auth/local-issuer.js';
import { parseEnv } from '../../shared/src/config/env.js';
import { NotFoundError } from '../../shared/src/core/index.js';
import { sweepOrphans } from '../../shared/src/evidence/orphans.js';
import { silentLogger } from '../../shared/src/log.js';
import { createRuntime, type Runtime } from '../../shared/src/runtime.js';
import { jobView, transitionView } from '../../shared/src/views.js';
import { checkCredentials, credentialsLine, isCredentialsError } from './credentials.js';
import { parseDuration, progress, table } from './format.js';
import { explain, stats } from './insight.js';
import { importCommand, ImportUsageError } from './import.js';
import { SUBSCRIPTION_OPTIONS, SUBSCRIPTIONS_USAGE, subscriptionsCommand } from './subscriptions.js';
import { BULK_OPTIONS, BULK_USAGE, bulkCommand } from './bulk.js';

const USAGE = `usage: verity <command> [options]

  jobs ls [--status S] [--type T] [--owner U] [--resource-key K] [--limit N]
  jobs show <jobId>
  jobs history <jobId>
  explain <jobId>              the job in plain words: cause, evidence, next deadline, what to do
  stats [--window 1h|24h|7d]   what recovered what: by source and reason, time to recover, failure rate per type
  reconcile <jobId> [--dry-run] reconcile one job now (probes outputs and the executor); --dry-run: what it would do
  reconcile --stale            reconcile every job whose deadline or due action has passed
  sweep [--dry-run] [--older-than 5m]  what the scheduler runs (due jobs, retries, events); --older-than: every
                               queued or running job that old, due or not
  cleanup [--older-than 24h] [--dry-run]
                               delete tmp/ and proxy/ prefixes of ended or unknown jobs past retention
  import --mapping m.json [--source-project P] [--source-database D] [--dry-run]
                               existing records as jobs: attached where they name an execution, succeeded
                               where their outputs are there, the rest listed with why (docs/adopt.md)
${SUBSCRIPTIONS_USAGE}
${BULK_USAGE}
  backfill-shards              once after upgrading: the shard on jobs, transitions, deliveries written before it
  token <userId> [--admin]     a bearer token of the local issuer

options: --json (machine output), --local (the npm start stack on 127.0.0.1), --project P
exit codes: 0 done, 1 failed, 2 usage or no Google credentials, 3 not found, 4 partly done (budget ran out, some jobs errored)`;

class UsageError extends Error {}

const COMMANDS = new Set([
  'jobs',
  'explain',
  'stats',
  'reconcile',
  'sweep',
  'cleanup',
  'import',
  'subscriptions',
  'bulk',
  'backfill-shards',
]);

const LOCAL = {
  FIRESTORE_EMULATOR_HOST: '127.0.0.1:8681',
  PUBSUB_EMULATOR_HOST: '127.0.0.1:8685',
  VERITY_GCS_ENDPOINT: 'http://127.0.0.1:4443',
  GOOGLE_CLOUD_PROJECT: 'verity-local',
  METADATA_SERVER_DETECTION: 'none',
};

function out(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : human());
}

async function main(argv: string[]): Promise<number> {
  const { values: o, positionals: pos } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      local: { type: 'boolean', default: false },
      project: { type: 'string' },
      status: { type: 'string' },
      type: { type: 'string' },
      owner: { type: 'string' },
      'resource-key': { type: 'string' },
      limit: { type: 'string' },
      stale: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      'older-than': { type: 'string' },
      window: { type: 'string' },
      admin: { type: 'boolean', default: false },
      mapping: { type: 'string' },
      'source-project': { type: 'string' },
      'source-database': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
      ...SUBSCRIPTION_OPTIONS,
      ...BULK_OPTIONS,
    },
  });
  if (o.help || pos.length === 0) {
    process.stdout.write(`${USAGE}\n`);
    return o.help ? 0 : 2;
  }
  if (o.local) Object.assign(process.env, LOCAL);
  if (o.project) process.env.GOOGLE_CLOUD_PROJECT = o.project;
  if (process.env.FIRESTORE_EMULATOR_HOST) process.env.METADATA_SERVER_DETECTION ??= 'none';
  const env = parseEnv();
  const [cmd, sub, arg] = pos;

  if (cmd === 'token') {
    const user = sub;
    if (!user) throw new UsageError('token needs a userId');
    process.stdout.write(
      `${await mintLocalToken(loadLocalSecret(env.localJwtSecret, env.stateDir), user, { admin: o.admin })}\n`,
    );
    return 0;
  }

  if (!cmd || !COMMANDS.has(cmd)) throw new UsageError(`unknown command "${cmd ?? ''}"`);
  await checkCredentials();
  const rt: Runtime = createRuntime('cli', { env, log: silentLogger() });
  try {
    switch (cmd) {
      case 'jobs':
        return await jobs(rt, sub, arg, o);
      case 'explain':
        if (!sub) throw new UsageError('explain needs a jobId');
        process.stdout.write(await explain(rt, sub, o.json));
        return 0;
      case 'stats':
        process.stdout.write(await stats(rt, o.window, o.json));
        return 0;
      case 'reconcile': {
        if (o.stale) return await sweep(rt, false, o.json, 'reconcile');
        if (!sub) throw new UsageError('reconcile needs a jobId, or --stale');
        // --dry-run: what a reconcile would do now, nothing written (seed 001's auto_fix=False)
        const report = o['dry-run']
          ? await rt.reconciler.preview(sub)
          : (await rt.reconciler.reconcile(sub, 'reconcile')).report;
        out(
          o.json,
          report,
          () =>
            `${report.jobId}: ${report.originalStatus} → ${report.correctedStatus} ` +
            `(${report.dryRun ? `would be ${report.action}` : report.action}, ${report.reason})\n` +
            table(
              report.evidence.map((e) => ({ source: e.source, observation: e.observation })),
              ['source', 'observation'],
            ),
        );
        return 0;
      }
      case 'sweep': {
        // --older-than 5m: every queued or running job that old, due or not (seed 003's older_than_minutes)
        const olderThanMs = o['older-than'] ? parseDuration(o['older-than']) : undefined;
        return await sweep(rt, o['dry-run'] === true, o.json, 'sweep', olderThanMs);
      }
      case 'import':
        return await importCommand(
          rt,
          {
            mapping: o.mapping,
            sourceProject: o['source-project'],
            sourceDatabase: o['source-database'],
            dryRun: o['dry-run'] === true,
            json: o.json,
          },
          env.projectId,
        );
      case 'subscriptions':
        return await subscriptionsCommand(rt, sub, arg, o);
      case 'bulk':
        return await bulkCommand(rt, sub, arg, o);
      case 'backfill-shards': {
        // once, after upgrading to the sharded due index (docs/deploy.md, "Upgrading")
        const r = await rt.ledger.backfillShards(
          (what, c) => o.json || process.stderr.write(`${what}: ${c.seen} read, ${c.written} set\r`),
        );
        const line = (what: keyof typeof r) => `${what}: ${r[what].seen} read, ${r[what].written} given their shard\n`;
        out(o.json, r, () => line('jobs') + line('transitions') + line('deliveries'));
        return 0;
      }
      case 'cleanup': {
        const olderThan = o['older-than'] ? parseDuration(o['older-than']) : undefined;
        const bar = progress('cleanup', !o.json);
        const report = await sweepOrphans(
          { storage: rt.storage, ledger: rt.ledger, registry: rt.registry },
          {
            buckets: env.allowedBuckets,
            now: Date.now(),
            dryRun: o['dry-run'],
            ...(olderThan !== undefined ? { retentionMs: { tmp: olderThan, proxy: olderThan } } : {}),
            onProgress: (d, t) => bar.update(d, t),
          },
        );
        bar.end();
        out(
          o.json,
          report,
          () =>
            `${report.dryRun ? 'would delete' : 'deleted'} ${report.objectsDeleted} objects (${report.bytesDeleted} bytes) ` +
            `in ${report.prefixesDeleted} of ${report.prefixesSeen} prefixes\n` +
            report.deleted.map((d) => `  ${d}\n`).join(''),
        );
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${cmd}"`);
    }
  } finally {
    await rt.ledger.close();
    await rt.pubsub.close();
  }
}

async function jobs(
  rt: Runtime,
  sub: string | undefined,
  id: string | undefined,
  o: Record<string, unknown>,
): Promise<number> {
  const json = o.json === true;
  if (sub === 'ls') {
    const limit = Number(o.limit ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit must be 1..1000');
    const filter = {
      status: o.status as string | undefined,
      type: o.type as string | undefined,
      ownerId: o.owner as string | undefined,
      resourceKey: o['resource-key'] as string | undefined,
    };
    const list = (await rt.ledger.jobs.list(filter, limit)).jobs.map((j) => jobView(j, rt.clock()));
    out(json, list, () =>
      table(
        list.map((j) => ({
          id: j.id,
          type: j.type,
          owner: j.ownerId,
          status: j.status,
          reason: j.statusReason,
          attempt: j.attempt,
          created: j.createdAt,
          next: j.nextCheckAt,
        })),
        ['id', 'type', 'owner', 'status', 'reason', 'attempt', 'created', 'next'],
      ),
    );
    return 0;
  }
  if (sub !== 'show' && sub !== 'history') throw new UsageError('jobs ls | show <id> | history <id>');
  if (!id) throw new UsageError(`jobs ${sub} needs a jobId`);
  const job = await rt.store.get(id);
  if (!job) throw new NotFoundError(`job ${id} not found`);
  if (sub === 'show') {
    const v = jobView(job, rt.clock());
    out(
      json,
      v,
      () =>
        Object.entries(v)
          .map(
            ([k, val]) =>
              `${k.padEnd(20)} ${val === null ? '-' : typeof val === 'object' ? JSON.stringify(val) : String(val)}`,
          )
          .join('\n') + '\n',
    );
    return 0;
  }
  const h = (await rt.store.history(id)).map(transitionView);
  out(json, h, () =>
    table(
      h.map((t) => ({
        seq: t.seq,
        at: t.at,
        from: t.from,
        to: t.to,
        reason: t.reason,
        source: t.source,
        attempt: t.attempt,
      })),
      ['seq', 'at', 'from', 'to', 'reason', 'source', 'attempt'],
    ),
  );
  return 0;
}

async function sweep(
  rt: Runtime,
  dryRun: boolean,
  json: boolean,
  source: 'sweep' | 'reconcile',
  olderThanMs?: number,
): Promise<number> {
  const bar = progress(dryRun ? 'checking' : 'reconciling', !json);
  const aged = olderThanMs === undefined ? {} : { olderThanMs };
  const report = await rt.sweeper.sweep({
    dryRun,
    source,
    budgetMs: 10 * 60_000,
    onProgress: (d) => bar.update(d),
    ...aged,
  });
  bar.end();
  out(json, report, () => {
    if (dryRun) return `${report.checked} jobs due\n` + table(report.due ?? [], ['jobId', 'status', 'nextCheckAt']);
    const outcomes =
      Object.entries(report.outcomes)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none';
    const budget = report.complete ? '' : '; budget ran out, run again';
    return (
      `checked ${report.checked}, corrected ${report.corrected} (${outcomes}); ` +
      `republished ${report.republished} events; ${report.durationMs} ms${budget}\n`
    );
  });
  return !report.complete || (report.outcomes.error ?? 0) > 0 ? 4 : 0;
}

/** Credentials trouble may also surface inside a client, outside any awaited call: still one line. */
process.on('unhandledRejection', (err: unknown) => {
  process.stderr.write(
    isCredentialsError(err) ? `${credentialsLine(err)}\n` : `verity: ${(err as Error)?.message ?? String(err)}\n`,
  );
  process.exit(isCredentialsError(err) ? 2 : 1);
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (isCredentialsError(err)) {
      process.stderr.write(`${credentialsLine(err)}\n`);
      process.exit(2);
    }
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith?.('ERR_PARSE_ARGS')) {
      process.stderr.write(`verity: ${(err as Error).message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    if (err instanceof ImportUsageError) {
      process.stderr.write(`verity: ${err.message}\n`);
      process.exit(2);
    }
    if (err instanceof NotFoundError) {
      process.stderr.write(`verity: ${err.message}\n`);
      process.exit(3);
    }
    process.stderr.write(`verity: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
