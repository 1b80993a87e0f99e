/**
 * Every way an SSE stream can end gives back its slot, its Firestore listeners and its keep-alive timer,
 * exactly once: the process's own counts return to zero, and after more than the limit's worth of such
 * endings a fresh stream of the same owner still opens. Streams go through the real API handler on a real
 * HTTP server; bodies, half-closes and aborts are written by hand on raw sockets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApi, type ApiClient } from '../helpers/api.js';
import { testRuntime, type TestRuntime } from '../helpers/runtime.js';
import { listenFaults, openSse, rawHttp, rawJson, requestText } from '../helpers/sse.js';
import { waitFor } from '../helpers/wait.js';
import { MAX_STREAMS_PER_OWNER, streamCounts } from '../../functions/api/sse.js';

let rt: TestRuntime;
let api: ApiClient;
let faults: ReturnType<typeof listenFaults>;
const ABUSE = 25; // more than MAX_STREAMS_PER_OWNER: a leak of one slot each would lock the owner out

before(async () => {
  rt = await testRuntime('sse-close', { instrument: ({ db }) => (faults = listenFaults(db)) });
  api = await startApi(rt);
});
after(async () => {
  await api.close();
  await drained();
  await rt.db.terminate();
});

const drained = (): Promise<unknown> =>
  waitFor('no slot, listener or timer held', async () => {
    const c = streamCounts();
    if (c.slots === 0 && c.listeners === 0 && c.timers === 0) return true;
    throw new Error(`still held: ${JSON.stringify(c)}`);
  });

const auth = async (user: string): Promise<Record<string, string>> => ({
  authorization: `Bearer ${await api.token(user)}`,
});

async function enqueue(user: string): Promise<string> {
  const res = await api.call('POST', '/api/jobs', {
    body: { type: 'external', outputs: [] },
    token: await api.token(user),
  });
  assert.equal(res.status, 201);
  return res.body.job.id as string;
}

/** A fresh stream of `user` opens (200) and is then closed by the client. */
async function stillOpens(user: string, path: string): Promise<void> {
  const s = openSse(`${api.url}${path}`, await auth(user));
  assert.equal(await s.status, 200, 'a fresh stream is accepted');
  await waitFor('the stream to be open', async () => s.comments > 0);
  s.close();
  await drained();
}

