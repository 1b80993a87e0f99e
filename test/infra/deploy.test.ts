/**
 * Deployable: the build's deploy folders run as deployed, and the Terraform agrees with the code — and the
 * check would notice if a function, index, topic, variable or permission went missing.
 */
import { builtinModules } from 'node:module';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execFileSync, spawnSync } from 'node:child_process';
import { DEPLOY_UNITS, SUBSCRIPTIONS } from '../../functions/units.js';
import { checkTerraform, parseTerraformDir, terraformEnv, type Terraform } from '../../infra/deploy/check.js';
import { EXTERNAL, walkImports } from '../../infra/deploy/package.js';
import { ensureGoTool, TERRAFORM } from '../../infra/local/tools.js';
import { REPO_ROOT } from '../../shared/src/config/env.js';
import { pushMessage } from '../helpers/functions.js';
import { startFunction, type FunctionProcess } from '../helpers/processes.js';

const MODULE = path.join(REPO_ROOT, 'infra/terraform/modules/verity');
const EXAMPLE = path.join(REPO_ROOT, 'infra/terraform/examples/basic');
const BUILD = path.join(REPO_ROOT, 'build/functions');

let tf: Terraform;
before(async () => {
  tf = await parseTerraformDir(MODULE);
});

const clone = (): Terraform => structuredClone(tf);

