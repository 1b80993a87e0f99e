/** Builders and a row checker shared by the test/unit/decide-*.test.ts files. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { decide, isRejection, type Decision, type Job, type JobEvent } from '../../shared/src/core/index.js';
import { ctx, dispatched, T0, S } from './jobs.js';

/** decide(), asserting it accepts the event. */
export function run(job: Job, event: JobEvent, now: number, random = 0.5): Decision {
  const d = decide(job, event, ctx(now, random));
  assert.ok(!isRejection(d), `unexpected rejection: ${JSON.stringify(d)}`);
  return d;
}

/** What a probe says of an output that exists. */
export const present = (uri = 'gs://b/out.mp4', timeCreated = T0 + 5 * S) => ({
  uri,
  exists: true,
  generation: '7',
  size: 10,
  timeCreated,
});

/** The job dispatched as local:job_1:1 and started by its worker at `at`. */
export const running = (job: Job, at = T0 + S): Job =>
  run(dispatched(job), { kind: 'worker', source: 'worker', report: { kind: 'started' } }, at).job;

/** One event on one job: the status, reason and effects expected after it. */
export interface Row {
  name: string;
  job: () => Job;
  event: JobEvent;
  at: number;
  random?: number;
  to: string;
  reason: string;
  transition: boolean;
  effects?: string[];
}

/** One test per row: status, reason, whether a transition is made (and its seq and from), the effect kinds. */
export function tableTests(rows: readonly Row[]): void {
  for (const row of rows) {
    it(row.name, () => {
      const before = row.job();
      const d = run(before, row.event, row.at, row.random);
      assert.equal(d.job.status, row.to);
      assert.equal(d.job.statusReason, row.reason);
      assert.equal(d.transition !== null, row.transition);
      if (d.transition) {
        assert.equal(d.job.version, before.version + 1);
        assert.equal(d.transition.seq, d.job.version);
        assert.equal(d.transition.from, before.status);
      } else {
        assert.equal(d.job.version, before.version);
      }
      if (row.effects)
        assert.deepEqual(
          d.effects.map((e) => e.kind),
          row.effects,
        );
    });
  }
}
