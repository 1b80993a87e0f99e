/**
 * The meter (test/helpers/meter.ts) counts by Firestore's, Cloud Storage's and Pub/Sub's billing rules at
 * the clients' funnels. Each case makes known operations and checks the count, so a client upgrade that
 * moved a funnel shows here, not as a silently wrong cost table in docs/deploy.md.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { createStorage } from '../../shared/src/evidence/storage.js';
import { createMeter, type Usage } from '../helpers/meter.js';
import { requireEmulators, uniqueName } from '../helpers/runtime.js';

const meter = createMeter();
let db: Firestore;
let storage: ReturnType<typeof createStorage>;
let pubsub: PubSub;
let bucket: string;

before(async () => {
  const { gcs } = requireEmulators();
  const projectId = uniqueName('t-meter');
  db = new Firestore({ projectId, ignoreUndefinedProperties: true });
  storage = createStorage(projectId, gcs);
  pubsub = new PubSub({ projectId });
  meter.firestore(db, ['dedupe']);
  meter.storage(storage);
  meter.pubsub(pubsub);
  bucket = uniqueName('verity-meter');
  await storage.createBucket(bucket);
  await pubsub.createTopic('meter');
  const batch = db.batch();
  for (let i = 0; i < 5; i++) batch.set(db.collection('things').doc(`t${i}`), { kind: 'a', i });
  await batch.commit();
});
after(async () => {
  await db.terminate();
  await pubsub.close();
});

/** What `fn` cost, as one invocation of unit `u`. */
async function cost(fn: () => Promise<unknown>): Promise<Omit<Usage, 'invocations'>> {
  meter.reset();
  await meter.invoke('u', fn);
  const { invocations: _, ...rest } = meter.byUnit().u!;
  return rest;
}
const only = (over: Partial<Usage>): Omit<Usage, 'invocations'> => ({
  reads: 0,
  writes: 0,
  deletes: 0,
  gcsClassA: 0,
  gcsClassB: 0,
  messages: 0,
  messageBytes: 0,
  ...over,
});

describe('meter: Firestore by its billing rules', () => {
  it('a lookup is one read, found or missing; getAll of three is three', async () => {
    assert.deepEqual(await cost(() => db.doc('things/t0').get()), only({ reads: 1 }));
    assert.deepEqual(await cost(() => db.doc('things/nope').get()), only({ reads: 1 }));
    assert.deepEqual(
      await cost(() => db.getAll(db.doc('things/t1'), db.doc('things/t2'), db.doc('things/none'))),
      only({ reads: 3 }),
    );
  });

  it('a query bills its results, at least one read; count() one read', async () => {
    assert.deepEqual(await cost(() => db.collection('things').where('kind', '==', 'a').get()), only({ reads: 5 }));
    assert.deepEqual(
      await cost(() => db.collection('things').where('kind', '==', 'a').limit(2).get()),
      only({ reads: 2 }),
    );
    assert.deepEqual(await cost(() => db.collection('things').where('kind', '==', 'zzz').get()), only({ reads: 1 }));
    assert.deepEqual(
      await cost(() => db.collection('things').where('kind', '==', 'a').count().get()),
      only({ reads: 1 }),
    );
  });

  it('a transaction bills its reads and each write and delete of its commit', async () => {
    const c = await cost(() =>
      db.runTransaction(async (tx) => {
        const s = await tx.get(db.doc('things/t3'));
        tx.set(db.doc('things/t3'), { ...s.data(), seen: true });
        tx.create(db.doc('things/t9'), { kind: 'b' });
        tx.delete(db.doc('things/t4'));
      }),
    );
    assert.deepEqual(c, only({ reads: 1, writes: 2, deletes: 1 }));
    assert.deepEqual(await cost(() => db.doc('things/t9').update({ n: 1 })), only({ writes: 1 }));
  });

  it('remembers documents written to TTL collections, once each', async () => {
    meter.reset();
    await db.doc('jobs/j1/dedupe/k1').set({ at: 1 });
    await db.doc('jobs/j1/dedupe/k1').set({ at: 2 });
    await db.doc('jobs/j1/dedupe/k2').set({ at: 3 });
    await db.doc('jobs/j1/other/k3').set({ at: 3 });
    assert.equal(meter.ttlDocuments(), 2);
    assert.equal(meter.byUnit().other!.writes, 4, 'outside an invocation: charged to other');
  });
});

describe('meter: Cloud Storage by class, Pub/Sub by message', () => {
  it('metadata is class B, a list and an upload class A, a delete free', async () => {
    const file = storage.bucket(bucket).file('a/b.txt');
    assert.deepEqual(await cost(() => file.save('x', { resumable: false })), only({ gcsClassA: 1 }));
    assert.deepEqual(await cost(() => file.getMetadata()), only({ gcsClassB: 1 }));
    assert.deepEqual(await cost(() => storage.bucket(bucket).getFiles({ prefix: 'a/' })), only({ gcsClassA: 1 }));
    assert.deepEqual(await cost(() => file.delete()), only({}));
  });

  it('a publish is one message of its data and attributes', async () => {
    const topic = pubsub.topic('meter', { batching: { maxMessages: 1, maxMilliseconds: 0 } });
    assert.deepEqual(
      await cost(() => topic.publishMessage({ data: Buffer.from('12345'), attributes: { k: 'vv' } })),
      only({ messages: 1, messageBytes: 8 }),
    );
  });
});
