/**
 * Debian's Chromium for the dashboard's browser test (playwright-core drives it; `npx playwright install`
 * cannot download a browser on this network). Installs it with apt-get when running as root and missing.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Flags for a closed network: without the background-networking ones Chromium keeps opening connections
 * that are refused. Playwright's `chromium.launch` gives every browser a fresh, empty user-data-dir itself
 * (it rejects a `--user-data-dir` argument); anything else launching Chromium should add one.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const executable = (p: string): boolean => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

let updated = false;
let installing: Promise<string> | null = null;

async function install(): Promise<string> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  process.stderr.write(
    `chromium: ${CHROMIUM_PATH} is missing, installing it with apt-get (debian package "chromium")\n`,
  );
  try {
    if (!updated) {
      await run('apt-get', ['update'], { env, maxBuffer: 64 * 1024 * 1024 });
      updated = true;
    }
    await run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], {
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stderr?: string; message?: string };
    const tail = (e.stderr ?? e.message ?? String(err)).trim().split('\n').slice(-3).join(' | ');
    throw new Error(`chromium: apt-get install chromium failed: ${tail}`);
  }
  if (!executable(CHROMIUM_PATH)) throw new Error(`chromium: apt-get finished but ${CHROMIUM_PATH} is still missing`);
  return CHROMIUM_PATH;
}

/** The Chromium executable: VERITY_CHROMIUM if set, else /usr/bin/chromium, installed with apt-get when possible. */
export async function ensureChromium(): Promise<string> {
  const override = process.env.VERITY_CHROMIUM;
  if (override) {
    if (executable(override)) return override;
    throw new Error(`chromium: VERITY_CHROMIUM=${override} is not an executable file`);
  }
  if (executable(CHROMIUM_PATH)) return CHROMIUM_PATH;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const aptGet = ['/usr/bin/apt-get', '/bin/apt-get'].some(executable);
  if (!root || !aptGet) {
    throw new Error(
      `chromium: ${CHROMIUM_PATH} is missing and cannot be installed automatically (${!aptGet ? 'no apt-get' : 'not root'}); ` +
        'install it with `sudo apt-get install -y chromium` or set VERITY_CHROMIUM to a Chromium executable',
    );
  }
  installing ??= install().finally(() => {
    installing = null;
  });
  return installing;
}
