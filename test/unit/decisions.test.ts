/**
 * The decisions made in one place (issue 27): "due", start eligibility, the idempotency answer and HTTP
 * retryability live in the core, and the store, the reads, the projects and the executors ask them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dueForMs, idempotentAnswer, isDue, retryableHttpStatus, startable } from '../../shared/src/core/index.js';
import { dispatched, newJob, S, T0 } from '../helpers/jobs.js';

describe('one place for each decision', () => {
  it('is due once its next check has come, never without one', () => {
    const job = newJob();
    assert.ok(job.nextCheckAt !== null);
    assert.equal(isDue(job, job.nextCheckAt - 1), false);
    assert.equal(isDue(job, job.nextCheckAt), true);
    assert.equal(dueForMs(job, job.nextCheckAt + 5 * S), 5 * S);
    const none = { ...job, nextCheckAt: null };
    assert.equal(isDue(none, T0 + 1e9), false);
    assert.equal(dueForMs(none, T0), -Infinity);
  });

  it('starts a queued attempt with no execution recorded, and nothing else', () => {
    const job = newJob();
    assert.equal(startable(job, 1), true);
    assert.equal(startable(job, 2), false, 'another attempt');
    assert.equal(startable(dispatched(job), 1), false, 'an execution is recorded');
    assert.equal(startable({ ...job, status: 'running' }, 1), false);
    assert.equal(startable(newJob({ kind: 'external' }), 1), false, 'nothing to start');
  });

  it('answers an idempotency key with the job its record names, only when that job exists', () => {
    const job = newJob();
    assert.equal(idempotentAnswer({ jobId: job.id }, job), job);
    assert.equal(idempotentAnswer({ jobId: job.id }, null), null, 'a record whose job was never written');
    assert.equal(idempotentAnswer(null, null), null);
    assert.equal(idempotentAnswer({ jobId: 'job_other' }, job), null, 'a record naming another job');
  });

  it('retries calls that failed for the service, not for the request', () => {
    for (const s of [500, 502, 503, 504, 408, 429]) assert.equal(retryableHttpStatus(s), true, String(s));
    for (const s of [400, 401, 403, 404, 409, 422]) assert.equal(retryableHttpStatus(s), false, String(s));
  });
});
