/**
 * The local stack's functions as `npm start` runs them (infra/local/push.ts, serve.ts), on the harness's
 * Pub/Sub emulator: each listens on 127.0.0.1 only, and a push subscription gives up on a message after
 * MAX_DELIVERY_ATTEMPTS failed deliveries and moves it to `<topic>-dlq`, like the cloud's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deadLetterTopic, MAX_DELIVERY_ATTEMPTS } from '../../functions/units.js';
import { createTopic } from '../../infra/local/emulators.js';
import { spawnManaged, tcpProbe, waitUntilReady, type ManagedProcess } from '../../infra/local/supervisor.js';
import { LOCAL_FUNCTIONS } from '../../infra/local/functions.js';
import { deadLetterHold, functionArgs, wirePush } from '../../infra/local/push.js';
import type { FunctionSpec } from '../../infra/local/stack.js';
import { REPO_ROOT } from '../../shared/src/config/env.js';
import { deleteSubscription, freePort } from '../helpers/processes.js';
import { uniqueName } from '../helpers/runtime.js';
import { waitFor } from '../helpers/wait.js';

const PROJECT = process.env.GOOGLE_CLOUD_PROJECT ?? 'verity-test';
const LOOPBACK = '127.0.0.1';
const logDir = mkdtempSync(path.join(os.tmpdir(), 'verity-local-push-'));
const procs: ManagedProcess[] = [];
const subscriptions: string[] = [];

function pubsubHost(): string {
  const host = process.env.PUBSUB_EMULATOR_HOST;
  assert.ok(host, 'run through the harness: npm test -- local-push');
  return host;
}

/** This machine's first non-loopback IPv4 address, if it has one. */
function externalAddress(): string | undefined {
  return Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
}

async function start(name: string, args: string[], port: number, env: NodeJS.ProcessEnv = {}): Promise<ManagedProcess> {
  const proc = spawnManaged(name, process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    output: { kind: 'file', path: path.join(logDir, `${name}.log`) },
  });
  procs.push(proc);
  await waitUntilReady(() => tcpProbe(LOOPBACK, port), {
    what: name,
    where: `${LOOPBACK}:${port}`,
    timeoutMs: 30_000,
    proc,
  });
  return proc;
}

