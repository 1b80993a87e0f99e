/**
 * local-process: a worker gets the allow-listed part of its starter's environment and its own variables, never
 * the starter's secrets. The worker here is a real child process that writes its environment to a file.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createLocalProcessExecutor, WORKER_ENV_ALLOWLIST } from '../../shared/src/evidence/executors/local-process.js';
import { newJob } from '../helpers/jobs.js';
import { nodeScriptType } from '../helpers/local-type.js';
import { waitFor } from '../helpers/wait.js';

const SECRETS = {
  VERITY_WEBHOOK_SECRETS: '{"demo-provider":"whsec-parent"}',
  VERITY_PROVIDER_KEYS: '{"demo-provider":"key-parent"}',
  VERITY_LOCAL_JWT_SECRET: 'jwt-secret-parent',
  VERITY_ADMINS: 'root@example.com',
  VERITY_AUTH_AUDIENCE: 'aud-parent',
  GOOGLE_APPLICATION_CREDENTIALS: '/secret/sa.json',
  FIRESTORE_EMULATOR_HOST: '127.0.0.1:1',
  NODE_OPTIONS: '--require /tmp/evil.js',
  SOME_OTHER_THING: 'x',
};

describe('local-process executor', () => {
  it('is the allow-list plus the worker variables: no secret of the starter reaches the worker', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'verity-env-'));
    const dump = path.join(stateDir, 'env.json');
    const parent: NodeJS.ProcessEnv = {
      ...SECRETS,
      PATH: process.env.PATH,
      TZ: 'UTC',
      PUBSUB_EMULATOR_HOST: '127.0.0.1:2',
      VERITY_GCS_ENDPOINT: 'http://127.0.0.1:3',
    };
    const exec = createLocalProcessExecutor({
      stateDir,
      inheritFrom: parent,
      workerEnv: (job) => ({
        VERITY_JOB_ID: job.id,
        VERITY_ATTEMPT: String(job.attempt),
        VERITY_WORKER_TOKEN: 'scoped-token',
        DUMP_TO: dump,
      }),
    });
    const script = 'require("fs").writeFileSync(process.env.DUMP_TO, JSON.stringify(process.env))';
    const type = nodeScriptType('env-dump', script);
    const job = newJob({ outputs: [] });
    const { executionRef } = await exec.start(job, type);
    await waitFor('the worker to exit', async () => (await exec.status(executionRef)).state === 'succeeded');
    const env = JSON.parse(readFileSync(dump, 'utf8')) as Record<string, string>;
    for (const name of Object.keys(SECRETS)) assert.equal(env[name], undefined, `${name} must not reach the worker`);
    for (const value of Object.values(SECRETS))
      assert.ok(!Object.values(env).includes(value), `no secret value under another name: ${value}`);
    assert.equal(env.VERITY_JOB_ID, job.id);
    assert.equal(env.VERITY_WORKER_TOKEN, 'scoped-token');
    assert.equal(env.PUBSUB_EMULATOR_HOST, '127.0.0.1:2');
    assert.equal(env.VERITY_GCS_ENDPOINT, 'http://127.0.0.1:3');
    assert.equal(env.VERITY_RUNNER_COMMAND, undefined, 'the runner keeps its command to itself');
    const allowed = new Set<string>([
      ...WORKER_ENV_ALLOWLIST,
      'VERITY_JOB_ID',
      'VERITY_ATTEMPT',
      'VERITY_WORKER_TOKEN',
      'DUMP_TO',
    ]);
    // node itself may add a few variables of its own (none of them from the parent)
    const extra = Object.keys(env).filter((k) => !allowed.has(k) && !['PWD', 'SHLVL', '_'].includes(k));
    assert.deepEqual(extra, []);
  });

  it('two starts of one attempt at once run one process and name one execution', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'verity-dup-'));
    const runs = path.join(stateDir, 'runs');
    const exec = createLocalProcessExecutor({ stateDir, workerEnv: () => ({ RUNS: runs }) });
    const script = 'require("fs").appendFileSync(process.env.RUNS, "run\\n")';
    const type = nodeScriptType('dup', script);
    const job = newJob({ outputs: [] });
    const [a, b] = await Promise.all([exec.start(job, type), exec.start(job, type)]);
    assert.equal(a.executionRef, b.executionRef);
    await waitFor('the worker to exit', async () => (await exec.status(a.executionRef)).state === 'succeeded');
    assert.equal(readFileSync(runs, 'utf8'), 'run\n', 'the command ran once');
  });

  it('a start that died after making its folder, before spawning, is redone (found by the fault soak)', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'verity-half-'));
    const runs = path.join(stateDir, 'runs');
    const exec = createLocalProcessExecutor({ stateDir, workerEnv: () => ({ RUNS: runs }) });
    const script = 'require("fs").appendFileSync(process.env.RUNS, "run\\n")';
    const type = nodeScriptType('half', script);
    const job = newJob({ outputs: [] });
    // what a process killed between the folder and the spawn leaves: an empty execution folder
    mkdirSync(path.join(stateDir, 'executions', `${job.id}.${job.attempt}`), { recursive: true });
    const { executionRef } = await exec.start(job, type);
    await waitFor('the worker to exit', async () => (await exec.status(executionRef)).state === 'succeeded');
    assert.equal(readFileSync(runs, 'utf8'), 'run\n', 'the command ran, once');
  });
});
