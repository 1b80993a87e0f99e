/**
 * One soak run: the stack (units.ts), the Cloud Run fake and its driver, the event recorder, the workload,
 * random SIGKILLs of units and the sweep's schedule; then the drain, a quiet period, the read-back of the ground
 * truth (what the workload's actors recorded, in `<logDir>/truth/`) and of Verity's documents, and the verdict.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Firestore, Timestamp } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import type { Job, PatchLog, RecordedTransition } from '../../shared/src/core/index.js';
import { createStorage } from '../../shared/src/evidence/storage.js';
import { mapLimit } from '../../shared/src/evidence/limits.js';
import { jobFromDoc } from '../../shared/src/store/codec.js';
import { patchLogOf } from '../../shared/src/store/job-doc.js';
import { Collections, col } from '../../shared/src/store/firestore.js';
import { QUERIES } from '../../shared/src/store/queries.js';
import { DUE_SHARDS } from '../../shared/src/store/shards.js';
import { JobStore } from '../../shared/src/store/job-store.js';
import { s3BucketOf, TOPIC_JOB_EVENTS, TOPIC_JOB_UPDATES } from '../local/stack.js';
import { s3Lister } from './s3-objects.js';
import { emulatorTransport } from '../../shared/src/worker/reporter.js';
import { SoakClient } from './client.js';
import { holdRandomJob } from './contention.js';
import { executionTruth, startCloudRun } from './cloud-run.js';
import type { SoakConfig } from './config.js';
import { recordEvents } from './events.js';
import { readTruth, truthWriter } from '../local/truth-log.js';
import { checkInvariants, COUNTED, type Findings } from './invariants.js';
import { planJobs, rng, streamSeed, type JobSpec } from './plan.js';
import type { FaultRecord } from './proxy.js';
import { jobsDump, percentile, recoveries, slowest, summarize, type Summary } from './report.js';
import {
  JOB_BOUND_MS,
  SWEEP_LEASE_MS,
  SOAK_APP_PROJECT,
  SOAK_BUCKET,
  SOAK_PROJECT,
  SOAK_SECRET,
  startSoakStack,
  truthFiles,
  UNITS,
} from './units.js';
import { runWorkload } from './workload.js';
import { soakBulk } from './bulk.js';
import { appImports } from './imports.js';
import { startWebhookSink, subscribeSink } from './webhooks.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Sweeps the soak's scheduler lets run at once (each fired on schedule, as Cloud Scheduler does). */
const MAX_SWEEPS_IN_FLIGHT = 3;
/**
 * After every job has ended and every event gone out, the stack runs on this long, sweeps included, before the
 * read-back: a stop the sweep repeats, an execution's exit after its cancel, the last deliveries.
 */
const QUIET_MS = 10_000;

export interface SoakResult {
  summary: Summary;
  findings: Findings;
  logDir: string;
  /** The workload's own failures (a request with no final answer, an output it could not write). */
  workloadErrors: string[];
}

