/**
 * `verity import` (issue 30) against the emulators: documents in seed 000's shape (a stitching job per project
 * with `cloudRunExecutionName`) and seed 001's (a project "generating" its clips) in an app's own project
 * become jobs — attached where an execution is named (nothing started: the fake's RunJob count), succeeded
 * where every output is there — and every other record is left with its reason. A dry run writes nothing;
 * a rerun imports nothing twice.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Firestore, Timestamp } from '@google-cloud/firestore';
import { importRecords, type ImportResult } from '../../shared/src/adopt/importer.js';
import { ImportMappingSchema, type ImportMapping } from '../../shared/src/adopt/import-plan.js';
import { recordsOf } from '../../shared/src/store/foreign-records.js';
import type { FakeCloudRun } from '../fakes/cloud-run-server.js';
import { cloudRunRuntime, startedElsewhere } from '../helpers/cloud-run.js';
import { countDocuments, uniqueName, type TestRuntime } from '../helpers/runtime.js';

const JOB = 'projects/verity-test/locations/europe-west1/jobs/reel-stitching-job';
let fake: FakeCloudRun;
let rt: TestRuntime;
let app: Firestore;
let running: string;

/** Seed 000's mapping, as docs/adopt.md shows it. */
const seed000 = (bucket: string): ImportMapping =>
  ImportMappingSchema.parse({
    collection: 'stitch_jobs',
    type: 'stitch',
    fields: {
      status: 'status',
      owner: 'user_id',
      execution: 'cloudRunExecutionName',
      outputs: 'output_path',
      resourceKey: 'project_id',
      createdAt: 'created_at',
    },
    statuses: { queued: ['queued'], running: ['running'], succeeded: ['completed'], failed: ['failed'] },
    outputPrefix: `gs://${bucket}/`,
  });

before(async () => {
  ({ fake, rt } = await cloudRunRuntime('import', JOB, {
    stitch: {
      executor: { kind: 'cloud-run-job', job: JOB },
      requestPrefixes: ['gs://{bucket}/stitched/', 'gs://{bucket}/clips/'],
    },
  }));
  app = new Firestore({ projectId: uniqueName('app').slice(0, 30) }); // the app's own project, not Verity's
  running = await startedElsewhere(fake, JOB);
  const put = (name: string) => rt.storage.bucket(rt.bucket).file(name).save('video');
  await Promise.all([put('stitched/p2.mp4'), put('stitched/p3.mp4'), put('clips/c1.mp4'), put('clips/c2.mp4')]);
  const at = Timestamp.fromMillis(Date.parse('2026-11-30T23:26:00Z'));
  const jobs = app.collection('stitch_jobs');
  const rows: Record<string, Record<string, unknown>> = {
    p1: { status: 'running', cloudRunExecutionName: running.split('/').at(-1) },
    p2: { status: 'queued' }, // no execution name (seed 000: "still work"), its output is there
    p3: { status: 'completed' },
    p4: { status: 'completed' }, // says completed, its output is missing
    p5: { status: 'failed' },
    p6: { status: 'stuck?' },
  };
  for (const [p, row] of Object.entries(rows))
    await jobs
      .doc(`job_${p}`)
      .set({ user_id: 'alice', project_id: p, output_path: `stitched/${p}.mp4`, created_at: at, ...row });
  await jobs.doc('job_p7').set({ status: 'queued', project_id: 'p7', output_path: 'stitched/p7.mp4' }); // no owner
  // seed 001: projects whose clips are generated
  await app
    .collection('projects')
    .doc('pwY')
    .set({ status: 'generating', userId: 'bob', clipFilenames: ['c1.mp4', 'c2.mp4'] });
  await app
    .collection('projects')
    .doc('qZ1')
    .set({ status: 'generating', userId: 'bob', clipFilenames: ['c1.mp4', 'c9.mp4'] });
});
after(async () => {
  await Promise.all([rt.db.terminate(), app.terminate()]);
  await fake.stop();
});

const run = (m: ImportMapping, dryRun: boolean) =>
  importRecords({ source: recordsOf(app), jobs: rt.jobs, store: rt.store, probe: rt.probe }, m, { dryRun });
const byPath = (rs: ImportResult[]): Record<string, ImportResult> =>
  Object.fromEntries(rs.map((r) => [r.path.split('/').at(-1)!, r]));

describe('verity import: seed 000-shaped job records', () => {
  it('a dry run says what each would become and writes nothing', async () => {
    const before = await countDocuments(rt.db);
    const r = byPath(await run(seed000(rt.bucket), true));
    assert.equal(await countDocuments(rt.db), before);
    assert.deepEqual(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.outcome])), {
      job_p1: 'would import',
      job_p2: 'would import',
      job_p3: 'would import',
      job_p4: 'left',
      job_p5: 'left',
      job_p6: 'left',
      job_p7: 'left',
    });
    assert.match(r.job_p4!.reason!, /completed, no execution named, and 1 of its outputs are not there/);
    assert.match(r.job_p5!.reason!, /ended/);
    assert.match(r.job_p6!.reason!, /"stuck\?" is not in the mapping/);
    assert.match(r.job_p7!.reason!, /no usable owner/);
  });

  it('imports: the running one attached (nothing started), the ones whose outputs are there succeeded', async () => {
    const runs = fake.calls.RunJob;
    const r = byPath(await run(seed000(rt.bucket), false));
    assert.equal(fake.calls.RunJob, runs, 'no execution started');
    const p1 = (await rt.store.get(r.job_p1!.jobId!))!;
    assert.deepEqual(
      [p1.status, p1.executor.executionRef, p1.ownerId, p1.resourceKey],
      ['running', running, 'alice', 'p1'],
    );
    for (const k of ['job_p2', 'job_p3']) {
      const j = (await rt.store.get(r[k]!.jobId!))!;
      assert.deepEqual([j.status, j.statusReason, j.ownerId], ['succeeded', 'OUTPUT_ALREADY_PRESENT', 'alice']);
      assert.equal((await rt.store.history(j.id))[0]!.evidence.importedFrom, `stitch_jobs/${k}`);
    }
    assert.deepEqual(
      ['job_p4', 'job_p5', 'job_p6', 'job_p7'].map((k) => r[k]!.outcome),
      ['left', 'left', 'left', 'left'],
    );
  });

  it('a rerun imports nothing twice', async () => {
    const before = await countDocuments(rt.db);
    const r = byPath(await run(seed000(rt.bucket), false));
    assert.deepEqual(
      ['job_p1', 'job_p2', 'job_p3'].map((k) => r[k]!.outcome),
      ['already imported', 'already imported', 'already imported'],
    );
    assert.equal(await countDocuments(rt.db), before, 'nothing written');
  });
});

describe('verity import: seed 001-shaped projects', () => {
  it('a project whose every clip is there is a succeeded job; one missing a clip is left', async () => {
    const m = ImportMappingSchema.parse({
      collection: 'projects',
      type: 'stitch',
      fields: { status: 'status', owner: 'userId', outputs: 'clipFilenames' },
      statuses: { running: ['generating'], succeeded: ['ready'], failed: ['error'], queued: ['draft'] },
      outputPrefix: `gs://${rt.bucket}/clips/`,
    });
    const r = byPath(await run(m, false));
    const done = (await rt.store.get(r.pwY!.jobId!))!;
    assert.deepEqual([done.status, done.ownerId, done.outputs.length], ['succeeded', 'bob', 2]);
    assert.equal(r.qZ1!.outcome, 'left');
    assert.match(r.qZ1!.reason!, /c9\.mp4/);
  });
});
