/**
 * Write back (issue 30) against the emulators: jobs imported from seed 000-shaped records with `writeBack` write
 * each status into the record's own `status` field, with the mapping's values, as their transitions happen —
 * the app reading its records sees the truth. A write older than the record's stamp changes nothing; a write
 * that failed leaves the transition's entry for the sweep (at least once); a record that is gone is not made.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Firestore } from '@google-cloud/firestore';
import { importRecords } from '../../shared/src/adopt/importer.js';
import { ImportMappingSchema } from '../../shared/src/adopt/import-plan.js';
import { createOutbox } from '../../shared/src/events/outbox.js';
import { createLogger } from '../../shared/src/log.js';
import { recordsOf } from '../../shared/src/store/foreign-records.js';
import type { MirrorWriter } from '../../shared/src/store/mirror-writer.js';
import type { FakeCloudRun } from '../fakes/cloud-run-server.js';
import { cloudRunRuntime, startedElsewhere } from '../helpers/cloud-run.js';
import { uniqueName, type TestRuntime } from '../helpers/runtime.js';
import { waitFor } from '../helpers/wait.js';

const JOB = 'projects/verity-test/locations/europe-west1/jobs/reel-stitching-job';
const S = 1000;
let fake: FakeCloudRun;
let rt: TestRuntime;
let app: Firestore;
let appProject: string;
let running: string;
const admin = { userId: 'ops', admin: true, workerJobId: null };

const mapping = (bucket: string) =>
  ImportMappingSchema.parse({
    collection: 'stitch_jobs',
    type: 'stitch',
    fields: { status: 'status', owner: 'user_id', execution: 'cloudRunExecutionName', outputs: 'output_path' },
    statuses: { queued: ['queued', 'pending'], running: ['running'], succeeded: ['completed'], failed: ['failed'] },
    outputPrefix: `gs://${bucket}/`,
    writeBack: { values: { failed: 'error' } },
  });

const record = async (id: string) => (await app.collection('stitch_jobs').doc(id).get()).data()!;

before(async () => {
  ({ fake, rt } = await cloudRunRuntime('write-back', JOB, {
    stitch: {
      executor: { kind: 'cloud-run-job', job: JOB },
      requestPrefixes: ['gs://{bucket}/stitched/'],
      policy: { maxAttempts: 1 }, // a failed execution ends the job (no retry to write back first)
    },
  }));
  appProject = uniqueName('app').slice(0, 30);
  app = new Firestore({ projectId: appProject });
  running = await startedElsewhere(fake, JOB);
  await rt.storage.bucket(rt.bucket).file('stitched/w2.mp4').save('video');
  const jobs = app.collection('stitch_jobs');
  await jobs.doc('w1').set({ user_id: 'alice', status: 'running', cloudRunExecutionName: running.split('/').at(-1) });
  await jobs.doc('w2').set({ user_id: 'alice', status: 'pending', output_path: 'stitched/w2.mp4', note: 'kept' });
});
after(async () => {
  await Promise.all([rt.db.terminate(), app.terminate(), rt.ledger.mirror.close()]);
  await fake.stop();
});

describe('write back: the record shows what Verity knows', () => {
  it('each transition writes its status into the record, with the mapping’s values; other fields stay', async () => {
    const deps = { source: recordsOf(app), sourceRef: { project: appProject }, jobs: rt.jobs, store: rt.store };
    const results = await importRecords({ ...deps, probe: rt.probe }, mapping(rt.bucket), { dryRun: false });
    const jobOf = (k: string): string => results.find((r) => r.path.endsWith(k))!.jobId!;
    const [w1, w2] = [jobOf('w1'), jobOf('w2')];
    // w2 was "pending" with its output there: succeeded, and the record says "completed"
    await waitFor('w2 written back', async () => (await record('w2')).status === 'completed');
    const r2 = await record('w2');
    assert.equal(r2.note, 'kept', 'only the status field and the stamp are written');
    assert.deepEqual([r2.verity.jobId, r2.verity.status], [w2, 'succeeded']);
    // w1 is attached and running: "running" (its record's own value); its execution fails → the mapping's "error"
    await waitFor('w1 stamped', async () => (await record('w1')).verity?.jobId === w1);
    assert.equal((await record('w1')).status, 'running');
    fake.complete(running, 'failed');
    rt.testClock.advance(1 * S);
    await rt.jobs.reconcile(admin, w1);
    assert.equal((await rt.store.get(w1))!.status, 'failed');
    await waitFor('w1 written back', async () => (await record('w1')).status === 'error');
    // a rerun: the record now says what its job ended as (no status the mapping imports), and is known as imported
    const again = await importRecords({ ...deps, probe: rt.probe }, mapping(rt.bucket), { dryRun: false });
    assert.deepEqual(
      again.map((r) => [r.path.split('/').at(-1), r.outcome, r.jobId]),
      [
        ['w1', 'already imported', w1],
        ['w2', 'already imported', w2],
      ],
    );
  });

  it('an older transition arriving late changes nothing; a failed write leaves the entry; a gone record stays gone', async () => {
    const id = (await rt.store.findIdempotent('alice', `import:stitch_jobs/w1`))!.id;
    const job = (await rt.store.get(id))!;
    const history = await rt.store.history(id);
    const before = await record('w1');
    assert.equal(await rt.ledger.mirror.write(job, history[0]!), 'skipped', 'seq 1 after the last one');
    assert.deepEqual(await record('w1'), before);

    let failing = true;
    const flaky: MirrorWriter = {
      write: async (j, t) => {
        if (failing) throw new Error('permission denied (injected)');
        return rt.ledger.mirror.write(j, t);
      },
      close: async () => undefined,
    };
    const outbox = createOutbox({
      store: rt.ledger.outbox,
      pubsub: rt.pubsub,
      topic: rt.env.eventsTopic,
      log: createLogger('test', 'error'),
      clock: () => rt.testClock.now(),
      mirror: flaky,
    });
    await app.collection('stitch_jobs').doc('w1').update({ status: 'stale', verity: null });
    const last = history.at(-1)!;
    assert.equal(await outbox.send(job, last), false, 'not sent: the entry stays for the sweep');
    assert.equal((await record('w1')).status, 'stale');
    failing = false;
    assert.equal(await outbox.send(job, last), true);
    assert.equal((await record('w1')).status, 'error');

    await app.collection('stitch_jobs').doc('w1').delete();
    assert.equal(await rt.ledger.mirror.write(job, last), 'gone');
    assert.equal((await app.collection('stitch_jobs').doc('w1').get()).exists, false, 'not made again');
  });
});
