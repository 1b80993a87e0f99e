/**
 * Hostile suite, worker credentials (issue 29): a credential is minted per job and attempt and moves that
 * attempt only — over HTTP (its bearer token) and over Pub/Sub (the `verityCredential` attribute). Another job,
 * another attempt, an ended attempt, a forged or expired credential, and (when required, as in the cloud) none
 * at all: refused, or acknowledged without effect, with the store unchanged.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createJobUpdatesHandler } from '../../functions/job-updates/handler.js';
import { readyRuntime } from '../../functions/common/runtime-source.js';
import {
  CREDENTIAL_ATTRIBUTE,
  mintWorkerCredential,
  verifyWorkerCredential,
  workerKeyOf,
} from '../../shared/src/auth/index.js';
import { startApi, type ApiClient } from '../helpers/api.js';
import { pushMessage, serveCloudEvent, type Served } from '../helpers/functions.js';
import { countDocuments, testRuntime, type TestRuntime } from '../helpers/runtime.js';

let rt: TestRuntime;
let api: ApiClient;
let updates: Served;
let key: string;
let n = 0;

before(async () => {
  rt = await testRuntime('hostile-creds', { envOverrides: { VERITY_WORKER_CREDENTIALS: 'required' } });
  api = await startApi(rt);
  updates = await serveCloudEvent(createJobUpdatesHandler(readyRuntime(rt)));
  key = workerKeyOf(rt.env);
});
after(async () => {
  await api.close();
  await updates.close();
  await rt.db.terminate();
});

const newJob = async (): Promise<string> =>
  (await api.call('POST', '/api/jobs', { body: { type: 'external', outputs: [] } })).body.job.id;
const credential = (jobId: string, attempt = 1, over: { exp?: number; ownerId?: string } = {}) =>
  mintWorkerCredential(key, {
    jobId,
    attempt,
    ownerId: over.ownerId ?? 'alice',
    exp: over.exp ?? Math.floor(Date.now() / 1000) + 3600,
  });
const report = (jobId: string, token: string, body: Record<string, unknown> = { kind: 'started' }) =>
  api.call('POST', `/api/jobs/${jobId}/updates`, { token, body });
const publish = (jobId: string, attributes: Record<string, string>, body: Record<string, unknown> = {}) =>
  pushMessage(updates.url, rt.projectId, 'verity-job-updates', {
    messageId: `m-${++n}`,
    data: JSON.stringify({ jobId, kind: 'started', ...body }),
    attributes: { jobId, ...attributes },
  });

async function unchanged(work: () => Promise<unknown>): Promise<void> {
  const before = await countDocuments(rt.db);
  await work();
  assert.equal(await countDocuments(rt.db), before, 'nothing was written');
}

describe('hostile: a worker credential moves its own job’s current attempt only', () => {
  it('mint and verify: a forged, tampered, expired or foreign-keyed credential holds nothing', () => {
    const good = credential('job_a');
    assert.equal(verifyWorkerCredential(key, good, Date.now()).ok, true);
    const [head, payload, mac] = good.split('.') as [string, string, string];
    const other = Buffer.from(JSON.stringify({ j: 'job_b', a: 1, o: 'alice', exp: 9e9 })).toString('base64url');
    const cases: [string, string][] = [
      [`${head}.${other}.${mac}`, 'signature'],
      [`${head}.${payload}.${mac.slice(0, -2)}AA`, 'signature'],
      [credential('job_a', 1, { exp: Math.floor(Date.now() / 1000) - 1 }), 'expired'],
      [
        mintWorkerCredential('another-key-of-32-characters-0000', {
          jobId: 'job_a',
          attempt: 1,
          ownerId: 'alice',
          exp: 9e9,
        }),
        'signature',
      ],
      ['vw1.e30', 'signature'],
      ['not-a-credential', 'malformed'],
    ];
    for (const [token, problem] of cases)
      assert.deepEqual(verifyWorkerCredential(key, token, Date.now()), { ok: false, problem });
  });

  it('over HTTP: its own job’s attempt is applied; another job is 404, another attempt 403, all writing nothing', async () => {
    const mine = await newJob();
    const theirs = await newJob();
    const token = credential(mine);
    await unchanged(async () => assert.equal((await report(theirs, token)).status, 404));
    await unchanged(async () => assert.equal((await report(mine, token, { kind: 'started', attempt: 2 })).status, 403));
    await unchanged(async () => assert.equal((await report(mine, credential(mine, 1, { exp: 1 }))).status, 401));
    const ok = await report(mine, token);
    assert.equal(ok.status, 202, ok.text);
    assert.equal((await rt.store.get(mine))!.status, 'running');
  });

  it('over HTTP: an ended attempt is 409 CONFLICT and changes nothing', async () => {
    const id = await newJob();
    assert.equal((await api.call('POST', `/api/jobs/${id}/cancel`)).status, 202);
    const before = await rt.store.get(id);
    const res = await report(id, credential(id), { kind: 'succeeded' });
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'CONFLICT');
    assert.deepEqual(await rt.store.get(id), before);
  });

  it('the attempt that succeeded may still report its progress (late reports), and changes no state', async () => {
    const id = await newJob();
    const token = credential(id);
    assert.equal((await report(id, token, { kind: 'succeeded' })).status, 202);
    assert.equal((await rt.store.get(id))!.status, 'succeeded');
    const late = await report(id, token, { kind: 'progress', progress: { pct: 100, completedSteps: ['a'] } });
    assert.equal(late.status, 202, late.text);
    const after = (await rt.store.get(id))!;
    assert.equal(after.status, 'succeeded');
    assert.deepEqual(after.progress?.completedSteps, ['a'], 'its late progress kept');
    // a canceled job's attempt stays refused (the test above), and so does one that failed
    const failed = await newJob();
    assert.equal(
      (await report(failed, credential(failed), { kind: 'failed', error: { code: 'X', message: 'x' } })).status,
      202,
    );
    const refusedLate = await report(failed, credential(failed), { kind: 'progress', progress: { pct: 50 } });
    assert.equal(refusedLate.status, 409);
  });

  it('over Pub/Sub: none (required), a forged one, or another job’s is acknowledged without effect', async () => {
    const mine = await newJob();
    const theirs = await newJob();
    const refused: Record<string, string>[] = [
      {},
      { [CREDENTIAL_ATTRIBUTE]: 'vw1.forged.AAAA' },
      { [CREDENTIAL_ATTRIBUTE]: credential(theirs) },
      { [CREDENTIAL_ATTRIBUTE]: credential(mine, 2) },
    ];
    for (const attributes of refused) await unchanged(async () => assert.equal(await publish(mine, attributes), 204));
    assert.equal((await rt.store.get(mine))!.status, 'queued');
    assert.equal(await publish(mine, { [CREDENTIAL_ATTRIBUTE]: credential(mine) }), 204);
    assert.equal((await rt.store.get(mine))!.status, 'running');
  });
});
