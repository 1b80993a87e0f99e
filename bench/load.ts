/**
 * (j) Load (issue 32): sustained enqueue at a fixed rate and a burst, on the stack the bench starts. `POST /api/jobs`
 * of the local `external` job type (nothing to start, nothing to probe: the API's own work and the commit) through
 * the real API handler over functions-framework, against a bare function on the same stack that validates nothing
 * and creates a similar document (P11's floor, as in (h)). Sustained: open loop at VERITY_BENCH_LOAD_RATE/s for
 * VERITY_BENCH_LOAD_SECONDS per side, in alternating blocks of 5 s; burst: VERITY_BENCH_LOAD_BURST at once per side.
 * The requests come from 20 owners in turn; the enqueue rate limits stay off (bench/run.ts), the quota counts.
 * Then every Verity job is driven through its life as a worker would — started, progress, succeeded — each report a
 * Pub/Sub push to the job-updates unit's handler with the job's worker credential (redelivered on a failure, as
 * Pub/Sub would), against a bare CloudEvent function doing one read and one conditional write a message, in
 * alternating blocks. Last, the run is judged by what happened: the bench's own record of every answer and delivery
 * against every job and history read back (the soak's request check and replay, and the checks below).
 */
import { randomUUID } from 'node:crypto';
import * as functions from '@google-cloud/functions-framework';
import type { CloudEvent } from '@google-cloud/functions-framework';
import { Firestore, Timestamp } from '@google-cloud/firestore';
import { createApiHandler } from '../functions/api/handler.js';
import { readyRuntime } from '../functions/common/runtime-source.js';
import { createJobUpdatesHandler } from '../functions/job-updates/handler.js';
import { createTopic } from '../infra/local/emulators.js';
import type { TruthRecord } from '../infra/local/truth-log.js';
import { checkRequests } from '../infra/soak/request-checks.js';
import { CREDENTIAL_ATTRIBUTE, mintWorkerCredential, workerKeyOf } from '../shared/src/auth/index.js';
import { mintLocalToken } from '../shared/src/auth/local-issuer.js';
import { parseEnv } from '../shared/src/config/env.js';
import { DEFAULT_POLICY, replayHistory, type Job, type RecordedTransition } from '../shared/src/core/index.js';
import { parsePubsubEvent } from '../shared/src/events/cloudevents.js';
import { mapLimit } from '../shared/src/evidence/limits.js';
import { createStorage } from '../shared/src/evidence/storage.js';
import { createLogger } from '../shared/src/log.js';
import { createRuntime, type Runtime } from '../shared/src/runtime.js';
import { jobFromDoc } from '../shared/src/store/codec.js';
import { Collections, col } from '../shared/src/store/firestore.js';
import { patchLogOf } from '../shared/src/store/job-doc.js';
import { pushMessage } from '../test/helpers/functions.js';
import { serve } from './serve.js';
import { pct } from './stats.js';

const SECRET = 'bench-secret-0123456789abcdef';
const OWNERS = 20;
const BLOCK_SECONDS = 5;
/** Jobs per block of the worker phase, each side. */
const LIFE_BLOCK = 250;
const REPORTS = [{ kind: 'started' }, { kind: 'progress', progress: { pct: 50 } }, { kind: 'succeeded' }] as const;

/** One request: sent at `t0` (and `sentAt`, wall clock), answered `ms` later; its job when 2xx, else why not. */
type Answer = { t0: number; ms: number; sentAt: number; at: number; status: number; owner: string } & {
  jobId?: string;
  why?: string;
};
export type LoadResult = Awaited<ReturnType<typeof benchLoad>>;
type Deliveries = { redelivered: number; neverAcked: number };

const count = (keys: string[]): Record<string, number> =>
  keys.reduce<Record<string, number>>((m, k) => ((m[k] = (m[k] ?? 0) + 1), m), {});

/** Blocks of requests: their answers, the latest send's lateness, their time and this process's CPU time. */
type Run = { xs: Answer[]; lateMs: number; spanMs: number; cpuMs: number };
const add = (a: Run, b: Run): Run => ({
  xs: [...a.xs, ...b.xs],
  lateMs: Math.max(a.lateMs, b.lateMs),
  spanMs: a.spanMs + b.spanMs,
  cpuMs: a.cpuMs + b.cpuMs,
});
const NONE: Run = { xs: [], lateMs: 0, spanMs: 0, cpuMs: 0 };
const cpuNow = (u = process.cpuUsage()): number => (u.user + u.system) / 1000;

