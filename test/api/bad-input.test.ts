import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApi, type ApiClient } from '../helpers/api.js';
import { countDocuments, testRuntime, type TestRuntime } from '../helpers/runtime.js';

let rt: TestRuntime;
let api: ApiClient;
let jobId: string;

before(async () => {
  rt = await testRuntime('bad');
  api = await startApi(rt);
  const res = await api.call('POST', '/api/jobs', {
    body: { type: 'external', outputs: [`gs://${rt.bucket}/u/alice/a.mp4`] },
  });
  jobId = res.body.job.id;
});
after(async () => {
  await api.close();
  await rt.db.terminate();
});

type Case = {
  name: string;
  method?: string;
  path?: () => string;
  body?: unknown;
  raw?: string | Buffer;
  contentType?: string;
  token?: 'none' | 'bad' | 'expired-ish';
  status: number;
  code: string;
};

const cases: Case[] = [
  { name: 'no token', token: 'none', body: { type: 'external' }, status: 401, code: 'UNAUTHENTICATED' },
  { name: 'garbage token', token: 'bad', body: { type: 'external' }, status: 401, code: 'UNAUTHENTICATED' },
  { name: 'unknown field', body: { type: 'external', command: 'rm -rf /' }, status: 400, code: 'INVALID_INPUT' },
  { name: 'unknown job type', body: { type: 'nope' }, status: 400, code: 'INVALID_INPUT' },
  { name: 'type is not a string', body: { type: 7 }, status: 400, code: 'INVALID_INPUT' },
  {
    name: 'bad input for the type',
    body: { type: 'demo-render', input: { fault: 'meltdown' } },
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'input names a command',
    body: { type: 'demo-render', input: { command: ['sh'] } },
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'output in a bucket outside configuration',
    body: { type: 'external', outputs: ['gs://someone-elses-bucket/x.mp4'] },
    status: 400,
    code: 'OUTPUT_NOT_ALLOWED',
  },
  {
    name: 'output not a gs:// URI',
    body: { type: 'external', outputs: ['https://example.com/x.mp4'] },
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'output path traversal',
    body: { type: 'external', outputs: ['gs://verity-local/../x'] },
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'policy below the type limit',
    body: { type: 'external', policy: { queueTimeoutSeconds: 0 } },
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'policy above the type limit',
    body: { type: 'external', policy: { runTimeoutSeconds: 100000 } },
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'not JSON media type',
    raw: 'type=external',
    contentType: 'text/plain',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'body over 1 MiB',
    raw: JSON.stringify({ type: 'external', input: { pad: 'x'.repeat(1024 * 1024) } }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  { name: 'empty body', raw: '', status: 400, code: 'INVALID_INPUT' },
  { name: 'JSON array body', raw: '[]', status: 400, code: 'INVALID_INPUT' },
  { name: 'unknown route', method: 'GET', path: () => '/api/nothing', status: 404, code: 'NOT_FOUND' },
  { name: 'wrong method', method: 'DELETE', path: () => `/api/jobs/${jobId}`, status: 405, code: 'METHOD_NOT_ALLOWED' },
  { name: 'unknown job', method: 'GET', path: () => '/api/jobs/job_doesnotexist', status: 404, code: 'NOT_FOUND' },
  {
    name: 'job id with odd characters',
    method: 'GET',
    path: () => '/api/jobs/..%2F..%2Fetc',
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'update with a bad kind',
    method: 'POST',
    path: () => `/api/jobs/${jobId}/updates`,
    body: { kind: 'exploded' },
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'update for another job id',
    method: 'POST',
    path: () => `/api/jobs/${jobId}/updates`,
    body: { kind: 'started', jobId: 'job_other' },
    status: 400,
    code: 'INVALID_INPUT',
  },
  {
    name: 'update with pct over 100',
    method: 'POST',
    path: () => `/api/jobs/${jobId}/updates`,
    body: { kind: 'progress', progress: { pct: 101 } },
    status: 400,
    code: 'INVALID_INPUT',
  },
];

describe('bad input is refused with the contract error body and writes nothing', () => {
  for (const c of cases) {
    it(`${c.name} → ${c.status}`, async () => {
      const before = await countDocuments(rt.db);
      const token = c.token === 'none' ? null : c.token === 'bad' ? 'not.a.jwt' : undefined;
      const res = await api.call(c.method ?? 'POST', c.path ? c.path() : '/api/jobs', {
        token,
        ...(c.body !== undefined ? { body: c.body } : {}),
        ...(c.raw !== undefined ? { raw: c.raw } : {}),
        ...(c.contentType ? { contentType: c.contentType } : {}),
      });
      assert.equal(res.status, c.status, res.text);
      assert.equal(res.body?.error?.code, c.code, res.text);
      assert.equal(typeof res.body.error.message, 'string');
      assert.equal(await countDocuments(rt.db), before, 'a rejected request wrote nothing');
    });
  }

  it('a token signed with another secret is refused', async () => {
    const { mintLocalToken } = await import('../../shared/src/auth/local-issuer.js');
    const forged = await mintLocalToken('another-secret-0123456789', 'alice', { admin: true });
    const res = await api.call('GET', `/api/jobs/${jobId}`, { token: forged });
    assert.equal(res.status, 401);
  });

  it('malformed JSON is a 400 with the contract body', async () => {
    const res = await api.call('POST', '/api/jobs', { raw: '{"type": ', contentType: 'application/json' });
    assert.equal(res.status, 400);
    assert.equal(res.body?.error?.code, 'INVALID_JSON', res.text);
  });
});
