/**
 * (i) The sweep's drain rate against its fan-out (issue 32, docs/scale.md "The sweep"): N due jobs (their queue
 * deadline long passed), drained by K sweeps side by side, each given its share of the 16 shards (what Terraform's
 * `sweep_fanout` schedules), for K = 1, 2, 4; jobs corrected a second, and the ratio to K = 1. Each K gets a
 * project of its own, seeded with a BulkWriter (bench data, not the job-state path). In one process beside one
 * emulator on two cores the ratio measures what the emulator and the machine allow; in the cloud each share is
 * an invocation of its own.
 */
import { createJob } from '../shared/src/core/index.js';
import { jobToDoc } from '../shared/src/store/codec.js';
import { Collections } from '../shared/src/store/firestore.js';
import { ALL_SHARDS } from '../shared/src/store/shards.js';
import { jobSpec } from '../test/helpers/jobs.js';
import { benchRuntime } from './sweep.js';

export interface DrainRow {
  jobs: number;
  fanout: number;
  ms: number;
  corrected: number;
  perSecond: number;
}

async function seeded(jobs: number, fanout: number, gcsUrl: string) {
  const { rt, db } = await benchRuntime(`bench-drain-${fanout}-${Date.now()}`, gcsUrl);
  const w = db.bulkWriter();
  w.onWriteError((e) => e.failedAttempts < 5);
  const created = Date.now() - 3600_000; // their 15-minute queue deadline passed long ago
  for (let i = 0; i < jobs; i++) {
    const id = `job_drain_${i}`;
    const spec = jobSpec({ id, type: 'external', ownerId: 'bench', outputUris: [], executorKind: 'external' });
    void w.set(
      db.collection(Collections.jobs).doc(id),
      jobToDoc(createJob(spec, [], { now: created, random: () => 0.5 }).job),
    );
  }
  await w.close();
  return rt;
}

export async function benchDrain(gcsUrl: string, jobs: number, fanouts = [1, 2, 4]): Promise<DrainRow[]> {
  const rows: DrainRow[] = [];
  for (const fanout of fanouts) {
    process.stdout.write(`(i) seeding ${jobs} due jobs, draining them with ${fanout} sweep(s) side by side…\n`);
    const rt = await seeded(jobs, fanout, gcsUrl);
    const shares = Array.from({ length: fanout }, (_, k) => ALL_SHARDS.filter((s) => s % fanout === k));
    const t0 = performance.now();
    let corrected = 0;
    // a scheduled sweep runs again until nothing is due: each share keeps sweeping until it finds none
    await Promise.all(
      shares.map(async (shards) => {
        for (;;) {
          const r = await rt.sweeper.sweep({ shards, concurrency: 16, budgetMs: 50_000 });
          corrected += r.corrected;
          if (r.checked === 0) return;
        }
      }),
    );
    const ms = performance.now() - t0;
    rows.push({ jobs, fanout, ms, corrected, perSecond: corrected / (ms / 1000) });
    await rt.ledger.close();
    await rt.pubsub.close();
  }
  return rows;
}
