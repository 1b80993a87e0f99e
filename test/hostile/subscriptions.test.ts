/**
 * Hostile suite, subscriptions (outbound webhooks, issue 31), and every operation of the OpenAPI document: no
 * token or a bad one is 401, a malformed, mistyped or oversize body the stable code every route answers, and
 * nothing is written. Bob can neither read, delete, rotate, enable, replay nor list the deliveries of Alice's
 * subscription (404, revealing nothing), and it stays as it was (read back from the store); a user cannot
 * subscribe to another owner's jobs or every owner's (403), nor past the per-user limit (429), nor to an unsafe
 * endpoint (400) — each refused before anything is written.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { localApiDocument } from '../../functions/api/openapi/document.js';
import { startApi, type ApiClient } from '../helpers/api.js';
import { countDocuments, testRuntime, type TestRuntime } from '../helpers/runtime.js';

const LIMIT = 3;
let rt: TestRuntime;
let api: ApiClient;
let alice: string;
let bob: string;
let admin: string;
let jobId: string;
let projectId: string;
let subId: string;
let aliceSecret: string;

before(async () => {
  rt = await testRuntime('hostile-subs', { envOverrides: { VERITY_MAX_SUBSCRIPTIONS: String(LIMIT) } });
  api = await startApi(rt);
  [alice, bob, admin] = await Promise.all([api.token('alice'), api.token('bob'), api.token('ops', { admin: true })]);
  jobId = (await api.call('POST', '/api/jobs', { token: alice, body: { type: 'external', outputs: [] } })).body.job.id;
  projectId = (await api.call('POST', '/api/projects', { token: alice, body: { name: 'p', artifacts: [] } })).body
    .project.id;
  // an endpoint of the local stack's own address (nothing listens on port 9; none of Alice's jobs moves here)
  const made = await api.call('POST', '/api/subscriptions', {
    token: alice,
    body: { url: 'http://127.0.0.1:9/alice-hooks', statuses: ['succeeded'] },
  });
  assert.equal(made.status, 201, made.text);
  subId = made.body.subscription.id;
  aliceSecret = made.body.secret;
});
after(async () => {
  await rt.deliveries.idle();
  await api.close();
  await rt.db.terminate();
});

async function nothingWritten<T>(work: () => Promise<T>): Promise<T> {
  const before = await countDocuments(rt.db);
  const out = await work();
  assert.equal(await countDocuments(rt.db), before, 'nothing written');
  return out;
}

/** Alice's subscription as stored: read back after every refusal, it must be this. */
const stored = async () => {
  const s = await rt.ledger.subscriptions.get(subId);
  assert.ok(s, "Alice's subscription is there");
  return s;
};