describe('SSE close paths', () => {
  it('a client aborting after the headers releases everything', async () => {
    const job = await enqueue('abort-after');
    const streams = [];
    for (let i = 0; i < ABUSE; i++) {
      const s = openSse(`${api.url}${i % 2 ? '/api/events' : `/api/jobs/${job}/events`}`, await auth('abort-after'));
      assert.equal(await s.status, 200);
      await waitFor('the stream to be open', async () => s.comments > 0);
      streams.push(s);
      if (streams.length === 4) {
        // two job streams share one job's two listeners; each /api/events stream has its own
        await waitFor('four streams, four listeners', async () => {
          const c = JSON.stringify(streamCounts());
          if (c === '{"slots":4,"listeners":4,"timers":4}') return true;
          throw new Error(`held: ${c}`);
        });
        streams.splice(0).forEach((x) => x.close());
        await drained();
      }
    }
    streams.forEach((x) => x.close());
    await drained();
    await stillOpens('abort-after', `/api/jobs/${job}/events`);
  });

  it('a client aborting before the headers holds nothing', async () => {
    const job = await enqueue('abort-before');
    const headers = await auth('abort-before');
    for (let i = 0; i < ABUSE; i++) {
      const ex = rawHttp(api.url, requestText('GET', i % 2 ? '/api/events' : `/api/jobs/${job}/events`, headers));
      ex.socket.destroy(); // reset straight after the request: the handler finds the client gone
    }
    await drained();
    await stillOpens('abort-before', `/api/jobs/${job}/events`);
  });

  it('a GET with a Content-Length body is refused with 400 before any slot is taken, even when the client then aborts', async () => {
    const job = await enqueue('cl-body');
    const headers = { ...(await auth('cl-body')), 'content-type': 'application/json', 'content-length': '2' };
    for (let i = 0; i < ABUSE; i++) {
      const path = i % 2 ? '/api/events' : `/api/jobs/${job}/events`;
      const ex = rawHttp(api.url, requestText('GET', path, headers, '{}'));
      if (i % 3 === 0) {
        ex.socket.destroy();
        continue;
      }
      assert.equal(await ex.status, 400);
      await waitFor('the whole answer', async () => rawJson(ex.text));
      assert.equal(rawJson(ex.text).error.code, 'INVALID_INPUT');
      ex.socket.destroy();
    }
    await drained();
    await stillOpens('cl-body', '/api/events');
  });

  it('a GET with a chunked body is refused with 400; one whose body never ends holds nothing once aborted', async () => {
    const job = await enqueue('chunked');
    const headers = { ...(await auth('chunked')), 'content-type': 'application/json', 'transfer-encoding': 'chunked' };
    const unfinished = [];
    for (let i = 0; i < ABUSE; i++) {
      const path = i % 2 ? '/api/events' : `/api/jobs/${job}/events`;
      const ex = rawHttp(api.url, requestText('GET', path, headers, i % 3 ? '2\r\n{}\r\n0\r\n\r\n' : '2\r\n{}\r\n'));
      if (i % 3 === 0) {
        unfinished.push(ex);
        continue;
      }
      assert.equal(await ex.status, 400);
      ex.socket.destroy();
    }
    assert.equal(streamCounts().slots, 0, 'a body still arriving holds no slot');
    unfinished.forEach((ex) => ex.socket.destroy());
    await drained();
    await stillOpens('chunked', `/api/jobs/${job}/events`);
  });

  it('a client half-closing its socket, before or after the headers, ends the stream and releases everything', async () => {
    const job = await enqueue('half');
    const headers = { ...(await auth('half')), 'content-length': '0' }; // an empty body is no body
    for (let i = 0; i < ABUSE; i++) {
      const path = i % 2 ? '/api/events' : `/api/jobs/${job}/events`;
      const early = i % 3 === 0;
      const ex = rawHttp(api.url, requestText('GET', path, headers), { halfClose: early });
      if (!early) {
        assert.equal(await ex.status, 200);
        await waitFor('the stream to be open', async () => ex.text.includes(': stream open'));
        ex.socket.end(); // the client's write side only: it keeps reading
      }
      await ex.ended; // the server ends its side in turn
      ex.socket.destroy();
    }
    await drained();
    await stillOpens('half', '/api/events');
  });

  it('the server ending the stream after a terminal transition releases everything', async () => {
    for (let i = 0; i < ABUSE; i++) {
      const job = await enqueue('terminal');
      const s = openSse(`${api.url}/api/jobs/${job}/events`, await auth('terminal'));
      assert.equal(await s.status, 200);
      await waitFor('the replayed first transition', async () => s.events.some((e) => e.id === '1'));
      assert.equal(
        (await api.call('POST', `/api/jobs/${job}/cancel`, { token: await api.token('terminal') })).status,
        202,
      );
      await s.ended; // the server ended it
      assert.ok(s.events.some((e) => e.event === 'transition' && e.data.to === 'canceled'));
    }
    await drained();
    await stillOpens('terminal', '/api/events');
  });

  it('a failing Firestore listener ends its streams and releases everything; the next stream listens afresh', async () => {
    const job = await enqueue('fault');
    for (let round = 0; round < 3; round++) {
      const streams = [];
      for (let i = 0; i < MAX_STREAMS_PER_OWNER; i++) {
        const s = openSse(`${api.url}${i % 2 ? '/api/events' : `/api/jobs/${job}/events`}`, await auth('fault'));
        assert.equal(await s.status, 200);
        await waitFor('the stream to be open', async () => s.comments > 0);
        streams.push(s);
      }
      const expected = 2 + MAX_STREAMS_PER_OWNER / 2; // the job's shared pair, one per /api/events stream
      await waitFor(
        'every listener attached',
        async () => streamCounts().listeners === expected && faults.live() >= expected,
      );
      assert.ok(faults.fail() >= expected);
      await Promise.all(streams.map((s) => s.ended)); // the server ended each one
      await drained();
    }
    await stillOpens('fault', `/api/jobs/${job}/events`);
  });

  it("another owner's job takes no slot; a job gone after the slot was taken ends its stream", async () => {
    const job = await enqueue('owner');
    for (let i = 0; i < ABUSE; i++) {
      const s = openSse(`${api.url}/api/jobs/${job}/events`, await auth('intruder'));
      assert.equal(await s.status, 404);
    }
    assert.equal(streamCounts().slots, 0);
    const s = openSse(`${api.url}/api/jobs/${job}/events`, await auth('owner'));
    assert.equal(await s.status, 200);
    await waitFor('the stream to be open', async () => s.comments > 0);
    // gone with its history: a history left without its job is a replay failure (test/replay/)
    await rt.db.recursiveDelete(rt.db.collection('jobs').doc(job));
    await s.ended;
    await drained();
    await stillOpens('intruder', '/api/events');
  });

  it('past the limit: 429 with Retry-After and the contract error body; closing one frees its slot', async () => {
    const job = await enqueue('limit');
    const headers = await auth('limit');
    const streams = [];
    for (let i = 0; i < MAX_STREAMS_PER_OWNER; i++) {
      const s = openSse(`${api.url}/api/jobs/${job}/events`, headers);
      assert.equal(await s.status, 200);
      streams.push(s);
    }
    for (const path of [`/api/jobs/${job}/events`, '/api/events']) {
      const res = await fetch(`${api.url}${path}`, { headers });
      assert.equal(res.status, 429);
      assert.match(res.headers.get('retry-after') ?? '', /^\d+$/);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'TOO_MANY_STREAMS');
      assert.match(body.error.message, /per user and instance/);
    }
    assert.equal(streamCounts().slots, MAX_STREAMS_PER_OWNER, 'a refused stream holds nothing');
    streams.pop()!.close();
    await waitFor('one slot back', async () => streamCounts().slots === MAX_STREAMS_PER_OWNER - 1);
    const again = openSse(`${api.url}/api/events`, headers);
    assert.equal(await again.status, 200);
    [...streams, again].forEach((s) => s.close());
    await drained();
  });
});