/** p50/p99 of the 2xx answers; 2xx answers a second of the blocks' time; the bench process's share of a core. */
function side({ xs, lateMs, spanMs, cpuMs }: Run) {
  const ok = xs.filter((x) => x.jobId !== undefined);
  const ms = ok.map((x) => x.ms);
  return {
    p50: pct(ms, 50),
    p99: pct(ms, 99),
    n: ok.length,
    failed: xs.length - ok.length,
    why: count(xs.flatMap((x) => (x.why ? [x.why] : []))),
    perSecond: ok.length / (spanMs / 1000),
    lateMs,
    cpu: cpuMs / spanMs,
  };
}
type Side = ReturnType<typeof side>;
const phase = (v: Side, b: Side) => ({ verity: v, bare: b, ratioP50: v.p50 / b.p50, ratioP99: v.p99 / b.p99 });

export async function benchLoad(o: {
  rate: number;
  seconds: number;
  burst: number;
  workers: number;
  gcsUrl: string;
  pubsubHost: string;
}) {
  const projectId = `bench-load-${Date.now()}`;
  const bucket = `bench-load-${Date.now()}`;
  const env = parseEnv({
    ...process.env,
    GOOGLE_CLOUD_PROJECT: projectId,
    VERITY_PROFILE: 'local',
    VERITY_LOCAL_JWT_SECRET: SECRET,
    VERITY_BUCKET: bucket,
    VERITY_GCS_ENDPOINT: o.gcsUrl,
    VERITY_WORKER_CREDENTIALS: 'required', // as in the cloud: every report carries its job's credential
  });
  await createStorage(projectId, o.gcsUrl).createBucket(bucket);
  await createTopic(o.pubsubHost, projectId, env.eventsTopic);
  const db = new Firestore({ projectId, ignoreUndefinedProperties: true });
  const logged: string[] = [];
  const log = createLogger('bench-load', 'warn', { write: (line: string) => void logged.push(line) });
  const rt = createRuntime('bench', { env, db, log });
  const bareJobs = db.collection('bare-jobs');

  functions.http('bench-load-api', createApiHandler(readyRuntime(rt)));
  functions.http('bench-load-bare', async (req, res) => {
    const body = req.body as { type: string; input: Record<string, unknown> };
    const id = `bare_${randomUUID()}`;
    const now = Timestamp.now();
    await bareJobs.doc(id).create({
      id,
      type: body.type,
      ownerId: 'bench',
      status: 'queued',
      attempt: 1,
      input: body.input,
      outputUris: [],
      policy: DEFAULT_POLICY,
      executor: { kind: 'external', executionRef: null },
      createdAt: now,
      updatedAt: now,
    });
    res.status(201).json({ job: { id, status: 'queued' } });
  });
  functions.cloudEvent('bench-load-updates', createJobUpdatesHandler(readyRuntime(rt)));
  // the worker phase's floor: one read and one write conditional on it a message, nothing else
  functions.cloudEvent('bench-load-bare-updates', async (ce: CloudEvent<unknown>) => {
    const msg = parsePubsubEvent(ce);
    if ('invalid' in msg) return;
    const u = JSON.parse(msg.text) as { jobId: string; kind: string; progress?: unknown };
    const ref = bareJobs.doc(u.jobId);
    const snap = await ref.get();
    const change =
      u.kind === 'progress' ? { progress: u.progress } : { status: u.kind === 'started' ? 'running' : 'succeeded' };
    await ref.update({ ...change, updatedAt: Timestamp.now() }, { lastUpdateTime: snap.updateTime! });
  });
  const [api, bare, updates, bareUpdates] = [
    await serve('bench-load-api'),
    await serve('bench-load-bare'),
    await serve('bench-load-updates'),
    await serve('bench-load-bare-updates'),
  ];
  const owners = Array.from({ length: OWNERS }, (_, i) => `load-${i}`);
  const headers = await Promise.all(
    owners.map(async (u) => ({
      authorization: `Bearer ${await mintLocalToken(SECRET, u)}`,
      'content-type': 'application/json',
    })),
  );

  let seq = 0;
  const one = async (url: string): Promise<Answer> => {
    const k = seq++;
    const owner = owners[k % OWNERS]!;
    const body = JSON.stringify({ type: 'external', input: { scene: k } });
    const sentAt = Date.now();
    const t0 = performance.now();
    const base = { t0, sentAt, owner };
    try {
      const res = await fetch(`${url}/api/jobs`, { method: 'POST', headers: headers[k % OWNERS]!, body });
      const json = (await res.json().catch(() => null)) as { job?: { id?: string }; error?: { code?: string } } | null;
      const end = { ...base, ms: performance.now() - t0, at: Date.now(), status: res.status };
      const id = res.status >= 200 && res.status < 300 ? json?.job?.id : undefined;
      return id ? { ...end, jobId: id } : { ...end, why: `${res.status} ${json?.error?.code ?? ''}`.trim() };
    } catch (err) {
      const why = `no answer (${String(((err as Error).cause as Error | undefined)?.message ?? err)})`.slice(0, 80);
      return { ...base, ms: performance.now() - t0, at: Date.now(), status: 0, why };
    }
  };
  /** `n` requests, one every `gapMs` (0: all at once), open loop: none awaited before the next leaves. */
  const load = async (url: string, n: number, gapMs: number): Promise<Run> => {
    const out: Promise<Answer>[] = [];
    const [start, cpu0] = [performance.now(), cpuNow()];
    let lateMs = 0;
    for (let i = 0; i < n; i++) {
      const due = start + i * gapMs;
      if (gapMs > 0 && due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()));
      lateMs = Math.max(lateMs, performance.now() - due);
      out.push(one(url));
    }
    const xs = await Promise.all(out);
    return { xs, lateMs, spanMs: performance.now() - start, cpuMs: cpuNow() - cpu0 };
  };

  const block = Math.max(1, Math.round(o.rate * BLOCK_SECONDS));
  const total = Math.round(o.rate * o.seconds);
  process.stdout.write(
    `(j) load: ${total} enqueues per side at ${o.rate}/s in alternating blocks of ${block}, then ${o.burst} at once ` +
      `per side; then every job's life (3 reports each, ${o.workers} workers), then the read-back…\n`,
  );
  const warm: Answer[][] = []; // warm-up: its answers are judged, not timed
  for (let i = 0; i < 20; i++) warm.push(await Promise.all([one(api.url), one(bare.url)]));
  const steady = { v: NONE, b: NONE };
  for (let done = 0, k = 0; done < total; done += block, k++) {
    const n = Math.min(block, total - done);
    for (const url of k % 2 === 0 ? [bare.url, api.url] : [api.url, bare.url]) {
      const r = await load(url, n, 1000 / o.rate);
      if (url === api.url) steady.v = add(steady.v, r);
      else steady.b = add(steady.b, r);
    }
  }
  const burstB = await load(bare.url, o.burst, 0);
  await new Promise((r) => setTimeout(r, 1000)); // the first burst's tail settles
  const burstV = await load(api.url, o.burst, 0);
  const vAll = [...warm.map((w) => w[0]!), ...steady.v.xs, ...burstV.xs];
  const bAll = [...warm.map((w) => w[1]!), ...steady.b.xs, ...burstB.xs];

  // every job's life, as its worker reports it; Pub/Sub redelivers what is not acknowledged (up to 10 tries)
  const key = workerKeyOf(env);
  const dv: Deliveries = { redelivered: 0, neverAcked: 0 };
  const dvBare: Deliveries = { redelivered: 0, neverAcked: 0 };
  /** A job's three reports, each pushed until acknowledged (10 tries at most), one after the other. */
  const lifeOf = (url: string, d: Deliveries, credential: boolean) => async (a: Answer) => {
    const jobId = a.jobId!;
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const attributes: Record<string, string> = credential
      ? { jobId, [CREDENTIAL_ATTRIBUTE]: mintWorkerCredential(key, { jobId, attempt: 1, ownerId: a.owner, exp }) }
      : {};
    for (const [k, r] of REPORTS.entries()) {
      const msg = { messageId: `${jobId}-${k}`, data: JSON.stringify({ jobId, attempt: 1, ...r }), attributes };
      for (let tries = 1; ; tries++) {
        const status = await pushMessage(url, projectId, env.updatesTopic, msg).catch(() => 0);
        if (status >= 200 && status < 300) break;
        if (tries === 10) {
          d.neverAcked++;
          break;
        }
        d.redelivered++;
        await new Promise((r) => setTimeout(r, 100 * tries));
      }
    }
  };
  const vJobs = vAll.filter((a) => a.jobId);
  const bJobs = bAll.filter((a) => a.jobId);
  const ms = { v: 0, b: 0 };
  const cpu = { v: 0, b: 0 };
  const timed = async (side: 'v' | 'b', jobs: Answer[], life: (a: Answer) => Promise<void>) => {
    const [t, c] = [performance.now(), cpuNow()];
    await mapLimit(jobs, o.workers, life);
    ms[side] += performance.now() - t;
    cpu[side] += cpuNow() - c;
  };
  for (let i = 0, k = 0; i < Math.max(vJobs.length, bJobs.length); i += LIFE_BLOCK, k++) {
    const v = () => timed('v', vJobs.slice(i, i + LIFE_BLOCK), lifeOf(updates.url, dv, true));
    const b = () => timed('b', bJobs.slice(i, i + LIFE_BLOCK), lifeOf(bareUpdates.url, dvBare, false));
    for (const run of k % 2 === 0 ? [b, v] : [v, b]) await run();
  }

  const verdict = await judge(db, rt, vAll);
  await Promise.all([api, bare, updates, bareUpdates].map((s) => s.close()));
  await rt.pubsub.close();
  await rt.ledger.close();
  const reportsPerSecond = (vJobs.length * REPORTS.length) / (ms.v / 1000);
  const bareReportsPerSecond = (bJobs.length * REPORTS.length) / (ms.b / 1000);
  return {
    steady: phase(side(steady.v), side(steady.b)),
    burst: phase(side(burstV), side(burstB)),
    lives: {
      jobs: vJobs.length,
      transitions: verdict.workerTransitions,
      seconds: ms.v / 1000,
      transitionsPerSecond: verdict.workerTransitions / (ms.v / 1000),
      reportsPerSecond,
      bareJobs: bJobs.length,
      bareReportsPerSecond,
      ratio: reportsPerSecond / bareReportsPerSecond,
      cpu: { verity: cpu.v / ms.v, bare: cpu.b / ms.b },
      redelivered: { verity: dv.redelivered, bare: dvBare.redelivered },
      neverAcked: { verity: dv.neverAcked, bare: dvBare.neverAcked },
    },
    answered: vJobs.length,
    created: verdict.created,
    violations: { ...verdict.violations, 'reports never acknowledged': dv.neverAcked },
    examples: verdict.examples,
    logged: count(logged.map((l) => String((JSON.parse(l) as { message?: string }).message ?? '?'))),
  };
}

