/**
 * Outbound webhooks (issue 31) against the emulators, through the API: subscriptions made, listed, rotated,
 * refused (unsafe endpoints, other owners, the per-owner limit: nothing written); and deliveries as a real
 * subscriber on 127.0.0.1 sees them — one per transition it asked for, signed (checked by the Standard Webhooks
 * reference library), in `seq` order per job, retried with backoff, dead-lettered and disabled after a day,
 * replayed with the same `webhook-id`. Verity's time moves; the subscriber answers in real time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../../shared/src/auth/principal.js';
import { startApi, type ApiClient } from '../helpers/api.js';
import { testRuntime, type TestRuntime } from '../helpers/runtime.js';
import { startSubscriber, verifies, type Subscriber } from '../helpers/subscriber.js';
import { waitFor } from '../helpers/wait.js';

const S = 1000;
const alice: Principal = { userId: 'alice', admin: false, workerJobId: null };
let rt: TestRuntime;
let api: ApiClient;
let hook: Subscriber;
let bobToken: string;
let adminToken: string;

before(async () => {
  rt = await testRuntime('subscriptions', {
    envOverrides: { VERITY_MAX_SUBSCRIPTIONS: '3', VERITY_DELIVERY_TIMEOUT_MS: '1500' },
  });
  api = await startApi(rt);
  hook = await startSubscriber();
  bobToken = await api.token('bob');
  adminToken = await api.token('ops', { admin: true });
});
after(async () => {
  await rt.deliveries.idle();
  await Promise.all([api.close(), hook.close()]);
  await rt.db.terminate();
});

const subscribe = async (body: Record<string, unknown>, token?: string) =>
  api.call('POST', '/api/subscriptions', { body, ...(token ? { token } : {}) });

/** An external job of alice's through queued → running → succeeded, its first tries made; its transitions' seqs. */
async function lifecycle(): Promise<{ id: string; seqs: number[] }> {
  const made = await lifecycleNoWait();
  await rt.deliveries.idle();
  return made;
}

const deliveries = async (id: string, q = '') =>
  (await api.call('GET', `/api/subscriptions/${id}/deliveries${q}`)).body.deliveries as any[];

