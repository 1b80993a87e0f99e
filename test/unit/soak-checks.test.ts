/**
 * The soak's own parts that need no stack: its plan is the seed's, and each invariant of the verdict finds what
 * it should in a world built by hand — a consistent one counts 0, and each planted violation (a deleted job
 * document, a second start of one attempt, a late terminal, a swallowed 500, a wrong 409, a cancel never
 * delivered, an attempt never dispatched, an execution left running, an output no worker wrote, a history
 * edited after the fact) is counted where it belongs. A check that could never fire would make every 0 empty.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Job, JobEvent, RecordedTransition } from '../../shared/src/core/index.js';
import type { TruthRecord } from '../../infra/local/truth-log.js';
import { jobBoundMs } from '../../infra/soak/bounds.js';
import { checkInvariants, COUNTED, type Counted, type World } from '../../infra/soak/invariants.js';
import { S, T0 } from '../helpers/jobs.js';
import { recorder } from '../helpers/recorder.js';
const OUT = 'gs://b/u/alice/out.mp4';
const w = (report: Extract<JobEvent, { kind: 'worker' }>['report']): JobEvent => ({
  kind: 'worker',
  source: 'worker',
  report,
});
const local = (jobId: string, attempt = 1, exec = 'pid:1') => ({ executor: 'local' as const, jobId, attempt, exec });

/** A job that ran and succeeded with its output present, every transition announced once. */
function succeeded(id: string): { job: Job; history: RecordedTransition[] } {
  const r = recorder(7, id);
  r.apply(w({ kind: 'started', attempt: 1 }), T0 + S);
  const found = { uri: OUT, exists: true, generation: '1', size: 1, timeCreated: T0 + 2 * S };
  r.apply({ kind: 'observed', source: 'gcs', probed: false, outputs: [found] }, T0 + 3 * S);
  assert.equal(r.job.status, 'succeeded');
  return { job: r.job, history: r.history };
}

/** What really happened to job_a: acknowledged, one execution started, wrote its output (generation 1), exited. */
const truthOf = (id: string): TruthRecord[] => [
  {
    t: 'request',
    sentAt: T0 - 10,
    at: T0 + 10,
    owner: 'alice',
    method: 'POST',
    path: '/api/jobs',
    route: 'POST /api/jobs',
    status: 201,
    try: 1,
    jobId: id,
  },
  { t: 'start', ...local(id), at: T0 + S / 2 },
  { t: 'output', at: T0 + 2 * S, writer: 'local', uri: OUT, generation: '1', jobId: id, attempt: 1 },
  { t: 'exit', ...local(id), at: T0 + 2 * S + 10, outcome: 'exit 0' },
];
const announced = (id: string, history: RecordedTransition[]) => ({
  events: new Map(history.map((t) => [`${id}:${t.seq}`, 1])),
  eventTo: new Map(history.map((t) => [`${id}:${t.seq}`, t.to as string])),
});

function world(over: Partial<World> = {}): World {
  const { job, history } = succeeded('job_a');
  return {
    now: T0 + 60 * S,
    jobs: new Map([[job.id, job]]),
    histories: new Map([[job.id, history]]),
    historiesWithoutJob: [],
    locks: [],
    objects: new Map([[OUT, '1']]),
    seenObjects: new Set([OUT]),
    ...announced(job.id, history),
    truth: truthOf(job.id),
    sweepIntervalMs: 2 * S,
    sweepLeaseMs: 1.5 * S,
    duplicateMismatches: [],
    ...over,
  };
}
const counts = (wld: World) =>
  Object.fromEntries(COUNTED.map((k) => [k, checkInvariants(wld)[k].length])) as Record<Counted, number>;
const only = (wld: World, k: Counted): string[] => {
  const f = checkInvariants(wld);
  for (const other of COUNTED) if (other !== k) assert.deepEqual(f[other], [], `${other} stays 0 beside ${k}`);
  return f[k];
};
const zero = Object.fromEntries(COUNTED.map((k) => [k, 0]));

/** A job that failed its attempt's queue deadline, started by `local-process`, as job `id`. */
function timedOut(id: string): { job: Job; history: RecordedTransition[] } {
  const r = recorder(3, id);
  r.apply({ kind: 'observed', source: 'sweep', probed: true, outputs: [{ uri: OUT, exists: false }] }, T0 + 3600 * S);
  return { job: r.job, history: r.history };
}

