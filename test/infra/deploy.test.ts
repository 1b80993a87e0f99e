/**
 * Deployable: the build's deploy folders run as deployed, and the Terraform agrees with the code — and the
 * check would notice if a function, index, topic, variable or permission went missing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { DEPLOY_UNITS, SUBSCRIPTIONS } from '../../functions/units.js';
import { checkTerraform, parseTerraformDir, terraformEnv, type Terraform } from '../../infra/deploy/check.js';
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
    [
      'an index ignores the collection prefix',
      (t) => (t.resources.google_firestore_index!.composite!.collection = '${each.value.collection}'),
      /the composite index does not follow var.collection_prefix/,
    ],
    [
      'the units are not told the prefix',
      (t) => delete t.locals.common_env.VERITY_COLLECTION_PREFIX,
      /VERITY_COLLECTION_PREFIX is not var.collection_prefix/,
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
