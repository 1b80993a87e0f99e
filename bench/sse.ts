/**
 * (e) 200 concurrent SSE clients on one job: how long a transition takes to reach all of them (p50, p99),
 * relative to a single client — the clients in a process of their own (bench/sse-clients.ts), as browsers are
 * elsewhere — and the memory each open stream costs: the growth of the live heap (with the buffers it holds)
 * per connection, each side measured after forced full collections, the median of the rounds (for memory the
 * clients share this process, so it is an upper bound for the server). RSS is reported beside it but says
 * little: it grows in steps and never shrinks, so its delta came out negative once.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as functions from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { Firestore } from '@google-cloud/firestore';
import { createApiHandler } from '../functions/api/handler.js';
import { mintLocalToken } from '../shared/src/auth/local-issuer.js';
import { parseEnv } from '../shared/src/config/env.js';
import { silentLogger } from '../shared/src/log.js';
import { createRuntime } from '../shared/src/runtime.js';
import { readyRuntime } from '../functions/common/runtime-source.js';
import { connect, wallNow } from './sse-clients.js';
import { clockOffset } from './clock-offset.js';
import { pct } from './stats.js';

/** The clients' process: one request, its answer. */
function ask<T>(child: ChildProcess, msg: object): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send(msg);
  });
}

const SECRET = 'bench-secret-0123456789abcdef';
/** Repeats of the timed rounds (VERITY_BENCH_SSE_REPEATS). */
const REPEATS = Math.max(1, Number(process.env.VERITY_BENCH_SSE_REPEATS ?? 5));
/** One-client rounds per repeat (VERITY_BENCH_SSE_ONE_ROUNDS): 20 × 5 repeats gives the 1-client p99 100 samples. */
const ONE_ROUNDS = Math.max(1, Number(process.env.VERITY_BENCH_SSE_ONE_ROUNDS ?? 20));
/** Rounds of N clients per repeat: each gives N samples of one transition. */
const MANY_ROUNDS = 3;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
/** Live memory after full collections: the heap in use and the buffers outside it. */
function liveBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