describe('subscriptions: the API', () => {
  it('made, listed and read; the secret is answered once and never shown again', async () => {
    const made = await subscribe({ url: `${hook.url}/listed`, types: ['external'], statuses: ['succeeded'] });
    assert.equal(made.status, 201, made.text);
    assert.match(made.body.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    const { id } = made.body.subscription;
    assert.deepEqual(made.body.subscription.statuses, ['succeeded']);
    const list = await api.call('GET', '/api/subscriptions');
    assert.ok(list.body.subscriptions.some((s: { id: string }) => s.id === id));
    const one = await api.call('GET', `/api/subscriptions/${id}`);
    assert.equal(one.body.subscription.state, 'active');
    for (const text of [list.text, one.text]) assert.ok(!text.includes(made.body.secret.slice(6)), 'no secret');
    assert.equal((await api.call('DELETE', `/api/subscriptions/${id}`)).status, 204);
    assert.equal((await api.call('GET', `/api/subscriptions/${id}`)).status, 404);
  });

  it('refuses unsafe endpoints and bad filters with 400, writing nothing', async () => {
    const before = (await api.call('GET', '/api/subscriptions', { token: bobToken })).body.subscriptions.length;
    for (const url of [
      'ftp://hooks.example.com/x',
      'http://hooks.example.com/x', // http only to the local stack's 127.0.0.1
      'https://10.0.0.7/x',
      'https://172.16.1.1/x',
      'https://192.168.1.10/x',
      'https://169.254.169.254/computeMetadata/v1/', // the metadata server
      'https://100.64.0.1/x',
      'https://[::1]/x',
      'https://[fd00::1]/x',
      'https://[::ffff:10.0.0.1]/x',
      'http://127.0.0.2:9/x', // loopback other than the stack's own address
      'https://localhost/x',
      'https://metadata.google.internal/x',
      'https://user:pw@hooks.example.com/x',
      'not a url',
    ]) {
      const r = await subscribe({ url }, bobToken);
      assert.equal(r.status, 400, `${url}: ${r.text}`);
      assert.equal(r.body.error.code, 'INVALID_INPUT');
    }
    for (const body of [
      { url: hook.url, types: ['no-such-type'] },
      { url: hook.url, statuses: ['lost'] },
      { url: hook.url, secret: 'mine' },
    ])
      assert.equal((await subscribe(body, bobToken)).status, 400, JSON.stringify(body));
    const after = (await api.call('GET', '/api/subscriptions', { token: bobToken })).body.subscriptions.length;
    assert.equal(after, before, 'nothing was written');
  });

  it('another owner’s subscription is not found; only an admin subscribes for others', async () => {
    const { id } = (await subscribe({ url: `${hook.url}/mine` })).body.subscription;
    for (const [method, path] of [
      ['GET', `/api/subscriptions/${id}`],
      ['DELETE', `/api/subscriptions/${id}`],
      ['GET', `/api/subscriptions/${id}/deliveries`],
      ['POST', `/api/subscriptions/${id}/replay`],
      ['POST', `/api/subscriptions/${id}/rotate`],
      ['POST', `/api/subscriptions/${id}/enable`],
    ] as const)
      assert.equal((await api.call(method, path, { token: bobToken })).status, 404, `${method} ${path}`);
    assert.equal((await api.call('GET', `/api/subscriptions/${id}`)).status, 200, 'still there');
    assert.equal((await subscribe({ url: hook.url, ownerId: 'alice' }, bobToken)).status, 403);
    const all = await subscribe({ url: `${hook.url}/all`, ownerId: '*' }, adminToken);
    assert.equal(all.status, 201, all.text);
    assert.equal((await api.call('GET', `/api/subscriptions/${id}`, { token: adminToken })).status, 200);
    await api.call('DELETE', `/api/subscriptions/${all.body.subscription.id}`, { token: adminToken });
    await api.call('DELETE', `/api/subscriptions/${id}`);
  });

  it('a user’s subscriptions are limited (429), checked before anything is written', async () => {
    const carol = await api.token('carol');
    for (let i = 0; i < 3; i++) assert.equal((await subscribe({ url: `${hook.url}/c${i}` }, carol)).status, 201);
    const over = await subscribe({ url: `${hook.url}/c3` }, carol);
    assert.equal(over.status, 429, over.text);
    assert.equal(over.body.error.code, 'QUOTA_EXCEEDED');
    assert.equal((await api.call('GET', '/api/subscriptions', { token: carol })).body.subscriptions.length, 3);
  });
});

/** Makes a subscription of alice's at `path` on the subscriber; its id and secret. */
async function made(path: string, filter: Record<string, unknown> = {}) {
  const r = await subscribe({ url: hook.url + path, ...filter });
  assert.equal(r.status, 201, r.text);
  return { id: r.body.subscription.id as string, secret: r.body.secret as string, path };
}

const until = (path: string, jobId: string, n: number) =>
  waitFor(`${n} events at ${path}`, async () => {
    const mine = hook.firsts(path).filter((r) => r.event.data.jobId === jobId);
    return mine.length >= n ? mine : null;
  });

describe('subscriptions: delivery', () => {
  it('every transition asked for, signed, in order, with webhook-id {jobId}:{seq}', async () => {
    const all = await made('/every');
    const done = await made('/done', { statuses: ['succeeded'], types: ['external'] });
    const { id, seqs } = await lifecycle();
    assert.ok(seqs.length >= 3, `${seqs}`);
    const every = await until(all.path, id, seqs.length);
    assert.deepEqual(
      every.map((r) => r.event.data.seq),
      seqs,
      'each transition once, in seq order',
    );
    for (const r of every) {
      assert.equal(r.id, `${id}:${r.event.data.seq}`);
      assert.ok(verifies(all.secret, r), 'signed: the reference library accepts it');
      assert.ok(!verifies(done.secret, r), 'and only with its own subscription’s secret');
    }
    const toDone = await until(done.path, id, 1);
    assert.deepEqual(
      toDone.map((r) => r.event.data.to),
      ['succeeded'],
    );
    assert.equal(toDone[0]!.event.data.job.status, 'succeeded');
    for (const s of [all, done]) await api.call('DELETE', `/api/subscriptions/${s.id}`);
  });
});

describe('subscriptions: failure, order, rotation', () => {
  it('a failing endpoint: retried with backoff, dead after a day and disabled; enable and replay: same id', async () => {
    const sub = await made('/failing');
    hook.answer = (r) => (r.path === sub.path ? 500 : 204);
    try {
      const { id, seqs } = await lifecycle();
      let ds = await deliveries(sub.id, `?jobId=${id}`);
      assert.equal(ds.length, seqs.length);
      const first = ds.find((d) => d.seq === seqs[0])!;
      assert.equal(first.status, 'pending');
      assert.equal(first.attempts, 1);
      assert.equal(first.lastStatus, 500);
      assert.ok(first.nextAttemptAt > new Date(rt.testClock.now()).toISOString(), 'backoff: later');
      const later = ds.filter((d) => d.seq !== seqs[0]);
      assert.ok(
        later.every((d) => d.attempts === 0),
        'later transitions wait for the first: never sent',
      );
      rt.testClock.advance(60 * S);
      const pass = await rt.deliveries.deliverDue();
      assert.equal(pass.failed, 1, 'one try per failing endpoint per pass');
      ds = await deliveries(sub.id, `?jobId=${id}`);
      assert.equal(ds.find((d) => d.seq === seqs[0])!.attempts, 2);
      rt.testClock.advance(25 * 3600 * S);
      await rt.deliveries.deliverDue();
      const gone = (await api.call('GET', `/api/subscriptions/${sub.id}`)).body.subscription;
      assert.equal(gone.state, 'disabled');
      assert.match(gone.disabledReason, /24 hours.*HTTP 500/);
      assert.ok((await deliveries(sub.id, '?state=dead')).length >= 1, 'the dead-letter list');
      const refused = await api.call('POST', `/api/subscriptions/${sub.id}/replay`, { body: {} });
      assert.equal(refused.status, 400, 'a disabled subscription replays nothing');
      hook.answer = () => 204;
      assert.equal((await api.call('POST', `/api/subscriptions/${sub.id}/enable`)).status, 200);
      const replay = await api.call('POST', `/api/subscriptions/${sub.id}/replay`, { body: {} });
      assert.equal(replay.status, 202, replay.text);
      assert.ok(replay.body.replay.replayed >= 1);
      await rt.deliveries.idle();
      for (let i = 0; i < 3; i++) {
        rt.testClock.advance(60 * S);
        await rt.deliveries.deliverDue();
      }
      const got = await until(sub.path, id, seqs.length);
      assert.deepEqual(
        got.map((r) => r.id),
        seqs.map((q) => `${id}:${q}`),
        'every event, in order, with the id of its failed tries',
      );
      const failed = hook.received.filter((r) => r.path === sub.path && r.answered === 500);
      assert.ok(
        failed.every((r) => r.id === `${id}:${seqs[0]}`),
        'only the first was tried while it failed',
      );
    } finally {
      hook.answer = () => 204;
      await api.call('DELETE', `/api/subscriptions/${sub.id}`);
    }
  });

  it('rotation: both secrets sign during the overlap, then the new one alone', async () => {
    const sub = await made('/rotating');
    const r = await api.call('POST', `/api/subscriptions/${sub.id}/rotate`, { body: { overlapSeconds: 3600 } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.subscription.signingSecrets, 2);
    const fresh = r.body.secret as string;
    assert.notEqual(fresh, sub.secret);
    const a = await lifecycle();
    const during = await until(sub.path, a.id, a.seqs.length);
    assert.ok(
      during.every((d) => verifies(sub.secret, d) && verifies(fresh, d)),
      'old and new both verify',
    );
    rt.testClock.advance(2 * 3600 * S);
    const b = await lifecycle();
    const afterwards = await until(sub.path, b.id, b.seqs.length);
    assert.ok(
      afterwards.every((d) => verifies(fresh, d) && !verifies(sub.secret, d)),
      'the new one alone',
    );
    await api.call('DELETE', `/api/subscriptions/${sub.id}`);
  });

  it('a slow endpoint delays no other subscription', async () => {
    const slow = await made('/slow');
    const quick = await made('/quick');
    let release!: () => void;
    const held = new Promise<number>((resolve) => (release = () => resolve(204)));
    hook.answer = (r) => (r.path === slow.path ? held : 204);
    try {
      const { id, seqs } = await lifecycleNoWait();
      await until(quick.path, id, seqs.length);
      assert.equal(hook.firsts(slow.path).filter((r) => r.event.data.jobId === id).length, 0, 'the slow one waits');
    } finally {
      release();
      hook.answer = () => 204;
      await rt.deliveries.idle();
      for (const s of [slow, quick]) await api.call('DELETE', `/api/subscriptions/${s.id}`);
    }
  });
});

/** lifecycle() without waiting for the background tries. */
async function lifecycleNoWait(): Promise<{ id: string; seqs: number[] }> {
  const { job } = await rt.jobs.enqueue(alice, {
    type: 'external',
    input: { n: Math.random() },
    reuseExistingOutputs: false,
  });
  await rt.jobs.report(null, { jobId: job.id, kind: 'started' } as never);
  await rt.jobs.report(null, { jobId: job.id, kind: 'succeeded' } as never);
  return { id: job.id, seqs: (await rt.jobs.history(alice, job.id)).map((t) => t.seq) };
}
