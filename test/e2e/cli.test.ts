/** The ops CLI as a process, against the harness's emulators: tables, --json, exit codes. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../../shared/src/auth/principal.js';
import { REPO_ROOT } from '../../shared/src/config/env.js';
import { testRuntime, type TestRuntime } from '../helpers/runtime.js';
import { startSubscriber, verifies } from '../helpers/subscriber.js';

const alice: Principal = { userId: 'alice', admin: false, workerJobId: null };
let rt: TestRuntime;

type Run = { code: number; stdout: string; stderr: string };

function cli(...args: string[]): Promise<Run> {
  return run(args, {
    ...process.env,
    GOOGLE_CLOUD_PROJECT: rt.projectId,
    VERITY_BUCKET: rt.bucket,
    VERITY_LOCAL_JWT_SECRET: 'test-secret-0123456789abcdef',
  });
}

/** The environment of a machine with no Google credentials at all: no emulators, no key file, an empty HOME. */
function noCredentials(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const drop =
    /^(FIRESTORE_EMULATOR_HOST|PUBSUB_EMULATOR_HOST|VERITY_.*|GOOGLE_APPLICATION_CREDENTIALS|CLOUDSDK_CONFIG|GCE_METADATA_.*)$/;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !drop.test(k)));
  return {
    ...env,
    HOME: mkdtempSync(path.join(os.tmpdir(), 'verity-cli-home-')),
    METADATA_SERVER_DETECTION: 'none',
    ...extra,
  };
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'dist/infra/cli/main.js'), ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

before(async () => {
  rt = await testRuntime('cli');
});
after(async () => {
  await rt.db.terminate();
});

