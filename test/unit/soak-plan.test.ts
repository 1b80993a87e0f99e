/** The soak's plan is the seed's; its report names the slowest jobs with their transitions. No stack needed. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobEvent } from '../../shared/src/core/index.js';
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

function succeeded(id: string) {
  const r = recorder(7, id);
  r.apply(w({ kind: 'started', attempt: 1 }), T0 + S);
  const found = { uri: OUT, exists: true, generation: '1', size: 1, timeCreated: T0 + 2 * S };
  r.apply({ kind: 'observed', source: 'gcs', probed: false, outputs: [found] }, T0 + 3 * S);
  return { job: r.job, history: r.history };
}

describe('soak: the plan', () => {
  it('is the seed’s: the same seed plans the same jobs, another seed others; every kind is in a large one', () => {
    const a = planJobs(5, 300, 'b', 'run');
    assert.deepEqual(planJobs(5, 300, 'b', 'run'), a);
    assert.notDeepEqual(planJobs(6, 300, 'b', 'run'), a);
    const kinds = new Set(a.map((s) => s.kind));
    const all = ['adopt', 'cloud-run', 'external', 'project', 'provider', 'render', 'stitch', 'voice'];
    assert.deepEqual([...kinds].sort(), all);
    for (const s of a) if (s.duplicateOf !== undefined) assert.ok(s.duplicateOf < s.index);
    // an attach names an execution started at run time: no 'adopt' spec repeats another
    assert.ok(a.every((s) => s.kind !== 'adopt' || s.duplicateOf === undefined));
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
      [
        { kind: 'gcs:outage', at: T0 + 3 * S, subject: OUT },
        { kind: 'updates:drop', at: T0 + 4 * S, subject: 'job_other' },
      ],
      1,
    );
    assert.equal(lines.length, 1);
    assert.match(
      lines[0]!,
      /^soak: slowest: job_slow \S+ 40\.0s: ENQUEUED \+0\.0s, STARTED \+1\.0s, OUTPUT_FOUND \+40\.0s; faults met: gcs:outage \+3\.0s$/,
    );
  });
});
