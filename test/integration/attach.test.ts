/**
 * Attach (issue 30): a job that tracks an execution started elsewhere, without starting one — a local process
 * running the type's command, a Cloud Run execution of the type's job (the local v2 fake). Proved by what really
 * happened: the fake's RunJob count, the executions folder, the process's own record of its SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../../shared/src/auth/principal.js';
import type { FakeCloudRun } from '../fakes/cloud-run-server.js';
import { cloudRunRuntime, startedElsewhere } from '../helpers/cloud-run.js';
import { countDocuments, type TestRuntime } from '../helpers/runtime.js';

const JOB = 'projects/verity-test/locations/europe-west1/jobs/stitch';
const SLEEPER = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures', 'sleeper.js');
const admin: Principal = { userId: 'ops', admin: true, workerJobId: null };
const alice: Principal = { userId: 'alice', admin: false, workerJobId: null };
const S = 1000;
const dir = mkdtempSync(path.join(os.tmpdir(), 'verity-attach-'));
const children: ChildProcess[] = [];
let fake: FakeCloudRun;
let rt: TestRuntime;

function sleeper(): ChildProcess {
  const child = spawn(process.execPath, [SLEEPER], { env: { ...process.env, SLEEPER_DIR: dir }, stdio: 'ignore' });
  children.push(child);
  return child;
}

before(async () => {
  ({ fake, rt } = await cloudRunRuntime('attach', JOB, {
    stitch: { executor: { kind: 'cloud-run-job', job: JOB }, outputTemplates: ['gs://{bucket}/st/{jobId}.mp4'] },
    sleepy: { executor: { kind: 'local-process', command: [process.execPath, SLEEPER] } },
  }));
});
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await rt.db.terminate();
  await fake.stop();
});

const attach = (who: Principal, type: string, execution: string, more: Record<string, unknown> = {}) =>
  rt.jobs.enqueue(who, { type, reuseExistingOutputs: true, attach: { execution, ...more } } as never);
const refused = async (call: () => Promise<unknown>, code: string): Promise<void> => {
  const before = await countDocuments(rt.db);
  await assert.rejects(call, (e: { code?: string }) => e.code === code);
  assert.equal(await countDocuments(rt.db), before, 'nothing written');
};

describe('attach: refused before anything is written', () => {
  it('a user who is not an admin', async () => {
    const child = sleeper();
    await refused(() => attach(alice, 'sleepy', String(child.pid)), 'FORBIDDEN');
  });

  it('a process that does not run the type’s command, a pid that does not exist, a job outside configuration', async () => {
    await refused(() => attach(admin, 'sleepy', String(process.pid)), 'EXECUTION_NOT_FOUND');
    await refused(() => attach(admin, 'sleepy', '9999999'), 'EXECUTION_NOT_FOUND');
    await refused(() => attach(admin, 'sleepy', 'the-render'), 'INVALID_INPUT');
    await refused(() => attach(admin, 'stitch', 'projects/x/locations/y/jobs/other/executions/e-1'), 'INVALID_INPUT');
    await refused(() => attach(admin, 'stitch', 'stitch-nosuch'), 'EXECUTION_NOT_FOUND');
  });
});

describe('attach a local process', () => {
  it('tracks it from its real start, starts nothing, answers the same job again, and cancel stops it', async () => {
    const child = sleeper();
    await new Promise((r) => setTimeout(r, 300)); // the process exists before it is attached
    const { created, job } = await attach(admin, 'sleepy', `pid:${child.pid}`, { ownerId: 'alice' });
    assert.equal(created, true);
    assert.equal(job.ownerId, 'alice');
    assert.equal(job.status, 'running');
    assert.equal(job.executor.executionRef, `local-pid:${child.pid}`);
    assert.ok(job.startedAt! <= job.createdAt, 'started when the process started, not when it was attached');
    assert.equal(job.policy.heartbeatTimeoutSeconds, null, 'its executor speaks for it');
    const executions = path.join(rt.env.stateDir, 'executions');
    assert.ok(!existsSync(executions) || readdirSync(executions).length === 0, 'Verity started nothing');
    const again = await attach(admin, 'sleepy', String(child.pid), { ownerId: 'alice' });
    assert.deepEqual([again.created, again.job.id], [false, job.id]);
    const history = await rt.store.history(job.id);
    assert.equal(history[0]!.evidence.attached, `local-pid:${child.pid}`);

    const gone = new Promise<number | string>((r) => {
      child.once('exit', (code) => r(code ?? 'signal'));
      setTimeout(() => r('still running after 10 s'), 10_000).unref();
    });
    await rt.jobs.cancel(alice, job.id);
    assert.equal(await gone, 143);
    assert.ok(existsSync(path.join(dir, `stopped-${child.pid}`)), 'the process itself saw the SIGTERM');
    rt.testClock.advance(2 * S);
    await rt.sweeper.sweep();
    assert.equal((await rt.store.get(job.id))!.status, 'canceled');
  });
});

describe('attach a Cloud Run execution', () => {
  it('runs nothing, counts the run timeout from the execution’s own start, and its end ends the job', async () => {
    const name = await startedElsewhere(fake, JOB); // started by the app, not by Verity
    const ex = fake.executions.get(name)!;
    const realStart = Math.floor(rt.testClock.now() / 1000) * 1000 - 500 * S;
    ex.startTime = { seconds: Math.floor(realStart / 1000), nanos: 0 };
    const runs = fake.calls.RunJob;
    const { job } = await attach(admin, 'stitch', name.split('/').at(-1)!, { ownerId: 'alice' });
    assert.equal(fake.calls.RunJob, runs, 'no execution started');
    assert.equal(job.executor.executionRef, name);
    assert.equal(job.status, 'running');
    assert.equal(job.startedAt, realStart);
    assert.equal(job.outputs[0]!.uri, `gs://${rt.bucket}/st/${job.id}.mp4`);
    fake.complete(name, 'failed');
    rt.testClock.advance(1 * S);
    await rt.jobs.reconcile(alice, job.id);
    const ended = (await rt.store.get(job.id))!;
    assert.equal(ended.error?.code ?? ended.statusReason, 'EXECUTOR_FAILED');
  });
});
