/**
 * `npm run bench`: ratios measured side by side in one run against the Firestore emulator (started here
 * on its own port). Not a test: no assertions, the machine is shared and noisy; compare the ratios.
 *  (a) job lifecycle enqueue → started → progress → succeeded, transitions/s, relative to the same number of
 *      bare read-modify-write transactions on distinct documents (goal ≥ 0.5);
 *  (b) GET /api/jobs/:id of an in-deadline job, relative to a bare document read served over the same
 *      functions-framework HTTP stack (goal ≤ 1.3).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFirestore, type RunningService } from '../infra/local/emulators.js';
import { LOCAL_HOST } from '../infra/local/ports.js';
import { benchGet } from './get-vs-read.js';
import { benchLifecycle } from './lifecycle.js';

const port = Number(process.env.VERITY_BENCH_FIRESTORE_PORT ?? 19681);
const logDir = mkdtempSync(path.join(os.tmpdir(), 'verity-bench-'));

async function main(): Promise<void> {
  process.stdout.write(`starting the Firestore emulator on ${LOCAL_HOST}:${port} (logs in ${logDir})…\n`);
  const fs: RunningService = await startFirestore({ host: LOCAL_HOST, port, logDir });
  process.env.FIRESTORE_EMULATOR_HOST = fs.hostPort;
  process.env.METADATA_SERVER_DETECTION = 'none';
  try {
    const a = await benchLifecycle(Number(process.env.VERITY_BENCH_JOBS ?? 150), Number(process.env.VERITY_BENCH_CONCURRENCY ?? 10));
    const b = await benchGet(Number(process.env.VERITY_BENCH_REQUESTS ?? 400));
    process.stdout.write('\nresults\n');
    process.stdout.write(`(a) lifecycle: ${a.transitionsPerSecond.toFixed(0)} transitions/s vs ${a.barePerSecond.toFixed(0)} bare RMW tx/s → ratio ${a.ratio.toFixed(2)} (goal ≥ 0.5)\n`);
    process.stdout.write(`(b) GET /api/jobs/:id: median ${b.apiMedianMs.toFixed(2)} ms vs bare read ${b.bareMedianMs.toFixed(2)} ms → ratio ${b.ratio.toFixed(2)} (goal ≤ 1.3)\n`);
  } finally {
    await fs.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
