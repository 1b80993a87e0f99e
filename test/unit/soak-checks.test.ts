/**
 * The soak's own parts that need no stack: its plan is the seed's, and each of the five invariants finds what
 * it should in a world built by hand (a check that could never fire would make every soak's 0 meaningless).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Job, JobEvent, RecordedTransition } from '../../shared/src/core/index.js';
import { checkInvariants, type Findings, type World } from '../../infra/soak/invariants.js';
import { planJobs } from '../../infra/soak/plan.js';
import { slowest } from '../../infra/soak/report.js';
import { S, T0 } from '../helpers/jobs.js';
import { recorder } from '../helpers/recorder.js';

const OUT = 'gs://b/u/alice/out.mp4';
const w = (report: Extract<JobEvent, { kind: 'worker' }>['report']): JobEvent => ({
  kind: 'worker',
  source: 'worker',
  report,
});

/** A job that ran and succeeded with its output present, every transition announced once. */
function succeeded(id: string): { job: Job; history: RecordedTransition[] } {
  const r = recorder(7, id);
  r.apply(w({ kind: 'started', attempt: 1 }), T0 + S);
  const found = { uri: OUT, exists: true, generation: '1', size: 1, timeCreated: T0 + 2 * S };
  r.apply({ kind: 'observed', source: 'gcs', probed: false, outputs: [found] }, T0 + 3 * S);
  assert.equal(r.job.status, 'succeeded');
  return { job: r.job, history: r.history };
}

function world(over: Partial<World> = {}): World {
  const { job, history } = succeeded('job_a');
  return {
    now: T0 + 60 * S,
    jobs: new Map([[job.id, job]]),
    histories: new Map([[job.id, history]]),
    locks: [],
    objects: new Set([OUT]),
    seenObjects: new Set([OUT]),
    events: new Map(history.map((t) => [`${job.id}:${t.seq}`, 1])),
    stateDir: mkdtempSync(path.join(os.tmpdir(), 'soak-checks-')),
    cloudRunExecutions: [],
    providerStatus: new Map(),
    boundMs: 300 * S,
    sweepIntervalMs: 2 * S,
    lateMs: 3.5 * S,
    sweeps: [],
    duplicateMismatches: [],
    ...over,
  };
}
const counts = (wld: World) =>
  Object.fromEntries(Object.entries(checkInvariants(wld)).map(([k, v]) => [k, v.length])) as Record<
    keyof Findings,
    number
  >;

describe('soak: the plan', () => {
  it('is the seed’s: the same seed plans the same jobs, another seed others; every kind is in a large one', () => {
    const a = planJobs(5, 300, 'b', 'run');
    assert.deepEqual(planJobs(5, 300, 'b', 'run'), a);
    assert.notDeepEqual(planJobs(6, 300, 'b', 'run'), a);
    const kinds = new Set(a.map((s) => s.kind));
    assert.deepEqual([...kinds].sort(), ['cloud-run', 'external', 'project', 'provider', 'render']);
    for (const s of a) if (s.duplicateOf !== undefined) assert.ok(s.duplicateOf < s.index);
  });
});

