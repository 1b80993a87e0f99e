/**
 * Where Verity keeps its state (issue 30): a named Firestore database and a collection prefix, so two
 * deployments share a project — or Verity lives beside an app's own `jobs` — without seeing each other.
 * Read back raw from the emulator: every document lands under the prefix in the named database, the
 * collection-group queries (history, stats) and the sweep stay inside their own deployment.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Firestore, Timestamp } from '@google-cloud/firestore';
import type { Principal } from '../../shared/src/auth/principal.js';
import { parseEnv } from '../../shared/src/config/env.js';
import { QUERIES } from '../../shared/src/store/queries.js';
import { testRuntime, type TestRuntime } from '../helpers/runtime.js';

const alice: Principal = { userId: 'alice', admin: false, workerJobId: null };
const S = 1000;

let named: TestRuntime;
let beside: TestRuntime;
let raw: Firestore;
let rawDefault: Firestore;

before(async () => {
  named = await testRuntime('place', {
    envOverrides: { VERITY_FIRESTORE_DATABASE: 'verity-two', VERITY_COLLECTION_PREFIX: 'vt_' },
  });
  // a second deployment in the same project and database: only the prefix tells them apart
  beside = await testRuntime('place', {
    envOverrides: {
      GOOGLE_CLOUD_PROJECT: named.projectId,
      VERITY_FIRESTORE_DATABASE: 'verity-two',
      VERITY_COLLECTION_PREFIX: 'vb_',
    },
  });
  raw = new Firestore({ projectId: named.projectId, databaseId: 'verity-two' });
  rawDefault = new Firestore({ projectId: named.projectId });
});
after(async () => {
  await Promise.all([named.db.terminate(), beside.db.terminate(), raw.terminate(), rawDefault.terminate()]);
});

describe('state location', () => {
  it('refuses a database or prefix outside the allowed shapes', () => {
    for (const bad of [{ VERITY_FIRESTORE_DATABASE: 'Bad_DB' }, { VERITY_COLLECTION_PREFIX: '1x' }])
      assert.throws(() => parseEnv({ ...bad }), /VERITY_(FIRESTORE_DATABASE|COLLECTION_PREFIX)/);
    assert.deepEqual(parseEnv({}).state, { databaseId: '(default)', prefix: '' });
  });

  it('writes every document under the prefix in the named database, and nothing in (default)', async () => {
    // the app's own records (a collection of jobs of its own: the replay test reads every stored `jobs` as Verity's)
    await rawDefault.collection('renders').doc('app-record').set({ status: 'processing' });
    const { job } = await named.jobs.enqueue(alice, { type: 'external', outputs: [], resourceKey: 'r1' } as never);
    const top = (await raw.listCollections()).map((c) => c.id).sort();
    assert.ok(top.includes('vt_jobs') && top.every((c) => /^v[tb]_/.test(c)), `collections: ${top.join(', ')}`);
    assert.ok((await raw.collection('vt_jobs').doc(job.id).get()).exists);
    const subs = (await raw.collection('vt_jobs').doc(job.id).listCollections()).map((c) => c.id);
    assert.deepEqual(subs, ['vt_transitions']);
    assert.deepEqual(
      (await rawDefault.listCollections()).map((c) => c.id),
      ['renders'],
      "Verity wrote nothing in (default), beside the app's own collection",
    );
    assert.equal((await rawDefault.collection('renders').doc('app-record').get()).get('status'), 'processing');
  });

  it('keeps two deployments apart: lists, history, keys and the sweep see only their own', async () => {
    const a = (await named.jobs.enqueue(alice, { type: 'external', outputs: [], resourceKey: 'same' } as never)).job;
    // the same resource key in the other deployment is not held by the first one's job
    const b = (await beside.jobs.enqueue(alice, { type: 'external', outputs: [], resourceKey: 'same' } as never)).job;
    assert.ok((await raw.collection('vb_jobs').doc(b.id).get()).exists);
    assert.equal(await beside.store.get(a.id), null, "the other deployment's job is not found");
    const listed = await beside.jobs.list(alice, { limit: 100 });
    assert.ok(listed.jobs.every((j) => j.id !== a.id));
    const history = await QUERIES.transitionsSince(beside.db, null, Timestamp.fromMillis(0)).get();
    const ids = new Set(history.docs.map((d) => String(d.get('jobId'))));
    assert.ok(ids.has(b.id) && !ids.has(a.id), 'a collection-group query stays in its deployment');
    // the first deployment's sweep, far past every deadline, fails only its own jobs
    named.testClock.advance(3600 * S);
    await named.sweeper.sweep();
    assert.equal((await named.store.get(a.id))!.status, 'failed');
    assert.equal((await beside.store.get(b.id))!.status, 'queued', 'untouched by the other sweep');
  });
});
