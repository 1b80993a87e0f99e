/**
 * Python tools the project installs itself, pinned, from PyPI into a venv of its own under <repo>/.tools on
 * first use: schemathesis (the OpenAPI fuzzer of test/fuzz) and pytest (the Python worker client's tests).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { which } from './host.js';

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

/** pytest, which runs the Python worker client's tests (clients/python/tests) inside npm test. */
export const PYTEST: PythonTool = {
  venv: 'venv-pytest',
  dist: 'pytest',
  version: '8.3.4',
  entry: 'import sys, pytest; sys.exit(pytest.main())',
  why: "the Python worker client's tests (test/e2e/python-worker.test.ts)",
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
export const ensurePytest = (repoRoot: string): Promise<ToolCommand> => ensurePythonTool(repoRoot, PYTEST);
