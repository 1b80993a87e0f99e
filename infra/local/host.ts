/**
 * What the local tooling asks of this machine: the repo root, executables on PATH, the output of a short
 * command, and the shape of a missing prerequisite. Shared by the per-tool modules (java.ts, gcloud.ts,
 * go-tools.ts, python-tools.ts) that tools.ts gathers.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Problem {
  /** The missing thing: 'java', 'gcloud', 'gcloud component pubsub-emulator', 'go', 'port 8080', … */
  what: string;
  /** One line naming it and saying how to fix it. */
  message: string;
}

/** The nearest ancestor of a module's directory holding package.json (dist/ has none, so: the repo). */
export function findRepoRoot(moduleUrl: string | URL): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(moduleUrl)}`);
    dir = parent;
  }
}

/** Absolute path of an executable on PATH, or null. No process is spawned. */
export function which(cmd: string, env: NodeJS.ProcessEnv = process.env): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, cmd);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export interface RunResult {
  code: number | null;
  output: string;
}

/** Run a short command, capturing stdout+stderr; resolves (never rejects) even when it cannot start. */
export function runShort(cmd: string, args: string[], timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.on('error', (err) => resolve({ code: null, output: String(err) }));
    child.on('close', (code) => resolve({ code, output }));
  });
}
