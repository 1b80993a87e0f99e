/**
 * (h) P11 dispatch: from just before `POST /api/jobs` is sent to the moment Cloud Run creates the execution
 * (the fake's own log of RunJob, the executor's "started"), for a `cloud-run-job` type through the real
 * `@google-cloud/run` client — against a bare function on the same functions-framework stack that creates a
 * similar Firestore document and calls runJob with the same client library on the same fake, timed the same way.
 * Two loads: a steady rate (open loop: requests leave on schedule whether or not earlier ones have answered),
 * in alternating blocks of 100 per side; and a burst of all of them at once, per side, one side after the other.
 * The fake runs in a process of its own (bench/cloud-run-fake.ts); its clock is corrected by the measured offset.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import * as functions from '@google-cloud/functions-framework';
import { Firestore, Timestamp } from '@google-cloud/firestore';
import type { protos } from '@google-cloud/run';
import { createApiHandler } from '../functions/api/handler.js';
import { readyRuntime } from '../functions/common/runtime-source.js';
import { mintLocalToken } from '../shared/src/auth/local-issuer.js';
import { parseEnv } from '../shared/src/config/env.js';
import { DEFAULT_POLICY } from '../shared/src/core/index.js';
import { createCloudRunClients } from '../shared/src/evidence/executors/cloud-run-job.js';
import { createStorage } from '../shared/src/evidence/storage.js';
import { createLogger, type Logger } from '../shared/src/log.js';
import { createRuntime } from '../shared/src/runtime.js';
import { createTopic } from '../infra/local/emulators.js';
import { clockOffset } from './clock-offset.js';
import { serve } from './serve.js';
import { pct, wallNow } from './stats.js';

const SECRET = 'bench-secret-0123456789abcdef';
const JOB = 'projects/verity-bench/locations/europe-west1/jobs/render';
const BLOCK = 100;

export interface Latencies {
  p50: number;
  p99: number;
  /** Samples: dispatches whose execution was created. */
  n: number;
  /** Requests that started no execution (an error answer, or no execution name in it). */
  failed: number;
  /** Why, counted: the answer's status and the job's status and reason (or the error's code). */
  why: Record<string, number>;
  /** Executions created per second, from the first request sent to the last execution created. */
  perSecond: number;
}
export interface DispatchLoad {
  verity: Latencies;
  bare: Latencies;
  ratioP50: number;
  ratioP99: number;
}

type Answer = {
  job?: {
    status?: string;
    statusReason?: string;
    executor?: { executionRef?: string | null };
    error?: { message?: string } | null;
  };
  error?: { code?: string; message?: string };
};

/** One request: when it left, and the execution it started (null: none, and why). */
type Sample = { t0: number; ref: string | null; why?: string };

/** `runAt`: each execution's creation; an execution it does not hold started nothing the bench could time. */
/** The gist of an error: its first words, without the names and numbers that make every one unique. */
const gist = (message: string | undefined): string =>
  (message ?? '')
    .split(',')[0]!
    .replace(/projects\/\S+|[\d.]+/g, '…')
    .slice(0, 80);

/** A logger that keeps only errors, counted by their gist: what went wrong inside Verity when a request failed. */
function errorCounter(): { log: Logger; errors: Record<string, number> } {
  const errors: Record<string, number> = {};
  const to = {
    write(line: string): void {
      const o = JSON.parse(line) as { message?: string; err?: { message?: string } };
      const key = `${o.message ?? ''}: ${gist(o.err?.message)}`;
      errors[key] = (errors[key] ?? 0) + 1;
    },
  };
  return { log: createLogger('bench-dispatch', 'error', to), errors };
}

function summary(samples: Sample[], runAt: Map<string, number>): Latencies {
  const ok = samples.flatMap((s) => {
    const at = s.ref === null ? undefined : runAt.get(s.ref);
    return at === undefined ? [] : [{ t0: s.t0, at }];
  });
  const xs = ok.map((s) => s.at - s.t0);
  const span = Math.max(...ok.map((s) => s.at)) - Math.min(...samples.map((s) => s.t0));
  return {
    p50: pct(xs, 50),
    p99: pct(xs, 99),
    n: xs.length,
    failed: samples.length - ok.length,
    why: samples.reduce<Record<string, number>>((m, s) => {
      if (s.why) m[s.why] = (m[s.why] ?? 0) + 1;
      return m;
    }, {}),
    perSecond: ok.length / (span / 1000),
  };
}

