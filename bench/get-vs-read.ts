/** (b) GET of an in-deadline job through the API vs a bare document read, both over functions-framework. */
import type { AddressInfo } from 'node:net';
import * as functions from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { Firestore } from '@google-cloud/firestore';
import { createApiHandler } from '../functions/api/handler.js';
import { mintLocalToken } from '../shared/src/auth/local-issuer.js';
import { parseEnv } from '../shared/src/config/env.js';
import { silentLogger } from '../shared/src/log.js';
import { createRuntime } from '../shared/src/runtime.js';
import { readyRuntime } from '../functions/common/runtime-source.js';

const SECRET = 'bench-secret-0123456789abcdef';

async function serve(name: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = getTestServer(name);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

export async function benchGet(
  requests: number,
): Promise<{ apiMedianMs: number; bareMedianMs: number; ratio: number }> {
  const projectId = `bench-get-${Date.now()}`;
  const env = parseEnv({
    ...process.env,
    GOOGLE_CLOUD_PROJECT: projectId,
    VERITY_PROFILE: 'local',
    VERITY_LOCAL_JWT_SECRET: SECRET,
    VERITY_GCS_ENDPOINT: 'http://127.0.0.1:1',
  });
  const db = new Firestore({ projectId, ignoreUndefinedProperties: true });
  const rt = createRuntime('bench', { env, db, log: silentLogger() });
  const token = await mintLocalToken(SECRET, 'bench');
  const { job } = await rt.jobs.enqueue(
    { userId: 'bench', admin: false, workerJobId: null },
    { type: 'external', outputs: [], reuseExistingOutputs: true, policy: { queueTimeoutSeconds: 3600 } },
  );

  functions.http('bench-api', createApiHandler(readyRuntime(rt)));
  functions.http('bench-bare', async (_req, res) => {
    const snap = await db.collection('jobs').doc(job.id).get();
    res.status(200).json({ job: snap.data() });
  });
  const api = await serve('bench-api');
  const bare = await serve('bench-bare');
  const headers = { authorization: `Bearer ${token}` };
  const time = async (url: string): Promise<number> => {
    const t0 = performance.now();
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`GET ${url} → ${res.status}`);
    return performance.now() - t0;
  };
  process.stdout.write(`(b) ${requests} GETs each, interleaved in blocks of 20, one at a time…\n`);
  for (let i = 0; i < 50; i++) {
    await time(`${api.url}/api/jobs/${job.id}`);
    await time(bare.url);
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let block = 0; block < requests / 20; block++) {
    for (let i = 0; i < 20; i++) a.push(await time(`${api.url}/api/jobs/${job.id}`));
    for (let i = 0; i < 20; i++) b.push(await time(bare.url));
  }
  await api.close();
  await bare.close();
  await db.terminate();
  const med = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const apiMedianMs = med(a);
  const bareMedianMs = med(b);
  return { apiMedianMs, bareMedianMs, ratio: apiMedianMs / bareMedianMs };
}
