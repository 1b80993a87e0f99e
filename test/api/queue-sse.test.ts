/** The queue (list, filters, stable cursor, count() stats) and Server-Sent Events with exact replay. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApi, type ApiClient } from '../helpers/api.js';
import { testRuntime, type TestRuntime } from '../helpers/runtime.js';
import { openSse } from '../helpers/sse.js';
import { waitFor } from '../helpers/wait.js';
import { activeStreams } from '../../functions/api/sse.js';

let rt: TestRuntime;
let api: ApiClient;
let aliceToken: string;

before(async () => {
  rt = await testRuntime('queue');
  api = await startApi(rt);
  aliceToken = await api.token('alice');
});
after(async () => {
  await api.close();
  await waitFor('every stream to detach its listeners', async () => activeStreams() === 0);
  await rt.db.terminate();
});

const enqueue = async (token?: string, type = 'external') =>
  (rt.testClock.advance(1000),
  await api.call('POST', '/api/jobs', { body: { type, outputs: [] }, ...(token ? { token } : {}) })).body.job;

describe('GET /api/jobs', () => {
  it('lists own jobs newest first with stats from count(); pages stay stable while jobs are added', async () => {
    const mine = [];
    for (let i = 0; i < 5; i++) mine.push(await enqueue());
    await enqueue(await api.token('bob'));
    await rt.jobs.report(null, { jobId: mine[0].id, kind: 'started' });
    await rt.jobs.report(null, { jobId: mine[1].id, kind: 'succeeded' });
    const all = await api.call('GET', '/api/jobs?limit=200');
    assert.equal(all.status, 200);
    assert.deepEqual(
      all.body.jobs.map((j: { id: string }) => j.id),
      mine.map((j) => j.id).reverse(),
    );
    const recount: Record<string, number> = {
      total: all.body.jobs.length,
      queued: 0,
      running: 0,
      succeeded: 0,
      failed: 0,
      canceled: 0,
    };
    for (const j of all.body.jobs) recount[j.status]!++;
    assert.deepEqual(all.body.stats, recount, 'the stats match a recount');

    const seen: string[] = [];
    let page = await api.call('GET', '/api/jobs?limit=2');
    seen.push(...page.body.jobs.map((j: { id: string }) => j.id));
    await enqueue(); // inserted while paging: it is newer, so it never shifts the pages after the cursor
    await enqueue();
    while (page.body.nextCursor) {
      page = await api.call('GET', `/api/jobs?limit=2&cursor=${page.body.nextCursor}`);
      seen.push(...page.body.jobs.map((j: { id: string }) => j.id));
    }
    assert.deepEqual(seen, mine.map((j) => j.id).reverse(), 'every job exactly once, in order');
    const filtered = await api.call('GET', '/api/jobs?status=running');
    assert.deepEqual(
      filtered.body.jobs.map((j: { id: string }) => j.id),
      [mine[0].id],
    );
    assert.equal((await api.call('GET', '/api/jobs?cursor=bm9wZQ')).status, 400);
    assert.equal((await api.call('GET', '/api/jobs?limit=500')).status, 400);
  });
});

describe('Server-Sent Events', () => {
  it('a client that drops and reconnects with Last-Event-ID sees every transition exactly once, then the stream ends', async () => {
    const job = await enqueue();
    const first = openSse(`${api.url}/api/jobs/${job.id}/events`, { authorization: `Bearer ${aliceToken}` });
    assert.equal(await first.status, 200);
    await waitFor('the replayed first transition', async () => first.events.some((e) => e.id === '1'));
    await rt.jobs.report(null, { jobId: job.id, kind: 'started' });
    await waitFor('the live second transition', async () => first.events.some((e) => e.id === '2'));
    first.close(); // away…
    await rt.jobs.report(null, { jobId: job.id, kind: 'progress', progress: { pct: 50 } });
    await rt.jobs.report(null, { jobId: job.id, kind: 'succeeded' });
    const second = openSse(`${api.url}/api/jobs/${job.id}/events`, {
      authorization: `Bearer ${aliceToken}`,
      'last-event-id': '2',
    });
    await second.ended; // the terminal transition closes the stream
    const ids = [...first.events, ...second.events].filter((e) => e.event === 'transition').map((e) => e.id);
    assert.deepEqual(ids, ['1', '2', '3']);
    assert.equal(second.events.find((e) => e.id === '3')!.data.to, 'succeeded');
  });

  it('GET /api/events streams all own jobs with ids {jobId}:{seq}, and replays after Last-Event-ID', async () => {
    rt.testClock.advance(1000); // the stream is live from its opening instant on
    const stream = openSse(`${api.url}/api/events`, { authorization: `Bearer ${aliceToken}` });
    assert.equal(await stream.status, 200);
    await waitFor('the stream to be open', async () => stream.comments > 0);
    const a = await enqueue();
    const b = await enqueue();
    rt.testClock.advance(1000);
    await rt.jobs.report(null, { jobId: a.id, kind: 'started' });
    const bobJob = await enqueue(await api.token('bob'));
    await waitFor('three events', async () => stream.events.length >= 3);
    stream.close();
    assert.deepEqual(
      stream.events.map((e) => e.id),
      [`${a.id}:1`, `${b.id}:1`, `${a.id}:2`],
    );
    assert.ok(!stream.events.some((e) => e.data.jobId === bobJob.id), "another owner's jobs never appear");
    rt.testClock.advance(1000);
    await rt.jobs.report(null, { jobId: b.id, kind: 'started' });
    const again = openSse(`${api.url}/api/events`, {
      authorization: `Bearer ${aliceToken}`,
      'last-event-id': `${a.id}:2`,
    });
    await waitFor('the missed event', async () => again.events.length >= 1);
    again.close();
    assert.deepEqual(
      again.events.map((e) => e.id),
      [`${b.id}:2`],
    );
  });

  it("another owner's job stream is 404; a bad Last-Event-ID is 400; streams per owner are limited", async () => {
    const job = await enqueue();
    const bob = openSse(`${api.url}/api/jobs/${job.id}/events`, { authorization: `Bearer ${await api.token('bob')}` });
    assert.equal(await bob.status, 404);
    const bad = openSse(`${api.url}/api/jobs/${job.id}/events`, {
      authorization: `Bearer ${aliceToken}`,
      'last-event-id': 'x',
    });
    assert.equal(await bad.status, 400);
    const streams = Array.from({ length: 11 }, () =>
      openSse(`${api.url}/api/jobs/${job.id}/events`, { authorization: `Bearer ${aliceToken}` }),
    );
    const statuses = await Promise.all(streams.map((s) => s.status));
    streams.forEach((s) => s.close());
    assert.ok(statuses.filter((s) => s === 200).length <= 10, 'at most 10 open streams per owner');
    assert.ok(statuses.includes(429), 'the 11th is refused: 429 TOO_MANY_STREAMS');
  });
});