/** The fake in its own process: its endpoint, and a map from execution name to its creation (our clock). */
async function startFake(): Promise<{ endpoint: string; runAt: Map<string, number>; child: ChildProcess }> {
  const child = fork(fileURLToPath(new URL('./cloud-run-fake.js', import.meta.url)), [JOB], { stdio: 'inherit' });
  const endpoint = await new Promise<string>((resolve) =>
    child.once('message', (m: { endpoint: string }) => resolve(m.endpoint)),
  );
  const runAt = new Map<string, number>();
  let offset = 0;
  child.on('message', (m: { run?: string; at?: number }) => {
    if (m.run) runAt.set(m.run, m.at! - offset);
  });
  offset = await clockOffset(child); // before any RunJob: every `at` is corrected by it
  return { endpoint, runAt, child };
}

export async function benchDispatch(o: {
  jobs: number;
  ratePerSecond: number;
  gcsUrl: string;
  pubsubHost: string;
}): Promise<{ steady: DispatchLoad; burst: DispatchLoad; errors: Record<string, number> }> {
  const fake = await startFake();
  const projectId = `bench-dispatch-${Date.now()}`;
  const bucket = `bench-dispatch-${Date.now()}`;
  const env = parseEnv({
    ...process.env,
    GOOGLE_CLOUD_PROJECT: projectId,
    VERITY_PROFILE: 'local',
    VERITY_LOCAL_JWT_SECRET: SECRET,
    VERITY_BUCKET: bucket,
    VERITY_GCS_ENDPOINT: o.gcsUrl,
    VERITY_CLOUD_RUN_ENDPOINT: fake.endpoint,
    // as a render type is configured: its output derived from the job id, probed at enqueue (reuse is the default)
    VERITY_JOB_TYPES: JSON.stringify({
      render: {
        executor: { kind: 'cloud-run-job', job: JOB },
        outputTemplates: ['gs://{bucket}/renders/{jobId}.mp4'],
      },
    }),
  });
  await createStorage(projectId, o.gcsUrl).createBucket(bucket);
  await createTopic(o.pubsubHost, projectId, env.eventsTopic);
  const db = new Firestore({ projectId, ignoreUndefinedProperties: true });
  const logged = errorCounter();
  const rt = createRuntime('bench', { env, db, log: logged.log });
  const { jobsClient, executionsClient } = createCloudRunClients({ endpoint: fake.endpoint, projectId });

  functions.http('bench-dispatch-api', createApiHandler(readyRuntime(rt)));
  // the floor: a similar job document created, then the execution run with the same overrides Verity sends
  functions.http('bench-dispatch-bare', async (req, res) => {
    const body = req.body as { type: string; input: Record<string, unknown> };
    const id = `bare_${randomUUID()}`;
    const outputUris = [`gs://${bucket}/renders/${id}.mp4`];
    const now = Timestamp.now();
    await db
      .collection('bare-jobs')
      .doc(id)
      .create({
        id,
        type: body.type,
        ownerId: 'bench',
        status: 'queued',
        attempt: 1,
        input: body.input,
        outputUris,
        policy: DEFAULT_POLICY,
        executor: { kind: 'cloud-run-job', executionRef: null },
        createdAt: now,
        updatedAt: now,
      });
    const env = [
      { name: 'VERITY_JOB_ID', value: id },
      { name: 'VERITY_ATTEMPT', value: '1' },
      { name: 'VERITY_INPUT', value: JSON.stringify(body.input) },
      { name: 'VERITY_OUTPUTS', value: JSON.stringify(outputUris) },
    ];
    const [op] = await jobsClient.runJob({ name: JOB, overrides: { containerOverrides: [{ env }] } });
    const executionRef = (op.metadata as protos.google.cloud.run.v2.IExecution | null)?.name ?? null;
    res.status(201).json({ job: { id, executor: { kind: 'cloud-run-job', executionRef } } });
  });
  const api = await serve('bench-dispatch-api');
  const bare = await serve('bench-dispatch-bare');
  const headers = {
    authorization: `Bearer ${await mintLocalToken(SECRET, 'bench')}`,
    'content-type': 'application/json',
  };

  let seq = 0;
  /** One request. */
  const one = async (url: string): Promise<Sample> => {
    const body = JSON.stringify({ type: 'render', input: { scene: ++seq } });
    const t0 = wallNow();
    let failure = '';
    const res = await fetch(`${url}/api/jobs`, { method: 'POST', headers, body }).catch((err: Error) => {
      failure = String((err.cause as Error | undefined)?.message ?? err.message);
      return null;
    });
    const json = (await res?.json().catch(() => null)) as Answer | null;
    const ref = res && res.status < 300 ? json?.job?.executor?.executionRef : undefined;
    if (ref) return { t0, ref };
    const job = json?.job;
    if (!res) return { t0, ref: null, why: `no answer (${gist(failure)})` };
    const what = job ? `${job.status} ${job.statusReason}` : json?.error?.code;
    return { t0, ref: null, why: `${res.status} ${what} (${gist(job?.error?.message ?? json?.error?.message)})` };
  };
  /** `n` requests to `url`, one every `gapMs` (0: all at once), none awaited before the next leaves. */
  const load = async (url: string, n: number, gapMs: number): Promise<Sample[]> => {
    const out: Promise<Sample>[] = [];
    const start = performance.now();
    for (let i = 0; i < n; i++) {
      const due = start + i * gapMs;
      // sleep until the next send is due (open loop: a slow answer does not delay the schedule)
      if (gapMs > 0 && due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()));
      out.push(one(url));
    }
    return Promise.all(out);
  };
  const result = async (v: Sample[], b: Sample[]): Promise<DispatchLoad> => {
    // the fake's note of an execution may reach us after the answer that names it: wait for the stragglers
    const deadline = Date.now() + 10_000;
    while ([...v, ...b].some((s) => s.ref !== null && !fake.runAt.has(s.ref)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const verity = summary(v, fake.runAt);
    const floor = summary(b, fake.runAt);
    return { verity, bare: floor, ratioP50: verity.p50 / floor.p50, ratioP99: verity.p99 / floor.p99 };
  };

  const gapMs = 1000 / o.ratePerSecond;
  process.stdout.write(
    `(h) dispatch: ${o.jobs} enqueues per side at ${o.ratePerSecond}/s in alternating blocks of ${BLOCK}, ` +
      `then ${o.jobs} at once per side…\n`,
  );
  // warm-up: the gRPC channel, the Firestore client, the JIT, on both sides
  for (let i = 0; i < 20; i++) await Promise.all([one(api.url), one(bare.url)]);
  const steadyV: Sample[] = [];
  const steadyB: Sample[] = [];
  for (let done = 0, block = 0; done < o.jobs; done += BLOCK, block++) {
    const n = Math.min(BLOCK, o.jobs - done);
    // which side goes first alternates, so neither always follows the other's tail
    const [first, second] = block % 2 === 0 ? [bare.url, api.url] : [api.url, bare.url];
    const a = await load(first, n, gapMs);
    const b = await load(second, n, gapMs);
    (first === api.url ? steadyV : steadyB).push(...a);
    (first === api.url ? steadyB : steadyV).push(...b);
  }
  const burstB = await load(bare.url, o.jobs, 0);
  await new Promise((r) => setTimeout(r, 1000)); // let the first burst's tail (events, effects) settle
  const burstV = await load(api.url, o.jobs, 0);

  await api.close();
  await bare.close();
  await Promise.all([jobsClient.close(), executionsClient.close()]);
  await rt.ledger.close();
  const res = {
    steady: await result(steadyV, steadyB),
    burst: await result(burstV, burstB),
    errors: logged.errors,
  };
  fake.child.disconnect();
  return res;
}
