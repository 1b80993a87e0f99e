/** functions/job-updates: validated, deduplicated, tolerant of reordering; malformed input acknowledged. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createJobUpdatesHandler } from '../../functions/job-updates/handler.js';
import type { Principal } from '../../shared/src/auth/principal.js';
import { pushMessage, serveCloudEvent, type Served } from '../helpers/functions.js';
import { countDocuments, testRuntime, type TestRuntime } from '../helpers/runtime.js';
import { readyRuntime } from '../../functions/common/runtime-source.js';

const alice: Principal = { userId: 'alice', admin: false, workerJobId: null };
let rt: TestRuntime;
let fn: Served;
let n = 0;

before(async () => {
  rt = await testRuntime('updates');
  fn = await serveCloudEvent(createJobUpdatesHandler(readyRuntime(rt)));
});
after(async () => {
  await fn.close();
  await rt.db.terminate();
});

const send = (update: Record<string, unknown>, messageId = `m${++n}`, attributes?: Record<string, string>) =>
  pushMessage(fn.url, rt.projectId, 'verity-job-updates', {
    messageId,
    data: JSON.stringify(update),
    attributes: attributes ?? { jobId: String(update.jobId) },
  });

async function job(outputs: string[] = [], maxAttempts?: number): Promise<string> {
  return (
    await rt.jobs.enqueue(alice, {
      type: 'external',
      outputs,
      reuseExistingOutputs: true,
      ...(maxAttempts ? { policy: { maxAttempts } } : {}),
    })
  ).job.id;
}
const history = async (id: string) => (await rt.store.history(id)).map((t) => `${t.to}:${t.reason}`);

describe('job-updates', () => {
  it('started → progress → succeeded moves the job; progress is recorded without a transition', async () => {
    const id = await job();
    assert.equal(await send({ jobId: id, attempt: 1, kind: 'started' }), 204);
    await send({
      jobId: id,
      attempt: 1,
      kind: 'progress',
      progress: { pct: 60, step: 'mix', completedSteps: ['voice'] },
    });
    const p = (await rt.store.get(id))!.progress!;
    assert.deepEqual(
      [p.pct, p.step, p.completedSteps, p.steps.map((s) => s.name)],
      [60, 'mix', ['voice'], ['voice', 'mix']],
    );
    await send({ jobId: id, attempt: 1, kind: 'succeeded' });
    assert.deepEqual(await history(id), ['queued:ENQUEUED', 'running:STARTED', 'succeeded:WORKER_SUCCEEDED']);
  });

  it('a worker may declare its step plan with weights: the percent is then computed from them', async () => {
    const id = await job();
    const plan = [
      { name: 'step-1', weight: 1 },
      { name: 'step-2', weight: 1 },
      { name: 'step-3', weight: 2 },
    ];
    assert.equal(
      await send({
        id: 'p-0',
        jobId: id,
        attempt: 1,
        kind: 'progress',
        progress: { step: 'step-1', stepPct: 0, completedSteps: [], steps: plan },
      }),
      204,
    );
    assert.equal(
      await send({
        id: 'p-1',
        jobId: id,
        attempt: 1,
        kind: 'progress',
        progress: { step: 'step-2', stepPct: 0, completedSteps: ['step-1'] },
      }),
      204,
    );
    const j = (await rt.store.get(id))!;
    assert.deepEqual(j.stepPlan, plan);
    assert.equal(j.progress!.pct, 25);
    assert.equal(j.status, 'running');
  });

  it('the same message delivered twice applies once (message id, or the update id across messages)', async () => {
    const id = await job([], 3);
    await send({ jobId: id, kind: 'failed', error: { code: 'FLAKY', message: 'x', retryable: true } }, 'dup-1');
    await send({ jobId: id, kind: 'failed', error: { code: 'FLAKY', message: 'x', retryable: true } }, 'dup-1');
    assert.equal((await rt.store.get(id))!.attempt, 2, 'one retry, not two');
    await send({ id: 'u-1', jobId: id, kind: 'failed', error: { code: 'FLAKY', message: 'x', retryable: true } }, 'a');
    await send({ id: 'u-1', jobId: id, kind: 'failed', error: { code: 'FLAKY', message: 'x', retryable: true } }, 'b');
    assert.equal((await rt.store.get(id))!.attempt, 3);
  });

  it('reordered: succeeded before started ends succeeded; the late started and a progress after the end change nothing', async () => {
    const id = await job();
    await send({ jobId: id, attempt: 1, kind: 'succeeded' });
    await send({ jobId: id, attempt: 1, kind: 'started' });
    await send({ jobId: id, attempt: 1, kind: 'progress', progress: { pct: 10 } });
    assert.deepEqual(await history(id), ['queued:ENQUEUED', 'succeeded:WORKER_SUCCEEDED']);
    assert.equal((await rt.store.get(id))!.progress, null);
  });

  it("an old attempt's failed after a retry began is ignored", async () => {
    const id = await job([], 3);
    await send({ jobId: id, attempt: 1, kind: 'failed', error: { code: 'E', message: 'm', retryable: true } });
    assert.equal((await rt.store.get(id))!.attempt, 2);
    await send({ jobId: id, attempt: 1, kind: 'failed', error: { code: 'E', message: 'again', retryable: false } });
    const j = (await rt.store.get(id))!;
    assert.equal(j.status, 'queued');
    assert.equal(j.attempt, 2);
  });

  it('a worker succeeded for a job with outputs waits for the outputs, then fails OUTPUT_MISSING after the grace', async () => {
    const id = await job([`gs://${rt.bucket}/u/alice/never.mp4`]);
    await send({ jobId: id, attempt: 1, kind: 'succeeded' });
    const waiting = (await rt.store.get(id))!;
    assert.equal(waiting.status, 'running');
    assert.notEqual(waiting.reportedSucceededAt, null);
    rt.testClock.advance((waiting.policy.outputGraceSeconds + 1) * 1000);
    await rt.reconciler.reconcile(id, 'sweep');
    assert.equal((await rt.store.get(id))!.statusReason, 'OUTPUT_MISSING');
  });

  it('malformed, invalid, mismatched and unknown-job messages are acknowledged and write nothing', async () => {
    const id = await job();
    const before = await countDocuments(rt.db);
    assert.equal(
      await pushMessage(fn.url, rt.projectId, 'verity-job-updates', { messageId: 'x1', data: 'not json' }),
      204,
    );
    assert.equal(await send({ jobId: id, kind: 'exploded' }), 204);
    assert.equal(await send({ jobId: id, kind: 'progress', progress: { pct: 500 } }), 204);
    assert.equal(await send({ jobId: id, kind: 'started' }, 'x2', { jobId: 'someone-else' }), 204);
    assert.equal(await send({ jobId: 'job_missing', kind: 'started' }), 204);
    assert.equal(await countDocuments(rt.db), before);
  });
});
