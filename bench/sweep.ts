/**
 * (d) The sweep's cost follows the stale jobs, not all jobs: 1,000 stale jobs among 10,000 and among 100,000,
 * and, on the same 100,000, the seeds' approach (scan every processing job, check its output one by one).
 * Jobs are seeded with a BulkWriter (bench data, not the job-state path); half the stale jobs' outputs exist.
 */
import { Firestore, Timestamp } from '@google-cloud/firestore';
import type { Storage } from '@google-cloud/storage';
import { createJob, type Job } from '../shared/src/core/index.js';
import { parseEnv } from '../shared/src/config/env.js';
import { silentLogger } from '../shared/src/log.js';
import { createRuntime } from '../shared/src/runtime.js';
import { jobToDoc } from '../shared/src/store/codec.js';
import { Collections } from '../shared/src/store/firestore.js';
import { jobSpec } from '../test/helpers/jobs.js';

const STALE = 1000;

function makeJob(i: number, kind: 'stale' | 'healthy' | 'done', bucket: string, now: number): Job {
  const id = `job_${kind}_${i}`;
  const created = kind === 'stale' ? now - 3600_000 : now - 60_000;
  const { job } = createJob(
    jobSpec({
      id,
      type: 'external',
      ownerId: 'bench',
      outputUris: [`gs://${bucket}/out/${id}.mp4`],
      executorKind: 'external',
    }),
    [],
    { now: created, random: () => 0.5 },
  );
  if (kind === 'done')
    return {
      ...job,
      status: 'succeeded',
      statusReason: 'OUTPUT_FOUND',
      version: 2,
      endedAt: now,
      completedAt: now,
      nextCheckAt: null,
    };
  return job; // stale: its queue deadline (15 min) passed long ago; healthy: an hour to go
}

async function seed(db: Firestore, storage: Storage, bucket: string, total: number, now: number): Promise<void> {
  const healthy = Math.round(total * 0.1);
  const w = db.bulkWriter();
  w.onWriteError((e) => e.failedAttempts < 5);
  const put = (j: Job): void => void w.set(db.collection(Collections.jobs).doc(j.id), jobToDoc(j));
  for (let i = 0; i < STALE; i++) put(makeJob(i, 'stale', bucket, now));
  for (let i = 0; i < healthy; i++) put(makeJob(i, 'healthy', bucket, now));
  for (let i = 0; i < total - STALE - healthy; i++) put(makeJob(i, 'done', bucket, now));
  await w.close();
  const b = storage.bucket(bucket);
  for (let i = 0; i < STALE; i += 2) await b.file(`out/job_stale_${i}.mp4`).save('v', { resumable: false });
}

export interface SweepBenchRow {
  total: number;
  approach: string;
  ms: number;
  documentsRead: number;
  corrected: number;
}

/** A runtime on a Firestore project and a bucket of its own, both named `name` (the bucket made). */
export async function benchRuntime(name: string, gcsUrl: string) {
  const env = parseEnv({
    ...process.env,
    GOOGLE_CLOUD_PROJECT: name,
    VERITY_PROFILE: 'local',
    VERITY_BUCKET: name,
    VERITY_GCS_ENDPOINT: gcsUrl,
    VERITY_LOCAL_JWT_SECRET: 'bench-secret-0123456789abcdef',
  });
  const db = new Firestore({ projectId: name, ignoreUndefinedProperties: true });
  const rt = createRuntime('bench', { env, db, log: silentLogger() });
  await rt.storage.createBucket(name);
  return { rt, db };
}

/** A runtime on a project and bucket of its own, seeded with `total` jobs. */
async function seeded(
  prefix: string,
  total: number,
  gcsUrl: string,
  now: number,
): Promise<{ rt: ReturnType<typeof createRuntime>; db: Firestore; bucket: string }> {
  const name = `${prefix}-${total}-${Date.now()}`;
  const { rt, db } = await benchRuntime(name, gcsUrl);
  await seed(db, rt.storage, name, total, now);
  return { rt, db, bucket: name };
}

async function verity(total: number, gcsUrl: string): Promise<SweepBenchRow> {
  const { rt } = await seeded('bench-sweep', total, gcsUrl, Date.now());
  const t0 = performance.now();
  const r = await rt.sweeper.sweep({ concurrency: 16, budgetMs: 600_000 });
  const ms = performance.now() - t0;
  await rt.ledger.close();
  await rt.pubsub.close();
  return { total, approach: 'verity sweep', ms, documentsRead: r.documentsRead, corrected: r.corrected };
}

/** The seeds' approach: every "processing" job, its output checked one by one, corrected with a plain write. */
async function seedsApproach(total: number, gcsUrl: string): Promise<SweepBenchRow> {
  const now = Date.now();
  const { rt, db, bucket } = await seeded('bench-scan', total, gcsUrl, now);
  const t0 = performance.now();
  const snap = await db.collection(Collections.jobs).where('status', 'in', ['queued', 'running']).get();
  let corrected = 0;
  for (const doc of snap.docs) {
    const uri = String((doc.get('outputUris') as string[])[0]);
    const name = uri.slice(`gs://${bucket}/`.length);
    const [exists] = await rt.storage.bucket(bucket).file(name).exists();
    const age = now - (doc.get('createdAt') as Timestamp).toMillis();
    if (exists) {
      await doc.ref.update({ status: 'succeeded', statusReason: 'OUTPUT_FOUND' });
      corrected++;
    } else if (age > 15 * 60_000) {
      await doc.ref.update({ status: 'failed', statusReason: 'QUEUE_TIMEOUT' });
      corrected++;
    }
  }
  const ms = performance.now() - t0;
  await db.terminate();
  await rt.pubsub.close();
  return { total, approach: "seeds' scan", ms, documentsRead: snap.size, corrected };
}

export async function benchSweep(gcsUrl: string, totals: number[]): Promise<SweepBenchRow[]> {
  const rows: SweepBenchRow[] = [];
  for (const total of totals) {
    process.stdout.write(`(d) seeding ${total} jobs (${STALE} stale) and sweeping…\n`);
    rows.push(await verity(total, gcsUrl));
  }
  const largest = Math.max(...totals);
  process.stdout.write(`(d) seeding ${largest} jobs again for the seeds' approach (scan + probe one by one)…\n`);
  rows.push(await seedsApproach(largest, gcsUrl));
  return rows;
}
