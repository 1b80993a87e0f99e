/** createJob: the first decision on a new job: queued with a start effect, or done when its outputs exist. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createJob } from '../../shared/src/core/index.js';
import { present } from '../helpers/decide.js';
import { ctx, jobSpec, policy, T0 } from '../helpers/jobs.js';

describe('createJob', () => {
  it('enqueues with ENQUEUED, version 1 and a start effect recorded before it runs', () => {
    const d = createJob(
      jobSpec({
        id: 'j',
        type: 't',
        ownerId: 'a',
        outputUris: ['gs://b/o'],
        executorKind: 'local-process',
        policy: policy(),
      }),
      [],
      ctx(T0),
    );
    assert.equal(d.job.status, 'queued');
    assert.equal(d.job.version, 1);
    assert.deepEqual(
      d.transition && {
        seq: d.transition.seq,
        from: d.transition.from,
        to: d.transition.to,
        reason: d.transition.reason,
      },
      { seq: 1, from: null, to: 'queued', reason: 'ENQUEUED' },
    );
    assert.deepEqual(d.effects, [{ kind: 'startExecution', jobId: 'j', attempt: 1 }]);
    assert.equal(d.job.executor.startRequestedAt, T0);
  });
  it('is succeeded with OUTPUT_ALREADY_PRESENT and runs nothing when every output exists', () => {
    const d = createJob(
      jobSpec({
        id: 'j',
        type: 't',
        ownerId: 'a',
        outputUris: ['gs://b/o'],
        executorKind: 'local-process',
        policy: policy(),
      }),
      [present('gs://b/o', T0 - 1000)],
      ctx(T0),
    );
    assert.equal(d.job.status, 'succeeded');
    assert.equal(d.job.statusReason, 'OUTPUT_ALREADY_PRESENT');
    assert.deepEqual(d.effects, []);
    assert.equal(d.job.nextCheckAt, null);
  });
  it('ignores existing outputs when reuseExistingOutputs is false', () => {
    const d = createJob(
      jobSpec({
        id: 'j',
        type: 't',
        ownerId: 'a',
        outputUris: ['gs://b/o'],
        reuseExistingOutputs: false,
        executorKind: 'external',
        policy: policy(),
      }),
      [present('gs://b/o', T0 - 1000)],
      ctx(T0),
    );
    assert.equal(d.job.status, 'queued');
    assert.deepEqual(d.effects, []);
  });
});
