/**
 * Bench part (f): cold start. Each deploy unit as the local stack runs it (functions-framework through
 * infra/local/serve.ts, its compiled files) and as deployed (its deploy folder's one bundle), against a bare
 * functions-framework function started the same way, alternating runs: the time from spawn to the first answer
 * to a request (module load, server start, the request), and the peak resident memory (VmHWM) once it has
 * answered. Medians; ratios to the bare function.
 * Goal (issue 15): ≤ 2× bare and ≤ 90 MiB for every unit.
 * Then, in the same process, a request that needs the unit's clients (they load on first use): the time it
 * adds and the peak after it — what the first real request pays once, beside the emulators.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LOCAL_FUNCTION_ENV, LOCAL_FUNCTIONS } from '../infra/local/functions.js';
import { findRepoRoot } from '../infra/local/tools.js';
import { mintLocalToken } from '../shared/src/auth/local-issuer.js';

interface Sample {
  ms: number;
  rssMiB: number;
  /** The request that needs the clients: its answer time, and the peak after it. */
  clientsMs: number;
  clientsRssMiB: number;
}
type Request = { method: string; path: string; body?: string; headers?: Record<string, string> };
interface Target {
  name: string;
  target: string;
  source: string;
  signature: string;
  /** A request the unit answers without outside help (any status: it answered). */
  request: Request;
  /** A request it answers only with its clients loaded. */
  needsClients: Request;
}

const root = findRepoRoot(import.meta.url);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** A malformed CloudEvent: acknowledged and logged by the unit (never redelivered), after its validation ran. */
const CLOUD_EVENT = {
  method: 'POST',
  path: '/',
  body: '{}',
  headers: {
    'content-type': 'application/json',
    'ce-id': 'bench',
    'ce-source': 'bench',
    'ce-specversion': '1.0',
    'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
  },
};

/** A bucket notification of an object no job expects: the unit asks the store, and acknowledges. */
const NOTIFICATION = (topic: string, attributes: Record<string, string>, data: string): Request => ({
  method: 'POST',
  path: `/projects/verity-bench/topics/${topic}`,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    message: { data: Buffer.from(data).toString('base64'), attributes, messageId: `cold-${Math.random()}` },
    subscription: 'projects/verity-bench/subscriptions/cold',
  }),
});
const SECRET = 'bench-cold-start-secret-0123456789';
const needsClients = (admin: string): Record<string, Request> => ({
  api: { method: 'GET', path: '/api/openapi.json' },
  webhooks: { method: 'POST', path: '/api/webhooks/none', body: '{}' },
  sweep: { method: 'POST', path: '/', headers: { authorization: `Bearer ${admin}` } },
  objectFinalized: NOTIFICATION(
    'verity-gcs-notifications',
    { eventType: 'OBJECT_FINALIZE', bucketId: 'verity-local', objectId: 'cold/x.mp4', objectGeneration: '1' },
    '{}',
  ),
  jobUpdates: NOTIFICATION('verity-job-updates', {}, JSON.stringify({ jobId: 'cold-start', kind: 'heartbeat' })),
});

function targets(admin: string): Target[] {
  const NEEDS_CLIENTS = needsClients(admin);
  const units = LOCAL_FUNCTIONS.filter((f) => !f.script).map((f): Target => ({
    name: f.target,
    target: f.target,
    source: f.source,
    signature: f.signature,
    request:
      f.signature === 'cloudevent'
        ? CLOUD_EVENT
        : { method: 'GET', path: f.target === 'api' ? '/healthz' : '/', headers: {} },
    needsClients: NEEDS_CLIENTS[f.target] ?? { method: 'GET', path: '/' },
  }));
  // the deploy folders' bundles (infra/deploy/package.ts), started the same way
  const bundles = units.map((t) => ({
    ...t,
    name: `${t.name} (bundle)`,
    source: t.source.replace(/^dist\/functions\/([^/]+)\//, 'build/functions/$1/dist/functions/$1/'),
  }));
  const bare: Target = {
    name: 'bare',
    target: 'bare',
    source: 'dist/bench/bare-fn.js',
    signature: 'http',
    request: { method: 'GET', path: '/' },
    needsClients: { method: 'GET', path: '/' },
  };
  return [bare, ...units, ...bundles];
}

const send = (port: number, r: Request): Promise<Response> =>
  fetch(`http://127.0.0.1:${port}${r.path}`, {
    method: r.method,
    headers: r.headers ?? {},
    ...(r.body ? { body: r.body } : {}),
    signal: AbortSignal.timeout(30_000),
  });
const peakMiB = (pid: number): number =>
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

async function once(t: Target, port: number, env: NodeJS.ProcessEnv): Promise<Sample> {
  const args = [
    path.join(root, 'dist/infra/local/serve.js'),
    `--target=${t.target}`,
    `--source=${path.join(root, t.source)}`,
    `--port=${port}`,
    `--signature-type=${t.signature}`,
  ];
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: 'ignore' });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${t.name} exited with ${child.exitCode}`);
      const res = await send(port, t.request).catch(() => null);
      if (res) {
        await res.arrayBuffer();
        const ms = performance.now() - t0;
        const rssMiB = peakMiB(child.pid!);
        const t1 = performance.now();
        await (await send(port, t.needsClients)).arrayBuffer();
        return { ms, rssMiB, clientsMs: performance.now() - t1, clientsRssMiB: peakMiB(child.pid!) };
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
  }
}

export interface ColdStartRow {
  name: string;
  ms: number;
  rssMiB: number;
  msRatio: number;
  rssRatio: number;
  clientsMs: number;
  clientsRssMiB: number;
}

/** `rounds` alternating rounds over the bare function and every unit, on one port each. */
export async function benchColdStart(o: {
  rounds: number;
  basePort: number;
  env: NodeJS.ProcessEnv;
}): Promise<ColdStartRow[]> {
  const all = targets(await mintLocalToken(SECRET, 'bench-admin', { admin: true }));
  const samples = new Map<string, Sample[]>(all.map((t) => [t.name, []]));
  const env = { ...process.env, ...LOCAL_FUNCTION_ENV, VERITY_LOCAL_JWT_SECRET: SECRET, ...o.env };
  for (let r = 0; r < o.rounds; r++)
    for (const [i, t] of all.entries()) samples.get(t.name)!.push(await once(t, o.basePort + i, env));
  const row = (name: string) => {
    const s = samples.get(name)!;
    const m = (k: keyof Sample): number => median(s.map((x) => x[k]));
    return { ms: m('ms'), rssMiB: m('rssMiB'), clientsMs: m('clientsMs'), clientsRssMiB: m('clientsRssMiB') };
  };
  const bare = row('bare');
  return all.map((t) => {
    const x = row(t.name);
    return { name: t.name, ...x, msRatio: x.ms / bare.ms, rssRatio: x.rssMiB / bare.rssMiB };
  });
}
