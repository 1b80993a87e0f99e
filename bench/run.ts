/**
 * `npm run bench`: ratios measured side by side in one run against the Firestore emulator (started here
 * on its own port). Not a test: no assertions, the machine is shared and noisy; compare the ratios.
 *  (a) job lifecycle enqueue → started → progress → succeeded, transitions/s, relative to the same number of
 *      bare read-modify-write transactions on distinct documents (goal ≥ 0.5), and to as many reads each
 *      followed by a write conditional on the read's update time (Verity's own way of writing);
 *  (b) GET /api/jobs/:id of an in-deadline job, relative to a bare document read served over the same
 *      functions-framework HTTP stack (goal ≤ 1.3);
 *  (c) finalize → job succeeded through object-finalized, relative to the bare transport floor (fake-gcs-server →
 *      Pub/Sub emulator → push to a function that does nothing), on the same uploads (goal ≤ 1.5 at p50);
 *  (d) the sweep over 1,000 stale jobs among 10,000 and among 100,000 (goal: within 1.3× of each other), and
 *      the seeds' approach on the same 100,000 (scan every processing job, probe one by one; goal ≥ 10× slower).
 *  (e) 200 concurrent SSE clients on one job: delivery latency relative to one client (VERITY_BENCH_SSE_REPEATS,
 *      default 5, repeats side by side, samples pooled: p99 of ≥ 100 samples each side), memory per connection.
 *  (f) cold start of every deploy unit against a bare functions-framework function, alternating runs: time to
 *      the first answer and peak memory (goal ≤ 2× and ≤ 90 MiB); then each unit's first real request (it loads
 *      the clients) against a bare function making the same client calls; VERITY_BENCH_COLD_ROUNDS (default 5).
 *  (g) resume against restart: a 4-step job crashed at step 3, the second attempt's time and Cloud Storage
 *      operations with and without the first's checkpoints (VERITY_BENCH_RESUME_ROUNDS, default 5).
 *  (h) P11 dispatch: POST /api/jobs of a cloud-run-job type → the execution's creation at the (fake) Cloud Run
 *      API, p50/p99, against a bare function that creates a similar document and runs the job with the same
 *      client; VERITY_BENCH_DISPATCH_JOBS (default 1000) per side at VERITY_BENCH_DISPATCH_RATE/s (default 10),
 *      then as many at once.
 *  (i) the sweep's drain rate against its fan-out: VERITY_BENCH_DRAIN_JOBS (default 10000; 100000 too) due jobs
 *      drained by 1, 2 and 4 sweeps side by side, each with its share of the shards; the rate's ratio to one.
 *  (j) load: POST /api/jobs of an external type, open loop at VERITY_BENCH_LOAD_RATE/s (default 50) for
 *      VERITY_BENCH_LOAD_SECONDS (default 30) per side, then VERITY_BENCH_LOAD_BURST (default 500) at once, p50/p99
 *      against a bare Firestore create (P11); then every job's life through the job-updates handler
 *      (VERITY_BENCH_LOAD_WORKERS, default 20, in flight), transitions/s; then the run's invariants, read back.
 * Pick parts with VERITY_BENCH_ONLY=a,b,c,d,e,f,g,h,i,j; VERITY_BENCH_SWEEP_TOTALS=10000,100000.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createTopic,
  startFakeGcs,
  startFirestore,
  startPubsub,
  type RunningService,
} from '../infra/local/emulators.js';
import { ensureFakeGcs, findRepoRoot } from '../infra/local/tools.js';
import { benchFinalize } from './finalize.js';
import { benchSweep } from './sweep.js';
import { benchSse } from './sse.js';
import { LOCAL_HOST } from '../infra/local/ports.js';
import { benchGet } from './get-vs-read.js';
import { benchLifecycle } from './lifecycle.js';
import { benchColdStart, type ColdStartRow } from './coldstart.js';
import { benchResume } from './resume.js';
import { benchDispatch, type DispatchLoad } from './dispatch.js';
import { benchDrain } from './drain.js';
import { benchLoad, type LoadResult } from './load.js';

// one owner holds every bench job: quotas and enqueue rates are not what the bench measures
process.env.VERITY_MAX_ACTIVE_JOBS ??= '100000';
process.env.VERITY_ENQUEUE_PER_OWNER_PER_MINUTE ??= '0';
process.env.VERITY_ENQUEUE_BASE_PER_SECOND ??= '0';

const port = Number(process.env.VERITY_BENCH_FIRESTORE_PORT ?? 19681);
const pubsubPort = Number(process.env.VERITY_BENCH_PUBSUB_PORT ?? 19685);
const gcsPort = Number(process.env.VERITY_BENCH_GCS_PORT ?? 19443);
const PROJECT = 'verity-bench';
const TOPIC = 'verity-gcs-notifications';
const logDir = mkdtempSync(path.join(os.tmpdir(), 'verity-bench-'));

async function main(): Promise<void> {
  process.stdout.write(`starting the Firestore emulator on ${LOCAL_HOST}:${port} (logs in ${logDir})…\n`);
  const binary = await ensureFakeGcs(findRepoRoot(import.meta.url));
  const [fs, ps, gcs]: RunningService[] = (await Promise.all([
    startFirestore({ host: LOCAL_HOST, port, logDir }),
    startPubsub({ host: LOCAL_HOST, port: pubsubPort, project: PROJECT, logDir }),
    startFakeGcs({
      host: LOCAL_HOST,
      port: gcsPort,
      logDir,
      binary,
      project: PROJECT,
      pubsubHost: `${LOCAL_HOST}:${pubsubPort}`,
      topic: TOPIC,
      backend: 'memory',
    }),
  ])) as [RunningService, RunningService, RunningService];
  process.env.FIRESTORE_EMULATOR_HOST = fs.hostPort;
  process.env.PUBSUB_EMULATOR_HOST = ps.hostPort;
  process.env.METADATA_SERVER_DETECTION = 'none';
  await createTopic(ps.hostPort, PROJECT, TOPIC);
  try {
    const only = new Set((process.env.VERITY_BENCH_ONLY ?? 'a,b,c,d,e,f,g,h,i,j').split(','));
    const a = only.has('a')
      ? await benchLifecycle(
          Number(process.env.VERITY_BENCH_JOBS ?? 150),
          Number(process.env.VERITY_BENCH_CONCURRENCY ?? 10),
        )
      : null;
    const b = only.has('b') ? await benchGet(Number(process.env.VERITY_BENCH_REQUESTS ?? 400)) : null;
    const c = only.has('c')
      ? await benchFinalize({
          objects: Number(process.env.VERITY_BENCH_OBJECTS ?? 200),
          project: PROJECT,
          pubsubHost: ps.hostPort,
          gcsUrl: gcs.url,
          topic: TOPIC,
        })
      : null;
    const totals = (process.env.VERITY_BENCH_SWEEP_TOTALS ?? '10000,100000').split(',').map(Number);
    const e = only.has('e') ? await benchSse(Number(process.env.VERITY_BENCH_SSE_CLIENTS ?? 200)) : null;
    const d = only.has('d') ? await benchSweep(gcs.url, totals) : null;
    const f = only.has('f')
      ? await benchColdStart({
          rounds: Number(process.env.VERITY_BENCH_COLD_ROUNDS ?? 5),
          basePort: Number(process.env.VERITY_BENCH_COLD_PORT ?? 19700),
          // a project of its own: the sweep's real request sees only the jobs seeded for it
          env: { GOOGLE_CLOUD_PROJECT: `${PROJECT}-cold`, VERITY_GCS_ENDPOINT: gcs.url, VERITY_LOG_LEVEL: 'warn' },
          pubsubHost: ps.hostPort,
        })
      : null;
    const g = only.has('g')
      ? await benchResume(gcs.url, 'verity-bench-resume', Number(process.env.VERITY_BENCH_RESUME_ROUNDS ?? 5))
      : null;
    const h = only.has('h')
      ? await benchDispatch({
          jobs: Number(process.env.VERITY_BENCH_DISPATCH_JOBS ?? 1000),
          ratePerSecond: Number(process.env.VERITY_BENCH_DISPATCH_RATE ?? 10),
          gcsUrl: gcs.url,
          pubsubHost: ps.hostPort,
        })
      : null;
    const i = only.has('i') ? await benchDrain(gcs.url, Number(process.env.VERITY_BENCH_DRAIN_JOBS ?? 10_000)) : null;
    const j = only.has('j')
      ? await benchLoad({
          rate: Number(process.env.VERITY_BENCH_LOAD_RATE ?? 50),
          seconds: Number(process.env.VERITY_BENCH_LOAD_SECONDS ?? 30),
          burst: Number(process.env.VERITY_BENCH_LOAD_BURST ?? 500),
          workers: Number(process.env.VERITY_BENCH_LOAD_WORKERS ?? 20),
          gcsUrl: gcs.url,
          pubsubHost: ps.hostPort,
        })
      : null;
    process.stdout.write('\nresults\n');
    if (a)
      process.stdout.write(
        `(a) lifecycle: ${a.transitionsPerSecond.toFixed(0)} transitions/s vs ${a.barePerSecond.toFixed(0)} bare RMW tx/s ` +
          `→ ratio ${a.ratio.toFixed(2)} (goal ≥ 0.5); vs ${a.conditionalPerSecond.toFixed(0)} reads + conditional ` +
          `writes/s (update-time precondition, as Verity writes) → ratio ${a.ratioConditional.toFixed(2)}\n`,
      );
    if (b)
      process.stdout.write(
        `(b) GET /api/jobs/:id: median ${b.apiMedianMs.toFixed(2)} ms vs bare read ${b.bareMedianMs.toFixed(2)} ms ` +
          `→ ratio ${b.ratio.toFixed(2)} (goal ≤ 1.3)\n`,
      );
    if (c)
      process.stdout.write(
        `(c) finalize → succeeded: p50 ${c.verityP50.toFixed(1)} ms, p99 ${c.verityP99.toFixed(1)} ms (n ${c.n.verity}) ` +
          `vs transport floor p50 ${c.floorP50.toFixed(1)} ms, p99 ${c.floorP99.toFixed(1)} ms (n ${c.n.floor}) ` +
          `→ ratio p50 ${c.ratioP50.toFixed(2)} (goal ≤ 1.5), p99 ${c.ratioP99.toFixed(2)}; ${c.succeeded} jobs succeeded` +
          `; never delivered: ${c.missing.verity} to object-finalized, ${c.missing.floor} to the floor` +
          `; ${c.early} deliveries before the upload's own answer; object-finalized's handler alone p50 ` +
          `${c.handler.p50.toFixed(1)} ms, p99 ${c.handler.p99.toFixed(1)} ms (n ${c.handler.n}), at most ` +
          `${c.handler.maxInFlight} deliveries in flight\n`,
      );
    if (e)
      process.stdout.write(
        `(e) SSE: a transition reaches 1 client in p50 ${e.oneP50.toFixed(1)} ms, p99 ${e.oneP99.toFixed(1)} ms ` +
          `(n ${e.n.one} rounds); 200 clients p50 ${e.manyP50.toFixed(1)} ms, p99 ${e.manyP99.toFixed(1)} ms ` +
          `(n ${e.n.many} deliveries of ${e.n.manyTransitions} transitions) ` +
          `→ ratio p50 ${e.ratioP50.toFixed(2)}, p99 ${e.ratioP99.toFixed(2)} (${e.ratiosP50.length} repeats side by ` +
          `side, pooled; each repeat's p50 ratio: ${e.ratiosP50.map((x) => x.toFixed(2)).join(', ')}); ` +
          `of which the commit and the emulator's push to the server: p50 / max ${e.push.one.map((x) => x.toFixed(1)).join(' / ')} ms ` +
          `in rounds of 1 (n ${e.n.one}), ${e.push.many.map((x) => x.toFixed(1)).join(' / ')} ms in rounds of 200 ` +
          `(n ${e.n.manyTransitions}); ` +
          `${e.heapPerConnKiB.toFixed(1)} KiB live memory per open stream after full GCs, median of 3 rounds ` +
          `(clients included; RSS delta ${e.rssPerConnKiB.toFixed(0)} KiB)\n`,
      );
    if (g)
      process.stdout.write(
        `(g) resume vs restart after a crash at step 3 of 4: the second attempt takes ${g.resume.ms.toFixed(0)} ms and ` +
          `${g.resume.ops} Cloud Storage operations resuming, ${g.restart.ms.toFixed(0)} ms and ${g.restart.ops} restarting ` +
          `→ time ratio ${g.timeRatio.toFixed(2)}, operations ratio ${g.opsRatio.toFixed(2)}; checkpointing a run that ` +
          `does not crash costs ×${g.overheadTime.toFixed(2)} time, ×${g.overheadOps.toFixed(2)} operations\n`,
      );
    if (d) {
      for (const r of d)
        process.stdout.write(
          `(d) ${r.approach} over ${r.total} jobs: ${Math.round(r.ms)} ms, ${r.documentsRead} documents read, ${r.corrected} corrected\n`,
        );
      const v = d.filter((r) => r.approach === 'verity sweep');
      const scan = d.find((r) => r.approach !== 'verity sweep');
      const big = v.find((r) => r.total === scan?.total);
      if (v.length >= 2)
        process.stdout.write(
          `(d) sweep time ${v.at(-1)!.total} vs ${v[0]!.total} jobs → ratio ${(v.at(-1)!.ms / v[0]!.ms).toFixed(2)} (goal ≤ 1.3)\n`,
        );
      if (scan && big)
        process.stdout.write(
          `(d) seeds' scan vs Verity at ${scan.total} → ${(scan.ms / big.ms).toFixed(1)}× slower (goal ≥ 10)\n`,
        );
    }
    for (const r of f ?? []) printColdStart(r);
    for (const r of i ?? [])
      process.stdout.write(
        `(i) drain of ${r.jobs} due jobs by ${r.fanout} sweep(s): ${Math.round(r.ms)} ms, ${r.corrected} corrected, ` +
          `${r.perSecond.toFixed(0)} jobs/s → ratio ${(r.perSecond / i![0]!.perSecond).toFixed(2)} to one sweep\n`,
      );
    if (h) {
      for (const [name, l] of [['steady', h.steady] as const, ['burst', h.burst] as const]) printDispatch(name, l);
      const errors = Object.entries(h.errors).map(([k, v]) => `${v} × ${k}`);
      if (errors.length) process.stdout.write(`(h) errors Verity logged: ${errors.join('; ')}\n`);
    }
    if (j) printLoad(j);
  } finally {
    await Promise.all([fs.stop(), ps.stop(), gcs.stop()]);
  }
}

function printColdStart(r: ColdStartRow): void {
  if (r.name.startsWith('floor: ') && r.real) {
    const x = r.real;
    process.stdout.write(
      `(f) cold start, ${r.name.slice(7)}'s floor (a bare function making the same client calls): first real ` +
        `request +${x.ms.toFixed(0)} ms, ${x.totalMs.toFixed(0)} ms from spawn, peak after ${x.rssMiB.toFixed(0)} MiB ` +
        `(n ${x.n}${x.failed ? `; ${x.failed} did not do their work` : ''})\n`,
    );
    return;
  }
  let line =
    `(f) cold start ${r.name}: first answer ${r.ms.toFixed(0)} ms (${r.msRatio.toFixed(2)}× bare, goal ≤ 2), ` +
    `peak ${r.rssMiB.toFixed(0)} MiB (${r.rssRatio.toFixed(2)}× bare; goal ≤ 90 MiB)`;
  const x = r.real;
  if (x) {
    const ratio = (k: 'ms' | 'totalMs' | 'rssMiB'): string => (x.ratios ? ` (${x.ratios[k].toFixed(2)}× floor)` : '');
    line +=
      `; first real request +${x.ms.toFixed(0)} ms${ratio('ms')}, ${x.totalMs.toFixed(0)} ms from spawn` +
      `${ratio('totalMs')}, peak after ${x.rssMiB.toFixed(0)} MiB${ratio('rssMiB')}` +
      ` (n ${x.n}${x.failed ? `; ${x.failed} did not do their work` : ''})`;
  }
  process.stdout.write(`${line}\n`);
}

function printDispatch(name: string, l: DispatchLoad): void {
  const side = (x: DispatchLoad['verity']): string =>
    `p50 ${x.p50.toFixed(1)} ms, p99 ${x.p99.toFixed(1)} ms (n ${x.n}` +
    (x.failed
      ? `, ${x.failed} started nothing: ${Object.entries(x.why)
          .map(([k, v]) => `${v} × ${k}`)
          .join(', ')}`
      : '') +
    (name === 'burst' ? `; ${x.perSecond.toFixed(1)} executions/s)` : ')');
  process.stdout.write(
    `(h) P11 dispatch, ${name}: enqueue → execution created ${side(l.verity)} vs bare create + runJob ${side(l.bare)} ` +
      `→ ratio p50 ${l.ratioP50.toFixed(2)}, p99 ${l.ratioP99.toFixed(2)}\n`,
  );
}

function printLoad(j: LoadResult): void {
  const side = (x: LoadResult['steady']['verity']): string =>
    `p50 ${x.p50.toFixed(1)} ms, p99 ${x.p99.toFixed(1)} ms (n ${x.n}` +
    (x.failed
      ? `, ${x.failed} failed: ${Object.entries(x.why)
          .map(([k, v]) => `${v} × ${k}`)
          .join(', ')}`
      : '') +
    `; ${x.perSecond.toFixed(1)} answers/s${x.lateMs > 0 ? `; sends at most ${x.lateMs.toFixed(0)} ms late` : ''}` +
    `; bench process ${(x.cpu * 100).toFixed(0)} % of a core)`;
  for (const [name, l] of [['steady', j.steady] as const, ['burst', j.burst] as const])
    process.stdout.write(
      `(j) load, ${name}: POST /api/jobs ${side(l.verity)} vs bare create ${side(l.bare)} ` +
        `→ ratio p50 ${l.ratioP50.toFixed(2)}, p99 ${l.ratioP99.toFixed(2)}\n`,
    );
  const x = j.lives;
  process.stdout.write(
    `(j) load, worker reports: ${x.jobs} jobs × 3 (started, progress, succeeded) through job-updates in ` +
      `${x.seconds.toFixed(1)} s → ${x.transitionsPerSecond.toFixed(0)} transitions/s (${x.transitions} committed), ` +
      `${x.reportsPerSecond.toFixed(0)} reports/s vs bare read + conditional write ${x.bareReportsPerSecond.toFixed(0)}/s ` +
      `(${x.bareJobs} jobs) → ratio ${x.ratio.toFixed(2)}; redelivered ${x.redelivered.verity} / ${x.redelivered.bare}, ` +
      `never acknowledged ${x.neverAcked.verity} / ${x.neverAcked.bare}; bench process ` +
      `${(x.cpu.verity * 100).toFixed(0)} / ${(x.cpu.bare * 100).toFixed(0)} % of a core\n`,
  );
  const bad = Object.values(j.violations).reduce((a, b) => a + b, 0);
  process.stdout.write(
    `(j) load, invariants over the run: ${j.answered} 2xx answers, ${j.created} jobs created; ${bad} violations: ` +
      `${Object.entries(j.violations)
        .map(([k, v]) => `${k} ${v}`)
        .join('; ')}\n`,
  );
  for (const e of j.examples.slice(0, 10)) process.stdout.write(`(j)   ${e}\n`);
  const logged = Object.entries(j.logged).map(([k, v]) => `${v} × ${k}`);
  if (logged.length) process.stdout.write(`(j) warnings and errors Verity logged: ${logged.join('; ')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