export async function benchSse(clients: number): Promise<{
  oneP50: number;
  oneP99: number;
  manyP50: number;
  manyP99: number;
  ratioP50: number;
  ratioP99: number;
  /** Samples pooled over the repeats: 1-client rounds (one transition each); N-client deliveries, transitions. */
  n: { one: number; many: number; manyTransitions: number };
  /** Each repeat's p50 ratio, in the order run (a repeat has too few 1-client samples for a p99 of its own). */
  ratiosP50: number[];
  push: { one: number[]; many: number[] };
  rssPerConnKiB: number;
  heapPerConnKiB: number;
}> {
  const projectId = `bench-sse-${Date.now()}`;
  const env = parseEnv({
    ...process.env,
    GOOGLE_CLOUD_PROJECT: projectId,
    VERITY_PROFILE: 'local',
    VERITY_LOCAL_JWT_SECRET: SECRET,
    VERITY_GCS_ENDPOINT: 'http://127.0.0.1:1',
  });
  const db = new Firestore({ projectId, ignoreUndefinedProperties: true });
  const rt = createRuntime('bench', { env, db, log: silentLogger() });
  functions.http('bench-sse', createApiHandler(readyRuntime(rt)));
  const server = getTestServer('bench-sse');
  // the timed rounds' sockets (in the clients' process) may still be closing when the memory rounds open theirs
  server.maxConnections = 3 * clients + 50;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const mint = (prefix: string): Promise<string[]> =>
    Promise.all(Array.from({ length: clients }, (_, i) => mintLocalToken(SECRET, `${prefix}-${i}`, { admin: true })));
  // the memory rounds' viewers are others: a stream closed by the clients' process may hold its slot a moment
  const [tokens, memTokens] = await Promise.all([mint('viewer'), mint('mem-viewer')]);

  const clientsProcess = fork(fileURLToPath(new URL('./sse-clients.js', import.meta.url)), [], { stdio: 'inherit' });
  const offsetMs = await clockOffset(clientsProcess);
  /** One round: n streams on a fresh job, one transition. With `memory`, only the memory of the open streams. */
  const round = async (
    n: number,
    memory = false,
    first = 0,
  ): Promise<{ lat: number[]; push: number[]; rss: number; live: number }> => {
    const { job } = await rt.jobs.enqueue(
      { userId: 'bench', admin: false, workerJobId: null },
      { type: 'external', outputs: [], reuseExistingOutputs: true },
    );
    const url = `${base}/api/jobs/${job.id}/events`;
    const before = process.memoryUsage();
    if (memory) {
      const liveBefore = liveBytes();
      const cs = memTokens.slice(0, n).map((t) => connect(url, t, '2'));
      await Promise.all(cs.map((c) => c.opened));
      await new Promise((r) => setTimeout(r, 300)); // listeners attached and initial snapshots delivered
      const during = process.memoryUsage();
      const live = liveBytes() - liveBefore;
      cs.forEach((c) => c.close());
      return { lat: [], push: [], rss: during.rss - before.rss, live };
    }
    await ask(clientsProcess, { open: { url, tokens: tokens.slice(first, first + n), wantId: '2' } });
    await new Promise((r) => setTimeout(r, 300)); // listeners attached and initial snapshots delivered
    const during = process.memoryUsage();
    const collected = ask<{ times: number[] }>(clientsProcess, { collect: true });
    // a listener of the bench's own on the job's transitions: when the emulator pushed the transition to this
    // process (the streams' shared listener is told in the same message), to split the latency in two
    let pushed!: (t: number) => void;
    const pushedAt = new Promise<number>((r) => (pushed = r));
    const stop = rt.ledger.watch.jobTransitions(
      job.id,
      0,
      (t) => t.seq === 2 && pushed(wallNow()),
      () => undefined,
    );
    await new Promise((r) => setTimeout(r, 100));
    const t0 = wallNow();
    await rt.jobs.report(null, { jobId: job.id, kind: 'started' });
    const times = (await collected).times.map((t) => t - offsetMs);
    const push = (await pushedAt) - t0;
    stop();
    await ask(clientsProcess, { close: true });
    return { lat: times.map((t) => t - t0), push: [push], rss: during.rss - before.rss, live: 0 };
  };

  process.stdout.write(
    `(e) SSE: ${REPEATS} × (1 client × ${ONE_ROUNDS} rounds, then ${clients} clients × ${MANY_ROUNDS} rounds), ` +
      'one job each round; 3 memory rounds…\n',
  );
  // Side by side, several times: the 1-client and the 200-client rounds of one repeat run back to back. The
  // percentiles pool every repeat's samples (a p99 wants ≥ 100: the 1-client side has one per round); each
  // repeat's own p50 ratio is printed beside them, to show how much a stall of this shared machine moves one.
  const repeats: { one: number[]; many: number[] }[] = [];
  const pushOne: number[] = [];
  const pushMany: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const one: number[] = [];
    // each round its own viewer: a closed stream may still hold its user's slot (10 per user and instance)
    for (let i = 0; i < ONE_ROUNDS; i++) {
      const x = await round(1, false, i);
      one.push(...x.lat);
      pushOne.push(...x.push);
    }
    const many: number[] = [];
    for (let i = 0; i < MANY_ROUNDS; i++) {
      const x = await round(clients);
      many.push(...x.lat);
      pushMany.push(...x.push);
    }
    repeats.push({ one, many });
  }
  let rss = 0;
  const live: number[] = [];
  // memory in rounds of its own: the forced collections stay out of the timed rounds
  for (let i = 0; i < 3; i++) {
    const r = await round(clients, true);
    rss += r.rss / 3;
    live.push(r.live);
  }
  clientsProcess.kill();
  await new Promise<void>((r) => server.close(() => r()));
  server.closeAllConnections?.();
  const one = repeats.flatMap((r) => r.one);
  const many = repeats.flatMap((r) => r.many);
  const res = {
    oneP50: pct(one, 50),
    oneP99: pct(one, 99),
    manyP50: pct(many, 50),
    manyP99: pct(many, 99),
    ratioP50: pct(many, 50) / pct(one, 50),
    ratioP99: pct(many, 99) / pct(one, 99),
    n: { one: one.length, many: many.length, manyTransitions: REPEATS * MANY_ROUNDS },
    ratiosP50: repeats.map((r) => pct(r.many, 50) / pct(r.one, 50)),
    /** From the commit's start to the emulator's push reaching this process, p50 / max, rounds of 1 and of N. */
    push: { one: [pct(pushOne, 50), Math.max(...pushOne)], many: [pct(pushMany, 50), Math.max(...pushMany)] },
    rssPerConnKiB: rss / clients / 1024,
    heapPerConnKiB: pct(live, 50) / clients / 1024,
  };
  return res;
}
