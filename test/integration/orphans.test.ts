/** The orphan sweep never deletes a declared output, an active job's files, or anything within retention. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../../shared/src/auth/principal.js';
import { sweepOrphans } from '../../shared/src/evidence/orphans.js';
import { createJob, DEFAULT_POLICY } from '../../shared/src/core/index.js';
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
    const legacy = {
      id: 'job_legacy_tmp_output',
      type: 'external',
      ownerId: 'alice',
      resourceKey: null,
      idempotencyKey: null,
      input: {},
    };
    const spec = {
      ...legacy,
      outputUris: [`gs://${rt.bucket}/tmp/keep-output/final.mp4`],
      reuseExistingOutputs: true,
      executorKind: 'external' as const,
      policy: DEFAULT_POLICY,
    };
    await rt.store.create((ctx) => createJob(spec, [], ctx));
    const ended = await rt.jobs.read(alice, legacy.id);
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
        {
          id,
          type: 'external',
          ownerId: 'alice',
          resourceKey: null,
          idempotencyKey: null,
          input: {},
          outputUris: [`gs://${rt.bucket}/tmp/${id}/final.mp4`],
          reuseExistingOutputs: false,
          executorKind: 'external',
          policy: DEFAULT_POLICY,
        },
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
});