describe('soak: the verdict, from ground truth', () => {
  it('a consistent world counts 0 everywhere', () => {
    assert.deepEqual(counts(world()), zero);
    assert.ok(checkInvariants(world()).worst!.lateMs < 0, 'in time');
  });

  it('acknowledged: a 2xx whose job document is gone is lost, as is a history without its job', () => {
    const lost = only(
      world({
        jobs: new Map(),
        histories: new Map(),
        historiesWithoutJob: ['job_a'],
        events: new Map(),
        eventTo: new Map(),
        truth: truthOf('job_a').slice(0, 1),
        objects: new Map(),
        seenObjects: new Set(),
      }),
      'lost',
    );
    assert.ok(
      lost.some((l) => /job_a was acknowledged \(2xx\) but does not exist/.test(l)),
      lost.join('; '),
    );
    assert.ok(lost.some((l) => /job_a has a history but no job document/.test(l)));
  });

  it('duplicate launches: a second start of one attempt, and an attempt the job never had', () => {
    const again: TruthRecord[] = [
      { t: 'start', ...local('job_a', 1, 'pid:2'), at: T0 + S },
      { t: 'exit', ...local('job_a', 1, 'pid:2'), at: T0 + 2 * S, outcome: 'exit 0' },
    ];
    assert.match(
      only(world({ truth: [...truthOf('job_a'), ...again] }), 'duplicateLaunches')[0]!,
      /attempt 1 started 2 times/,
    );
    const beyond: TruthRecord[] = [
      { t: 'start', ...local('job_a', 2, 'pid:3'), at: T0 + S },
      { t: 'exit', ...local('job_a', 2, 'pid:3'), at: T0 + 2 * S, outcome: 'exit 0' },
    ];
    assert.match(
      only(world({ truth: [...truthOf('job_a'), ...beyond] }), 'duplicateLaunches')[0]!,
      /attempt 2 of job_a, which has 1/,
    );
  });

  it('stuck: a terminal state reached past the job’s bound, and a job still active at the end', () => {
    const r = recorder(7, 'job_a');
    r.apply(w({ kind: 'started', attempt: 1 }), T0 + S);
    const bound = jobBoundMs(r.job, false, { sweepIntervalMs: 2 * S, sweepLeaseMs: 1.5 * S });
    const found = { uri: OUT, exists: true, generation: '1', size: 1, timeCreated: T0 + 2 * S };
    const active = {
      jobs: new Map([['job_a', r.job]]),
      histories: new Map([['job_a', [...r.history]]]),
      ...announced('job_a', r.history),
    };
    assert.match(
      only(world({ ...active, now: T0 + 10 * S }), 'stuck')[0]!,
      /job_a still running \(STARTED\) at the end/,
    );
    r.apply({ kind: 'observed', source: 'gcs', probed: false, outputs: [found] }, T0 + bound + 5 * S);
    const late = {
      jobs: new Map([['job_a', r.job]]),
      histories: new Map([['job_a', r.history]]),
      ...announced('job_a', r.history),
    };
    const f = checkInvariants(world({ ...late, now: T0 + bound + 60 * S }));
    const line = 'demo-render attempt 1, bound 4968 s; queued/ENQUEUED/api +0.0s, running/STARTED/worker +1.0s, ';
    assert.deepEqual(f.stuck, [`job_a ended 5 s past its bound: ${line}succeeded/OUTPUT_FOUND/gcs +4973.0s`]);
    assert.equal(f.worst!.lateMs, 5 * S);
    // a probe of its output met an injected storage fault: its deadline may have been held, the bound allows it
    const stuck = (u: string) =>
      checkInvariants(world({ ...late, now: T0 + bound + 60 * S, storageFaults: new Set([u]) }));
    assert.deepEqual([stuck(OUT).stuck.length, stuck('gs://b/x').stuck.length], [0, 1]);
  });

  it('5xx: every 500 answered is counted, by route, even when the client got a final answer after it', () => {
    const swallowed: TruthRecord = {
      ...(truthOf('job_a')[0] as Extract<TruthRecord, { t: 'request' }>),
      status: 500,
      code: 'INTERNAL',
      jobId: undefined,
    };
    assert.deepEqual(only(world({ truth: [swallowed, ...truthOf('job_a')] }), 'fiveXX'), [
      'POST /api/jobs answered 500 INTERNAL (try 1)',
    ]);
  });

  it('wrong: a 409 whose holder had ended, or was someone else’s, or held another key', () => {
    const { job, history } = succeeded('job_h');
    const conflict = (over: Partial<Extract<TruthRecord, { t: 'request' }>>): TruthRecord => ({
      t: 'request',
      sentAt: T0 + S / 2,
      at: T0 + S,
      owner: 'alice',
      method: 'POST',
      path: '/api/jobs',
      route: 'POST /api/jobs',
      status: 409,
      try: 1,
      code: 'ACTIVE_JOB_EXISTS',
      activeJobId: 'job_h',
      ...over,
    });
    const base = world();
    const wld = (r: TruthRecord) =>
      world({
        jobs: new Map([...base.jobs, ['job_h', job]]),
        histories: new Map([...base.histories, ['job_h', history]]),
        events: new Map([...base.events, ...announced('job_h', history).events]),
        eventTo: new Map([...base.eventTo, ...announced('job_h', history).eventTo]),
        truth: [...truthOf('job_a'), r],
      });
    assert.deepEqual(counts(wld(conflict({}))), zero, 'a true conflict: the holder was active then');
    assert.match(only(wld(conflict({ sentAt: T0 + 10 * S, at: T0 + 11 * S })), 'wrong')[0]!, /had ended/);
    assert.match(only(wld(conflict({ owner: 'bob' })), 'wrong')[0]!, /alice's, not bob's/);
    assert.match(only(wld(conflict({ resourceKey: 'rk-2' })), 'wrong')[0]!, /holds null, not rk-2/);
    assert.match(only(wld(conflict({ activeJobId: undefined })), 'wrong')[0]!, /names no holder/);
  });

  it('wrong: a retry refused as a conflict while the job was failed throughout; a cancel refused while active', () => {
    const { job, history } = timedOut('job_a');
    const refused = (path: string, code: string, at: number): TruthRecord => ({
      t: 'request',
      sentAt: at - 10,
      at,
      owner: 'alice',
      method: 'POST',
      path,
      route: 'POST /api/jobs/:id/x',
      status: 409,
      try: 1,
      code,
    });
    const end = history.at(-1)!.at;
    const wld = (r: TruthRecord) =>
      checkInvariants(
        world({
          jobs: new Map([['job_a', job]]),
          histories: new Map([['job_a', history]]),
          ...announced('job_a', history),
          truth: [r],
          objects: new Map(),
          seenObjects: new Set(),
        }),
      ).wrong;
    assert.match(wld(refused('/api/jobs/job_a/retry', 'CONFLICT', end + S))[0]!, /failed or canceled throughout/);
    assert.deepEqual(wld(refused('/api/jobs/job_a/retry', 'CONFLICT', end - S)), [], 'still queued then');
    assert.match(wld(refused('/api/jobs/job_a/cancel', 'JOB_TERMINAL', end - S))[0]!, /was active throughout/);
    assert.deepEqual(wld(refused('/api/jobs/job_a/cancel', 'JOB_TERMINAL', end + S)), []);
  });

  it('wrong: a canceled job whose execution never got the cancel and ran on', () => {
    const r = recorder(7, 'job_a');
    r.apply(w({ kind: 'started', attempt: 1 }), T0 + S);
    r.apply({ kind: 'cancel', source: 'api' } as JobEvent, T0 + 2 * S);
    const h = r.history;
    assert.equal(r.job.status, 'canceled', `the recorder cancels: ${h.map((t) => t.to).join(',')}`);
    const truth: TruthRecord[] = [
      truthOf('job_a')[0]!,
      { t: 'start', ...local('job_a'), at: T0 + S },
      { t: 'exit', ...local('job_a'), at: T0 + 300 * S, outcome: 'exit 0' },
    ];
    const wld = {
      jobs: new Map([['job_a', r.job]]),
      histories: new Map([['job_a', h]]),
      ...announced('job_a', h),
      truth,
      objects: new Map<string, string>(),
      seenObjects: new Set<string>(),
    };
    const wrong = only(world(wld), 'wrong');
    assert.ok(
      wrong.some((l) => /never received the cancel/.test(l)),
      wrong.join('; '),
    );
    assert.ok(
      wrong.some((l) => /ran 298 s past its end/.test(l)),
      wrong.join('; '),
    );
    const stopped = [
      ...truth.slice(0, 2),
      { t: 'cancel', ...local('job_a'), at: T0 + 3 * S },
      { t: 'exit', ...local('job_a'), at: T0 + 3 * S, outcome: 'exit 143' },
    ] as TruthRecord[];
    assert.deepEqual(counts(world({ ...wld, truth: stopped })), zero);
  });

  it('never dispatched: an attempt failed without its execution ever starting (external work excepted)', () => {
    const { job, history } = timedOut('job_q');
    assert.equal(job.status, 'failed');
    const started = { ...job, executor: { ...job.executor, kind: 'local-process' as const } };
    const wld = (j: Job, truth: TruthRecord[], startFaults?: Set<string>) =>
      checkInvariants(
        world({
          jobs: new Map([[j.id, j]]),
          histories: new Map([[j.id, history]]),
          ...announced(j.id, history),
          truth,
          objects: new Map(),
          seenObjects: new Set(),
          ...(startFaults ? { startFaults } : {}),
        }),
      );
    assert.match(
      wld(started, []).neverDispatched[0]!,
      /job_q attempt 1 ended \(QUEUE_TIMEOUT\) without its execution ever starting/,
    );
    const ran: TruthRecord[] = [
      { t: 'start', ...local('job_q'), at: T0 + S },
      { t: 'exit', ...local('job_q'), at: T0 + 2 * S, outcome: 'exit 1' },
    ];
    assert.deepEqual(wld(started, ran).neverDispatched, []);
    assert.deepEqual(wld(job, []).neverDispatched, [], 'an external job has no execution of ours');
    assert.deepEqual(wld(started, [], new Set(['job_q:1'])).neverDispatched, [], 'its start met an injected fault');
    assert.equal(wld(started, [], new Set(['job_q:2', 'job_r:1'])).neverDispatched.length, 1, 'not this attempt');
  });

  it('orphaned: an execution still running at the end whose attempt is over', () => {
    const truth = truthOf('job_a').slice(0, 3);
    assert.match(
      only(world({ truth }), 'orphaned')[0]!,
      /local:pid:1 \(job_a attempt 1\) still running at the end \(job succeeded\)/,
    );
  });

  it('wrong: succeeded on an object no worker wrote, or with no outputs; an event that announced another state', () => {
    assert.match(only(world({ objects: new Map([[OUT, '7']]) }), 'wrong')[0]!, /generation 7, which no worker wrote/);
    const { job, history } = succeeded('job_a');
    const none = { ...job, outputUris: [] };
    assert.ok(
      checkInvariants(world({ jobs: new Map([['job_a', none]]) })).wrong.some((l) => /no outputs declared/.test(l)),
    );
    const eventTo = new Map(announced('job_a', history).eventTo).set(`job_a:${history.length}`, 'failed');
    assert.match(only(world({ eventTo }), 'wrong')[0]!, /announced failed, not succeeded/);
  });

  it('wrong: a history edited after the fact does not replay; lost: a transition never announced', () => {
    const { job, history } = succeeded('job_a');
    const edited = history.map((t, i) => (i === 1 ? { ...t, reason: 'OUTPUT_FOUND' as const } : t));
    assert.ok(counts(world({ histories: new Map([[job.id, edited]]) })).wrong >= 1);
    assert.equal(only(world({ events: new Map([[`${job.id}:1`, 1]]) }), 'lost').length, history.length - 1);
    assert.equal(only(world({ locks: [{ id: 'rk-1', jobId: job.id }] }), 'lost').length, 1);
  });

  it('deleted: an object written or seen during the run and gone at the end (temporary files excepted)', () => {
    const seen = new Set([OUT, 'gs://b/u/alice/other.mp4', 'gs://b/u/alice/tmp/part-1']);
    assert.equal(only(world({ seenObjects: seen }), 'deleted').length, 1);
    const written: TruthRecord = {
      t: 'output',
      at: T0,
      writer: 'external',
      uri: 'gs://b/u/alice/x.mp4',
      generation: '1',
    };
    assert.deepEqual(only(world({ truth: [...truthOf('job_a'), written] }), 'deleted'), [
      'gs://b/u/alice/x.mp4 was deleted',
    ]);
  });
});