describe('soak: the invariants', () => {
  it('a consistent world: all five are 0', () => {
    const zero = { stuck: 0, wrong: 0, lost: 0, deleted: 0, orphaned: 0, undispatched: 0, delayed: 0 };
    assert.deepEqual(counts(world()), zero);
  });

  it('wrong: succeeded without its outputs; and a history edited after the fact', () => {
    assert.equal(counts(world({ objects: new Set(), seenObjects: new Set() })).wrong, 1);
    const { job, history } = succeeded('job_a');
    const edited = history.map((t, i) => (i === 1 ? { ...t, reason: 'OUTPUT_FOUND' as const } : t));
    assert.ok(counts(world({ histories: new Map([[job.id, edited]]) })).wrong >= 1);
  });

  it('lost: a transition never announced; a gap in the seqs; a lock held by an ended job', () => {
    const { job, history } = succeeded('job_a');
    assert.equal(counts(world({ events: new Map([[`${job.id}:1`, 1]]) })).lost, history.length - 1);
    assert.ok(counts(world({ histories: new Map([[job.id, history.slice(1)]]) })).lost >= 1);
    assert.equal(counts(world({ locks: [{ id: 'rk-1', jobId: job.id }] })).lost, 1);
  });

  it('deleted: an object seen during the run and gone at the end (temporary files excepted)', () => {
    const seen = new Set([OUT, 'gs://b/u/alice/other.mp4', 'gs://b/u/alice/tmp/part-1']);
    assert.equal(counts(world({ seenObjects: seen })).deleted, 1);
  });

  it('stuck: active past its next check, and a deadline acted on later than allowed', () => {
    const r = recorder(3, 'job_s');
    r.apply(w({ kind: 'started', attempt: 1 }), T0 + S);
    const active = r.job;
    const jobs = new Map([[active.id, active]]);
    const base = { jobs, histories: new Map([[active.id, r.history]]), seenObjects: new Set<string>() };
    const events = new Map(r.history.map((t) => [`${active.id}:${t.seq}`, 1]));
    assert.equal(counts(world({ ...base, events, now: active.nextCheckAt! - S })).stuck, 0);
    assert.equal(counts(world({ ...base, events, now: active.nextCheckAt! + 60 * S })).stuck, 1);
    // the sweep fails the hung attempt 40 s after its heartbeat deadline
    const late = active.nextCheckAt! + 40 * S;
    r.apply({ kind: 'observed', source: 'sweep', probed: true, outputs: [{ uri: OUT, exists: false }] }, late);
    const after = new Map([[active.id, r.job]]);
    const allEvents = new Map(r.history.map((t) => [`${active.id}:${t.seq}`, 1]));
    const at = (wld: Partial<World>) =>
      checkInvariants(
        world({
          jobs: after,
          histories: new Map([[active.id, r.history]]),
          events: allEvents,
          seenObjects: new Set(),
          ...wld,
        }),
      );
    // sweeps ran (answered) after it was due and did not act: stuck
    const ran = [5, 10, 15].map((s) => ({
      start: active.nextCheckAt! + s * S,
      end: active.nextCheckAt! + (s + 1) * S,
      movedOn: new Set<string>(),
    }));
    const stuck = at({ sweeps: ran });
    assert.equal(stuck.stuck.length, 1, stuck.stuck.join('; '));
    assert.match(stuck.stuck[0]!, /40 s after its deadline, by sweep; 3 sweeps ran/);
    // no sweep answered in between (killed, starting again): the fault's delay, reported, not counted
    const before = {
      start: active.nextCheckAt! - 10 * S,
      end: active.nextCheckAt! - 9 * S,
      movedOn: new Set<string>(),
    };
    const down = at({ sweeps: [before] });
    assert.deepEqual([down.stuck.length, down.delayed.length], [0, 1]);
    // sweeps answered, but two of the three found it under way (a reconcile past its lease): delayed, not missed
    const underWay = at({ sweeps: ran.map((s, i) => (i < 2 ? { ...s, movedOn: new Set([active.id]) } : s)) });
    assert.deepEqual([underWay.stuck.length, underWay.delayed.length], [0, 1]);
    assert.match(underWay.delayed[0]!, /1 sweeps answered in between, 2 found it under way/);
  });
});

describe('soak: the tail', () => {
  it('names the slowest jobs first, each with its transitions in seconds after it was created', () => {
    const a = succeeded('job_fast');
    const b = recorder(8, 'job_slow');
    b.apply(w({ kind: 'started', attempt: 1 }), T0 + S);
    const found = { uri: OUT, exists: true, generation: '1', size: 1, timeCreated: T0 + 2 * S };
    b.apply({ kind: 'observed', source: 'gcs', probed: false, outputs: [found] }, T0 + 40 * S);
    const jobs = new Map([
      [a.job.id, a.job],
      [b.job.id, b.job],
    ]);
    const lines = slowest(
      jobs,
      new Map([
        [a.job.id, a.history],
        [b.job.id, b.history],
      ]),
      1,
    );
    assert.equal(lines.length, 1);
    assert.match(
      lines[0]!,
      /^soak: slowest: job_slow \S+ 40\.0s: ENQUEUED \+0\.0s, STARTED \+1\.0s, OUTPUT_FOUND \+40\.0s$/,
    );
  });
});