describe('verity CLI', () => {
  it('jobs ls / show / history, as tables and as JSON', async () => {
    const { job } = await rt.jobs.enqueue(alice, { type: 'external', outputs: [], reuseExistingOutputs: true });
    await rt.jobs.report(null, { jobId: job.id, kind: 'started' });
    const ls = await cli('jobs', 'ls', '--status', 'running');
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /^ID\s+TYPE\s+OWNER\s+STATUS/);
    assert.match(ls.stdout, new RegExp(`${job.id}\\s+external\\s+alice\\s+running`));
    const json = JSON.parse((await cli('jobs', 'ls', '--json')).stdout) as { id: string }[];
    assert.ok(json.some((j) => j.id === job.id));
    const show = JSON.parse((await cli('jobs', 'show', job.id, '--json')).stdout);
    assert.equal(show.status, 'running');
    const history = await cli('jobs', 'history', job.id);
    assert.match(history.stdout, /ENQUEUED[\s\S]*STARTED/);
  });

  it('explain <id>: the job in plain words, as text and as JSON; an unknown id exits 3', async () => {
    const { job } = await rt.jobs.enqueue(alice, { type: 'external', outputs: [], reuseExistingOutputs: true });
    const text = await cli('explain', job.id);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^${job.id}  queued  WAITING_FOR_EXECUTOR\n\nQueued for `));
    assert.match(text.stdout, /\n→ cancel: stops the work/);
    const json = JSON.parse((await cli('explain', job.id, '--json')).stdout);
    assert.equal(json.cause.code, 'WAITING_FOR_EXECUTOR');
    assert.deepEqual(json.waitingFor, ["the worker's first report"]);
    assert.equal((await cli('explain', 'job_nope')).code, 3);
  });

  it('stats: tables by default, --json, a bad window is a usage error', async () => {
    const text = await cli('stats', '--window', '1h');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^last 1h \(since .*\): \d+ transitions; \d+ recovered/);
    assert.match(text.stdout, /\nSOURCE\s+TRANSITIONS\napi\s+\d+/);
    const json = JSON.parse((await cli('stats', '--json')).stdout);
    assert.equal(json.window, '24h');
    assert.ok(json.bySource.api >= 2, 'the jobs enqueued above');
    assert.ok(json.bySource.worker >= 1, 'the start reported above');
    assert.equal(
      json.transitions,
      Object.values(json.bySource as Record<string, number>).reduce((a, b) => a + b),
    );
    const bad = await cli('stats', '--window', '30d');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--window must be one of 1h, 24h, 7d/);
  });

  it('reconcile <id> corrects a stuck job; sweep --dry-run lists due jobs and changes nothing', async () => {
    const { job } = await rt.jobs.enqueue(alice, {
      type: 'external',
      outputs: [`gs://${rt.bucket}/u/alice/cli/out.mp4`],
      reuseExistingOutputs: true,
    });
    await rt.storage.bucket(rt.bucket).file('u/alice/cli/out.mp4').save('v');
    const r = await cli('reconcile', job.id, '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).correctedStatus, 'succeeded');
    const dry = await cli('sweep', '--dry-run', '--json');
    assert.equal(dry.code, 0);
    assert.equal(JSON.parse(dry.stdout).dryRun, true);
  });

  it("cleanup --dry-run reports and deletes nothing; cleanup deletes ended jobs' temp prefixes and keeps outputs", async () => {
    const { job } = await rt.jobs.enqueue(alice, {
      type: 'external',
      outputs: [`gs://${rt.bucket}/u/alice/cli/kept.mp4`],
      reuseExistingOutputs: true,
    });
    await rt.jobs.cancel(alice, job.id);
    const b = rt.storage.bucket(rt.bucket);
    await Promise.all([
      b.file(`tmp/${job.id}/a.wav`).save('x'),
      b.file('tmp/gone_job/b.wav').save('x'),
      b.file('proxy/gone_job/p.mp4').save('x'),
    ]);
    const dry = JSON.parse((await cli('cleanup', '--older-than', '0s', '--dry-run', '--json')).stdout);
    assert.equal(dry.objectsDeleted, 3);
    assert.equal((await b.getFiles({ prefix: 'tmp/' }))[0].length >= 2, true, 'nothing deleted by a dry run');
    const real = await cli('cleanup', '--older-than', '0s');
    assert.equal(real.code, 0, real.stderr);
    assert.match(real.stdout, /deleted 3 objects/);
  });

  it('subscriptions: create (the secret once) → list → rotate → deliveries → replay → delete', async () => {
    const hook = await startSubscriber();
    try {
      const url = `${hook.url}/cli`;
      const made = await cli(
        'subscriptions',
        'create',
        '--url',
        url,
        '--owner',
        'alice',
        '--types',
        'external',
        '--statuses',
        'queued',
      );
      assert.equal(made.code, 0, made.stderr);
      const id = /^created subscription (\S+) → /.exec(made.stdout)?.[1] ?? '';
      const secret = /^signing secret: (whsec_\S+)$/m.exec(made.stdout)?.[1] ?? '';
      assert.ok(id && secret, made.stdout);
      assert.match(made.stdout, /\nThis secret will not be shown again/);

      const list = await cli('subscriptions', 'list');
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /^ID\s+URL\s+OWNER\s+FILTER\s+STATE\s+DISABLED/);
      assert.match(
        list.stdout,
        new RegExp(`${id}\\s+${url}\\s+alice\\s+types: external; statuses: queued\\s+active\\s+-\\s+1`),
      );
      assert.ok(!list.stdout.includes(secret.slice(6)), 'the secret is not listed');

      // a job of alice's: its enqueue is delivered, signed by the secret the CLI printed
      const { job } = await rt.jobs.enqueue(alice, { type: 'external', outputs: [], reuseExistingOutputs: true });
      await rt.deliveries.idle();
      const got = hook.firsts('/cli');
      assert.equal(got.length, 1);
      assert.equal(got[0]!.event.data.jobId, job.id);
      assert.ok(verifies(secret, got[0]!), 'signed with the printed secret');

      const rotated = await cli('subscriptions', 'rotate', id, '--overlap-seconds', '60', '--json');
      assert.equal(rotated.code, 0, rotated.stderr);
      const r = JSON.parse(rotated.stdout);
      assert.match(r.secret, /^whsec_/);
      assert.notEqual(r.secret, secret);
      assert.equal(r.subscription.signingSecrets, 2, 'the old secret signs through the overlap');
      const text = await cli('subscriptions', 'rotate', id);
      assert.match(
        text.stdout,
        /^rotated the signing secret of .*\nsigning secret: whsec_\S+\nThis secret will not be shown again/,
      );

      const table = await cli('subscriptions', 'deliveries', id);
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, /^WEBHOOKID\s+STATUS\s+ATTEMPTS/);
      assert.match(table.stdout, new RegExp(`\n${job.id}:\\d+\\s+delivered\\s+1\\s+204`));
      const json = JSON.parse((await cli('subscriptions', 'deliveries', id, '--job', job.id, '--json')).stdout);
      assert.deepEqual(
        json.map((d: { jobId: string; status: string }) => [d.jobId, d.status]),
        [[job.id, 'delivered']],
      );
      assert.equal((await cli('subscriptions', 'deliveries', id, '--state', 'dead')).stdout, 'no dead deliveries\n');
      assert.match(
        (await cli('subscriptions', 'replay', id)).stdout,
        /^replayed 0 deliveries from the dead-letter list/,
      );
      assert.match((await cli('subscriptions', 'replay', id, '--job', job.id)).stdout, /^replayed 1 delivery of/);

      const gone = await cli('subscriptions', 'delete', id);
      assert.equal(gone.code, 0, gone.stderr);
      assert.doesNotMatch((await cli('subscriptions', 'list')).stdout, new RegExp(id));
      const again = await cli('subscriptions', 'delete', id);
      assert.equal(again.code, 3);
      assert.match(again.stderr, /^verity: NOT_FOUND: subscription not found/);
    } finally {
      await hook.close();
    }
  });

  it('subscriptions: a refused create prints the error code and why, and exits non-zero', async () => {
    const refused = await cli('subscriptions', 'create', '--url', 'https://10.0.0.1/x', '--owner', 'alice');
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, '');
    assert.match(
      refused.stderr,
      /^verity: INVALID_INPUT: url refused: 10\.0\.0\.1 is a private, loopback, link-local or reserved address\n$/,
    );
    const badType = await cli(
      'subscriptions',
      'create',
      '--url',
      'https://hooks.example.com/x',
      '--owner',
      'alice',
      '--statuses',
      'done',
    );
    assert.equal(badType.code, 1);
    assert.match(badType.stderr, /^verity: INVALID_INPUT: invalid input: --statuses\[0\]: /);
    const noOwner = await cli('subscriptions', 'create', '--url', 'https://hooks.example.com/x');
    assert.equal(noOwner.code, 2);
    assert.match(noOwner.stderr, /needs --owner/);
    assert.doesNotMatch((await cli('subscriptions', 'list')).stdout, /10\.0\.0\.1|hooks\.example\.com/);
  });

  it('exit codes: 3 for an unknown job, 2 for a usage error', async () => {
    assert.equal((await cli('jobs', 'show', 'job_nope')).code, 3);
    assert.equal((await cli('frobnicate')).code, 2);
    assert.equal((await cli('jobs', 'ls', '--limit', 'lots')).code, 2);
  });

  describe('without --local and without Google credentials: one clear line on stderr, exit code 2', () => {
    const cases: [string, string[], NodeJS.ProcessEnv][] = [
      ['no credentials anywhere', ['jobs', 'ls'], {}],
      [
        'GOOGLE_APPLICATION_CREDENTIALS pointing nowhere',
        ['reconcile', 'job_x'],
        { GOOGLE_APPLICATION_CREDENTIALS: '/nonexistent/verity-key.json' },
      ],
      ['a project but no credentials', ['sweep', '--dry-run', '--project', 'some-project'], {}],
    ];
    for (const [what, args, extra] of cases) {
      it(`${what}: verity ${args.join(' ')}`, async () => {
        const r = await run(args, noCredentials(extra));
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stdout, '');
        const lines = r.stderr.trimEnd().split('\n');
        assert.equal(lines.length, 1, `one line, not a stack trace:\n${r.stderr}`);
        assert.match(
          lines[0]!,
          /^verity: no Google credentials \(.+\) — .*gcloud auth application-default login.*--local/,
        );
      });
    }
  });
});
