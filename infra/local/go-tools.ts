/**
 * Go tools the project installs itself, pinned, into <repo>/.tools/bin with `go install` on first use:
 * fake-gcs-server (the local Cloud Storage), gofakes3 (the local S3-compatible store) and terraform (for
 * `terraform fmt -check`).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { which } from './host.js';

export const FAKE_GCS_VERSION = 'v1.55.1';
export const FAKE_GCS_MODULE = 'github.com/fsouza/fake-gcs-server';

/** A Go tool the project installs itself, pinned, into <repo>/.tools/bin with `go install`. */
export interface GoTool {
  binary: string;
  module: string;
  version: string;
  why: string;
}

export const FAKE_GCS: GoTool = {
  binary: 'fake-gcs-server',
  module: FAKE_GCS_MODULE,
  version: FAKE_GCS_VERSION,
  why: 'the local Cloud Storage',
};
/**
 * gofakes3, a real S3-speaking server (the AWS SDK v3 talks to it as to S3): the local stand-in for the
 * S3-compatible stores outputs may live in (DigitalOcean Spaces in seeds 003/004). Its memory backend; plain
 * GETs and HEADs of its objects serve as the "HTTPS URL" outputs of the local stack too.
 */
export const GOFAKES3: GoTool = {
  binary: 'gofakes3',
  module: 'github.com/johannesboyne/gofakes3/cmd/gofakes3',
  version: 'v1.2.0',
  why: 'the local S3-compatible store',
};
/**
 * Terraform, for `terraform fmt -check`. Its release downloads are out of reach here, and from 1.6 on its
 * go.mod has replace directives that `go install` refuses; 1.5.7 (the last MPL release) installs from the Go
 * module proxy, and its formatter is the one later releases use.
 */
export const TERRAFORM: GoTool = {
  binary: 'terraform',
  module: 'github.com/hashicorp/terraform',
  version: 'v1.5.7',
  why: 'terraform fmt -check on infra/terraform',
};

export function goToolBinary(repoRoot: string, tool: GoTool): string {
  return join(repoRoot, '.tools', 'bin', tool.binary);
}

function stampFile(repoRoot: string, tool: GoTool): string {
  return `${goToolBinary(repoRoot, tool)}.version`;
}

/** True when the binary exists and is not stamped with another version (an unstamped one is accepted). */
export function goToolInstalled(repoRoot: string, tool: GoTool): boolean {
  if (!existsSync(goToolBinary(repoRoot, tool))) return false;
  try {
    return readFileSync(stampFile(repoRoot, tool), 'utf8').trim() === tool.version;
  } catch {
    return true;
  }
}

export const fakeGcsInstalled = (repoRoot: string): boolean => goToolInstalled(repoRoot, FAKE_GCS);

/** What to say when `go` is needed (the tool is not installed yet) and missing. */
export function goMissingMessage(repoRoot: string, tool: GoTool = FAKE_GCS): string {
  return (
    `go not found on PATH — it is needed once, to install ${tool.binary} ${tool.version} (${tool.why}) ` +
    `into ${join(repoRoot, '.tools', 'bin')}; ` +
    'install Go 1.25+ (https://go.dev/doc/install; Go 1.21+ fetches the needed toolchain itself) and put `go` on PATH'
  );
}

/** Returns the tool's binary, running `go install` into <repo>/.tools/bin first when missing. */
export async function ensureGoTool(repoRoot: string, tool: GoTool): Promise<string> {
  const binary = goToolBinary(repoRoot, tool);
  if (goToolInstalled(repoRoot, tool)) return binary;
  const go = which('go');
  if (!go) throw new Error(goMissingMessage(repoRoot, tool));
  process.stderr.write(`installing ${tool.binary} ${tool.version} (first run only)…\n`);
  const env: NodeJS.ProcessEnv = { ...process.env, GOBIN: dirname(binary) };
  if (!env.GOPATH && !env.HOME) env.GOPATH = join(repoRoot, '.tools', 'go');
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(go, ['install', `${tool.module}@${tool.version}`], { env, stdio: ['ignore', 2, 2] });
    child.on('error', () => resolve(null));
    child.on('exit', (c) => resolve(c));
  });
  if (code !== 0 || !existsSync(binary)) {
    throw new Error(
      `\`go install ${tool.module}@${tool.version}\` failed (exit ${String(code)}) — see the go output above`,
    );
  }
  writeFileSync(stampFile(repoRoot, tool), `${tool.version}\n`);
  return binary;
}

export const ensureFakeGcs = (repoRoot: string): Promise<string> => ensureGoTool(repoRoot, FAKE_GCS);
