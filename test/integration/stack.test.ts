/**
 * Proves the test harness (test/run.ts): the emulators answer, and an object uploaded to fake-gcs-server
 * produces an OBJECT_FINALIZE message on topic `verity-gcs-notifications` of project `verity-test`.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Firestore } from '@google-cloud/firestore';
import { PubSub, type Message } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { s3BucketOf } from '../../infra/local/stack.js';

const PROJECT = process.env.GOOGLE_CLOUD_PROJECT ?? 'verity-test';
const NOTIFICATIONS_TOPIC = 'verity-gcs-notifications';

function env(name: string): string {
  const value = process.env[name];
  assert.ok(value, `${name} is not set — run through the harness: npm test -- stack`);
  return value;
}

describe('local test stack', () => {
  const unique = randomUUID().slice(0, 8);

  it('every emulator answers', async () => {
    const firestore = await fetch(`http://${env('FIRESTORE_EMULATOR_HOST')}/`);
    assert.equal((await firestore.text()).trim(), 'Ok');
    const pubsub = await fetch(`http://${env('PUBSUB_EMULATOR_HOST')}/v1/projects/${PROJECT}/topics`);
    assert.equal(pubsub.status, 200);
    const topics = (await pubsub.json()) as { topics?: { name: string }[] };
    const names = (topics.topics ?? []).map((t) => t.name);
    for (const t of ['verity-job-updates', 'verity-gcs-notifications', 'verity-job-events']) {
      assert.ok(names.includes(`projects/${PROJECT}/topics/${t}`), `topic ${t} exists`);
    }
    const gcs = await fetch(`${env('VERITY_GCS_ENDPOINT')}/_internal/healthcheck`);
    assert.equal(gcs.status, 200);
    assert.equal(env('VERITY_TEST_GCS_URL'), env('VERITY_GCS_ENDPOINT'));
    const ports = JSON.parse(env('VERITY_TEST_PORTS')) as Record<string, number>;
    assert.deepEqual(Object.keys(ports).sort(), ['api', 'firestore', 'gcs', 'pubsub', 's3']);
  });

  it('the S3-compatible store (gofakes3) keeps what the AWS SDK puts in the stack’s bucket', async () => {
    const ports = JSON.parse(env('VERITY_TEST_PORTS')) as Record<string, number>;
    const client = new S3Client({
      endpoint: `http://127.0.0.1:${ports.s3}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'verity-test', secretAccessKey: 'verity-test-secret' },
    });
    const Bucket = s3BucketOf(PROJECT);
    await client.send(new PutObjectCommand({ Bucket, Key: `stack/${unique}.txt`, Body: 'hello' }));
    const head = await client.send(new HeadObjectCommand({ Bucket, Key: `stack/${unique}.txt` }));
    assert.equal(head.ContentLength, 5);
    client.destroy();
  });

  it('Firestore client reads back what it wrote', async () => {
    const db = new Firestore({ projectId: `stack-test-${unique}` });
    try {
      await db.collection('probe').doc('a').set({ n: 1 });
      const snap = await db.collection('probe').doc('a').get();
      assert.deepEqual(snap.data(), { n: 1 });
    } finally {
      await db.terminate();
    }
  });

  describe('fake-gcs-server notifications', () => {
    const pubsub = new PubSub({ projectId: PROJECT });
    after(async () => {
      await pubsub.close();
    });

    it('an upload publishes OBJECT_FINALIZE to verity-gcs-notifications', { timeout: 30_000 }, async () => {
      const bucketName = `stack-test-${unique}`;
      const objectName = `renders/${unique}.txt`;
      const [subscription] = await pubsub.topic(NOTIFICATIONS_TOPIC).createSubscription(`stack-test-${unique}`);
      try {
        const received = new Promise<Message>((resolve, reject) => {
          subscription.on('error', reject);
          subscription.on('message', (m: Message) => {
            m.ack();
            if (m.attributes.bucketId === bucketName && m.attributes.objectId === objectName) resolve(m);
          });
        });
        const storage = new Storage({ apiEndpoint: env('VERITY_GCS_ENDPOINT'), projectId: PROJECT });
        const [bucket] = await storage.createBucket(bucketName);
        await bucket.file(objectName).save('hello', { resumable: false, contentType: 'text/plain' });
        const [metadata] = await bucket.file(objectName).getMetadata();

        const message = await received;
        assert.equal(message.attributes.eventType, 'OBJECT_FINALIZE');
        assert.equal(message.attributes.payloadFormat, 'JSON_API_V1');
        assert.equal(message.attributes.objectGeneration, String(metadata.generation));
        const payload = JSON.parse(message.data.toString('utf8')) as Record<string, unknown>;
        assert.equal(payload.bucket, bucketName);
        assert.equal(payload.name, objectName);
        assert.equal(payload.size, '5');
      } finally {
        await subscription.close();
        await subscription.delete();
      }
    });
  });
});