/** A raw POST (headers as given), answered status and parsed body. */
function send(path: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(api.url + path, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let parsed: unknown = null;
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString());
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

type Op = { method: string; path: string; body: boolean };
/** Every bearer-authenticated operation of the document, its path filled with a real id of its kind. */
function operations(): Op[] {
  const doc = localApiDocument() as {
    paths: Record<string, Record<string, { security?: unknown[]; requestBody?: unknown }>>;
  };
  const id = (p: string) =>
    p.startsWith('/api/projects') ? projectId : p.startsWith('/api/subscriptions') ? subId : jobId;
  return Object.entries(doc.paths).flatMap(([p, ops]) =>
    Object.entries(ops)
      .filter(([, op]) => JSON.stringify(op.security ?? []).includes('bearer'))
      .map(([m, op]) => ({
        method: m.toUpperCase(),
        path: p.replace('{id}', id(p)),
        body: op.requestBody !== undefined,
      })),
  );
}

describe('hostile: every bearer operation of the document, subscriptions among them', () => {
  it('no token, or one that is not valid: 401 UNAUTHENTICATED, nothing written', async () => {
    const ops = operations();
    for (const path of ['/api/subscriptions', `/api/subscriptions/${subId}/replay`, `/api/subscriptions/${subId}`])
      assert.ok(
        ops.some((o) => o.path === path),
        `${path} is in the document`,
      );
    assert.equal(ops.filter((o) => o.path.startsWith('/api/subscriptions')).length, 8, 'eight subscription operations');
    const before = await stored();
    for (const { method, path, body } of ops)
      for (const token of [null, 'not-a-token', `${alice}x`]) {
        const res = await nothingWritten(() =>
          api.call(method, path, { token, ...(body ? { body: { url: 'http://127.0.0.1:9/x', jobId } } : {}) }),
        );
        assert.equal(res.status, 401, `${method} ${path}: ${res.text}`);
        assert.equal(res.body?.error?.code, 'UNAUTHENTICATED', res.text);
      }
    assert.deepEqual(await stored(), before);
  });

  it('a body not JSON (400 INVALID_JSON), of another type (415), over 1 MiB or a gzip bomb (413): nothing written', async () => {
    const before = await stored();
    const big = Buffer.from(JSON.stringify({ url: 'http://127.0.0.1:9/x', pad: 'a'.repeat(1100 * 1024) }));
    const bomb = gzipSync(Buffer.from(JSON.stringify({ url: 'https://x.example', pad: 'b'.repeat(50 * 1024 * 1024) })));
    const cases: [string, Record<string, string>, Buffer, number, string][] = [
      ['not JSON', { 'content-type': 'application/json' }, Buffer.from('{"url":'), 400, 'INVALID_JSON'],
      [
        'text/plain',
        { 'content-type': 'text/plain' },
        Buffer.from('{"url":"http://127.0.0.1:9/x"}'),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      [
        'an unknown encoding',
        { 'content-type': 'application/json', 'content-encoding': 'compress' },
        Buffer.from('{}'),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      ['over 1 MiB', { 'content-type': 'application/json' }, big, 413, 'PAYLOAD_TOO_LARGE'],
      [
        'a gzip bomb',
        { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        bomb,
        413,
        'PAYLOAD_TOO_LARGE',
      ],
    ];
    // an admin may call each (the sweep is theirs), so the body alone is what is refused
    for (const { method, path } of operations().filter((o) => o.body))
      for (const [name, headers, body, status, code] of cases) {
        const res = await nothingWritten(() => send(path, { ...headers, authorization: `Bearer ${admin}` }, body));
        assert.equal(res.status, status, `${method} ${path}, ${name}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body?.error?.code, code, `${method} ${path}, ${name}`);
      }
    // over the limit, the token is not even looked at
    const noToken = await nothingWritten(() => send('/api/subscriptions', { 'content-type': 'application/json' }, big));
    assert.equal(noToken.status, 413);
    assert.deepEqual(await stored(), before, "Alice's subscription unchanged");
  });
});

describe('hostile: subscriptions of two owners', () => {
  it("Bob gets 404 on every route on Alice's subscription, learns nothing, changes nothing", async () => {
    const before = await stored();
    for (const [method, path, body] of [
      ['GET', `/api/subscriptions/${subId}`],
      ['DELETE', `/api/subscriptions/${subId}`],
      ['POST', `/api/subscriptions/${subId}/rotate`, { overlapSeconds: 0 }],
      ['POST', `/api/subscriptions/${subId}/rotate`],
      ['POST', `/api/subscriptions/${subId}/enable`],
      ['POST', `/api/subscriptions/${subId}/replay`, {}],
      ['POST', `/api/subscriptions/${subId}/replay`, { jobId, fromSeq: 1 }],
      ['GET', `/api/subscriptions/${subId}/deliveries`],
      ['GET', `/api/subscriptions/${subId}/deliveries?state=dead`],
    ] as const) {
      const res = await nothingWritten(() => api.call(method, path, { token: bob, ...(body ? { body } : {}) }));
      assert.equal(res.status, 404, `${method} ${path}: ${res.text}`);
      assert.equal(res.body?.error?.code, 'NOT_FOUND', res.text);
      assert.doesNotMatch(res.text, /alice|127\.0\.0\.1|whsec_/, `${method} ${path} reveals nothing of Alice's`);
    }
    const after = await stored();
    assert.deepEqual(after, before, 'same state, url, filter, secrets');
    assert.equal(after.updatedAt, before.updatedAt);
    assert.deepEqual(
      after.secrets.map((s) => s.value),
      [aliceSecret],
      'her secret alone still signs',
    );
    const list = await api.call('GET', '/api/subscriptions', { token: bob });
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.body.subscriptions, [], "Bob's list holds none of Alice's");
    const own = await api.call('GET', `/api/subscriptions/${subId}`, { token: alice });
    assert.equal(own.status, 200, 'still hers, and readable by her');
    assert.equal(own.body.subscription.state, 'active');
  });

  it("a user naming another owner, or every owner ('*'), is 403 FORBIDDEN; nothing written", async () => {
    for (const ownerId of ['*', 'alice', 'ops']) {
      const res = await nothingWritten(() =>
        api.call('POST', '/api/subscriptions', { token: bob, body: { url: 'http://127.0.0.1:9/bob', ownerId } }),
      );
      assert.equal(res.status, 403, `${ownerId}: ${res.text}`);
      assert.equal(res.body?.error?.code, 'FORBIDDEN');
    }
    const mine = await api.call('POST', '/api/subscriptions', {
      token: bob,
      body: { url: 'http://127.0.0.1:9/bob', ownerId: 'bob' },
    });
    assert.equal(mine.status, 201, 'naming himself is his own subscription');
    await api.call('DELETE', `/api/subscriptions/${mine.body.subscription.id}`, { token: bob });
  });

  it('unsafe endpoints and malformed bodies are 400 INVALID_INPUT; nothing written', async () => {
    for (const body of [
      { url: 'https://169.254.169.254/computeMetadata/v1/' },
      { url: 'https://metadata.google.internal/x' },
      { url: 'https://10.1.2.3/x' },
      { url: 'https://[::ffff:127.0.0.1]/x' },
      { url: 'http://127.0.0.1.nip.io/x' },
      { url: 'https://hooks.example.invalid/x' }, // a name that does not resolve
      { url: 'https://user:pw@hooks.example.com/x' },
      { url: 'file:///etc/passwd' },
      { url: 'https://x.example/\ud800' }, // a lone surrogate
      { url: 'http://127.0.0.1:9/x', secret: 'whsec_mine' },
      { url: 'http://127.0.0.1:9/x', types: ['no-such-type'] },
      { url: 'http://127.0.0.1:9/x', statuses: ['lost'] },
      { url: 'http://127.0.0.1:9/x', projectId: '../jobs' },
    ]) {
      const res = await nothingWritten(() => api.call('POST', '/api/subscriptions', { token: bob, body }));
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
      assert.equal(res.body?.error?.code, 'INVALID_INPUT', res.text);
    }
    for (const [path, body] of [
      ['rotate', { overlapSeconds: -1 }],
      ['rotate', { overlapSeconds: 604_801 }],
      ['replay', { since: 'yesterday' }],
      ['replay', { fromSeq: 0 }],
      ['replay', { jobId: 'a/b' }],
    ] as const) {
      const res = await nothingWritten(() =>
        api.call('POST', `/api/subscriptions/${subId}/${path}`, { token: alice, body }),
      );
      assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}: ${res.text}`);
    }
    const q = await api.call('GET', `/api/subscriptions/${subId}/deliveries?limit=100000`, { token: alice });
    assert.equal(q.status, 400, q.text);
  });

  it('ids that would reach a document path are 404 on every subscription route', async () => {
    for (const id of ['a%2Fb', '..', '%2E%2E', 'x'.repeat(129)])
      for (const [method, path] of [
        ['GET', `/api/subscriptions/${id}`],
        ['DELETE', `/api/subscriptions/${id}`],
        ['POST', `/api/subscriptions/${id}/rotate`],
        ['GET', `/api/subscriptions/${id}/deliveries`],
      ] as const) {
        const res = await nothingWritten(() => api.call(method, path, { token: alice }));
        assert.ok(res.status === 404 || res.status === 400, `${method} ${path}: ${res.status} ${res.text}`);
      }
  });

  it(`past ${LIMIT} subscriptions a user gets 429 QUOTA_EXCEEDED, before anything is written`, async () => {
    const carol = await api.token('carol');
    for (let i = 0; i < LIMIT; i++) {
      const r = await api.call('POST', '/api/subscriptions', {
        token: carol,
        body: { url: `http://127.0.0.1:9/c${i}` },
      });
      assert.equal(r.status, 201, r.text);
    }
    const over = await nothingWritten(() =>
      api.call('POST', '/api/subscriptions', { token: carol, body: { url: 'http://127.0.0.1:9/over' } }),
    );
    assert.equal(over.status, 429, over.text);
    assert.equal(over.body.error.code, 'QUOTA_EXCEEDED');
    // another user's count is their own
    const mine = await api.call('GET', '/api/subscriptions', { token: alice });
    assert.equal(mine.body.subscriptions.length, 1);
  });
});
