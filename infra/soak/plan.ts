/**
 * The soak's job mix, drawn from the seed: every job's type, executor behaviour, cancel, retry, resourceKey
 * and idempotency key are decided here, before anything runs, so a seed names one plan.
 */
import { seededRandom } from '../../shared/src/faults.js';

export type Fault = 'none' | 'crash' | 'hang' | 'silent' | 'fail';

export interface JobSpec {
  index: number;
  owner: string;
  kind: 'render' | 'cloud-run' | 'stitch' | 'adopt' | 'provider' | 'voice' | 'external' | 'project';
  /** The enqueue request (type, input, outputs, resourceKey, idempotencyKey); for 'project': its artifacts. */
  request: Record<string, unknown>;
  /** Submitted with the idempotency key of this earlier spec (the same request again). */
  duplicateOf?: number;
  /** Cancel this long after the submit. */
  cancelAfterMs?: number;
  /** Retry once when it ends failed. */
  retryOnFail: boolean;
  /** Cloud Run: what the execution does; external: whether (and when) the soak writes the output. */
  outcome: 'succeeded' | 'failed' | 'never';
  durationMs: number;
  /** 'adopt': attached through the API, or imported from the app's record by `verity import` (imports.ts). */
  via?: 'api' | 'import';
}

export interface Rng {
  next(): number;
  chance(p: number): boolean;
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
}

export function rng(seed: number): Rng {
  const next = seededRandom(seed);
  return {
    next,
    chance: (p) => next() < p,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
  };
}

/** A stream of its own per concern, so adding draws to one does not shift the others. */
export const streamSeed = (seed: number, name: string): number => {
  let h = seed >>> 0;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h;
};

export const OWNERS = ['alice', 'bob', 'carol'] as const;
/** The mix: each kind up to its share of the roll (the rest: projects). */
const MIX: readonly (readonly [JobSpec['kind'], number])[] = [
  ['render', 0.32],
  ['cloud-run', 0.46],
  ['stitch', 0.54],
  ['adopt', 0.58],
  ['provider', 0.66],
  ['voice', 0.74],
  ['external', 0.9],
];
const FAULTS: readonly Fault[] = ['none', 'none', 'none', 'none', 'crash', 'hang', 'silent', 'silent', 'fail'];

export function planJobs(seed: number, count: number, bucket: string, runId: string): JobSpec[] {
  const r = rng(streamSeed(seed, 'jobs'));
  const specs: JobSpec[] = [];
  for (let index = 0; index < count; index++) {
    const owner = r.pick(OWNERS);
    const roll = r.next();
    const kind = MIX.find(([, upTo]) => roll < upTo)?.[0] ?? 'project';
    const durationMs = kind === 'stitch' ? r.int(8000, 14000) : r.int(200, 1500);
    const key = `${runId}-${index}`;
    const base = { idempotencyKey: key, ...(r.chance(0.15) ? { resourceKey: `rk-${r.int(0, 5)}` } : {}) };
    let request: Record<string, unknown>;
    let outcome: JobSpec['outcome'] = 'succeeded';
    let via: JobSpec['via'];
    if (kind === 'render') {
      const fault = r.pick(FAULTS);
      request = { ...base, type: 'demo-render', input: { durationMs, steps: r.int(1, 3), fault } };
    } else if (kind === 'cloud-run') {
      outcome = r.chance(0.75) ? 'succeeded' : 'failed';
      request = { ...base, type: 'soak-cloud-run', input: {} };
    } else if (kind === 'stitch') {
      // seed 000: a silent Cloud Run stitcher running past the heartbeat it would be failed by, did it report
      outcome = r.chance(0.9) ? 'succeeded' : 'failed';
      request = { ...base, type: 'soak-stitch', input: {} };
    } else if (kind === 'adopt') {
      // seed 000/issue 30: an execution the app starts itself; the workload attaches it (as an admin) once started
      outcome = r.chance(0.9) ? 'succeeded' : 'failed';
      const outputs = [`gs://${bucket}/adopted/${key}.mp4`];
      request = { ...base, type: 'soak-adopt', outputs };
      via = r.chance(0.5) ? 'import' : 'api';
    } else if (kind === 'voice') {
      // seeds 003/004: a provider uploading to an S3-compatible store; half say nothing, ever (status "running",
      // no webhook); its output under its name, the alternative, or (when its webhook can say so) a reported one
      const silent = r.chance(0.5);
      const name = r.pick([null, '{externalJobId}.mp4', ...(silent ? [] : ['{externalJobId}_final.mp4'])]);
      const input = { durationMs, ...(silent ? { silent } : {}), ...(name ? { outputName: name } : {}) };
      request = { ...base, type: 'soak-voice', input: r.chance(0.1) ? { ...input, fail: true } : input };
    } else if (kind === 'provider') {
      request = { ...base, type: 'demo-provider', input: { durationMs, ...(r.chance(0.15) ? { fail: true } : {}) } };
    } else if (kind === 'external') {
      outcome = r.chance(0.8) ? 'succeeded' : 'never';
      // no start to wait for: its queue timeout is what ends the ones whose outputs never come
      const outputs = [`gs://${bucket}/u/${owner}/ext/${key}.mp4`];
      request = { ...base, type: 'external', outputs, policy: { queueTimeoutSeconds: 10 } };
    } else {
      const artifacts = [1, 2].map((n) => ({ key: `c${n}`, uri: `gs://${bucket}/u/${owner}/proj/${key}/c${n}.mp4` }));
      request = { name: `p-${key}`, artifacts };
    }
    const spec: JobSpec = { index, owner, kind, request, retryOnFail: r.chance(0.3), outcome, durationMs };
    if (via) spec.via = via;
    if (kind !== 'project' && r.chance(0.1)) spec.cancelAfterMs = r.int(100, 2500);
    // the same request again (a client retrying): it must return the same job, never make a second
    // (an attach names an execution started at run time: attaching one twice is the API tests' — attach.test.ts)
    const earlier = specs.filter((s) => s.kind !== 'project' && s.kind !== 'adopt' && s.owner === owner);
    if (kind !== 'project' && kind !== 'adopt' && earlier.length > 0 && r.chance(0.06)) {
      const of = r.pick(earlier.slice(-20));
      Object.assign(spec, { kind: of.kind, request: of.request, outcome: of.outcome, duplicateOf: of.index });
    }
    specs.push(spec);
  }
  return specs;
}