async function pubsub(method: string, p: string, body?: unknown): Promise<any> {
  const res = await fetch(`http://${pubsubHost()}/v1/projects/${PROJECT}/${p}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  assert.equal(res.status, 200, `${method} ${p}: ${res.status}`);
  return res.json();
}

after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  for (const s of subscriptions) await deleteSubscription(pubsubHost(), PROJECT, s).catch(() => undefined);
});

describe('the local stack binds 127.0.0.1 only', () => {
  const external = externalAddress();

  it("a function started as npm start starts it answers on 127.0.0.1, and refuses the machine's other address", async (t) => {
    const port = await freePort();
    const spec: FunctionSpec = {
      target: 'alwaysFails',
      source: 'dist/test/integration/fixtures/always-fails.js',
      port,
      signature: 'cloudevent',
    };
    await start('bound', functionArgs(REPO_ROOT, spec, LOOPBACK), port);
    assert.equal(await tcpProbe(LOOPBACK, port), true);
    if (!external) return t.skip('this machine has no non-loopback IPv4 address');
    assert.equal(await tcpProbe(external, port), false, `${external}:${port} must refuse connections`);
  });

  it('the demo provider of npm start does too', async (t) => {
    const demo = LOCAL_FUNCTIONS.find((f) => f.target === 'demoProvider');
    assert.ok(demo?.script && demo.env);
    const port = await freePort();
    await start('demo-provider', functionArgs(REPO_ROOT, { ...demo, port }, LOOPBACK), port, {
      ...demo.env,
      DEMO_PROVIDER_PORT: String(port),
    });
    assert.equal(await tcpProbe(LOOPBACK, port), true);
    if (!external) return t.skip('this machine has no non-loopback IPv4 address');
    assert.equal(await tcpProbe(external, port), false, `${external}:${port} must refuse connections`);
  });

  it("and the check would notice: functions-framework's own main answers on every interface", async (t) => {
    if (!external) return t.skip('this machine has no non-loopback IPv4 address');
    const port = await freePort();
    await start(
      'framework-main',
      [
        path.join(REPO_ROOT, 'node_modules/@google-cloud/functions-framework/build/src/main.js'),
        '--target=alwaysFails',
        `--source=${path.join(REPO_ROOT, 'dist/test/integration/fixtures/always-fails.js')}`,
        `--port=${port}`,
        '--signature-type=cloudevent',
      ],
      port,
    );
    assert.equal(await tcpProbe(external, port), true);
  });
});

describe("local push subscriptions dead-letter like the cloud's", () => {
  const topic = uniqueName('local-push');
  const deliveries = path.join(logDir, 'deliveries.txt');
  let spec: FunctionSpec;

  before(async () => {
    const port = await freePort();
    spec = {
      target: 'alwaysFails',
      source: 'dist/test/integration/fixtures/always-fails.js',
      port,
      signature: 'cloudevent',
      push: { name: `${topic}-push`, topic },
    };
    await start('always-fails', functionArgs(REPO_ROOT, spec, LOOPBACK), port, { DELIVERIES_FILE: deliveries });
    await createTopic(pubsubHost(), PROJECT, topic);
    await wirePush(pubsubHost(), PROJECT, LOOPBACK, spec);
    subscriptions.push(spec.push!.name, deadLetterHold(topic));
  });

  it('the subscription carries the dead-letter policy', async () => {
    const sub = await pubsub('GET', `subscriptions/${spec.push!.name}`);
    assert.deepEqual(sub.deadLetterPolicy, {
      deadLetterTopic: `projects/${PROJECT}/topics/${deadLetterTopic(topic)}`,
      maxDeliveryAttempts: MAX_DELIVERY_ATTEMPTS,
    });
  });

  it(
    `a message its function always fails lands on ${deadLetterTopic('<topic>')} ` +
      `after exactly ${MAX_DELIVERY_ATTEMPTS} deliveries, and stops`,
    { timeout: 120_000 },
    async () => {
      const data = Buffer.from(JSON.stringify({ jobId: 'poison' })).toString('base64');
      const { messageIds } = await pubsub('POST', `topics/${topic}:publish`, {
        messages: [{ data, attributes: { jobId: 'poison' } }],
      });
      const id = (messageIds as string[])[0]!;
      const seen = (): number => {
        try {
          return readFileSync(deliveries, 'utf8')
            .split('\n')
            .filter((l) => l === id).length;
        } catch {
          return 0;
        }
      };
      const dead = await waitFor(
        'the dead letter',
        async () => {
          const r = await pubsub('POST', `subscriptions/${deadLetterHold(topic)}:pull`, {
            maxMessages: 10,
            returnImmediately: true,
          });
          return (
            r.receivedMessages as
              { ackId: string; message: { data: string; attributes: Record<string, string> } }[] | undefined
          )?.[0];
        },
        90_000,
        500,
      );
      await pubsub('POST', `subscriptions/${deadLetterHold(topic)}:acknowledge`, { ackIds: [dead.ackId] });
      assert.equal(dead.message.data, data, 'the dead letter is the message itself');
      assert.equal(dead.message.attributes.jobId, 'poison');
      assert.equal(dead.message.attributes.CloudPubSubDeadLetterSourceDeliveryCount, String(MAX_DELIVERY_ATTEMPTS));
      assert.equal(seen(), MAX_DELIVERY_ATTEMPTS, 'the function saw it exactly MAX_DELIVERY_ATTEMPTS times');
      // not delivered again: the emulator redelivers a failed message about once a second, so give it several
      // of those intervals and check that no delivery came
      await new Promise((r) => setTimeout(r, 4000));
      assert.equal(seen(), MAX_DELIVERY_ATTEMPTS, 'no delivery after the dead letter');
    },
  );
});
