/**
 * Enqueue rate limits (issue 32) on the emulator, through the API: past an owner's jobs a minute, or the
 * deployment's jobs a second, POST /api/jobs answers 429 QUOTA_EXCEEDED with Retry-After and writes nothing;
 * once the window has passed (Verity's time moved), it takes jobs again. Counted over the jobs' own creation
 * times: no counter document. The ramp's arithmetic (500/50/5) is a unit test (test/unit/admission.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApi, type ApiClient } from '../helpers/api.js';
import { countDocuments, testRuntime, type TestRuntime } from '../helpers/runtime.js';

const S = 1000;
let rt: TestRuntime;
let api: ApiClient;

before(async () => {
  rt = await testRuntime('admission', {
    envOverrides: { VERITY_ENQUEUE_PER_OWNER_PER_MINUTE: '3', VERITY_ENQUEUE_BASE_PER_SECOND: '5' },
  });
  api = await startApi(rt);
});
after(async () => {
  await api.close();
  await rt.db.terminate();
});

const enqueue = async (user: string) =>
  api.call('POST', '/api/jobs', { token: await api.token(user), body: { type: 'external', input: { user } } });

describe('enqueue rate limits', () => {
  it('an owner past its jobs a minute gets 429 with Retry-After, nothing written; a minute later, in again', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await enqueue('olga')).status, 201);
    const docs = await countDocuments(rt.db);
    const over = await enqueue('olga');
    assert.equal(over.status, 429, over.text);
    assert.equal(over.body.error.code, 'QUOTA_EXCEEDED');
    assert.equal(over.body.error.details.quota, 'enqueuesPerMinute');
    assert.equal(await countDocuments(rt.db), docs, 'nothing written');
    assert.equal((await enqueue('pat')).status, 201, 'another owner is not held');
    rt.testClock.advance(61 * S);
    assert.equal((await enqueue('olga')).status, 201);
  });

  it('the deployment past its jobs a second gets 429 for everyone; the next second, in again', async () => {
    rt.testClock.advance(3600 * S); // a quiet hour: the ramp allows its base, 5 a second
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push((await enqueue(`u${i}`)).status);
    assert.deepEqual(answers, [201, 201, 201, 201, 201, 429]);
    rt.testClock.advance(1001);
    assert.equal((await enqueue('u6')).status, 201);
  });
});
