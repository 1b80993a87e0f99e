/**
 * Replay that can fail, on the emulator: the store keeps the patches since a job's last transition in the job
 * document (store/job-doc.ts) and moves them into the next transition's cause, so test/helpers/replay.ts
 * checks every recorded `prior` and the stored job itself; a stored record changed after the fact, a job
 * document without its history and a history without its job document are each reported. Every test puts back
 * (or removes whole) what it broke: test/replay/histories.test.ts replays this project too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FieldValue } from '@google-cloud/firestore';
import { createJob, type Job, type JobEvent, type PatchLog } from '../../shared/src/core/index.js';
import { Collections } from '../../shared/src/store/firestore.js';
import { jobSpec, policy } from '../helpers/jobs.js';
import { replayProject } from '../helpers/replay.js';
import { testRuntime, type TestRuntime } from '../helpers/runtime.js';

let rt: TestRuntime;
let n = 0;

before(async () => {
  rt = await testRuntime('tampered');
});
after(async () => {
  await rt.db.terminate();
});

async function running(): Promise<Job> {
  n++;
  const res = await rt.store.create((c) =>
    createJob(
      jobSpec({
        id: `job_tampered_${n}`,
        type: 'external',
        input: { n },
        outputUris: [`gs://${rt.bucket}/u/alice/tampered/${n}.mp4`],
        reuseExistingOutputs: false,
        executorKind: 'external',
        policy: policy(),
        stepPlan: [
          { name: 'render', weight: 3 },
          { name: 'mux', weight: 1 },
        ],
      }),
      [],
      c,
    ),
  );
  assert.equal(res.outcome, 'created');
  const job = (res as { job: Job }).job;
  await apply(job.id, { kind: 'started' });
  await apply(job.id, { kind: 'progress', progress: { step: 'render', stepPct: 30 } });
  await apply(job.id, { kind: 'heartbeat' });
  await apply(job.id, { kind: 'heartbeat' });
  return job;
}

async function apply(id: string, report: Extract<JobEvent, { kind: 'worker' }>['report']): Promise<void> {
  rt.testClock.advance(1_000);
  const r = await rt.store.apply(id, { kind: 'worker', source: 'worker', report });
  assert.ok(r.outcome === 'applied' || r.outcome === 'patched', r.outcome);
}

const jobDoc = (id: string) => rt.db.collection(Collections.jobs).doc(id);
const transitionDoc = (id: string, seq: number) => jobDoc(id).collection(Collections.transitions).doc(String(seq));
const kinds = (log: PatchLog) => log.patches.map((p) => (p.event as { report: { kind: string } }).report.kind);

/** The mismatches of one job, as [seq, path]. */
async function mismatches(id: string): Promise<[number, string][]> {
  const report = await replayProject(rt.projectId, rt.db);
  return report.mismatches.filter((m) => m.jobId === id).map((m) => [m.seq, m.path]);
}

describe('the patch log in the job document', () => {
  it('holds the patches since the last transition (a redundant heartbeat gone); the transition takes them', async () => {
    const job = await running();
    const pending = JSON.parse((await jobDoc(job.id).get()).get('patchLogJson') as string) as PatchLog;
    assert.deepEqual(kinds(pending), ['progress', 'heartbeat']);
    assert.deepEqual(await mismatches(job.id), []);

    await apply(job.id, { kind: 'failed', error: { code: 'X', message: 'x', retryable: true } });
    const cause = JSON.parse((await transitionDoc(job.id, 3).get()).get('causeJson') as string) as PatchLog;
    assert.deepEqual(kinds(cause), ['progress', 'heartbeat']);
    assert.equal((await jobDoc(job.id).get()).get('patchLogJson'), '{"patches":[]}');
    assert.deepEqual(await mismatches(job.id), []);
  });
});

describe('a stored record changed after the fact does not replay', () => {
  it('a prior nudged, a recorded patch dropped, a pending patch dropped, the patch log gone', async () => {
    const job = await running();
    await apply(job.id, { kind: 'failed', error: { code: 'X', message: 'x', retryable: true } });
    await apply(job.id, { kind: 'started' }); // seq 4
    await apply(job.id, { kind: 'heartbeat' }); // pending
    const t3 = transitionDoc(job.id, 3);
    const causeJson = (await t3.get()).get('causeJson') as string;
    const cause = JSON.parse(causeJson) as { prior: { heartbeatAt: number }; patches: unknown[] };

    await t3.update({ causeJson: JSON.stringify({ ...cause, prior: { ...cause.prior, heartbeatAt: 1 } }) });
    assert.deepEqual(await mismatches(job.id), [[3, 'prior.heartbeatAt']]);

    await t3.update({ causeJson: JSON.stringify({ ...cause, patches: cause.patches.slice(1) }) });
    const dropped = await mismatches(job.id);
    assert.ok(dropped.length > 0 && dropped.every(([seq, p]) => seq === 3 && p.startsWith('prior.progress')));
    await t3.update({ causeJson });
    assert.deepEqual(await mismatches(job.id), []);

    const logJson = (await jobDoc(job.id).get()).get('patchLogJson') as string;
    await jobDoc(job.id).update({ patchLogJson: '{"patches":[]}' });
    assert.deepEqual((await mismatches(job.id)).sort(), [
      [4, 'job.heartbeatAt'],
      [4, 'job.nextCheckAt'],
      [4, 'job.updatedAt'],
    ]);
    await jobDoc(job.id).update({ patchLogJson: FieldValue.delete() });
    assert.deepEqual(await mismatches(job.id), [[4, 'pending']]);
    await jobDoc(job.id).update({ patchLogJson: logJson });
    assert.deepEqual(await mismatches(job.id), []);
  });
});

describe('a job and its history go together', () => {
  it('a job document deleted while its history stays is a failure, not a job skipped', async () => {
    const job = await running();
    await jobDoc(job.id).delete();
    assert.deepEqual(await mismatches(job.id), [[2, 'job']]);
    await rt.db.recursiveDelete(jobDoc(job.id));
    assert.deepEqual(await mismatches(job.id), []);
  });

  it('a job document whose history is gone is a failure', async () => {
    const job = await running();
    for (const t of (await jobDoc(job.id).collection(Collections.transitions).get()).docs) await t.ref.delete();
    assert.deepEqual(await mismatches(job.id), [[0, 'history']]);
    await jobDoc(job.id).delete();
    assert.deepEqual(await mismatches(job.id), []);
  });
});
