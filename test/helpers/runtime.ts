/** A Runtime wired to the emulators started by test/run.ts, isolated by a project id and bucket of its own. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import type { Storage } from '@google-cloud/storage';
import { parseEnv, type Env } from '../../shared/src/config/env.js';
import { createStorage } from '../../shared/src/evidence/storage.js';
import { createFirestore } from '../../shared/src/store/firestore.js';
import { silentLogger } from '../../shared/src/log.js';
import { createTempCleaner } from '../../shared/src/evidence/temp.js';
import { ProjectFollower } from '../../shared/src/projects/follow.js';
import { Reconciler, type ReconcilerDeps } from '../../shared/src/reconcile/reconciler.js';
import { Sweeper, type SweeperDeps } from '../../shared/src/reconcile/sweep.js';
import { createRuntime, type Runtime, type RuntimeOverrides } from '../../shared/src/runtime.js';
import { TestClock } from './clock.js';
import { recordTestProject } from './replay.js';

export const TEST_SECRET = 'test-secret-0123456789abcdef';

export function requireEmulators(): { firestore: string; gcs: string } {
  const firestore = process.env.FIRESTORE_EMULATOR_HOST;
  const gcs = process.env.VERITY_GCS_ENDPOINT;
  if (!firestore || !gcs)
    throw new Error('integration tests need the emulators: run them through `npm test` (test/run.ts)');
  return { firestore, gcs };
}

export interface TestRuntime extends Runtime {
  /** The runtime's Firestore client: tests read and write the emulator directly with it. */
  db: Firestore;
  clock: () => number;
  testClock: TestClock;
  projectId: string;
  bucket: string;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A fresh runtime: own Firestore project id (isolated data) and own bucket (created). */
export async function testRuntime(
  name: string,
  o: RuntimeOverrides & {
    envOverrides?: Record<string, string>;
    /** Applied to the parsed environment (for values no variable of the local profile gives). */
    envPatch?: Partial<Env>;
    /** Sees the clients before the runtime is built on them (test/helpers/meter.ts wraps them here). */
    instrument?: (clients: { db: Firestore; storage: Storage; pubsub: PubSub }) => void;
  } = {},
): Promise<TestRuntime> {
  const { gcs } = requireEmulators();
  const projectId = uniqueName(`t-${name}`).slice(0, 30);
  const bucket = uniqueName('verity-t');
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'verity-state-'));
  const env: Env = {
    ...parseEnv({
      ...process.env,
      GOOGLE_CLOUD_PROJECT: projectId,
      VERITY_PROFILE: 'local',
      VERITY_BUCKET: bucket,
      VERITY_GCS_ENDPOINT: gcs,
      VERITY_LOCAL_JWT_SECRET: TEST_SECRET,
      VERITY_STATE_DIR: stateDir,
      // off unless a test turns it on: its background looks would add reads the cost tests do not expect
      VERITY_DUE_STARTS_EVERY_MS: '0',
      ...o.envOverrides,
    }),
    ...o.envPatch,
  };
  const testClock = new TestClock();
  recordTestProject(projectId);
  const db = createFirestore(env.projectId, env.state);
  const storage = createStorage(projectId, gcs);
  await storage.createBucket(bucket).catch((err: { code?: number }) => {
    if (err.code !== 409) throw err;
  });
  const pubsub = new PubSub({ projectId });
  for (const topic of [env.eventsTopic, env.updatesTopic]) {
    await pubsub.createTopic(topic).catch((err: { code?: number }) => {
      if (err.code !== 6) throw err; // ALREADY_EXISTS
    });
  }
  const { envOverrides: _, envPatch: __, instrument, ...overrides } = o;
  instrument?.({ db, storage, pubsub });
  const rt = createRuntime(name, {
    env,
    db,
    storage,
    pubsub,
    clock: testClock.now,
    log: silentLogger(),
    random: () => 0.5,
    ...overrides,
  });
  return { ...rt, db, testClock, projectId, bucket };
}

/** Counts every document under the project: proof that a rejected request wrote nothing. */
export async function countDocuments(db: Firestore): Promise<number> {
  let n = 0;
  const walk = async (cols: FirebaseFirestore.CollectionReference[]): Promise<void> => {
    for (const col of cols) {
      const docs = await col.listDocuments();
      for (const d of docs) {
        const snap = await d.get();
        if (snap.exists) n++;
        await walk(await d.listCollections());
      }
    }
  };
  await walk(await db.listCollections());
  return n;
}

/** Another sweeper over the runtime's stores (a second instance, or one with its own lease or reconciler). */
export function otherSweeper(rt: TestRuntime, over: Partial<SweeperDeps> = {}): Sweeper {
  return new Sweeper({
    jobs: rt.ledger.jobs,
    leases: rt.ledger.leases,
    reconciler: rt.reconciler,
    log: rt.log,
    clock: rt.clock,
    ...over,
  });
}

/** Another reconciler over the runtime's stores, with some of its parts replaced (a probe, the executors). */
export function otherReconciler(rt: TestRuntime, over: Partial<ReconcilerDeps> = {}): Reconciler {
  return new Reconciler({
    store: rt.store,
    registry: rt.registry,
    executors: rt.executors,
    probe: rt.probe,
    log: rt.log,
    clock: rt.clock,
    outbox: rt.outbox,
    pending: rt.ledger.outbox,
    temp: createTempCleaner({ storage: rt.storage, bucket: rt.bucket, allowedBuckets: rt.env.allowedBuckets }),
    reactions: new ProjectFollower(rt.ledger.projects),
    ...over,
  });
}
