/**
 * How the http executor reads a provider's answers, against a stubbed fetch (no network, no emulator): every
 * provider status, 4xx/5xx/timeouts on submit and status, the API key header. Against the real demo provider:
 * test/integration/http-provider.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Job } from '../../shared/src/core/index.js';
import type { JobType } from '../../shared/src/config/job-types.js';
import { createHttpProviderExecutor, httpProvidersOf } from '../../shared/src/evidence/executors/http-provider.js';
import { ExecutorStartError, type Executor } from '../../shared/src/evidence/executors/types.js';
import { httpType, jobOf, OUTPUT, registeredTypes, typeIn } from '../helpers/http-provider.js';

const types = registeredTypes('b-1', { render: httpType('demo', 'https://provider.invalid/v1') });
const type = (name: string): JobType => typeIn(types, name);
const job = (typeName: string): Job => jobOf(types, typeName);

describe('http executor answers (stubbed provider)', () => {
  const stub = (answer: (url: string) => Response | Promise<Response>): Executor =>
    createHttpProviderExecutor({
      providers: { demo: { baseUrl: 'https://provider.invalid/v1/' } },
      callbackUrl: () => 'http://verity.invalid/api/webhooks/demo',
      bucket: 'b-1',
      timeoutMs: 100,
      fetchImpl: (input) => Promise.resolve(answer(String(input))),
    });
  const json = (status: number, body: unknown): Response =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

  it('maps every provider status and builds the URL from the base URL', async () => {
    const urls: string[] = [];
    let status = '';
    const e = stub(
      (url) => (urls.push(url), json(200, { externalJobId: 'x1', status, error: { code: 'E', message: 'boom' } })),
    );
    const expected: [string, string][] = [
      ['queued', 'pending'],
      ['running', 'running'],
      ['succeeded', 'succeeded'],
      ['failed', 'failed'],
      ['canceled', 'canceled'],
    ];
    for (const [provider, ours] of expected) {
      status = provider;
      assert.equal((await e.status('http:demo:x1')).state, ours, provider);
    }
    status = 'failed';
    assert.equal((await e.status('http:demo:x1')).detail, 'E: boom');
    assert.equal(urls[0], 'https://provider.invalid/v1/jobs/x1');
    status = 'exploded';
    await assert.rejects(e.status('http:demo:x1'), /unknown provider status/);
  });

  it('a 5xx status read throws (no evidence), a 5xx or a timeout on submit is retryable', async () => {
    await assert.rejects(stub(() => json(503, {})).status('http:demo:x1'), /503/);
    await assert.rejects(stub(() => json(500, {})).cancel('http:demo:x1'), /500/);
    const t = {
      ...type('render'),
      executor: {
        kind: 'http' as const,
        provider: 'demo',
        baseUrl: 'https://provider.invalid/v1',
        outputTemplates: [OUTPUT],
        apiKeyHeader: 'authorization',
      },
    };
    const retryable = (err: unknown): boolean => err instanceof ExecutorStartError && err.retryable;
    await assert.rejects(stub(() => json(502, {})).start(job('render'), t), retryable);
    await assert.rejects(stub(() => json(429, {})).start(job('render'), t), retryable);
    await assert.rejects(stub(() => json(201, { nope: 1 })).start(job('render'), t), retryable);
    const hanging = createHttpProviderExecutor({
      providers: { demo: { baseUrl: 'https://provider.invalid/v1' } },
      callbackUrl: () => 'http://x.invalid',
      bucket: 'b-1',
      timeoutMs: 50,
      // a provider that never answers: a real fetch's socket keeps the process alive meanwhile (the executor's
      // AbortSignal.timeout does not), this timer does here, and fails the test if the executor never gives up
      fetchImpl: (_input, init) =>
        new Promise((_resolve, reject) => {
          const socket = setTimeout(() => reject(new Error('the executor never gave up')), 5000);
          init?.signal?.addEventListener('abort', () => {
            clearTimeout(socket);
            reject(init.signal!.reason as Error);
          });
        }),
    });
    await assert.rejects(
      hanging.start(job('render'), t),
      (err: unknown) => retryable(err) && /timed out/.test((err as Error).message),
    );
    const s = await stub(() => json(201, { externalJobId: 'x9' })).start(job('render'), t);
    assert.deepEqual(s, { executionRef: 'http:demo:x9', outputUris: ['gs://b-1/provider/x9_output_0.mp4'] });
  });

  it("the provider's API key goes with submit, status and cancel, in the header its type names; none without a key", async () => {
    const seen: { url: string; auth: string | null; key: string | null }[] = [];
    const executor = (providers: Parameters<typeof createHttpProviderExecutor>[0]['providers']): Executor =>
      createHttpProviderExecutor({
        providers,
        callbackUrl: () => 'http://x.invalid',
        bucket: 'b-1',
        timeoutMs: 100,
        fetchImpl: (input, init) => {
          const h = new Headers(init?.headers);
          seen.push({ url: String(input), auth: h.get('authorization'), key: h.get('x-api-key') });
          return Promise.resolve(json(200, { externalJobId: 'k1', status: 'running' }));
        },
      });
    const base = {
      ...type('render'),
      executor: {
        kind: 'http' as const,
        provider: 'demo',
        baseUrl: 'https://provider.invalid/v1',
        outputTemplates: [],
        apiKeyHeader: 'authorization',
      },
    };
    const bearer = executor(httpProvidersOf([base], { demo: 'sk-live-123' }));
    await bearer.start(job('render'), base);
    await bearer.status('http:demo:k1');
    await bearer.cancel('http:demo:k1');
    assert.deepEqual(
      seen.map((s) => s.auth),
      ['Bearer sk-live-123', 'Bearer sk-live-123', 'Bearer sk-live-123'],
    );

    seen.length = 0;
    const custom = { ...base, executor: { ...base.executor, apiKeyHeader: 'x-api-key' } };
    await executor(httpProvidersOf([custom], { demo: 'k-2' })).status('http:demo:k1');
    assert.deepEqual(seen, [{ url: 'https://provider.invalid/v1/jobs/k1', auth: null, key: 'k-2' }]);

    seen.length = 0;
    await executor(httpProvidersOf([base])).status('http:demo:k1');
    assert.deepEqual(
      seen.map((s) => [s.auth, s.key]),
      [[null, null]],
      'no key configured: no credentials sent',
    );
    assert.throws(() => httpProvidersOf([base, { ...custom, name: 'other' }]), /two API key headers/);
  });
});
