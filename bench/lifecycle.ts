/**
 * (a) The lifecycle through the one write path vs two floors, each the same number of read-modify-writes on
 * distinct existing documents: a locking transaction (read, write, commit), and a read then a write
 * conditional on the update time the read saw — what Verity itself does (no transaction since issue 14).
 */
import { Firestore } from '@google-cloud/firestore';
import { createJob } from '../shared/src/core/index.js';
import { mapLimit } from '../shared/src/evidence/limits.js';
import { JobStore } from '../shared/src/store/job-store.js';
import { jobSpec } from '../test/helpers/jobs.js';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export interface LifecycleResult {
  transitionsPerSecond: number;
  /** Locking read-modify-write transactions per second. */
  barePerSecond: number;
  ratio: number;
  /** Reads then writes conditional on the read's update time, per second. */
  conditionalPerSecond: number;
  ratioConditional: number;
}

export async function benchLifecycle(jobs: number, concurrency: number): Promise<LifecycleResult> {
  const db = new Firestore({ projectId: `bench-${Date.now()}`, ignoreUndefinedProperties: true });
  const store = new JobStore({ db, clock: Date.now });
  const transitionsPerJob = 3; // queued, running, succeeded (+ one progress patch, which costs a transaction too)
  let round = 0;

  const lifecycle = async (): Promise<number> => {
    round++;
    const t0 = performance.now();
    await mapLimit(
      Array.from({ length: jobs }, (_, i) => i),
      concurrency,
      async (i) => {
        const id = `job_b${round}_${i}`;
        await store.create((ctx) =>
          createJob(jobSpec({ id, type: 'external', ownerId: 'bench', executorKind: 'external' }), [], ctx),
        );
        await store.apply(
          id,
          { kind: 'worker', source: 'worker', report: { kind: 'started', attempt: 1 } },
          { dedupeKey: `${id}:1` },
        );
        await store.apply(
          id,
          { kind: 'worker', source: 'worker', report: { kind: 'progress', attempt: 1, progress: { pct: 50 } } },
          { dedupeKey: `${id}:2` },
        );
        await store.apply(
          id,
          { kind: 'worker', source: 'worker', report: { kind: 'succeeded', attempt: 1 } },
          { dedupeKey: `${id}:3` },
        );
      },
    );
    return (jobs * transitionsPerJob) / ((performance.now() - t0) / 1000);
  };

  /** A round of a floor: n documents created (not timed), then one read-modify-write each (timed). */
  const floorRound = async (rmw: (ref: FirebaseFirestore.DocumentReference) => Promise<void>): Promise<number> => {
    round++;
    const n = jobs * transitionsPerJob;
    const refs = Array.from({ length: n }, (_, i) => db.collection('bare').doc(`d${round}_${i}`));
    // a transition updates a job that exists: so does each floor
    for (let i = 0; i < n; i += 500) {
      const batch = db.batch();
      for (const ref of refs.slice(i, i + 500)) batch.create(ref, { n: 0 });
      await batch.commit();
    }
    const t0 = performance.now();
    await mapLimit(refs, concurrency, rmw);
    return n / ((performance.now() - t0) / 1000);
  };
  const bare = (): Promise<number> =>
    floorRound((ref) =>
      db.runTransaction(async (tx) => {
        const snap = await tx.get(ref);
        tx.set(ref, { n: ((snap.get('n') as number | undefined) ?? 0) + 1 });
      }),
    );
  const conditional = (): Promise<number> =>
    floorRound(async (ref) => {
      const snap = await ref.get();
      await ref.update({ n: ((snap.get('n') as number | undefined) ?? 0) + 1 }, { lastUpdateTime: snap.updateTime! });
    });

  process.stdout.write(
    `(a) ${jobs} lifecycles (${jobs * transitionsPerJob} transitions) vs as many bare transactions and as many ` +
      `conditional writes, ${concurrency} in flight, 3 alternating rounds…\n`,
  );
  await bare(); // warm-up
  await conditional();
  const life: number[] = [];
  const floor: number[] = [];
  const cond: number[] = [];
  for (let r = 0; r < 3; r++) {
    floor.push(await bare());
    cond.push(await conditional());
    life.push(await lifecycle());
  }
  await db.terminate();
  const transitionsPerSecond = median(life);
  const barePerSecond = median(floor);
  const conditionalPerSecond = median(cond);
  return {
    transitionsPerSecond,
    barePerSecond,
    ratio: transitionsPerSecond / barePerSecond,
    conditionalPerSecond,
    ratioConditional: transitionsPerSecond / conditionalPerSecond,
  };
}
