/**
 * The fault soak in CI (issues 14 and 26): 200 jobs with a fixed seed on a stack of its own (emulators and every
 * deploy unit in its own process, on free ports), units SIGKILLed at random and at the fault points,
 * deliveries dropped, duplicated, delayed and reordered, Cloud Run and GCS errors, lock contention. It stops
 * by itself, in about three minutes on this 2-core machine (200 jobs, not 300: `npm test` stays under ten
 * minutes, issue 27). Judged from the ground truth the workload's actors record: every planned job submitted
 * and acknowledged, the workload without an error, and every count 0 — 5xx, stuck, wrong, lost, never
 * dispatched, duplicate launches, orphaned, deleted, undelivered (the webhook subscriber, issue 31). The
 * 2,000-job runs are `npm run soak` (docs/reliability.md).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { parseSoakConfig } from '../../infra/soak/config.js';
import { runSoak, type SoakResult } from '../../infra/soak/driver.js';
import { REPO_ROOT } from '../../shared/src/config/env.js';

const JOBS = Number(process.env.VERITY_TEST_SOAK_JOBS ?? 200);
const SEED = 14;

function free(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** The first of `count` consecutive free ports at or after `from`. */
async function freeBlock(from: number, count: number): Promise<number> {
  for (let base = from; base < 65000; base += count) {
    const ok = await Promise.all(Array.from({ length: count }, (_, i) => free(base + i)));
    if (ok.every(Boolean)) return base;
  }
  throw new Error('no free block of ports');
}

// killed from outside (a stopped npm test): exiting runs the supervisor's exit hook, which kills the soak's processes
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

let soak: Promise<SoakResult & { last: string }> | undefined;

/** One soak per run of this file, shared by its tests. */
function soakOnce() {
  soak ??= (async () => {
    const base = await freeBlock(25000 + Math.floor(Math.random() * 100) * 20, 15);
    const cfg = parseSoakConfig({
      VERITY_SOAK_JOBS: String(JOBS),
      VERITY_SOAK_SEED: String(SEED),
      VERITY_SOAK_BASE_PORT: String(base),
      VERITY_SOAK_FIRESTORE_PORT: String(base + 11),
      VERITY_SOAK_PUBSUB_PORT: String(base + 12),
      VERITY_SOAK_GCS_PORT: String(base + 13),
      VERITY_SOAK_S3_PORT: String(base + 14),
      VERITY_SOAK_DRAIN_TIMEOUT_MS: '150000',
      // 16 jobs in flight, not the 2,000-job run's 32: at 32 the project's CI machine (2 slower cores) ran out of
      // CPU — the units' reconciles queued behind each other, a sweep's jobs "slow" for a minute — and a job or
      // two ended past its bound (105–123%); on this machine with a core kept busy, 16 ends every job by 45%
      // of its bound (docs/reliability.md). The soak judges faults, not capacity: that is `npm run bench`'s.
      VERITY_SOAK_CONCURRENCY: '16',
      // a GCS outage holds a due deadline 30 s, then 60 s (core/holds.ts): at 3% the slowest jobs keep the run
      // past its four minutes; 1% still makes outages (the 2,000-job run has the full 3%)
      VERITY_SOAK_GCS_ERROR_RATE: '0.01',
    });
    const lines: string[] = [];
    const result = await runSoak(cfg, REPO_ROOT, (line) => {
      lines.push(line);
      process.stderr.write(`${line}\n`);
    });
    return { ...result, last: lines.at(-1) ?? '' };
  })();
  return soak;
}

describe('fault soak', () => {
  it(
    `${JOBS} jobs under kills and message faults: every one submitted and acknowledged`,
    { timeout: 600_000 },
    async () => {
      const { summary, workloadErrors, last } = await soakOnce();
      assert.ok(summary.kills > 0, 'units were killed');
      assert.ok(summary.messageFaults > 0, 'deliveries were dropped, duplicated, delayed or reordered');
      assert.deepEqual(workloadErrors, [], last);
      assert.equal(summary.planned, JOBS);
      assert.equal(summary.acknowledged, summary.planned, last);
    },
  );

  it('none lost, deleted, answered 5xx, stuck or orphaned', { timeout: 600_000 }, async () => {
    const { findings: f, last } = await soakOnce();
    const got = { lost: f.lost, deleted: f.deleted, fiveXX: f.fiveXX, stuck: f.stuck, orphaned: f.orphaned };
    assert.deepEqual(got, { lost: [], deleted: [], fiveXX: [], stuck: [], orphaned: [] }, last);
  });

  it('none wrong and no attempt launched twice', { timeout: 600_000 }, async () => {
    const { findings: f, last } = await soakOnce();
    assert.deepEqual(
      { wrong: f.wrong, duplicateLaunches: f.duplicateLaunches },
      { wrong: [], duplicateLaunches: [] },
      last,
    );
  });

  it(
    'every transition delivered to the webhook subscriber, in order per job, signed (issue 31)',
    { timeout: 600_000 },
    async () => {
      const { findings: f, last } = await soakOnce();
      assert.deepEqual(f.undelivered, [], last);
    },
  );

  // a start that met an injected executor fault is excepted (the fake records its job and attempt); a transient
  // start failure is tried again within seconds (fix 24, docs/reliability.md)
  it('no attempt failed without its execution ever starting', { timeout: 600_000 }, async () => {
    const { findings: f, last } = await soakOnce();
    assert.deepEqual(f.neverDispatched, [], last);
  });
});
