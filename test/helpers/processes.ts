/** The deploy units as their own functions-framework processes, on the test harness's emulators. */
import { createServer } from 'node:net';
import path from 'node:path';
import { REPO_ROOT } from '../../shared/src/config/env.js';
import { createPushSubscription } from '../../infra/local/emulators.js';
import { spawnManaged, tcpProbe, waitUntilReady, type ManagedProcess } from '../../infra/local/supervisor.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface FunctionProcess {
  target: string;
  url: string;
  proc: ManagedProcess;
}

export async function startFunction(
  target: string,
  source: string,
  signature: 'http' | 'cloudevent',
  env: NodeJS.ProcessEnv,
  logDir: string,
  port?: number,
): Promise<FunctionProcess> {
  const p = port ?? (await freePort());
  const proc = spawnManaged(
    target,
    process.execPath,
    [
      path.join(REPO_ROOT, 'node_modules/@google-cloud/functions-framework/build/src/main.js'),
      `--target=${target}`,
      `--source=${path.join(REPO_ROOT, source)}`,
      `--port=${p}`,
      `--signature-type=${signature}`,
    ],
    { env, output: { kind: 'file', path: path.join(logDir, `${target}.log`) } },
  );
  const url = `http://127.0.0.1:${p}`;
  await waitUntilReady(() => tcpProbe('127.0.0.1', p), {
    what: `function ${target}`,
    where: url,
    timeoutMs: 30_000,
    proc,
  });
  return { target, url, proc };
}

/** A push subscription from `topic` to a CloudEvent function, as deployed (the URL path names the topic). */
export async function pushTo(
  pubsubHost: string,
  project: string,
  subscription: string,
  topic: string,
  fn: FunctionProcess,
): Promise<void> {
  await createPushSubscription(
    pubsubHost,
    project,
    subscription,
    topic,
    `${fn.url}/projects/${project}/topics/${topic}`,
  );
}

export async function deleteSubscription(pubsubHost: string, project: string, subscription: string): Promise<void> {
  await fetch(`http://${pubsubHost}/v1/projects/${project}/subscriptions/${subscription}`, { method: 'DELETE' }).then(
    (r) => r.arrayBuffer(),
  );
}
