/** The local stand-in for Cloud Scheduler: POSTs the sweep function every interval with an admin token. */
import { parseEnv } from '../../shared/src/config/env.js';
import { loadLocalSecret, mintLocalToken } from '../../shared/src/auth/local-issuer.js';
import { SWEEP_INTERVAL_SECONDS, SWEEP_PORT } from './functions.js';

export async function startSweepTick(repoRoot: string): Promise<() => void> {
  const env = parseEnv({ ...process.env, VERITY_REPO_ROOT: repoRoot });
  const token = await mintLocalToken(loadLocalSecret(env.localJwtSecret, env.stateDir), 'scheduler', {
    admin: true,
    ttlSeconds: 30 * 24 * 3600,
  });
  let running = false;
  const timer = setInterval(() => {
    if (running) return; // never two ticks at once from here (overlap with a manual sweep is fine: leases)
    running = true;
    fetch(`http://127.0.0.1:${SWEEP_PORT}/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(120_000),
    })
      .then(async (res) => {
        const report = (await res.json()) as { checked?: number; corrected?: number };
        if (res.ok && (report.corrected ?? 0) > 0)
          process.stdout.write(`[tick] sweep checked ${report.checked}, corrected ${report.corrected}\n`);
        if (!res.ok) process.stderr.write(`[tick] sweep answered ${res.status}\n`);
      })
      .catch((err: unknown) => process.stderr.write(`[tick] sweep failed: ${(err as Error).message}\n`))
      .finally(() => {
        running = false;
      });
  }, SWEEP_INTERVAL_SECONDS * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