/** Every job and its history read back, against the bench's record of the API's answers. */
async function judge(db: Firestore, rt: Runtime, answers: Answer[]) {
  const snap = await col(db, Collections.jobs).get();
  const jobs = new Map<string, Job>(snap.docs.map((d) => [d.id, jobFromDoc(d.data())]));
  const pending = new Map(snap.docs.map((d) => [d.id, patchLogOf(d.data())]));
  const histories = new Map<string, RecordedTransition[]>();
  await mapLimit([...jobs.keys()], 16, async (id) => void histories.set(id, await rt.store.recordedHistory(id)));
  const docIds = (await col(db, Collections.jobs).listDocuments()).map((d) => d.id);

  const f: Record<string, string[]> = {
    '5xx answers': [],
    'answered 2xx, no job or no history from its creation': [],
    'one id answered twice': [],
    'job no 2xx answer names': [],
    'history without a job': docIds.filter((id) => !jobs.has(id)),
    'not succeeded': [],
    'seq not 1..n': [],
    'from ≠ previous to': [],
    'not queued → running → succeeded': [],
    'version ≠ transitions': [],
    'does not replay': [],
  };
  const requests: Extract<TruthRecord, { t: 'request' }>[] = answers.map((a) => ({
    t: 'request',
    sentAt: a.sentAt,
    at: a.at,
    owner: a.owner,
    method: 'POST',
    path: '/api/jobs',
    route: '/api/jobs',
    status: a.status,
    try: 1,
    ...(a.jobId ? { jobId: a.jobId } : {}),
  }));
  const asked = checkRequests(requests, jobs, histories);
  f['5xx answers']!.push(...asked.fiveXX);
  f['answered 2xx, no job or no history from its creation']!.push(...asked.lost, ...asked.wrong);
  const answered = count(answers.flatMap((a) => (a.jobId ? [a.jobId] : [])));
  for (const [id, n] of Object.entries(answered)) if (n > 1) f['one id answered twice']!.push(`${id} × ${n}`);
  let workerTransitions = 0;
  for (const job of jobs.values()) {
    const h = histories.get(job.id) ?? [];
    workerTransitions += h.filter((t) => t.source === 'worker').length;
    if (!answered[job.id]) f['job no 2xx answer names']!.push(job.id);
    if (job.status !== 'succeeded') f['not succeeded']!.push(`${job.id} ${job.status} (${job.statusReason})`);
    if (h.some((t, i) => t.seq !== i + 1)) f['seq not 1..n']!.push(`${job.id}: ${h.map((t) => t.seq).join(',')}`);
    h.forEach((t, i) => {
      if (t.from !== (i === 0 ? null : h[i - 1]!.to))
        f['from ≠ previous to']!.push(`${job.id}:${t.seq} ${t.from} → ${t.to}`);
    });
    const path = h.map((t) => t.to).join(' → ');
    if (path !== 'queued → running → succeeded') f['not queued → running → succeeded']!.push(`${job.id}: ${path}`);
    if (job.version !== h.length) f['version ≠ transitions']!.push(`${job.id} v${job.version}, ${h.length}`);
    const mismatch = replayHistory(job, h, pending.get(job.id))[0];
    if (mismatch) f['does not replay']!.push(`${job.id}: ${JSON.stringify(mismatch)}`);
  }
  return {
    created: jobs.size,
    workerTransitions,
    violations: Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v.length])),
    examples: Object.entries(f).flatMap(([k, v]) => v.slice(0, 3).map((x) => `${k}: ${x}`)),
  };
}
