/** The orphan sweep never deletes a declared output, an active job's files, or anything within retention. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../../shared/src/auth/principal.js';
import { sweepOrphans } from '../../shared/src/evidence/orphans.js';
import { createJob } from '../../shared/src/core/index.js';
import { jobSpec } from '../helpers/jobs.js';
import { testRuntime, type TestRuntime } from '../helpers/runtime.js';

const alice: Principal = { userId: 'alice', admin: false, workerJobId: null };
let rt: TestRuntime;
before(async () => {
  rt = await testRuntime('orphans');
});
after(async () => {
  await rt.db.terminate();
});

describe('orphan sweep', () => {
  it('deletes temp/proxy of ended and unknown jobs past retention; keeps outputs, active jobs and recent files', async () => {
    const b = rt.storage.bucket(rt.bucket);
    // a job from before outputs under tmp/ were refused (the API now answers OUTPUT_NOT_ALLOWED): its output stays
    const spec = jobSpec({
      id: 'job_legacy_tmp_output',
      type: 'external',
      outputUris: [`gs://${rt.bucket}/tmp/keep-output/final.mp4`],
      executorKind: 'external',
    });
    await rt.store.create((ctx) => createJob(spec, [], ctx));
    const ended = await rt.jobs.read(alice, spec.id);
    await rt.jobs.cancel(alice, ended.id);
    const active = (await rt.jobs.enqueue(alice, { type: 'external', outputs: [], reuseExistingOutputs: true })).job;
    const names = [
      `tmp/${ended.id}/a.wav`,
      `proxy/${ended.id}/p.mp4`,
      `tmp/${active.id}/work.wav`,
      'tmp/unknown_job/x.wav',
      'proxy/unknown_job/y.mp4',
      'renders/final.mp4',
      'tmp/keep-output/final.mp4',
    ];
    await Promise.all(names.map((n) => b.file(n).save('x')));
    const later = Date.now() + 49 * 3600_000;

    const early = await sweepOrphans(
      { storage: rt.storage, ledger: rt.ledger },
      { buckets: [rt.bucket], now: Date.now() },
    );
    assert.equal(early.objectsDeleted, 0, 'within retention: nothing');

    const tmpOnly = await sweepOrphans(
      { storage: rt.storage, ledger: rt.ledger },
      { buckets: [rt.bucket], now: Date.now() + 25 * 3600_000, dryRun: true },
    );
    assert.deepEqual(
      tmpOnly.deleted.sort(),
      [`gs://${rt.bucket}/tmp/${ended.id}/a.wav`, `gs://${rt.bucket}/tmp/unknown_job/x.wav`].sort(),
      "after 24 h: temp only (proxy keeps 48 h); another job's declared output stays",
    );

    const r = await sweepOrphans({ storage: rt.storage, ledger: rt.ledger }, { buckets: [rt.bucket], now: later });
    const [left] = await b.getFiles();
    assert.deepEqual(
      left.map((f) => f.name).sort(),
      [`tmp/${active.id}/work.wav`, 'renders/final.mp4', 'tmp/keep-output/final.mp4'].sort(),
    );
    assert.ok(r.kept.some((k) => k.why === 'job still active'));
  });

  it('never deletes a declared output of an ended job, even under its temp prefix', async () => {
    const b = rt.storage.bucket(rt.bucket);
    const id = 'job_output_under_tmp';
    await rt.store.create((ctx) =>
      createJob(
        jobSpec({
          id,
          type: 'external',
          outputUris: [`gs://${rt.bucket}/tmp/${id}/final.mp4`],
          reuseExistingOutputs: false,
          executorKind: 'external',
        }),
        [],
        ctx,
      ),
    );
    await rt.store.apply(id, { kind: 'cancel', source: 'api' });
    await Promise.all([b.file(`tmp/${id}/final.mp4`).save('x'), b.file(`tmp/${id}/scratch.wav`).save('x')]);
    await sweepOrphans(
      { storage: rt.storage, ledger: rt.ledger },
      { buckets: [rt.bucket], now: Date.now() + 49 * 3600_000 },
    );
    const [left] = await b.getFiles({ prefix: `tmp/${id}/` });
    assert.deepEqual(
      left.map((f) => f.name),
      [`tmp/${id}/final.mp4`],
    );
  });

  it('checkpoints: kept while the chain runs, a day after a success, the retry window after a failure', async () => {
    const b = rt.storage.bucket(rt.bucket);
    const H = 3600_000;
    const external = async () =>
      (await rt.jobs.enqueue(alice, { type: 'external', outputs: [], reuseExistingOutputs: true })).job;
    const [won, lost, running] = [await external(), await external(), await external()];
    await rt.jobs.report(null, { jobId: won.id, kind: 'succeeded' });
    await rt.jobs.cancel(alice, lost.id);
    const retry = await rt.jobs.retry(alice, lost.id); // a retry shares its original's checkpoints...
    await rt.jobs.cancel(alice, retry.id); // ...and ends canceled too: the chain's latest decides
    for (const j of [won, lost, running])
      assert.equal((await rt.store.get(j.id))!.checkpointPrefix, `gs://${rt.bucket}/ckpt/alice/${j.id}/`);
    const files = (id: string) => [`ckpt/alice/${id}/render.json`, `ckpt/alice/${id}/render.1-abcd.out`];
    await Promise.all([won, lost, running].flatMap((j) => files(j.id)).map((n) => b.file(n).save('x')));
    await b.file('ckpt/nobody/job_gone/render.json').save('x'); // no job names it: an orphan
    const left = async (now: number) => {
      await sweepOrphans(
        { storage: rt.storage, ledger: rt.ledger, registry: rt.registry },
        { buckets: [rt.bucket], now },
      );
      return (await b.getFiles({ prefix: 'ckpt/' }))[0].map((f) => f.name).sort();
    };
    const all = [...[won, lost, running].flatMap((j) => files(j.id)), 'ckpt/nobody/job_gone/render.json'].sort();
    assert.deepEqual(await left(Date.now() + 23 * H), all, 'within a day: everything');
    assert.deepEqual(
      await left(rt.clock() + 25 * H),
      [...files(lost.id), ...files(running.id)].sort(),
      "after a day: the success's and the orphan's gone; the failure's kept for a retry; the running job's kept",
    );
    assert.deepEqual(await left(rt.clock() + 8 * 24 * H), files(running.id).sort(), 'after the retry window: gone');
  });

  it("retention is the job type's: a type keeping temp files one hour loses them after one", async () => {
    const b = rt.storage.bucket(rt.bucket);
    const job = (await rt.jobs.enqueue(alice, { type: 'external', outputs: [], reuseExistingOutputs: true })).job;
    await rt.jobs.cancel(alice, job.id);
    await b.file(`tmp/${job.id}/scratch.wav`).save('x');
    const type = rt.registry.get('external')!;
    const registry = { get: () => ({ ...type, retention: { ...type.retention, tempHours: 1 } }) };
    const sweep = (now: number) =>
      sweepOrphans({ storage: rt.storage, ledger: rt.ledger, registry }, { buckets: [rt.bucket], now, dryRun: true });
    assert.ok(
      !(await sweep(Date.now() + 0.5 * 3600_000)).deleted.includes(`gs://${rt.bucket}/tmp/${job.id}/scratch.wav`),
    );
    assert.ok((await sweep(Date.now() + 2 * 3600_000)).deleted.includes(`gs://${rt.bucket}/tmp/${job.id}/scratch.wav`));
  });
});
