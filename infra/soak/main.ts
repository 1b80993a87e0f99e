/**
 * `npm run soak`: a fault soak of the whole stack (issue 14). VERITY_SOAK_JOBS (2000), VERITY_SOAK_SEED (1),
 * more in infra/soak/config.ts. Prints progress, the findings, the recovery time per fault kind, and last:
 *   soak: N jobs, K kills, F faults, stuck S, wrong W, lost L, deleted D, orphaned O, recovery p50/p99 …
 * Exits 1 when any count is not 0.
 */
import { findRepoRoot } from '../local/tools.js';
import { parseSoakConfig } from './config.js';
import { runSoak } from './driver.js';

async function main(): Promise<void> {
  // a signal ends the run: exiting runs the supervisor's exit hook, which kills every process group started
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => process.exit(130));
  const cfg = parseSoakConfig();
  const result = await runSoak(cfg, findRepoRoot(import.meta.url), (line) => process.stdout.write(`${line}\n`));
  const bad = Object.values(result.summary.counts).some((n) => n > 0);
  process.exit(bad ? 1 : 0);
}

main().catch((err: unknown) => {
  process.stderr.write(`soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
