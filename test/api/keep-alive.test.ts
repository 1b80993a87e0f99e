/**
 * Idle keep-alive sockets (infra/local/keep-alive.ts): the servers Verity starts advertise and keep 65 s, so a
 * fetch client (undici: the advertised time minus 1 s) closes an idle socket well before the server does.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { KEEP_ALIVE_MS } from '../../infra/local/keep-alive.js';
import { startDemoProvider, type DemoProvider } from '../../infra/local/demo-provider.js';
import { startApi, type ApiClient } from '../helpers/api.js';
import { testRuntime, type TestRuntime } from '../helpers/runtime.js';

let rt: TestRuntime;
let api: ApiClient;
let demo: DemoProvider;

before(async () => {
  rt = await testRuntime('keep-alive');
  api = await startApi(rt);
  demo = await startDemoProvider({
    port: 0,
    secret: 'keep-alive-secret-0123456789',
    bucket: rt.bucket,
    gcsEndpoint: rt.env.gcsEndpoint!,
    projectId: rt.projectId,
    dropWebhookRate: 0,
    durationMs: 1000,
  });
});
after(async () => {
  await demo.stop();
  await api.close();
  await rt.ledger.close();
});

/** The Keep-Alive header a keep-alive request gets back. */
function keepAliveHeader(url: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Connection: 'keep-alive' } }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.headers['keep-alive'] as string | undefined));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('idle keep-alive sockets', () => {
  it('the api advertises and keeps them longer than fetch clients and load balancers (60 s) do', async () => {
    assert.equal(await keepAliveHeader(`${api.url}/healthz`), `timeout=${KEEP_ALIVE_MS / 1000}`);
    assert.ok(KEEP_ALIVE_MS > 60_000);
    assert.ok(api.server.headersTimeout > api.server.keepAliveTimeout);
  });

  it('so does the demo provider the local stack starts', async () => {
    assert.equal(await keepAliveHeader(`${demo.url}/healthz`), `timeout=${KEEP_ALIVE_MS / 1000}`);
  });
});
