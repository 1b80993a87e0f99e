/**
 * Outbound webhooks' pure parts (issue 31): the signature against the Standard Webhooks reference library, the
 * address rules (no SSRF), which transitions a subscription wants, the retry schedule and the rotation overlap.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import {
  afterFailure,
  DELIVERY_WINDOW_MS,
  rotated,
  signingSecrets,
  wants,
  type Subscription,
  type Transition,
} from '../../shared/src/core/index.js';
import { addressRefusal, endpointRefusal } from '../../shared/src/webhooks/endpoint.js';
import { postWebhook } from '../../shared/src/webhooks/post.js';
import { newSigningSecret, standardHeaders } from '../../shared/src/webhooks/standard.js';
import { newJob, T0 } from '../helpers/jobs.js';

describe('Standard Webhooks signatures', () => {
  const body = JSON.stringify({ type: 'job.transition', data: { jobId: 'j1', seq: 3 } });
  const now = Math.floor(Date.now() / 1000);

  it('the reference library verifies what Verity signs, and refuses a changed body, id or secret', () => {
    const secret = newSigningSecret();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    const h = standardHeaders([secret], 'j1:3', now, body);
    assert.deepEqual(new Webhook(secret).verify(body, h), JSON.parse(body));
    assert.throws(() => new Webhook(secret).verify(body.replace('3', '4'), h));
    assert.throws(() => new Webhook(secret).verify(body, { ...h, 'webhook-id': 'j1:4' }));
    assert.throws(() => new Webhook(newSigningSecret()).verify(body, h));
  });

  it('matches the reference library’s own signature byte for byte', () => {
    const secret = newSigningSecret();
    const ours = standardHeaders([secret], 'msg_1', now, body)['webhook-signature'];
    assert.equal(ours, new Webhook(secret).sign('msg_1', new Date(now * 1000), body));
  });

  it('during a rotation both secrets sign, space-separated, and each alone verifies', () => {
    const [a, b] = [newSigningSecret(), newSigningSecret()];
    const h = standardHeaders([b, a], 'j1:3', now, body);
    assert.equal(h['webhook-signature']!.split(' ').length, 2);
    for (const s of [a, b]) assert.ok(new Webhook(s).verify(body, h));
  });
});

describe('endpoint rules (no SSRF)', () => {
  it('refuses private, loopback, link-local, shared, reserved and mapped addresses; allows public ones', () => {
    for (const ip of [
      '10.1.2.3',
      '172.31.0.1',
      '192.168.0.1',
      '127.0.0.1',
      '127.1.2.3',
      '169.254.169.254',
      '100.100.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fd12:3456::1',
      '::ffff:192.168.1.1',
      '::ffff:7f00:1',
    ])
      assert.ok(addressRefusal(ip, false), ip);
    for (const ip of ['8.8.8.8', '151.101.1.69', '2a00:1450:4001:82b::200e'])
      assert.equal(addressRefusal(ip, false), null);
    assert.equal(addressRefusal('127.0.0.1', true), null, 'the local stack’s own address');
    assert.ok(addressRefusal('127.0.0.2', true), 'but no other loopback address');
  });

  it('https only in the cloud; http to 127.0.0.1 on the local stack; no credentials, no internal names', () => {
    const ok = (url: string, local = false) => endpointRefusal(url, local).ok;
    assert.ok(ok('https://hooks.example.com/verity'));
    assert.ok(!ok('http://hooks.example.com/verity'));
    assert.ok(!ok('http://127.0.0.1:9000/x'));
    assert.ok(ok('http://127.0.0.1:9000/x', true));
    assert.ok(!ok('http://hooks.example.com/x', true));
    for (const url of [
      'https://localhost/x',
      'https://metadata.google.internal/x',
      'https://svc.cluster.local/x',
      'https://intranet/x',
      'https://u:p@hooks.example.com/x',
      'https://[::1]/x',
      'https://2130706433/x', // 127.0.0.1 as one number: the URL parser makes it the address
      'https://0x7f.1/x',
      'file:///etc/passwd',
      'gopher://hooks.example.com/',
    ])
      assert.ok(!ok(url), url);
    for (const url of ['https://localhost/x', 'https://[::1]/x', 'https://127.0.0.2/x', 'file:///etc/passwd'])
      assert.ok(!ok(url, true), `${url} on the local stack`);
  });

  it('a try to a refused address never leaves the process; a redirect is a failure, not followed', async () => {
    const r = await postWebhook('https://169.254.169.254/x', {}, '{}', {
      timeoutMs: 1000,
      maxResponseBytes: 1024,
      local: false,
    });
    assert.equal(r.ok, false);
    assert.match((r as { error: string }).error, /refused/);
  });
});

describe('what a subscription wants, and when it is tried again', () => {
  const sub = (over: Partial<Subscription> = {}): Subscription => ({
    id: 's1',
    scope: 'alice',
    ownerId: 'alice',
    url: 'https://hooks.example.com',
    types: [],
    statuses: [],
    projectId: null,
    state: 'active',
    disabledReason: null,
    secrets: [],
    createdAt: T0,
    updatedAt: T0,
    ...over,
  });
  const job = { ...newJob(), ownerId: 'alice', type: 'demo-render', resourceKey: 'project:p1' };
  const t = { seq: 2, from: 'queued', to: 'running' } as Transition;

  it('by owner, type, state entered and project; never when disabled', () => {
    assert.ok(wants(sub(), job, t));
    assert.ok(wants(sub({ scope: '*' }), job, t));
    assert.ok(!wants(sub({ scope: 'bob' }), job, t));
    assert.ok(!wants(sub({ types: ['other'] }), job, t));
    assert.ok(wants(sub({ statuses: ['running'] }), job, t));
    assert.ok(!wants(sub({ statuses: ['succeeded'] }), job, t));
    assert.ok(wants(sub({ projectId: 'p1' }), job, t));
    assert.ok(!wants(sub({ projectId: 'p2' }), job, t));
    assert.ok(!wants(sub({ state: 'disabled' }), job, t));
  });

  it('backoff doubles with jitter, never past the day; then dead', () => {
    const at = (attempts: number, now: number, r = 0.5) => afterFailure({ attempts, windowStart: T0 }, now, () => r);
    assert.deepEqual(at(1, T0), { next: 'retry', dueAt: T0 + 10_000 });
    assert.deepEqual(at(2, T0), { next: 'retry', dueAt: T0 + 20_000 });
    assert.deepEqual(at(1, T0, 0), { next: 'retry', dueAt: T0 + 5_000 }, 'jitter: half at the least');
    assert.deepEqual(at(20, T0), { next: 'retry', dueAt: T0 + 3600_000 }, 'capped at an hour');
    const late = T0 + DELIVERY_WINDOW_MS - 60_000;
    assert.deepEqual(at(30, late), { next: 'retry', dueAt: T0 + DELIVERY_WINDOW_MS }, 'the last try at the end');
    assert.deepEqual(at(31, T0 + DELIVERY_WINDOW_MS), { next: 'dead' });
  });

  it('a rotation keeps the old secret signing for the overlap only', () => {
    const first = [{ value: 'whsec_a', createdAt: T0, expiresAt: null }];
    const both = rotated(first, 'whsec_b', T0 + 1000, 3600_000);
    assert.deepEqual(
      signingSecrets(both, T0 + 2000).map((s) => s.value),
      ['whsec_b', 'whsec_a'],
    );
    assert.deepEqual(
      signingSecrets(both, T0 + 1000 + 3600_000).map((s) => s.value),
      ['whsec_b'],
    );
    const again = rotated(both, 'whsec_c', T0 + 5000, 0);
    assert.deepEqual(
      again.map((s) => s.value),
      ['whsec_c'],
      'no overlap: the old ones stop at once',
    );
  });
});
