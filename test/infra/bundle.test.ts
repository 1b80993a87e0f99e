/**
 * The build's deploy folders: one bundle per unit (its entry and the chunks it loads later), its assets and a
 * package.json; each folder starts under functions-framework as deployed, answers without a client, and loads
 * its clients' chunk on the first request that needs them.
 */
import { builtinModules } from 'node:module';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { DEPLOY_UNITS, SUBSCRIPTIONS } from '../../functions/units.js';
import { CHUNKS, entryClosure, EXTERNAL, walkImports } from '../../infra/deploy/package.js';
import { REPO_ROOT } from '../../shared/src/config/env.js';
import { mintLocalToken } from '../../shared/src/auth/local-issuer.js';
import { SIGNATURE_HEADER, signPayload } from '../../shared/src/webhooks/signature.js';
import { pushMessage } from '../helpers/functions.js';
import { waitFor } from '../helpers/wait.js';
import { startFunction, type FunctionProcess } from '../helpers/processes.js';

const BUILD = path.join(REPO_ROOT, 'build/functions');
const SECRET = 'deploy-test-secret-0123456789';
const WEBHOOK_SECRET = 'deploy-webhook-secret-0123456789';

describe('npm run build: one self-contained deploy folder per unit', () => {
  it('holds one bundle of the unit, its assets, and a package.json naming what stays outside it', () => {
    const root = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    assert.deepEqual(readdirSync(BUILD).sort(), DEPLOY_UNITS.map((u) => u.name).sort());
    for (const u of DEPLOY_UNITS) {
      const dir = path.join(BUILD, u.name);
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
      assert.equal(pkg.main, `dist/functions/${u.name}/index.js`);
      const bundle = readFileSync(path.join(dir, pkg.main), 'utf8');
      assert.match(
        bundle,
        new RegExp(`functions\\.(http|cloudEvent)\\(["']${u.target}["']`),
        `${u.name}: registers ${u.target}`,
      );
      // self-contained: the entry and its chunks import only node's modules, the packages its package.json
      // names (pinned), and one another
      const js = readdirSync(path.join(dir, CHUNKS)).map((f) => `${CHUNKS}/${f}`);
      for (const file of [pkg.main, ...js]) {
        const code = readFileSync(path.join(dir, file), 'utf8');
        const imported = [...code.matchAll(/^(?:import|\}) (?:[^;]*? from )?["']([^"']+)["'];$/gm)].map((m) => m[1]!);
        const dynamic = [...code.matchAll(/\bimport\(["']([^"']+)["']\)/g)].map((m) => m[1]!);
        for (const spec of [...imported, ...dynamic])
          assert.ok(
            spec.startsWith('node:') ||
              builtinModules.includes(spec) ||
              spec in pkg.dependencies ||
              (spec.startsWith('.') && existsSync(path.join(dir, path.dirname(file), spec))),
            `${u.name}: ${file} imports ${spec}, neither in its package.json nor in the folder`,
          );
      }
      // a cold start loads no client: Firestore, Pub/Sub, Storage, Cloud Run (and gax, grpc) wait in chunks
      // that the first request needing them imports; the folder holds them
      const CLIENTS = /^(@google-cloud\/(firestore|pubsub|storage|run)|google-gax|@grpc\/grpc-js)$/;
      const start = entryClosure(dir, pkg.main);
      assert.deepEqual(
        start.packages.filter((p) => CLIENTS.test(p)),
        [],
        `${u.name}: no client loaded at start`,
      );
      const everything = js.map((f) => readFileSync(path.join(dir, f), 'utf8')).join('\n');
      assert.match(everything, /node_modules\/@google-cloud\/firestore\//, `${u.name}: Firestore is in a chunk`);
      assert.deepEqual(Object.keys(pkg.dependencies), [...EXTERNAL], `${u.name}: only the framework stays outside`);
      for (const [name, version] of Object.entries(pkg.dependencies)) {
        assert.ok(name in root.dependencies, `${u.name}: ${name} is a runtime dependency`);
        assert.match(String(version), /^\d+\.\d+\.\d+/, `${u.name}: ${name} pinned`);
      }
      // its own code, and no other unit's: the bundle is made of what its entry reaches
      const { files } = walkImports(REPO_ROOT, pkg.main);
      const others = files.filter(
        (f) =>
          f.startsWith('dist/functions/') &&
          !/^dist\/functions\/(common\/|units\.js$)/.test(f) &&
          !f.startsWith(`dist/functions/${u.name}/`),
      );
      assert.deepEqual(others, [], `${u.name}: carries no other unit's code`);
      // no dev files: the bundle and the unit's assets, nothing else
      const all = execFileSync('find', [dir, '-type', 'f'], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map((f) => path.relative(dir, f));
      const allowed = (f: string) =>
        f === 'package.json' ||
        f === pkg.main ||
        js.includes(f) ||
        (u.assets ?? []).some((a) => f.startsWith(`${a}/`) || f === a);
      assert.deepEqual(
        all.filter((f) => !allowed(f)),
        [],
        `${u.name}: nothing but the bundle, its assets, package.json`,
      );
    }
    // the whole dashboard folder ships with the api: the page, the stylesheet and every ES module it imports
    const dashboard = readdirSync(path.join(REPO_ROOT, 'functions/api/dashboard/static'));
    assert.ok(dashboard.includes('index.html') && dashboard.includes('app.js'));
    for (const f of dashboard)
      assert.ok(
        existsSync(path.join(BUILD, 'api/functions/api/dashboard/static', f)),
        `the dashboard's ${f} ships with the api`,
      );
  });

  describe('each folder starts under functions-framework as deployed', () => {
    const procs: FunctionProcess[] = [];
    /** What each http unit answers to GET /healthz, status and body. */
    const HEALTHZ: Record<string, { status: number; body: unknown }> = {
      api: { status: 200, body: { ok: true } },
      // it serves POST /api/webhooks/:provider alone
      webhooks: { status: 404, body: { error: { code: 'NOT_FOUND', message: 'no route for GET /healthz' } } },
      // POST only, whatever the path
      sweep: { status: 405, body: { error: { code: 'METHOD_NOT_ALLOWED', message: 'POST only' } } },
    };
    after(async () => {
      await Promise.all(procs.map((p) => p.proc.stop()));
    });
    const admin = (): Promise<string> => mintLocalToken(SECRET, 'deploy-admin', { admin: true });
    const push = (url: string, topic: string, msg: Parameters<typeof pushMessage>[3]) =>
      pushMessage(url, 'verity-test', topic, msg);
    /** A request each unit can answer only with its Runtime (its clients) built; the status it answers. */
    const needsRuntime: Record<string, (url: string) => Promise<number>> = {
      api: async (url) => (await fetch(`${url}/api/openapi.json`)).status,
      sweep: async (url) =>
        (await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${await admin()}` } })).status,
      // a signed call with a body no provider sends: the Runtime's webhooks service refuses it (400)
      webhooks: async (url) => {
        const body = '{}';
        const signature = signPayload(WEBHOOK_SECRET, body, Math.floor(Date.now() / 1000));
        return (
          await fetch(`${url}/api/webhooks/demo`, { method: 'POST', body, headers: { [SIGNATURE_HEADER]: signature } })
        ).status;
      },
      // a well-formed report and a notification: acknowledged (204) once the store has been asked
      'job-updates': (url) =>
        push(url, SUBSCRIPTIONS.jobUpdates.topic, {
          messageId: 'deploy-runtime',
          data: JSON.stringify({ jobId: 'deploy-check', kind: 'heartbeat' }),
        }),
      'object-finalized': (url) =>
        push(url, SUBSCRIPTIONS.objectFinalized.topic, {
          messageId: 'deploy-runtime',
          data: '{}',
          attributes: {
            eventType: 'OBJECT_FINALIZE',
            bucketId: 'verity-local',
            objectId: 'none/x.mp4',
            objectGeneration: '1',
          },
        }),
    };
    const EXPECTED_STATUS: Record<string, number> = { api: 200, sweep: 200, webhooks: 400 };
    const CLIENTS_LOADED = /clients loaded on first use/;
    for (const u of DEPLOY_UNITS) {
      it(`${u.name}: --source=build/functions/${u.name} --target=${u.target}`, async () => {
        const logDir = mkdtempSync(path.join(os.tmpdir(), 'verity-deploy-'));
        const env = {
          ...process.env,
          VERITY_PROFILE: 'local',
          VERITY_LOCAL_JWT_SECRET: SECRET,
          VERITY_WEBHOOK_SECRETS: JSON.stringify({ demo: WEBHOOK_SECRET }),
          VERITY_LOG_LEVEL: 'info',
        };
        const fn = await startFunction(u.target, `build/functions/${u.name}`, u.signature, env, logDir);
        procs.push(fn);
        if (u.signature === 'cloudevent') {
          // a malformed message through the Pub/Sub push path: the unit's handler acknowledges it (204, no retry)
          const topic = u.trigger.kind === 'pubsub-push' ? SUBSCRIPTIONS[u.trigger.subscription].topic : 'none';
          const status = await pushMessage(fn.url, 'verity-test', topic, {
            messageId: 'deploy-check',
            data: 'not json',
          });
          assert.equal(status, 204, `${u.name}: HTTP ${status} (log: ${logDir})`);
        } else {
          // the unit's own code answered, as its routes say (the framework alone would not know this target)
          const expected = HEALTHZ[u.name];
          assert.ok(expected, `${u.name}: say in HEALTHZ what GET /healthz answers`);
          const res = await fetch(`${fn.url}/healthz`);
          assert.deepEqual({ status: res.status, body: await res.json() }, expected, `${u.name} (log: ${logDir})`);
        }
        const dash = u.name === 'api' ? await fetch(`${fn.url}/`) : null;
        if (dash) assert.match(await dash.text(), /<html/i, 'the dashboard is served from the deploy folder');
        // the first answers loaded no client; the first request that needs them loads their chunk from the folder
        const log = path.join(logDir, `${u.target}.log`);
        if (u.name === 'webhooks') {
          // an unsigned or stranger's call is refused before the runtime loads: it costs no client
          const refused = await fetch(`${fn.url}/api/webhooks/demo`, { method: 'POST', body: '{}' });
          assert.equal(refused.status, 401);
        }
        assert.doesNotMatch(readFileSync(log, 'utf8'), CLIENTS_LOADED, `${u.name}: no client before it is needed`);
        const status = await needsRuntime[u.name]!(fn.url);
        assert.equal(status, EXPECTED_STATUS[u.name] ?? 204, `${u.name}: answered (log: ${log})`);
        await waitFor(`${u.name}: clients loaded (log: ${log})`, async () =>
          CLIENTS_LOADED.test(readFileSync(log, 'utf8')),
        );
      });
    }
  });
});
