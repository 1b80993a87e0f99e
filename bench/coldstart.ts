/**
 * Bench part (f): cold start. Each deploy unit as the local stack runs it (functions-framework through
 * infra/local/serve.ts, its compiled files) and as deployed (its deploy folder's one bundle), against a bare
 * functions-framework function started the same way, alternating runs: the time from spawn to the first answer
 * to a request (module load, server start, the request), and the peak resident memory (VmHWM) once it has
 * answered. Medians; ratios to the bare function.
 * Goal (issue 15): ≤ 2× bare and ≤ 90 MiB for every unit.
 * Then, in the same process, the unit's first real request — the one that loads its clients (they load on first
 * use) and does its work on seeded data (bench/cold-requests.ts) — against a floor started the same way: a bare
 * function making the same client calls (bench/bare-clients-fn.ts). The request's own time, the time from spawn
 * to its answer, and the peak after it, with ratios to the floor: what a user whose request starts an instance
 * pays once.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LOCAL_FUNCTION_ENV, LOCAL_FUNCTIONS } from '../infra/local/functions.js';
import { findRepoRoot } from '../infra/local/tools.js';
import { coldRequests, type ColdRequests, type RealRequest, type Request } from './cold-requests.js';
import { median } from './stats.js';

/** The first real request of a sample: its own time, from spawn to its answer, and the peak after it. */
interface Real {
  ms: number;
  totalMs: number;
  rssMiB: number;
  /** Whether it did its work (a 2xx answer, and the job moved as it should). */
  ok: boolean;
}
interface Sample {
  ms: number;
  rssMiB: number;
  real: Real | null;
}
interface Target {
  name: string;
  target: string;
  source: string;
  signature: string;
  /** A request the unit answers without outside help (any status: it answered). */
  request: Request;
  /** Its first real request, fresh for each sample (seeded before the spawn); none for the bare function. */
  real: ((r: ColdRequests) => Promise<RealRequest>) | null;
  /** The unit whose real request this is, or whose floor this is. */
  unit: string | null;
}

const root = findRepoRoot(import.meta.url);
const SECRET = 'bench-cold-start-secret-0123456789';

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

function targets(): Target[] {
  const units = LOCAL_FUNCTIONS.filter((f) => !f.script).map((f): Target => ({
    name: f.target,
    target: f.target,
    source: f.source,
    signature: f.signature,
    request:
      f.signature === 'cloudevent'
        ? CLOUD_EVENT
        : { method: 'GET', path: f.target === 'api' ? '/healthz' : '/', headers: {} },
    real: (r) => r.unit(f.target),
    unit: f.target,
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
    real: null,
    unit: null,
  };
  // each unit's floor: the bare function making the same client calls as the unit's real request
  const floors = units.map((t): Target => ({
    name: `floor: ${t.name}`,
    target: 'bareClients',
    source: 'dist/bench/bare-clients-fn.js',
    signature: 'http',
    request: { method: 'GET', path: '/' },
    real: (r) => r.bare(t.target),
    unit: t.target,
  }));
  return [bare, ...floors, ...units, ...bundles];
}

const send = (port: number, r: Request): Promise<Response> =>
  fetch(`http://127.0.0.1:${port}${r.path}`, {
    method: r.method,
    headers: r.headers ?? {},
    ...(r.body ? { body: r.body } : {}),
    signal: AbortSignal.timeout(60_000),
  });
const peakMiB = (pid: number): number =>
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

async function once(t: Target, port: number, env: NodeJS.ProcessEnv, requests: ColdRequests): Promise<Sample> {
  const real = t.real ? await t.real(requests) : null; // seeded before the spawn: not timed
  const args = [
    path.join(root, 'dist/infra/local/serve.js'),
    `--target=${t.target}`,
    `--source=${path.join(root, t.source)}`,
    `--port=${port}`,
    `--signature-type=${t.signature}`,
  ];
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: 'ignore' });
  let sample: Sample;
  let answered = false;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${t.name} exited with ${child.exitCode}`);
      const res = await send(port, t.request).catch(() => null);
      if (res) {
        await res.arrayBuffer();
        const ms = performance.now() - t0;
        const rssMiB = peakMiB(child.pid!);
        if (!real) return { ms, rssMiB, real: null };
        const t1 = performance.now();
        const r = await send(port, real.request);
        await r.arrayBuffer();
        const end = performance.now();
        answered = r.ok;
        sample = { ms, rssMiB, real: { ms: end - t1, totalMs: end - t0, rssMiB: peakMiB(child.pid!), ok: false } };
        break;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
  }
  sample.real!.ok = answered && (await real!.check());
  return sample;
}

export interface RealRow {
  ms: number;
  totalMs: number;
  rssMiB: number;
  /** Samples, and those whose request did not do its work (not counted out: printed). */
  n: number;
  failed: number;
}
export interface ColdStartRow {
  name: string;
  ms: number;
  rssMiB: number;
  msRatio: number;
  rssRatio: number;
  /** The first real request (none for the bare function); ratios to the unit's floor (none for a floor). */
  real: (RealRow & { ratios: { ms: number; totalMs: number; rssMiB: number } | null }) | null;
}

/** `rounds` alternating rounds over the bare function, the floors and every unit, on one port each. */
export async function benchColdStart(o: {
  rounds: number;
  basePort: number;
  env: NodeJS.ProcessEnv;
  pubsubHost: string;
}): Promise<ColdStartRow[]> {
  const all = targets();
  const samples = new Map<string, Sample[]>(all.map((t) => [t.name, []]));
  const env = { ...process.env, ...LOCAL_FUNCTION_ENV, VERITY_LOCAL_JWT_SECRET: SECRET, ...o.env };
  const requests = await coldRequests(env, o.pubsubHost, SECRET);
  process.stdout.write(`(f) cold start: ${o.rounds} rounds over ${all.length} functions…\n`);
  for (let r = 0; r < o.rounds; r++)
    for (const [i, t] of all.entries()) samples.get(t.name)!.push(await once(t, o.basePort + i, env, requests));
  await requests.close();
  const row = (name: string): { ms: number; rssMiB: number; real: RealRow | null } => {
    const s = samples.get(name)!;
    const reals = s.flatMap((x) => (x.real ? [x.real] : []));
    const m = (xs: number[]): number => median(xs);
    return {
      ms: m(s.map((x) => x.ms)),
      rssMiB: m(s.map((x) => x.rssMiB)),
      real: reals.length
        ? {
            ms: m(reals.map((x) => x.ms)),
            totalMs: m(reals.map((x) => x.totalMs)),
            rssMiB: m(reals.map((x) => x.rssMiB)),
            n: reals.length,
            failed: reals.filter((x) => !x.ok).length,
          }
        : null,
    };
  };
  const bare = row('bare');
  return all.map((t) => {
    const x = row(t.name);
    const floor = t.unit && !t.name.startsWith('floor:') ? row(`floor: ${t.unit}`).real : null;
    const ratios =
      x.real && floor
        ? { ms: x.real.ms / floor.ms, totalMs: x.real.totalMs / floor.totalMs, rssMiB: x.real.rssMiB / floor.rssMiB }
        : null;
    return {
      name: t.name,
      ms: x.ms,
      rssMiB: x.rssMiB,
      msRatio: x.ms / bare.ms,
      rssRatio: x.rssMiB / bare.rssMiB,
      real: x.real ? { ...x.real, ratios } : null,
    };
  });
}
