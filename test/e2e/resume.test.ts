/**
 * Resume on the local stack (issue 17): the demo worker runs its steps through the SDK's step API; a crash at
 * step 3 of 4 on the first attempt leaves checkpoints of steps 1–2, and the next attempt runs steps 3–4 only —
 * the progress view shows 1–2 skipped, and each checkpoint names the attempt that ran its step. A retry of a
 * failed job keeps its original's checkpoint prefix and resumes from it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startLocalStack, type LocalStack } from '../helpers/local-stack.js';
import { waitFor } from '../helpers/wait.js';

let stack: LocalStack;
let storage: LocalStack['storage'];
let bucket: string;
const call = (method: string, p: string, body?: unknown) => stack.call(method, p, body);
const manifest = async (prefix: string, step: string) =>
  JSON.parse((await storage.bucket(bucket).file(`${prefix}${step}.json`).download())[0].toString());
const statusOf = async (id: string, status: string) =>
  waitFor(
    `${id} ${status}`,
    async () => {
      const j = (await call('GET', `/api/jobs/${id}`)).body.job;
      return j.status === status ? j : null;
    },
    30_000,
  );

before(async () => {
  stack = await startLocalStack();
  ({ storage, bucket } = stack);
});
after(async () => {
  await stack?.stop();
});

describe('resume from the last finished step (local stack)', () => {
  it('a crash at step 3 of 4 on the first attempt: the next runs steps 3–4 only, 1–2 shown skipped', async () => {
    const { body } = await call('POST', '/api/jobs', {
      type: 'demo-render',
      input: { durationMs: 800, steps: 4, fault: 'crash', faultAtStep: 3, faultAttempts: 1 },
      policy: { maxAttempts: 2, backoff: { initialSeconds: 1, jitter: 0 } },
    });
    const id = body.job.id;
    assert.equal(body.job.checkpointPrefix, `gs://${bucket}/ckpt/alice/${id}/`);
    await waitFor('the crash', async () => stack.exitOf(id));
    // no sweep runs here: a verified read learns of the failed execution and schedules the retry; plain reads
    // then start it once its backoff is over (a due check), and the finalize event ends it
    assert.equal((await call('GET', `/api/jobs/${id}?verify=true`)).body.job.statusReason, 'RETRY_SCHEDULED');
    const done = await statusOf(id, 'succeeded');
    assert.equal(done.attempt, 2);
    // the worker's reports are not ordered with the output's event: those that land after the ending count too
    await waitFor('the steps shown', async () => {
      const p = (await call('GET', `/api/jobs/${id}/progress`)).body;
      assert.deepEqual(
        p.steps.map((s: { name: string; status: string }) => [s.name, s.status]),
        [
          ['step-1', 'skipped'],
          ['step-2', 'skipped'],
          ['step-3', 'completed'],
          ['step-4', 'completed'],
        ],
      );
      return true;
    });
    // each checkpoint landing was recorded on the job (finalize events): the progress view says when
    await waitFor('the checkpoints recorded', async () => {
      const steps = (await call('GET', `/api/jobs/${id}/progress`)).body.steps as { checkpointAt: string | null }[];
      return steps.every((s) => s.checkpointAt !== null && Date.parse(s.checkpointAt) > 0);
    });
    // the checkpoints say which attempt ran each step: 1–2 by the first, 3–4 by the second, each once
    const manifests = await Promise.all([1, 2, 3, 4].map((n) => manifest(`ckpt/alice/${id}/`, `step-${n}`)));
    assert.deepEqual(
      manifests.map((m) => m.attempt),
      [1, 1, 2, 2],
    );
    const objects = (await storage.bucket(bucket).getFiles({ prefix: `ckpt/alice/${id}/` }))[0].map((f) => f.name);
    assert.equal(objects.filter((n) => n.endsWith('.out')).length, 4, 'one data object per step: none ran twice');
  });

  it('a retry of a failed job keeps its checkpoints and resumes from them', async () => {
    const { body } = await call('POST', '/api/jobs', {
      type: 'demo-render',
      input: { durationMs: 400, steps: 4, fault: 'fail', faultAtStep: 3 },
    });
    const id = body.job.id;
    assert.equal((await statusOf(id, 'failed')).statusReason, 'WORKER_FAILED');
    const retry = (await call('POST', `/api/jobs/${id}/retry`)).body.job;
    assert.notEqual(retry.id, id);
    assert.equal(retry.checkpointPrefix, `gs://${bucket}/ckpt/alice/${id}/`, "the original's prefix");
    // the fault strikes again at step 3 (the same input): what matters is where the retry began
    await statusOf(retry.id, 'failed');
    await waitFor('the skipped steps shown', async () => {
      const p = (await call('GET', `/api/jobs/${retry.id}/progress`)).body;
      assert.deepEqual(p.skippedSteps, ['step-1', 'step-2']);
      assert.deepEqual(
        p.steps.slice(0, 2).map((s: { status: string }) => s.status),
        ['skipped', 'skipped'],
      );
      return true;
    });
    assert.equal((await manifest(`ckpt/alice/${id}/`, 'step-2')).attempt, 1, 'step 2 was not run again');
    // each ending records the steps it resumed past, as known when it ended: the stats' work avoided (the
    // test above ended on its output's event, which its last reports may trail; this one on its own report)
    const ending = (await call('GET', `/api/jobs/${retry.id}/history`)).body.transitions.at(-1);
    assert.equal(ending.evidence.stepsSkipped, 2);
    assert.ok((await call('GET', '/api/stats/recoveries')).body.avoided.stepsSkipped >= 2);
  });
});
