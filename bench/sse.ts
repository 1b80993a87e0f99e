/**
 * (e) 200 concurrent SSE clients on one job: how long a transition takes to reach all of them (p50, p99),
 * relative to a single client, and the memory each open stream costs: the growth of the live heap (with the
 * buffers it holds) per connection, each side measured after forced full collections, the median of the rounds
 * (clients and server share this process, so it is an upper bound for the server). RSS is reported beside it
 * but says little: it grows in steps and never shrinks, so its delta came out negative once.
 */
import type { AddressInfo } from 'node:net';
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

const SECRET = 'bench-secret-0123456789abcdef';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
/** Live memory after full collections: the heap in use and the buffers outside it. */
function liveBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}
const pct = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

interface Client {
  opened: Promise<void>;
  got: Promise<number>;
  close: () => void;
}

function connect(url: string, token: string, wantId: string): Client {
  const ac = new AbortController();
  let opened!: () => void;
  let got!: (t: number) => void;
  const o = new Promise<void>((r) => (opened = r));
  const g = new Promise<number>((r) => (got = r));
  void (async () => {
    try {
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: ac.signal });
      const dec = new TextDecoder();
      let buf = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += dec.decode(chunk, { stream: true });
        if (buf.includes(': stream open')) opened();
        if (buf.includes(`id: ${wantId}\n`)) {
          got(performance.now());
          return;
        }
      }
    } catch {
      /* aborted */
    }
  })();
  return { opened: o, got: g, close: () => ac.abort() };
}

export async function benchSse(clients: number): Promise<{
  oneP50: number;
  manyP50: number;
  manyP99: number;
  ratioP50: number;
  ratioP99: number;
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
  server.maxConnections = clients + 50;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tokens = await Promise.all(
    Array.from({ length: clients }, (_, i) => mintLocalToken(SECRET, `viewer-${i}`, { admin: true })),
  );

  /** One round: n streams on a fresh job, one transition. With `memory`, only the memory of the open streams. */
  const round = async (n: number, memory = false): Promise<{ lat: number[]; rss: number; live: number }> => {
    const { job } = await rt.jobs.enqueue(
      { userId: 'bench', admin: false, workerJobId: null },
      { type: 'external', outputs: [], reuseExistingOutputs: true },
    );
    const before = process.memoryUsage();
    const liveBefore = memory ? liveBytes() : 0;
    const cs = tokens.slice(0, n).map((t) => connect(`${base}/api/jobs/${job.id}/events`, t, '2'));
    await Promise.all(cs.map((c) => c.opened));
    await new Promise((r) => setTimeout(r, 300)); // listeners attached and initial snapshots delivered
    const during = process.memoryUsage();
    if (memory) {
      const live = liveBytes() - liveBefore;
      cs.forEach((c) => c.close());
      return { lat: [], rss: during.rss - before.rss, live };
    }
    const t0 = performance.now();
    await rt.jobs.report(null, { jobId: job.id, kind: 'started' });
    const lat = (await Promise.all(cs.map((c) => c.got))).map((t) => t - t0);
    cs.forEach((c) => c.close());
    return { lat, rss: during.rss - before.rss, live: 0 };
  };

  process.stdout.write(
    `(e) SSE: 1 client × 10 rounds, then ${clients} clients × 3 rounds, on one job each round; 3 memory rounds…\n`,
  );
  const one: number[] = [];
  for (let i = 0; i < 10; i++) one.push(...(await round(1)).lat);
  const many: number[] = [];
  let rss = 0;
  const live: number[] = [];
  for (let i = 0; i < 3; i++) many.push(...(await round(clients)).lat);
  // memory in rounds of its own: the forced collections stay out of the timed rounds
  for (let i = 0; i < 3; i++) {
    const r = await round(clients, true);
    rss += r.rss / 3;
    live.push(r.live);
  }
  await new Promise<void>((r) => server.close(() => r()));
  server.closeAllConnections?.();
  const oneP50 = pct(one, 50);
  const res = {
    oneP50,
    manyP50: pct(many, 50),
    manyP99: pct(many, 99),
    ratioP50: pct(many, 50) / oneP50,
    ratioP99: pct(many, 99) / pct(one, 99),
    rssPerConnKiB: rss / clients / 1024,
    heapPerConnKiB: pct(live, 50) / clients / 1024,
  };
  return res;
}
