/**
 * `npm run docs:screens`: the pictures of docs/dashboard.md, taken the way the e2e tests see the dashboard. Starts
 * the emulators on the test ports (as `npm test` does: VERITY_TEST_* override them), the API with the dashboard
 * in-process on a runtime of its own, Debian's Chromium at 1280×800, then walks test/helpers/dashboard-tour.ts —
 * the stops the accessibility test audits — and writes each as docs/screens/<stop>.png. Fails when
 * docs/dashboard.md does not show a stop's picture.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testPorts, TEST_PORT_ENV } from '../infra/local/ports.js';
import { StackStartError, startStack } from '../infra/local/stack.js';
import { findRepoRoot } from '../infra/local/tools.js';

const repoRoot = findRepoRoot(import.meta.url);
const PROJECT = 'verity-test';
const OUT = join(repoRoot, 'docs', 'screens');
/** Stops pictured taller than the 800 px window (the page below it, down to this height): the job page's timeline. */
const TALL: Partial<Record<string, number>> = { 'job-running': 2000 };

// the page's globals, for the function page.evaluate runs there (the project compiles without the DOM library)
declare const document: { activeElement: { blur?: () => void } | null };

async function main(): Promise<void> {
  const ports = testPorts();
  const stack = await startStack({
    repoRoot,
    ports,
    project: PROJECT,
    bucket: PROJECT,
    logDir: join(repoRoot, '.verity', 'screens-logs'),
    functions: [],
    portEnv: TEST_PORT_ENV,
  });
  Object.assign(process.env, {
    FIRESTORE_EMULATOR_HOST: stack.firestore.hostPort,
    PUBSUB_EMULATOR_HOST: stack.pubsub.hostPort,
    VERITY_GCS_ENDPOINT: stack.gcs.url,
    VERITY_TEST_GCS_URL: stack.gcs.url,
    GOOGLE_CLOUD_PROJECT: PROJECT,
    METADATA_SERVER_DETECTION: 'none',
  });
  try {
    // loaded once the emulators' addresses are in the environment the clients read
    const { startDashboard } = await import('./helpers/dashboard.js');
    const { STOPS, tour } = await import('./helpers/dashboard-tour.js');
    const doc = readFileSync(join(repoRoot, 'docs', 'dashboard.md'), 'utf8');
    const unshown = STOPS.filter((s) => !doc.includes(`(screens/${s}.png)`));
    if (unshown.length) throw new Error(`docs/dashboard.md shows no picture of: ${unshown.join(', ')}`);
    mkdirSync(OUT, { recursive: true });
    const d = await startDashboard('screens');
    try {
      await d.page.setViewportSize({ width: 1280, height: 800 });
      await d.page.emulateMedia({ reducedMotion: 'reduce' }); // no row caught mid-fade
      await tour(d, async (stop) => {
        await d.page.evaluate(() => document.activeElement?.blur?.()); // no focus ring left by the tour's keys
        await d.page.mouse.move(0, 799); // nor a hover
        const height = TALL[stop];
        const path = join(OUT, `${stop}.png`);
        // the window as it is scrolled; a tall stop from the page's top down
        await d.page.screenshot(
          height ? { path, fullPage: true, clip: { x: 0, y: 0, width: 1280, height } } : { path },
        );
        process.stdout.write(`docs/screens/${stop}.png\n`);
      });
    } finally {
      await d.close();
    }
  } finally {
    await stack.stop().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    const lines =
      err instanceof StackStartError ? err.problems : [err instanceof Error ? (err.stack ?? err.message) : String(err)];
    process.stderr.write(`docs:screens failed:\n${lines.join('\n')}\n`);
    process.exit(1);
  },
);
