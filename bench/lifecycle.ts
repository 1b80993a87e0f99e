/** (a) The lifecycle through the one transactional path vs bare read-modify-write transactions. */
import { Firestore } from '@google-cloud/firestore';
import { createJob, DEFAULT_POLICY } from '../shared/src/core/index.js';
import { mapLimit } from '../shared/src/evidence/limits.js';
import { JobStore } from '../shared/src/store/job-store.js';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchLifecycle(
  jobs: number,
  concurrency: number,
): Promise<{ transitionsPerSecond: number; barePerSecond: number; ratio: number }> {
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
          createJob(
            {
              id,
              type: 'external',
              ownerId: 'bench',
              resourceKey: null,
              idempotencyKey: null,
              input: {},
              outputUris: [],
              reuseExistingOutputs: true,
              executorKind: 'external',
              policy: DEFAULT_POLICY,
            },
            [],
            ctx,
          ),
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

  const bare = async (): Promise<number> => {
    round++;
    const n = jobs * transitionsPerJob;
    const t0 = performance.now();
    await mapLimit(
      Array.from({ length: n }, (_, i) => i),
      concurrency,
      async (i) => {
        const ref = db.collection('bare').doc(`d${round}_${i}`);
        await db.runTransaction(async (tx) => {
          const snap = await tx.get(ref);
          tx.set(ref, { n: ((snap.get('n') as number | undefined) ?? 0) + 1 });
        });
      },
    );
    return n / ((performance.now() - t0) / 1000);
  };

  process.stdout.write(
    `(a) ${jobs} lifecycles (${jobs * transitionsPerJob} transitions) vs as many bare transactions, ` +
      `${concurrency} in flight, 3 alternating rounds…\n`,
  );
  await bare(); // warm-up
  const life: number[] = [];
  const floor: number[] = [];
  for (let r = 0; r < 3; r++) {
    floor.push(await bare());
    life.push(await lifecycle());
  }
  await db.terminate();
  const transitionsPerSecond = median(life);
  const barePerSecond = median(floor);
  return { transitionsPerSecond, barePerSecond, ratio: transitionsPerSecond / barePerSecond };
}
