/**
 * End to end on the local stack: every deploy unit in its own functions-framework process (as deployed) on
 * the test harness's emulators — fake-gcs-server's finalize notifications and the workers' Pub/Sub reports
 * reach the functions through push subscriptions — with the local-process executor running the real demo
 * worker and a demo third-party provider that drops webhooks on demand.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startLocalStack, type LocalStack } from '../helpers/local-stack.js';
import { openSse } from '../helpers/sse.js';
import { waitFor } from '../helpers/wait.js';

let stack: LocalStack;
let dropWebhooks = false;
let url: string;
let token: string;
let provider: LocalStack['provider'];

const call = (method: string, p: string, body?: unknown) => stack.call(method, p, body);
const exitOf = (jobId: string, attempt = 1) => stack.exitOf(jobId, attempt);
/** Reads the ledger directly: proof that nobody's read (no reconcile-on-read) moved the job. */
const ledger = (id: string) => stack.store.get(id);

before(async () => {
  stack = await startLocalStack(() => dropWebhooks);
  ({ url, token, provider } = stack);
});

after(async () => {
  await stack?.stop();
});

describe('local stack end to end (real processes, real events)', () => {
  it('a normal render reports progress over Pub/Sub, writes its output and ends succeeded', async () => {
    // long enough to be seen running on a loaded machine: the first Pub/Sub push to a cold function can take seconds
    const { status, body } = await call('POST', '/api/jobs', {
      type: 'demo-render',
      input: { durationMs: 6000, steps: 3 },
    });
    assert.equal(status, 201);
    const id = body.job.id;
    const running = await waitFor('progress while running', async () => {
      const j = await ledger(id);
      return j?.status === 'running' && (j.progress?.pct ?? 0) > 0 ? j : null;
    });
    assert.ok(running.progress!.completedSteps.length >= 1);
    const job = await waitFor('succeeded', async () => {
      const j = (await call('GET', `/api/jobs/${id}`)).body.job;
      return j.status === 'succeeded' ? j : null;
    });
    assert.equal(job.statusReason, 'OUTPUT_FOUND');
    assert.equal(job.outputs[0].present, true);
    const h = (await call('GET', `/api/jobs/${id}/history`)).body.transitions;
    // the finalize event and the worker's "succeeded" race; either one may record the end
    assert.deepEqual(
      h.map((t: any) => [t.to, t.reason]),
      [
        ['queued', 'ENQUEUED'],
        ['running', 'STARTED'],
        ['succeeded', 'OUTPUT_FOUND'],
      ],
    );
    assert.equal(h[1].source, 'worker');
    assert.ok(['gcs', 'worker'].includes(h[2].source));
    // the worker's step plan (last step weighs double) and each step's timing reached the progress view
    const p = (await call('GET', `/api/jobs/${id}/progress`)).body;
    assert.deepEqual(
      p.steps.map((s: any) => [s.name, s.status, s.weight]),
      [
        ['step-1', 'completed', 1],
        ['step-2', 'completed', 1],
        ['step-3', 'completed', 2],
      ],
    );
    // the output may land before the worker's last report (then that report changes nothing): step-1 is timed
    assert.ok(
      p.steps[0].startedAt !== null &&
        p.steps[0].completedAt !== null &&
        p.steps[0].startedAt <= p.steps[0].completedAt,
    );
  });

  it('SSE through the API function process: a client that drops mid-run and reconnects sees every transition once', async () => {
    const { body } = await call('POST', '/api/jobs', { type: 'demo-render', input: { durationMs: 1500, steps: 3 } });
    const id = body.job.id as string;
    const headers = { authorization: `Bearer ${token}` };
    const first = openSse(`${url}/api/jobs/${id}/events`, headers);
    assert.equal(await first.status, 200);
    await waitFor('the first transition', async () => first.events.some((e) => e.event === 'transition') || null);
    first.close();
    await first.ended;
    const seen = first.events.filter((e) => e.event === 'transition').map((e) => Number(e.id));
    await waitFor('succeeded', async () => ((await ledger(id))?.status === 'succeeded' ? true : null));
    // minutes away are the same as seconds: the replay comes from the stored history
    const again = openSse(`${url}/api/jobs/${id}/events`, {
      ...headers,
      'last-event-id': String(seen[seen.length - 1]),
    });
    await again.ended; // the per-job stream ends after the terminal transition
    const replayed = again.events.filter((e) => e.event === 'transition');
    const all = [...seen, ...replayed.map((e) => Number(e.id))];
    const stored = (await call('GET', `/api/jobs/${id}/history`)).body.transitions.map((t: any) => t.seq);
    assert.deepEqual(all, stored, 'every stored transition exactly once, in order');
    assert.equal(replayed[replayed.length - 1]!.data.to, 'succeeded');
  });

  it('fault "crash": the executor reports the failed execution; with attempts left it is retried', async () => {
    const { body } = await call('POST', '/api/jobs', {
      type: 'demo-render',
      input: { durationMs: 400, steps: 2, fault: 'crash' },
      policy: { maxAttempts: 2 },
    });
    const id = body.job.id;
    await waitFor('the crash', async () => exitOf(id));
    const job = (await call('GET', `/api/jobs/${id}?verify=true`)).body.job;
    assert.equal(job.status, 'queued');
    assert.equal(job.statusReason, 'RETRY_SCHEDULED');
    assert.equal(job.attempt, 2);
    assert.equal(job.error.code, 'EXECUTOR_FAILED');
    assert.ok(Date.parse(job.notBefore) > Date.parse(job.updatedAt), 'the next attempt waits for its backoff');
  });

  it('fault "hang": heartbeats go on, progress does not; the run deadline fails it and the process is killed', async () => {
    const { body } = await call('POST', '/api/jobs', {
      type: 'demo-render',
      input: { durationMs: 600, steps: 3, fault: 'hang' },
      policy: { heartbeatTimeoutSeconds: 10, runTimeoutSeconds: 3, maxAttempts: 1 },
    });
    const id = body.job.id;
    const job = await waitFor('run timeout', async () => {
      const j = (await call('GET', `/api/jobs/${id}`)).body.job;
      return j.status === 'failed' ? j : null;
    });
    assert.equal(job.statusReason, 'RUN_TIMEOUT');
    assert.ok(Date.parse(job.heartbeatAt) > Date.parse(job.startedAt), 'it kept heartbeating');
    const exit = await waitFor('the hung worker to be killed', async () => exitOf(id));
    assert.equal(exit.signal, 'SIGTERM');
  });

  it('fault "fail": the worker reports a non-retryable failure', async () => {
    const { body } = await call('POST', '/api/jobs', {
      type: 'demo-render',
      input: { durationMs: 200, steps: 1, fault: 'fail' },
    });
    const id = body.job.id;
    const job = await waitFor('failed', async () => {
      const j = (await call('GET', `/api/jobs/${id}`)).body.job;
      return j.status === 'failed' ? j : null;
    });
    assert.equal(job.statusReason, 'WORKER_FAILED');
    assert.deepEqual(job.error, {
      code: 'RENDER_FAILED',
      message: 'the demo renderer was told to fail',
      retryable: false,
    });
  });

  it('cancel stops a running execution and frees its resourceKey', async () => {
    const { body } = await call('POST', '/api/jobs', {
      type: 'demo-render',
      resourceKey: 'reel:e2e',
      input: { durationMs: 30_000, steps: 30 },
    });
    const id = body.job.id;
    await waitFor('running', async () => (await call('GET', `/api/jobs/${id}`)).body.job.status === 'running');
    const busy = await call('POST', '/api/jobs', { type: 'demo-render', resourceKey: 'reel:e2e' });
    assert.equal(busy.status, 409);
    const c = await call('POST', `/api/jobs/${id}/cancel`);
    assert.equal(c.status, 202);
    assert.ok(['running', 'canceled'].includes(c.body.job.status), 'canceled, or waiting for the executor to confirm');
    const exit = await waitFor('the worker to be stopped', async () => exitOf(id));
    assert.equal(exit.signal, 'SIGTERM');
    const job = await waitFor('canceled', async () => {
      const j = (await call('GET', `/api/jobs/${id}`)).body.job; // a pending cancel is reconciled on every read
      return j.status === 'canceled' ? j : null;
    });
    assert.equal(job.statusReason, 'CANCELED_BY_USER');
    const h = (await call('GET', `/api/jobs/${id}/history`)).body.transitions;
    assert.equal(h.at(-1).evidence.executor.state, 'canceled', 'the executor confirmed the cancel');
    const next = await call('POST', '/api/jobs', { type: 'external', resourceKey: 'reel:e2e' });
    assert.equal(next.status, 201);
  });
  it('fault "silent": the finalize event completes the job within moments, with no read and no sweep', async () => {
    const { body } = await call('POST', '/api/jobs', {
      type: 'demo-render',
      input: { durationMs: 200, fault: 'silent' },
    });
    const id = body.job.id;
    const job = await waitFor('succeeded in the ledger', async () => {
      const j = await ledger(id);
      return j?.status === 'succeeded' ? j : null;
    });
    assert.equal(job.statusReason, 'OUTPUT_FOUND');
    const h = await stack.store.history(id);
    assert.deepEqual(
      h.map((t) => [t.to, t.source]),
      [
        ['queued', 'api'],
        ['succeeded', 'gcs'],
      ],
    );
  });

  it('a provider job whose webhook is dropped completes from its predictable output', async () => {
    dropWebhooks = true;
    const { body } = await call('POST', '/api/jobs', { type: 'demo-provider', input: { durationMs: 200 } });
    const id = body.job.id;
    const job = await waitFor('succeeded in the ledger', async () => {
      const j = await ledger(id);
      return j?.status === 'succeeded' ? j : null;
    });
    assert.equal(job.statusReason, 'OUTPUT_FOUND');
    assert.match(job.outputUris[0]!, /\/provider\/ext_[^/]+_output_0\.mp4$/);
    assert.ok(provider.webhooksDropped >= 1);
    assert.equal((await stack.store.history(id)).at(-1)!.source, 'gcs');
  });

  it('a provider job without outputs whose webhook is dropped is recovered from the provider status on reconcile', async () => {
    dropWebhooks = true;
    const { body } = await call('POST', '/api/jobs', { type: 'provider-bare', input: { durationMs: 100 } });
    const id = body.job.id;
    const ext = await waitFor('the provider to finish', async () => {
      const j = await ledger(id);
      const ref = j?.executor.executionRef;
      return ref && provider.jobs.get(ref.split(':')[2]!)?.status === 'succeeded' ? ref : null;
    });
    assert.ok(ext);
    assert.equal((await ledger(id))!.status, 'queued', 'no webhook, no output: the ledger has not heard');
    const r = (await call('POST', `/api/jobs/${id}/reconcile`)).body.report;
    assert.equal(r.correctedStatus, 'succeeded');
    assert.equal(r.reason, 'EXECUTOR_SUCCEEDED');
  });

  it('a provider job whose webhook arrives is completed by it (signed, through the webhooks function)', async () => {
    dropWebhooks = false;
    const { body } = await call('POST', '/api/jobs', { type: 'provider-bare', input: { durationMs: 100 } });
    const id = body.job.id;
    const job = await waitFor('succeeded in the ledger', async () => {
      const j = await ledger(id);
      return j?.status === 'succeeded' ? j : null;
    });
    assert.equal(job.statusReason, 'WORKER_SUCCEEDED');
    assert.equal((await stack.store.history(id)).at(-1)!.source, 'webhook');
  });
});