describe('Terraform ↔ code', () => {
  it('agree: units, entry points, env, roles, indexes, TTL, topics, subscriptions', () => {
    assert.deepEqual(checkTerraform(tf), []);
  });

  const mutations: [string, (t: Terraform) => void, RegExp][] = [
    ['a function goes missing', (t) => delete t.locals.units.sweep, /deploy unit sweep has no entry/],
    [
      'the module has a function the code does not',
      (t) => (t.locals.units.extra = structuredClone(t.locals.units.sweep)),
      /local.units has extra, which no deploy unit in code is/,
    ],
    [
      'an index no query needs is declared',
      (t) =>
        t.locals.firestore_indexes.push({
          collection: 'jobs',
          scope: 'COLLECTION',
          fields: [
            { field: 'colour', order: 'ASCENDING' },
            { field: 'createdAt', order: 'DESCENDING' },
          ],
        }),
      /Firestore index no query needs: jobs\/COLLECTION: colour ASCENDING, createdAt DESCENDING/,
    ],
    [
      'a retry policy goes missing',
      (t) => delete t.resources.google_pubsub_subscription!.push!.retry_policy,
      /push subscriptions have no retry policy/,
    ],
    [
      'an entry point is wrong',
      (t) => (t.locals.units['job-updates'].entry_point = 'jobUpdate'),
      /entry_point jobUpdate ≠ target jobUpdates/,
    ],
    [
      'an index goes missing',
      (t) => t.locals.firestore_indexes.splice(0, 1),
      /Firestore index missing: jobs\/COLLECTION: outputUris CONTAINS, status ASCENDING/,
    ],
    ['a TTL policy goes missing', (t) => delete t.locals.ttl_fields.leases, /TTL policy missing: leases.expireAt/],
    ['a topic goes missing', (t) => delete t.locals.topics.job_events, /topic verity-job-events is not created/],
    [
      'a push subscription goes missing',
      (t) => delete t.locals.push_subscriptions['verity-job-updates-push'],
      /push subscription verity-job-updates-push/,
    ],
    [
      'a dead-letter policy goes missing',
      (t) => delete t.resources.google_pubsub_subscription!.push!.dead_letter_policy,
      /no dead-letter topic/,
    ],
    [
      'a variable goes missing',
      (t) => delete t.locals.unit_env.sweep.VERITY_SWEEP_AUDIENCE,
      /unit sweep: environment variables not set by Terraform: VERITY_SWEEP_AUDIENCE/,
    ],
    [
      'a common variable goes missing',
      (t) => delete t.locals.common_env.VERITY_JOB_TYPES,
      /unit api: environment variables not set by Terraform: VERITY_JOB_TYPES/,
    ],
    [
      'a permission goes missing from a unit',
      (t) => (t.locals.units.webhooks.needs = ['firestore', 'outputs', 'publishEvents', 'runJobs']),
      /unit webhooks: needs/,
    ],
    [
      'a role grant goes missing',
      (t) => delete t.resources.google_pubsub_topic_iam_member!.publish_events,
      /need publishEvents: no IAM resource/,
    ],
    [
      'the read grant on worker jobs goes missing',
      (t) => delete t.resources.google_cloud_run_v2_job_iam_member!.read_jobs,
      /need readJobs: no IAM resource/,
    ],
    ['a role is changed', (t) => (t.locals.need_roles.firestore = 'roles/datastore.viewer'), /need firestore/],
    [
      'an invoker grant goes missing',
      (t) => delete t.resources.google_cloud_run_service_iam_member!.scheduler,
      /no run.invoker grant for the scheduler units/,
    ],
  ];
  for (const [what, mutate, expected] of mutations) {
    it(`notices when ${what}`, () => {
      const t = clone();
      mutate(t);
      const problems = checkTerraform(t);
      assert.ok(
        problems.some((p) => expected.test(p)),
        `expected ${String(expected)} in:\n${problems.join('\n')}`,
      );
    });
  }

  it('the example root uses the module and its build folders', async () => {
    const text = readFileSync(path.join(EXAMPLE, 'main.tf'), 'utf8');
    assert.match(text, /source\s+=\s+"\.\.\/\.\.\/modules\/verity"/);
    assert.match(text, /build_dir\s+=\s+"\$\{path\.root\}\/\.\.\/\.\.\/\.\.\/\.\.\/build\/functions"/);
    assert.equal(path.resolve(EXAMPLE, '../../../../build/functions'), BUILD);
    await parseTerraformDir(EXAMPLE); // parses
  });

  it('passes terraform fmt -check', async () => {
    const terraform = await ensureGoTool(REPO_ROOT, TERRAFORM);
    const env = { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null', CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' };
    const run = (dir: string) =>
      spawnSync(terraform, ['fmt', '-check', '-recursive', '-diff', dir], { encoding: 'utf8', env });
    const res = run(path.join(REPO_ROOT, 'infra/terraform'));
    assert.equal(
      res.status,
      0,
      `terraform fmt -check failed (run .tools/bin/terraform fmt -recursive infra/terraform):\n${res.stdout}${res.stderr}`,
    );
    // and it would notice: a badly aligned copy fails
    const bad = mkdtempSync(path.join(os.tmpdir(), 'verity-tf-'));
    writeFileSync(path.join(bad, 'main.tf'), 'locals {\n  a = 1\n  bbb   = 2\n}\n');
    assert.notEqual(run(bad).status, 0);
  });
});

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
      // self-contained: the bundle imports only node's modules and the packages its package.json names, pinned
      const imported = [...bundle.matchAll(/^import .* from ["']([^"']+)["'];$/gm)].map((m) => m[1]!);
      for (const spec of imported)
        assert.ok(
          spec.startsWith('node:') || builtinModules.includes(spec) || spec in pkg.dependencies,
          `${u.name}: imports ${spec}, not in its package.json`,
        );
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
        f === 'package.json' || f === pkg.main || (u.assets ?? []).some((a) => f.startsWith(`${a}/`) || f === a);
      assert.deepEqual(
        all.filter((f) => !allowed(f)),
        [],
        `${u.name}: nothing but the bundle, its assets, package.json`,
      );
    }
    // the whole dashboard folder ships with the api: the page, the stylesheet and every ES module it imports
    const dashboard = readdirSync(path.join(REPO_ROOT, 'functions/api/dashboard'));
    assert.ok(dashboard.includes('index.html') && dashboard.includes('app.js'));
    for (const f of dashboard)
      assert.ok(
        existsSync(path.join(BUILD, 'api/functions/api/dashboard', f)),
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
    for (const u of DEPLOY_UNITS) {
      it(`${u.name}: --source=build/functions/${u.name} --target=${u.target}`, async () => {
        const logDir = mkdtempSync(path.join(os.tmpdir(), 'verity-deploy-'));
        const env = {
          ...process.env,
          VERITY_PROFILE: 'local',
          VERITY_LOCAL_JWT_SECRET: 'deploy-test-secret-0123456789',
          VERITY_LOG_LEVEL: 'warn',
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
      });
    }
  });

  describe('each folder serves with exactly the environment Terraform gives it (cloud profile)', () => {
    const procs: FunctionProcess[] = [];
    after(async () => {
      await Promise.all(procs.map((p) => p.proc.stop()));
    });
    // what each unit must answer by itself to a request that can never succeed: its code ran, its runtime built
    const badRequest: Record<string, (url: string) => Promise<number>> = {
      api: async (url) => (await fetch(`${url}/api/jobs`)).status,
      webhooks: async (url) =>
        (
          await fetch(`${url}/api/webhooks/voicecorp`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-verity-signature': 't=1,v1=00' },
            body: '{}',
          })
        ).status,
      sweep: async (url) => (await fetch(url, { method: 'POST' })).status,
    };
    const expected: Record<string, number> = { api: 401, webhooks: 401, sweep: 401 };
    for (const u of DEPLOY_UNITS) {
      it(`${u.name}: boots and answers with local.common_env + local.unit_env["${u.name}"] + its secrets`, async () => {
        const logDir = mkdtempSync(path.join(os.tmpdir(), 'verity-cloud-env-'));
        // the emulators' hosts stay (nothing here may reach Google); everything Verity reads comes from Terraform
        const verity = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VERITY_')));
        const env: NodeJS.ProcessEnv = {
          ...verity,
          ...terraformEnv(tf, u.name),
          VERITY_LOG_LEVEL: 'warn',
          METADATA_SERVER_DETECTION: 'none',
        };
        assert.equal(env.VERITY_PROFILE, 'cloud');
        const fn = await startFunction(u.target, `build/functions/${u.name}`, u.signature, env, logDir);
        procs.push(fn);
        if (u.signature === 'cloudevent') {
          const topic = u.trigger.kind === 'pubsub-push' ? SUBSCRIPTIONS[u.trigger.subscription].topic : 'none';
          const status = await pushMessage(fn.url, 'verity-test', topic, {
            messageId: 'cloud-env-check',
            data: 'not json',
          });
          assert.equal(
            status,
            204,
            `${u.name}: a malformed message is acknowledged, not HTTP ${status} (log: ${logDir})`,
          );
        } else {
          assert.equal(await badRequest[u.name]!(fn.url), expected[u.name], `${u.name} (log: ${logDir})`);
        }
      });
    }
  });
});
