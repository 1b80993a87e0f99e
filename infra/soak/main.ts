/**
 * `npm run soak`: a fault soak of the whole stack (issue 14). VERITY_SOAK_JOBS (2000), VERITY_SOAK_SEED (1),
 * more in infra/soak/config.ts. Prints progress, the findings, the recovery time per fault kind, and last:
 *   soak: P planned, A acknowledged, N jobs, K kills, F faults, 5xx X, stuck S (worst lateness …), wrong W,
 *   lost L, never dispatched U, duplicate launches D, orphaned O, deleted E, undelivered W, recovery p50/p99 …
 * Exits 1 when any count is not 0, a planned request was not acknowledged, or the workload itself failed.
 */
import { findRepoRoot } from '../local/tools.js';
import { parseSoakConfig } from './config.js';
import { runSoak } from './driver.js';

async function main(): Promise<void> {
  // a signal ends the run: exiting runs the supervisor's exit hook, which kills every process group started
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => process.exit(130));
  const cfg = parseSoakConfig();
  const result = await runSoak(cfg, findRepoRoot(import.meta.url), (line) => process.stdout.write(`${line}\n`));
  const { counts, planned, acknowledged } = result.summary;
  const bad = Object.values(counts).some((n) => n > 0) || acknowledged < planned || result.workloadErrors.length > 0;
  process.exit(bad ? 1 : 0);
}

main().catch((err: unknown) => {
  process.stderr.write(`soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
