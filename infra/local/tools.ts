/**
 * External tools the local stack needs: prerequisite checks with one clear message per missing thing,
 * the pinned fake-gcs-server binary (installed into <repo>/.tools/bin on first use), the pinned schemathesis venv
 * (<repo>/.tools/venv-schemathesis, from PyPI on first use), and port checks.
 */
import { spawn } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FAKE_GCS_VERSION = 'v1.55.1';
export const FAKE_GCS_MODULE = 'github.com/fsouza/fake-gcs-server';
export const MIN_JAVA_VERSION = 17;
/** gcloud components the stack runs (ids as in `gcloud components list`). */
export const GCLOUD_COMPONENTS = ['cloud-firestore-emulator', 'pubsub-emulator'] as const;

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

interface RunResult {
  code: number | null;
  output: string;
}

/** Run a short command, capturing stdout+stderr; resolves (never rejects) even when it cannot start. */
function run(cmd: string, args: string[], timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.on('error', (err) => resolve({ code: null, output: String(err) }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Major Java version from `java -version` output ("1.8.0_x" → 8, "17.0.15" → 17), or null. */
export function parseJavaMajor(versionOutput: string): number | null {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!m?.[1]) return null;
  const major = Number(m[1]);
  return major === 1 && m[2] ? Number(m[2]) : major;
}

async function checkJava(): Promise<Problem | null> {
  const install = 'install a Java 17+ runtime (e.g. `apt-get install openjdk-17-jre-headless`) and put `java` on PATH';
  if (!which('java')) {
    return {
      what: 'java',
      message: `java not found on PATH (the Firestore and Pub/Sub emulators need Java ${MIN_JAVA_VERSION}+) — ${install}`,
    };
  }
  const res = await run('java', ['-version']);
  const major = parseJavaMajor(res.output);
  if (major === null) {
    return {
      what: 'java',
      message: `could not read the version of \`java\` (\`java -version\` said: ${res.output.trim().split('\n')[0] ?? ''}) — ${install}`,
    };
  }
  if (major < MIN_JAVA_VERSION) {
    return { what: 'java', message: `java ${major} found, the emulators need Java ${MIN_JAVA_VERSION}+ — ${install}` };
  }
  return null;
}

/** The gcloud SDK root: from the real path of `gcloud` (fast), else `gcloud info` (about a second). */
export async function gcloudSdkRoot(gcloudPath: string): Promise<string | null> {
  try {
    const guess = dirname(dirname(realpathSync(gcloudPath)));
    if (existsSync(join(guess, 'platform')) || existsSync(join(guess, '.install'))) return guess;
  } catch {
    // fall through
  }
  const res = await run(gcloudPath, ['info', '--format=value(installation.sdk_root)']);
  const root = res.output.trim().split('\n').pop()?.trim();
  return res.code === 0 && root && existsSync(root) ? root : null;
}

function componentInstalled(sdkRoot: string, id: string): boolean {
  if (existsSync(join(sdkRoot, '.install', `${id}.manifest`))) return true;
  if (id === 'beta') return existsSync(join(sdkRoot, 'lib', 'surface', 'beta'));
  return existsSync(join(sdkRoot, 'platform', id));
}

const APT_PACKAGES: Readonly<Record<string, string>> = {
  'cloud-firestore-emulator': 'google-cloud-cli-firestore-emulator',
  'pubsub-emulator': 'google-cloud-cli-pubsub-emulator',
  beta: 'google-cloud-cli',
};

async function checkGcloud(): Promise<Problem[]> {
  const gcloud = which('gcloud');
  if (!gcloud) {
    return [
      {
        what: 'gcloud',
        message:
          'gcloud (Google Cloud SDK) not found on PATH — install it (https://cloud.google.com/sdk/docs/install) ' +
          'with the components cloud-firestore-emulator and pubsub-emulator',
      },
    ];
  }
  const root = await gcloudSdkRoot(gcloud);
  if (!root)
    return [
      {
        what: 'gcloud',
        message: `could not find the Google Cloud SDK root of ${gcloud} (\`gcloud info\` failed) — reinstall the Google Cloud SDK`,
      },
    ];
  const problems: Problem[] = [];
  for (const id of [...GCLOUD_COMPONENTS, 'beta']) {
    if (componentInstalled(root, id)) continue;
    const apt = APT_PACKAGES[id];
    problems.push({
      what: `gcloud component ${id}`,
      message:
        `gcloud component ${id} is not installed (SDK at ${root}) — run \`gcloud components install ${id}\`` +
        (apt ? ` (for an apt-installed SDK: \`apt-get install ${apt}\`)` : ''),
    });
  }
  return problems;
}

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

export const fakeGcsBinary = (repoRoot: string): string => goToolBinary(repoRoot, FAKE_GCS);
export const fakeGcsInstalled = (repoRoot: string): boolean => goToolInstalled(repoRoot, FAKE_GCS);

function goMissingMessage(repoRoot: string, tool: GoTool = FAKE_GCS): string {
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

/** A Python tool the project installs itself, pinned, from PyPI into a venv of its own under <repo>/.tools. */
export interface PythonTool {
  /** The venv directory under .tools, e.g. venv-schemathesis. */
  venv: string;
  /** The PyPI distribution and its pinned version. */
  dist: string;
  version: string;
  /** What to run: `python -c <entry>`, so the venv stays usable after the atomic rename that installs it. */
  entry: string;
  why: string;
}

/** schemathesis, the OpenAPI fuzzer of test/fuzz: its version pinned here (PyPI, checked 2026-12). */
export const SCHEMATHESIS: PythonTool = {
  venv: 'venv-schemathesis',
  dist: 'schemathesis',
  version: '4.32.5',
  entry:
    'import sys; from schemathesis.cli import schemathesis; sys.argv[0] = "schemathesis"; sys.exit(schemathesis())',
  why: 'the OpenAPI fuzzing test (test/fuzz)',
};

const venvDir = (repoRoot: string, tool: PythonTool): string => join(repoRoot, '.tools', tool.venv);
const venvStamp = (dir: string): string => join(dir, '.verity-version');

/** How to run a Python tool: the venv's python and the arguments before the tool's own. */
export interface ToolCommand {
  command: string;
  args: string[];
}

function pythonToolCommand(dir: string, tool: PythonTool): ToolCommand {
  return { command: join(dir, 'bin', 'python'), args: ['-c', tool.entry] };
}

export function pythonToolInstalled(repoRoot: string, tool: PythonTool): boolean {
  const dir = venvDir(repoRoot, tool);
  try {
    return (
      existsSync(join(dir, 'bin', 'python')) &&
      readFileSync(venvStamp(dir), 'utf8').trim() === `${tool.dist}==${tool.version}`
    );
  } catch {
    return false;
  }
}

/**
 * Returns the command that runs the tool, creating its venv first when missing or of another version:
 * `python3 -m venv` into a temporary directory beside it, `pip install <dist>==<version>`, a stamp, then one
 * rename, so a concurrent or interrupted install never leaves a half-made venv where the tool is looked for.
 */
export async function ensurePythonTool(repoRoot: string, tool: PythonTool): Promise<ToolCommand> {
  const dir = venvDir(repoRoot, tool);
  if (pythonToolInstalled(repoRoot, tool)) return pythonToolCommand(dir, tool);
  const python = which('python3');
  if (!python) {
    throw new Error(
      `python3 not found on PATH — it is needed once, to install ${tool.dist} ${tool.version} (${tool.why}) into ${dir}; ` +
        'install Python 3.10+ with its venv module (e.g. `apt-get install python3-venv`)',
    );
  }
  process.stderr.write(`installing ${tool.dist} ${tool.version} into ${dir} (first run only)…\n`);
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const step = (cmd: string, args: string[]): Promise<number | null> =>
    new Promise((resolve) => {
      const child = spawn(cmd, args, {
        stdio: ['ignore', 2, 2],
        env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' },
      });
      child.on('error', () => resolve(null));
      child.on('exit', (c) => resolve(c));
    });
  try {
    if ((await step(python, ['-m', 'venv', tmp])) !== 0) {
      throw new Error(`\`python3 -m venv ${tmp}\` failed — is the venv module installed (python3-venv)?`);
    }
    const spec = `${tool.dist}==${tool.version}`;
    if ((await step(join(tmp, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', spec])) !== 0) {
      throw new Error(`\`pip install ${spec}\` failed — see the pip output above`);
    }
    writeFileSync(venvStamp(tmp), `${tool.dist}==${tool.version}\n`);
    if (!pythonToolInstalled(repoRoot, tool)) {
      rmSync(dir, { recursive: true, force: true });
      try {
        renameSync(tmp, dir);
      } catch (err) {
        if (!pythonToolInstalled(repoRoot, tool)) throw err; // else another run installed it meanwhile
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return pythonToolCommand(dir, tool);
}

export const ensureSchemathesis = (repoRoot: string): Promise<ToolCommand> => ensurePythonTool(repoRoot, SCHEMATHESIS);

/** Everything missing to run the stack, one problem per missing thing (empty when all is there). */
export async function checkPrerequisites(opts: { repoRoot: string }): Promise<Problem[]> {
  const [java, gcloud] = await Promise.all([checkJava(), checkGcloud()]);
  const problems: Problem[] = [];
  if (java) problems.push(java);
  problems.push(...gcloud);
  if (!fakeGcsInstalled(opts.repoRoot) && !which('go'))
    problems.push({ what: 'go', message: goMissingMessage(opts.repoRoot) });
  return problems;
}

function portInUseMessage(port: number, what: string, envVar?: string): string {
  return (
    `port ${port} (${what}) is in use — stop whatever uses it` +
    (envVar ? ` or set ${envVar}` : ' or choose another port')
  );
}

/** null when host:port can be listened on; otherwise the clear message why not. */
export function portProblem(host: string, port: number, what: string, envVar?: string): Promise<string | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      resolve(
        err.code === 'EADDRINUSE'
          ? portInUseMessage(port, what, envVar)
          : `port ${port} (${what}) cannot be used on ${host}: ${err.code ?? err.message}` +
              (envVar ? ` — set ${envVar}` : ''),
      );
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(null)));
  });
}

/** Throws "port 8681 (Firestore emulator) is in use — stop whatever uses it or set VERITY_FIRESTORE_PORT". */
export async function assertPortFree(host: string, port: number, what: string, envVar?: string): Promise<void> {
  const problem = await portProblem(host, port, what, envVar);
  if (problem) throw new Error(problem);
}