export async function runSoak(cfg: SoakConfig, repoRoot: string, say: (line: string) => void): Promise<SoakResult> {
  const logDir = cfg.logDir ?? mkdtempSync(path.join(os.tmpdir(), 'verity-soak-'));
  const stateDir = path.join(logDir, 'state');
  mkdirSync(stateDir, { recursive: true });
  const truthDir = path.join(logDir, 'truth');
  mkdirSync(truthDir, { recursive: true });
  const files = truthFiles(truthDir);
  const faultLog = path.join(logDir, 'fault-points.jsonl');
  appendFileSync(faultLog, '');
  const faults: FaultRecord[] = [];
  const kills: FaultRecord[] = [];
  let faultsOn = true;
  let deliveries = 0;
  const record = (f: FaultRecord): void => void faults.push(f);
  say(`soak: seed ${cfg.seed}, ${cfg.jobs} jobs, logs in ${logDir}`);

  const { stack, ports, proxies, unitEnv } = await startSoakStack({
    cfg,
    repoRoot,
    logDir,
    stateDir,
    truthDir,
    faultLog,
    record,
    faultsActive: () => faultsOn,
    delivered: () => void deliveries++,
  });
  Object.assign(process.env, stack.env); // the emulators, for this process's own clients
  const db = new Firestore({ projectId: SOAK_PROJECT });
  const imports = appImports({ repoRoot, env: unitEnv, app: new Firestore({ projectId: SOAK_APP_PROJECT }), logDir });
  const pubsub = new PubSub({ projectId: SOAK_PROJECT });
  const storage = createStorage(SOAK_PROJECT, stack.gcs.url);
  const jobSpec = new Map<string, JobSpec>();
  // executions the app started (issue 30) → the job that attached each; the plan, once made
  const attached = new Map<string, string>();
  const planned: JobSpec[] = [];
  const cloudRun = await startCloudRun({
    port: ports.cloudRun,
    storage,
    rng: rng(streamSeed(cfg.seed, 'cloud-run')),
    errorRate: cfg.cloudRunErrorRate,
    specOf: (id) => jobSpec.get(id),
    specAt: (index) => planned[index],
    attachedJob: (execution) => attached.get(execution),
    record,
    active: () => faultsOn,
    transport: emulatorTransport(stack.env.PUBSUB_EMULATOR_HOST!, SOAK_PROJECT, TOPIC_JOB_UPDATES),
    truth: truthWriter(files.cloudRun),
  });
  const events = await recordEvents(pubsub, TOPIC_JOB_EVENTS, `soak-events-${Date.now()}`);
  const client = new SoakClient(`http://127.0.0.1:${ports.api}`, SOAK_SECRET, truthWriter(files.requests));
  const bulk = soakBulk(client, db); // halfway: carol cancels her running jobs at once (bulk.ts)
  // outbound webhooks (issue 31): every owner's transitions to a subscriber that refuses 5% while faults are on
  const hooks = await startWebhookSink(rng(streamSeed(cfg.seed, 'webhooks')), 0.05, () => faultsOn);
  await subscribeSink(`http://127.0.0.1:${ports.api}`, await client.token('soak-ops', true), hooks);
  const timers: NodeJS.Timeout[] = [];
  /** The scheduler's view of the sweeps: answered (and how long each took), failed, not fired (too many in flight). */
  const sweeps = {
    ms: [] as number[],
    failed: 0,
    skipped: 0,
    slow: 0,
  };
  try {
    // random SIGKILLs, the sweep's schedule, the bucket's objects as they come
    const killRng = rng(streamSeed(cfg.seed, 'kills'));
    if (cfg.killEveryMs > 0)
      timers.push(
        setInterval(() => {
          if (!faultsOn || !killRng.chance(100 / cfg.killEveryMs)) return;
          const unit = killRng.pick(UNITS);
          if (stack.kill(unit)) kills.push({ kind: `kill:${unit}`, at: Date.now(), subject: null });
        }, 100),
      );
    // Cloud Scheduler fires on its schedule whether or not the last sweep has answered (the sweep's leases keep
    // overlapping runs apart): one sweep stalled on a Firestore lock a killed process held must not hold back
    // the next. At most MAX_SWEEPS_IN_FLIGHT at once, so a slow emulator is not buried.
    let sweeping = 0;
    const adminToken = await client.token('scheduler', true);
    timers.push(
      setInterval(() => {
        if (sweeping >= MAX_SWEEPS_IN_FLIGHT) return void sweeps.skipped++;
        sweeping++;
        const started = Date.now();
        fetch(`http://127.0.0.1:${ports.sweep}/`, {
          method: 'POST',
          headers: { authorization: `Bearer ${adminToken}` },
          signal: AbortSignal.timeout(60_000),
        })
          .then(async (r) => {
            const report = (await r.json()) as { outcomes?: Record<string, number> };
            sweeps.ms.push(Date.now() - started);
            sweeps.slow += report.outcomes?.slow ?? 0;
          })
          .catch(() => void sweeps.failed++) // killed mid-sweep (or down): the next one continues
          .finally(() => sweeping--);
      }, cfg.sweepIntervalMs),
    );
    const contentionRng = rng(streamSeed(cfg.seed, 'contention'));
    if (cfg.contentionEveryMs > 0)
      timers.push(
        setInterval(() => {
          if (!faultsOn) return;
          const at = Date.now();
          void holdRandomJob(db, contentionRng).then(
            (jobId) => jobId && record({ kind: 'firestore:contention', at, subject: jobId }),
            () => undefined, // aborted by the lock's other holder: contention all the same, but not counted
          );
        }, cfg.contentionEveryMs),
      );
    const seenObjects = new Set<string>();
    /** The bucket: each object's URI and generation. */
    const listS3 = s3Lister(cfg.ports.s3, s3BucketOf(SOAK_BUCKET));
    const listObjects = async (): Promise<Map<string, string>> => {
      const [[objects], s3] = await Promise.all([storage.bucket(SOAK_BUCKET).getFiles(), listS3()]);
      const gcs = objects.map((f): [string, string] => [
        `gs://${SOAK_BUCKET}/${f.name}`,
        String(f.metadata.generation),
      ]);
      return new Map([...gcs, ...s3]);
    };
    timers.push(
      setInterval(
        () =>
          void listObjects().then(
            (s) => s.forEach((_, u) => seenObjects.add(u)),
            () => undefined,
          ),
        3000,
      ),
    );

    const specs = planJobs(cfg.seed, cfg.jobs, SOAK_BUCKET, `s${cfg.seed}-${Date.now().toString(36)}`);
    planned.push(...specs);
    // the same seed plans the same run (its keys aside): two runs compare by this digest
    const digest = createHash('sha256').update(JSON.stringify(planJobs(cfg.seed, cfg.jobs, SOAK_BUCKET, 'run')));
    say(`soak: plan ${digest.digest('hex').slice(0, 16)} (seed ${cfg.seed}, ${cfg.jobs} jobs)`);
    const t0 = Date.now();
    const step = Math.max(1, Math.floor(cfg.jobs / 10));
    const work = await runWorkload({
      specs,
      client,
      db,
      storage,
      concurrency: cfg.concurrency,
      jobSpec,
      jobTimeoutMs: JOB_BOUND_MS,
      truth: truthWriter(files.external),
      attached,
      startElsewhere: (spec, output) => cloudRun.startElsewhere(spec, output),
      importRecord: (spec, execution, output) => imports.importRecord(spec, execution, output),
      progress: (n) => {
        if (n === Math.floor(cfg.jobs / 2)) void bulk.start();
        if (n % step === 0 || n === cfg.jobs)
          say(
            `soak: ${n}/${cfg.jobs} done, ${kills.length} kills, ${faults.length} faults, ${Math.round((Date.now() - t0) / 1000)}s`,
          );
      },
    });
    for (const e of work.errors.slice(0, 10)) say(`soak: workload error: ${e}`);
    if (work.errors.length > 10) say(`soak: … ${work.errors.length - 10} more workload errors`);

    // drain: no new faults; every job ends (or its bound passes), every outbox entry goes out
    faultsOn = false;
    const until = Date.now() + cfg.drainTimeoutMs;
    /** Each job's patches since its last transition (its document's patch log), for the checked replay. */
    const pendingPatches = new Map<string, PatchLog | null>();
    const allJobs = async (): Promise<Map<string, Job>> => {
      const snap = await col(db, Collections.jobs).get();
      for (const d of snap.docs) pendingPatches.set(d.id, patchLogOf(d.data()));
      return new Map(snap.docs.map((d) => [d.id, jobFromDoc(d.data())]));
    };
    for (;;) {
      // a failed job's late-output check (core/deadlines.ts) is still to come: it may yet turn it succeeded
      const active = [...(await allJobs()).values()].filter((j) => j.nextCheckAt !== null);
      const later = Timestamp.fromMillis(Date.now() + 3600_000);
      const shards = Array.from({ length: DUE_SHARDS }, (_, s) => QUERIES.pendingOutbox(db, s, later, 10_000));
      const counts = await Promise.all(
        [...shards, QUERIES.dueDeliveries(db, later, 10_000)].map(async (q) => (await q.count().get()).data().count),
      );
      const webhooks = counts.pop()!;
      const pending = counts.reduce((a, b) => a + b, 0);
      const bulkLeft = await bulk.pending();
      if (active.length + pending + webhooks + bulkLeft === 0 || Date.now() > until) break;
      say(
        `soak: draining, ${active.length} jobs with checks to come, ${pending} events unpublished, ${webhooks} webhooks` +
          `, ${bulkLeft} bulk items`,
      );
      await sleep(5000);
    }
    say(`soak: every job ended; ${QUIET_MS / 1000} s of quiet before the read-back`);
    await sleep(QUIET_MS);
    for (const t of timers) clearInterval(t);

    const jobs = await allJobs();
    const store = new JobStore({ db, clock: Date.now });
    const histories = new Map<string, RecordedTransition[]>();
    await mapLimit([...jobs.keys()], 16, async (id) => void histories.set(id, await store.recordedHistory(id)));
    const locks = (await col(db, Collections.locks).get()).docs.map((d) => ({
      id: d.id,
      jobId: String(d.get('jobId')),
    }));
    for (const line of existsSync(faultLog) ? readFileSync(faultLog, 'utf8').split('\n').filter(Boolean) : []) {
      const p = JSON.parse(line) as { point: string; jobId: string | null; at: number };
      kills.push({ kind: `point:${p.point}`, at: p.at, subject: p.jobId });
    }
    writeFileSync(path.join(logDir, 'jobs.jsonl'), jobsDump(jobs, histories)); // for a look afterwards
    // the Cloud Run fake's own record of its executions joins the truth (the driver wrote its outputs there)
    const writeCloudRun = truthWriter(files.cloudRun);
    for (const r of executionTruth(cloudRun.fake.executions.values(), (e) => attached.get(e))) writeCloudRun(r);
    const truth = readTruth(truthDir);
    for (const line of truth.torn.slice(0, 5)) say(`soak: a torn truth record: ${line}`);
    const docIds = (await col(db, Collections.jobs).listDocuments()).map((d) => d.id);
    const findings = checkInvariants({
      now: Date.now(),
      jobs,
      histories,
      historiesWithoutJob: docIds.filter((id) => !jobs.has(id)),
      pendingPatches,
      locks,
      objects: await listObjects(),
      seenObjects,
      events: events.seen,
      eventTo: events.to,
      truth: truth.records,
      sweepIntervalMs: cfg.sweepIntervalMs,
      sweepLeaseMs: SWEEP_LEASE_MS,
      duplicateMismatches: work.duplicateMismatches,
      startFaults: new Set(
        faults.flatMap((f) => (f.kind.startsWith('cloud-run') && f.attempt ? [`${f.subject}:${f.attempt}`] : [])),
      ),
      storageFaults: new Set(faults.flatMap((f) => (f.kind.startsWith('gcs:') && f.subject ? [f.subject] : []))),
    });
    const bulked = await bulk.check(histories, jobs);
    findings.wrong.push(...bulked.wrong);
    findings.stuck.push(...bulked.stuck);
    say(bulked.line);
    const hooked = hooks.check(histories);
    findings.undelivered.push(...hooked.problems);
    say(
      `soak: webhooks: ${hooked.expected} transitions, ${hooked.delivered} delivered, ${hooked.duplicates} duplicates, ` +
        `${hooked.refused} refused by the subscriber (retried)`,
    );
    const records = await imports.check(jobs, work.jobsOf); // the app's records, written back
    findings.wrong.push(...records.wrong);
    say(`soak: ${attached.size} executions the app started, attached; ${records.read} of their records read back`);
    const summary = summarize({
      planned: specs.length,
      acknowledged: work.acknowledged,
      jobs: jobs.size,
      kills,
      faults,
      findings,
      recoveries: recoveries([...kills, ...faults], jobs, histories),
      deliveries,
    });
    const restarts = JSON.stringify(stack.restarts);
    say(
      `soak: sweeps: ${sweeps.ms.length} answered (p50 ${percentile(sweeps.ms, 50)} ms, p99 ${percentile(sweeps.ms, 99)} ms), ` +
        `${sweeps.failed} failed, ${sweeps.skipped} not fired (${MAX_SWEEPS_IN_FLIGHT} in flight), ${sweeps.slow} jobs past their lease`,
    );
    say(
      `soak: ${work.cancels} cancels, ${work.retries} retries, ${work.locked} resourceKey conflicts, restarts ${restarts}`,
    );
    say(`soak: ${truth.records.length} truth records in ${truthDir}; ${work.errors.length} workload errors`);
    for (const k of COUNTED) for (const item of findings[k].slice(0, 20)) say(`soak: ${k}: ${item}`);
    for (const l of summary.perKind) say(l);
    say(summary.messageLine);
    for (const l of slowest(jobs, histories, faults)) say(l);
    say(summary.line);
    return { summary, findings, logDir, workloadErrors: work.errors };
  } finally {
    for (const t of timers) clearInterval(t);
    await events.stop().catch(() => undefined);
    await hooks.stop().catch(() => undefined);
    await cloudRun.stop().catch(() => undefined);
    for (const p of proxies) p.closeAllConnections();
    await Promise.all(proxies.map((p) => new Promise((r) => p.close(r))));
    await stack.stop();
    await db.terminate().catch(() => undefined);
    await pubsub.close().catch(() => undefined);
  }
}
