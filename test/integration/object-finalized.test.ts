/** functions/object-finalized on the emulators: both event shapes, dedupe by generation, unknown objects, bad input. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Timestamp } from '@google-cloud/firestore';
import { createObjectFinalizedHandler } from '../../functions/object-finalized/handler.js';
import { pushMessage, postCloudEvent, serveCloudEvent, type Served } from '../helpers/functions.js';
import { countDocuments, testRuntime, type TestRuntime } from '../helpers/runtime.js';
import type { Principal } from '../../shared/src/auth/principal.js';
import { SEEN_TTL_MS } from '../../shared/src/store/seen.js';
import { readyRuntime } from '../../functions/common/runtime-source.js';

const alice: Principal = { userId: 'alice', admin: false, workerJobId: null };
let rt: TestRuntime;
let fn: Served;

before(async () => {
  rt = await testRuntime('finalize');
  fn = await serveCloudEvent(createObjectFinalizedHandler(readyRuntime(rt)));
});
after(async () => {
  await fn.close();
  await rt.db.terminate();
});

const notification = (bucket: string, name: string, generation: string, eventType = 'OBJECT_FINALIZE') => ({
  messageId: `m-${name}-${generation}-${Math.random()}`,
  attributes: {
    eventType,
    bucketId: bucket,
    objectId: name,
    objectGeneration: generation,
    payloadFormat: 'JSON_API_V1',
  },
  data: JSON.stringify({
    bucket,
    name,
    generation,
    size: '42',
    timeCreated: new Date(rt.testClock.now() + 1000).toISOString(),
  }),
});

async function enqueue(outputs: string[]): Promise<string> {
  const { job } = await rt.jobs.enqueue(alice, { type: 'external', outputs, reuseExistingOutputs: true });
  return job.id;
}

describe('object-finalized', () => {
  it('a Pub/Sub bucket notification completes the job expecting the object; the same generation twice is one transition', async () => {
    const uri = `gs://${rt.bucket}/u/alice/renders/a.mp4`;
    const id = await enqueue([uri]);
    const msg = notification(rt.bucket, 'u/alice/renders/a.mp4', '101');
    assert.equal(await pushMessage(fn.url, rt.projectId, 'verity-gcs-notifications', msg), 204);
    assert.equal(
      await pushMessage(fn.url, rt.projectId, 'verity-gcs-notifications', { ...msg, messageId: 'redelivered' }),
      204,
    );
    const job = (await rt.store.get(id))!;
    assert.equal(job.status, 'succeeded');
    assert.equal(job.statusReason, 'OUTPUT_FOUND');
    assert.deepEqual(
      job.outputs.map((o) => [o.present, o.generation, o.size]),
      [[true, '101', 42]],
    );
    const h = await rt.store.history(id);
    assert.deepEqual(
      h.map((t) => [t.to, t.source]),
      [
        ['queued', 'api'],
        ['succeeded', 'gcs'],
      ],
    );
  });

  it('a direct storage CloudEvent (Eventarc) works the same', async () => {
    const uri = `gs://${rt.bucket}/u/alice/renders/b.mp4`;
    const id = await enqueue([uri]);
    const status = await postCloudEvent(fn.url, 'google.cloud.storage.object.v1.finalized', {
      bucket: rt.bucket,
      name: 'u/alice/renders/b.mp4',
      generation: '7',
      size: '3',
      timeCreated: new Date().toISOString(),
    });
    assert.equal(status, 204);
    assert.equal((await rt.store.get(id))!.status, 'succeeded');
  });

  it('a job with two outputs completes only when the second lands', async () => {
    const id = await enqueue([`gs://${rt.bucket}/u/alice/r/1.mp4`, `gs://${rt.bucket}/u/alice/r/2.mp4`]);
    await pushMessage(
      fn.url,
      rt.projectId,
      'verity-gcs-notifications',
      notification(rt.bucket, 'u/alice/r/1.mp4', '1'),
    );
    const half = (await rt.store.get(id))!;
    assert.equal(half.status, 'queued');
    assert.equal(half.version, 1, 'a job of several outputs is not written per object (no hot document)');
    const seen = await rt.db.collection('jobs').doc(id).collection('seen').get();
    assert.equal(seen.size, 1);
    assert.equal(
      (seen.docs[0]!.get('expireAt') as Timestamp).toMillis(),
      rt.clock() + SEEN_TTL_MS,
      'a seen record expires (TTL policy on expireAt)',
    );
    await pushMessage(
      fn.url,
      rt.projectId,
      'verity-gcs-notifications',
      notification(rt.bucket, 'u/alice/r/2.mp4', '1'),
    );
    assert.equal((await rt.store.get(id))!.status, 'succeeded');
  });

  it('a failed job whose output appears late is corrected to succeeded (LATE_OUTPUT)', async () => {
    const id = await enqueue([`gs://${rt.bucket}/u/alice/late.mp4`]);
    rt.testClock.advance(16 * 60_000);
    await rt.reconciler.reconcile(id, 'sweep');
    assert.equal((await rt.store.get(id))!.statusReason, 'QUEUE_TIMEOUT');
    await pushMessage(
      fn.url,
      rt.projectId,
      'verity-gcs-notifications',
      notification(rt.bucket, 'u/alice/late.mp4', '5'),
    );
    const job = (await rt.store.get(id))!;
    assert.equal(job.status, 'succeeded');
    assert.equal(job.statusReason, 'LATE_OUTPUT');
  });

  it('an object nobody expects, a delete, and malformed messages are acknowledged and write nothing', async () => {
    const before = await countDocuments(rt.db);
    assert.equal(
      await pushMessage(
        fn.url,
        rt.projectId,
        'verity-gcs-notifications',
        notification(rt.bucket, 'nobody/wants.mp4', '1'),
      ),
      204,
    );
    assert.equal(
      await pushMessage(
        fn.url,
        rt.projectId,
        'verity-gcs-notifications',
        notification(rt.bucket, 'renders/a.mp4', '2', 'OBJECT_DELETE'),
      ),
      204,
    );
    assert.equal(
      await pushMessage(fn.url, rt.projectId, 'verity-gcs-notifications', {
        messageId: 'bad-1',
        attributes: { eventType: 'OBJECT_FINALIZE' },
        data: '{not json',
      }),
      204,
    );
    assert.equal(
      await pushMessage(fn.url, rt.projectId, 'verity-gcs-notifications', {
        messageId: 'bad-2',
        attributes: { eventType: 'OBJECT_FINALIZE', bucketId: 'b' },
        data: '{}',
      }),
      204,
    );
    assert.equal(await postCloudEvent(fn.url, 'google.cloud.storage.object.v1.finalized', { bucket: rt.bucket }), 204);
    assert.equal(await countDocuments(rt.db), before);
  });
});
