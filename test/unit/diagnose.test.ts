/**
 * The diagnosis (core/diagnose*.ts) as a table: one row per fault the demo stack can produce, and the other
 * ways a job gets stuck or ends, each played through decide() with the clock moved, asked at a moment, and
 * checked for the cause, the next deadline and the actions. The summaries are compared with a snapshot
 * (diagnosis.snapshot.txt beside this file's source; VERITY_WRITE_SNAPSHOTS=1 rewrites it) so they can be
 * read aloud in review.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createJob, type JobEvent } from '../../shared/src/core/index.js';
import { present } from '../helpers/decide.js';
import { Play } from '../helpers/play.js';
import { ctx, dispatched, jobSpec, newJob, policy, S, T0 } from '../helpers/jobs.js';

const REF = 'local:job_1:1';
const started = (p: Play, at = T0 + 2 * S): Play =>
  p
    .set(dispatched(p.job, REF))
    .on({ kind: 'worker', source: 'worker', report: { kind: 'started', progress: { pct: 0, step: 'step-1' } } }, at);
const progress = (pct: number, step: string): JobEvent => ({
  kind: 'worker',
  source: 'worker',
  report: { kind: 'progress', progress: { pct, step } },
});
const heartbeat: JobEvent = { kind: 'worker', source: 'worker', report: { kind: 'heartbeat' } };
const exec = (state: 'running' | 'failed' | 'lost' | 'succeeded', detail?: string): JobEvent => ({
  kind: 'observed',
  source: 'sweep',
  probed: true,
  executor: { executionRef: REF, state, ...(detail ? { detail } : {}) },
});

interface Row {
  name: string;
  play: () => Play;
  at: number;
  code: string;
  status: string;
  next?: { kind: string; action: string } | null;
  actions: string[];
}

const ROWS: Row[] = [
  {
    name: 'queued, not started yet',
    play: () => new Play(newJob()),
    at: T0 + 10 * S,
    code: 'WAITING_FOR_EXECUTOR',
    status: 'queued',
    next: { kind: 'QUEUE_TIMEOUT', action: 'fail' },
    actions: ['cancel', 'wait'],
  },
  {
    name: 'queued and never started: the queue deadline failed it',
    play: () => new Play(newJob()).on({ kind: 'observed', source: 'sweep', probed: true }, T0 + 61 * S),
    at: T0 + 62 * S,
    code: 'NEVER_STARTED',
    status: 'failed',
    next: { kind: 'LATE_OUTPUT_CHECK', action: 'check' },
    actions: ['reconcile', 'retry'],
  },
  {
    name: 'running, inside its deadlines',
    play: () => started(new Play(newJob())).on(progress(40, 'step-2'), T0 + 10 * S),
    at: T0 + 20 * S,
    code: 'RUNNING_NORMALLY',
    status: 'running',
    next: { kind: 'HEARTBEAT_TIMEOUT', action: 'retry' },
    actions: ['cancel', 'wait'],
  },
  {
    name: 'demo fault silent: the execution runs, no report; the heartbeat deadline has passed, not yet acted on',
    play: () => new Play(dispatched(newJob(), REF)).on(exec('running'), T0 + 5 * S),
    at: T0 + 40 * S,
    code: 'WORKER_SILENT',
    status: 'running',
    actions: ['reconcile', 'cancel', 'wait'],
  },
  {
    name: 'demo fault silent: the heartbeat deadline failed attempt 1, attempt 2 waits for its backoff',
    play: () => new Play(dispatched(newJob(), REF)).on(exec('running'), T0 + 5 * S).on(exec('running'), T0 + 36 * S),
    at: T0 + 40 * S,
    code: 'WORKER_SILENT',
    status: 'queued',
    actions: ['cancel', 'wait'],
  },
  {
    name: 'demo fault crash: the execution failed, a retry is queued',
    play: () =>
      started(new Play(newJob()))
        .on(progress(50, 'step-3'), T0 + 10 * S)
        .on(exec('failed', 'exit code 1'), T0 + 12 * S),
    at: T0 + 13 * S,
    code: 'EXECUTOR_FAILED',
    status: 'queued',
    actions: ['cancel', 'wait'],
  },
  {
    name: 'demo fault hang: heartbeats keep coming, progress stopped more than two heartbeat timeouts ago',
    play: () =>
      started(new Play(newJob()))
        .on(progress(25, 'step-2'), T0 + 5 * S)
        .on(heartbeat, T0 + 30 * S)
        .on(heartbeat, T0 + 55 * S)
        .on(heartbeat, T0 + 80 * S),
    at: T0 + 90 * S,
    code: 'WORKER_HUNG',
    status: 'running',
    next: { kind: 'RUN_TIMEOUT', action: 'fail' },
    actions: ['reconcile', 'cancel', 'wait'],
  },
  {
    name: 'demo fault hang: the run deadline ended it',
    play: () => {
      const p = started(new Play(newJob({ policy: { runTimeoutSeconds: 120 } }))).on(
        progress(25, 'step-2'),
        T0 + 5 * S,
      );
      for (let t = 30; t <= 120; t += 25) p.on(heartbeat, T0 + t * S);
      return p.on(exec('running'), T0 + 123 * S);
    },
    at: T0 + 124 * S,
    code: 'WORKER_HUNG',
    status: 'failed',
    actions: ['reconcile', 'retry'],
  },
  {
    name: 'demo fault fail: the worker reported a permanent failure',
    play: () =>
      started(new Play(newJob())).on(
        {
          kind: 'worker',
          source: 'worker',
          report: {
            kind: 'failed',
            error: { code: 'RENDER_FAILED', message: 'the demo renderer was told to fail', retryable: false },
          },
        },
        T0 + 9 * S,
      ),
    at: T0 + 10 * S,
    code: 'WORKER_FAILED',
    status: 'failed',
    next: { kind: 'LATE_OUTPUT_CHECK', action: 'check' },
    actions: ['reconcile', 'retry'],
  },
  {
    name: 'dropped webhook: the provider was asked by the sweep and said succeeded',
    play: () => {
      const job = createJob(
        jobSpec({ id: 'job_1', type: 'provider-tts', executorKind: 'http', policy: policy() }),
        [],
        ctx(T0),
      ).job;
      return new Play(dispatched(job, 'http:ext-1')).on(
        {
          kind: 'observed',
          source: 'sweep',
          probed: true,
          executor: { executionRef: 'http:ext-1', state: 'succeeded' },
        },
        T0 + 61 * S,
      );
    },
    at: T0 + 62 * S,
    code: 'WEBHOOK_LOST',
    status: 'succeeded',
    next: null,
    actions: [],
  },
  {
    name: 'lost finalize event: the sweep found the output',
    play: () =>
      started(new Play(newJob())).on(
        { kind: 'observed', source: 'sweep', probed: true, outputs: [present('gs://b/out.mp4', T0 + 20 * S)] },
        T0 + 33 * S,
      ),
    at: T0 + 34 * S,
    code: 'EVENT_LOST',
    status: 'succeeded',
    actions: [],
  },
  {
    name: 'executor lost: Cloud Run forgot the execution, a retry is queued',
    play: () => started(new Play(newJob())).on(exec('lost', 'execution not found'), T0 + 20 * S),
    at: T0 + 21 * S,
    code: 'EXECUTOR_LOST',
    status: 'queued',
    actions: ['cancel', 'wait'],
  },
  {
    name: 'output missing after a success report: waiting out the output grace',
    play: () =>
      started(new Play(newJob())).on({ kind: 'worker', source: 'worker', report: { kind: 'succeeded' } }, T0 + 20 * S),
    at: T0 + 25 * S,
    code: 'OUTPUT_MISSING',
    status: 'running',
    next: { kind: 'OUTPUT_MISSING', action: 'fail' },
    actions: ['reconcile', 'cancel', 'wait'],
  },
  {
    name: 'output missing after a success report: the grace ended',
    play: () =>
      started(new Play(newJob()))
        .on({ kind: 'worker', source: 'worker', report: { kind: 'succeeded' } }, T0 + 20 * S)
        .on(
          { kind: 'observed', source: 'sweep', probed: true, outputs: [{ uri: 'gs://b/out.mp4', exists: false }] },
          T0 + 41 * S,
        ),
    at: T0 + 42 * S,
    code: 'OUTPUT_MISSING',
    status: 'failed',
    next: { kind: 'LATE_OUTPUT_CHECK', action: 'check' },
    actions: ['reconcile', 'retry'],
  },
  {
    name: 'a cancel under way',
    play: () => started(new Play(newJob())).on({ kind: 'cancel', source: 'api' }, T0 + 5 * S),
    at: T0 + 6 * S,
    code: 'CANCELING',
    status: 'running',
    next: { kind: 'CANCELED_BY_USER', action: 'cancel' },
    actions: ['wait'],
  },
  {
    name: 'a cancel waiting for a start in flight',
    play: () => new Play(newJob()).on({ kind: 'cancel', source: 'api' }, T0 + 5 * S),
    at: T0 + 6 * S,
    code: 'CANCELING',
    status: 'queued',
    next: { kind: 'CANCELED_BY_USER', action: 'cancel' },
    actions: ['wait'],
  },
  {
    name: 'canceled',
    play: () => new Play(newJob()).on({ kind: 'cancel', source: 'api' }, T0 + 25 * S), // its start's lease over
    at: T0 + 26 * S,
    code: 'CANCELED',
    status: 'canceled',
    next: null,
    actions: ['retry'],
  },
  {
    name: 'succeeded by its finalize event',
    play: () =>
      started(new Play(newJob())).on(
        { kind: 'observed', source: 'gcs', probed: false, outputs: [present('gs://b/out.mp4', T0 + 20 * S)] },
        T0 + 21 * S,
      ),
    at: T0 + 22 * S,
    code: 'SUCCEEDED',
    status: 'succeeded',
    next: null,
    actions: [],
  },
];

const snapshotPath = fileURLToPath(new URL('../../../test/unit/diagnosis.snapshot.txt', import.meta.url));
const texts: string[] = [];

describe('diagnosis: the right cause at the right moment', () => {
  for (const row of ROWS) {
    it(row.name, () => {
      const d = row.play().at(row.at);
      assert.equal(d.status, row.status);
      assert.equal(d.cause.code, row.code, d.summary);
      if (row.next !== undefined)
        assert.deepEqual(d.nextDeadline && { kind: d.nextDeadline.kind, action: d.nextDeadline.action }, row.next);
      assert.deepEqual(
        d.actions.map((a) => a.action),
        row.actions,
      );
      assert.match(d.summary, /^[A-Z].*\.$/, 'one sentence');
      const words = [
        d.summary,
        d.cause.explanation,
        ...d.waitingFor,
        d.nextDeadline?.then ?? '',
        ...d.evidence.map((e) => e.detail),
        ...d.actions.map((a) => a.why),
      ];
      for (const w of words) assert.ok(!/undefined|NaN|null|\[object| \?/.test(w), `a hole in the words: ${w}`);
      if (d.status === 'queued' || d.status === 'running')
        assert.ok(d.waitingFor.length > 0, 'an active job waits for something');
      else assert.deepEqual(d.waitingFor, []);
      texts.push(`${row.name}\n  ${d.cause.code}: ${d.summary}\n  ${d.cause.explanation}\n`);
    });
  }

  it('a retry that has not started names the failure it repeats and when the next attempt may start', () => {
    const d = ROWS.find((r) => r.name.startsWith('demo fault crash'))!
      .play()
      .at(T0 + 13 * S);
    assert.match(
      d.summary,
      /^Attempt 1 failed because the execution failed; attempt 2 of 3 starts after its backoff, at /,
    );
    assert.match(d.cause.explanation, /exit code 1/);
  });

  it('the evidence says what was seen and what is missing', () => {
    const d = ROWS.find((r) => r.name.startsWith('output missing after a success report: waiting'))!
      .play()
      .at(T0 + 25 * S);
    const out = d.evidence.find((e) => e.kind === 'output')!;
    assert.deepEqual([out.seen, out.detail], [false, 'gs://b/out.mp4 not found']);
    assert.equal(d.evidence.find((e) => e.kind === 'success-report')!.seen, true);
    assert.equal(d.evidence.find((e) => e.kind === 'finalize-event')!.seen, false);
    assert.deepEqual(d.waitingFor, ['the output gs://b/out.mp4']);
  });

  after(() => {
    const text = texts.join('\n');
    if (process.env.VERITY_WRITE_SNAPSHOTS === '1') writeFileSync(snapshotPath, text);
    else if (texts.length === ROWS.length)
      assert.equal(
        text,
        readFileSync(snapshotPath, 'utf8'),
        'the summaries changed: review, then VERITY_WRITE_SNAPSHOTS=1',
      );
  });
});
