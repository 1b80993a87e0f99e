/**
 * Bulk actions, the pure part (core/bulk.ts): which jobs a filter matches, what each action does to a job in
 * each state (or why it leaves it alone), and the attribution decide adds to every transition a bulk asks for.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bulkApplies, canResume, decide, isRejection, matchesFilter, type Job } from '../../shared/src/core/index.js';
import { newJob, T0 } from '../helpers/jobs.js';

const job = (over: Partial<Job> = {}): Job => ({ ...newJob(), ...over });

describe('bulk: the filter', () => {
  it('matches on every field given, and only then', () => {
    const j = job({ type: 'render', status: 'failed', statusReason: 'RUN_TIMEOUT', resourceKey: 'project:p1' });
    assert.ok(matchesFilter(j, {}));
    assert.ok(matchesFilter(j, { type: 'render', status: 'failed', statusReason: 'RUN_TIMEOUT', projectId: 'p1' }));
    assert.ok(!matchesFilter(j, { status: 'queued' }));
    assert.ok(!matchesFilter(j, { statusReason: 'QUEUE_TIMEOUT' }));
    assert.ok(!matchesFilter(j, { projectId: 'p2' }));
    assert.ok(!matchesFilter(j, { ownerId: 'someone-else' }));
    assert.ok(matchesFilter(j, { createdBefore: j.createdAt + 1, createdAfter: j.createdAt - 1 }));
    assert.ok(!matchesFilter(j, { createdBefore: j.createdAt }), 'before is strict');
    assert.ok(!matchesFilter(j, { createdAfter: j.createdAt }), 'after is strict');
  });
});

describe('bulk: the actions', () => {
  it('cancel takes active jobs; retry failed or canceled ones; resume only those with completed steps', () => {
    const stepsDone = { pct: 50, completedSteps: ['render'] } as unknown as Job['progress'];
    assert.deepEqual(bulkApplies('cancel', job({ status: 'queued' })), { apply: true });
    assert.equal(bulkApplies('cancel', job({ status: 'succeeded' })).apply, false);
    assert.equal(bulkApplies('retry', job({ status: 'failed' })).apply, true);
    assert.equal(bulkApplies('retry', job({ status: 'running' })).apply, false);
    assert.equal(bulkApplies('resume', job({ status: 'failed' })).apply, false);
    assert.equal(bulkApplies('resume', job({ status: 'failed', progress: stepsDone })).apply, true);
    assert.ok(canResume(job({ status: 'canceled', progress: stepsDone })));
    assert.equal(bulkApplies('reconcile', job({ status: 'succeeded' })).apply, true);
  });

  it('a bulk’s cancel names the bulk and its caller in the transition’s evidence; a plain one does not', () => {
    const base = newJob();
    const j = job({ status: 'queued', executor: { ...base.executor, kind: 'external', startRequestedAt: null } });
    const by = { bulkId: 'bulk_1', userId: 'alice' };
    const d = decide(j, { kind: 'cancel', source: 'api', by }, { now: T0 + 1000, random: () => 0.5 });
    assert.ok(!isRejection(d) && d.transition);
    assert.deepEqual(d.transition.evidence.bulk, by);
    const plain = decide(j, { kind: 'cancel', source: 'api' }, { now: T0 + 1000, random: () => 0.5 });
    assert.ok(!isRejection(plain) && plain.transition);
    assert.equal(plain.transition.evidence.bulk, undefined);
  });

  it('a bulk’s cancel of a running execution is named again by the transition that completes it', () => {
    const base = newJob();
    const by = { bulkId: 'bulk_2', userId: 'ops' };
    const running = job({
      status: 'running',
      executor: { ...base.executor, kind: 'cloud-run-job', executionRef: 'exec-1', attempt: 1 },
    });
    const asked = decide(running, { kind: 'cancel', source: 'api', by }, { now: T0 + 1000, random: () => 0.5 });
    assert.ok(!isRejection(asked));
    assert.equal(asked.transition, null, 'the executor is asked first');
    assert.deepEqual(asked.job.executor.cancelRequestedBy, by);
    const ended = decide(
      asked.job,
      {
        kind: 'observed',
        source: 'reconcile',
        probed: true,
        executor: { executionRef: 'exec-1', state: 'canceled' } as never,
      },
      { now: T0 + 2000, random: () => 0.5 },
    );
    assert.ok(!isRejection(ended) && ended.transition);
    assert.equal(ended.transition.to, 'canceled');
    assert.deepEqual(ended.transition.evidence.bulk, by);
  });
});
