/**
 * schemathesis (PyPI, pinned and installed into .tools/venv-schemathesis by infra/local/python-tools.ts) against the
 * API's own /api/openapi.json: every check, every phase including the stateful one (which follows the
 * document's links from POST /api/jobs and POST /api/projects to every job and project route), a fixed seed
 * and a bounded example count. Zero failures, or the test prints schemathesis's report.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../../shared/src/config/env.js';
import { ensureSchemathesis, type ToolCommand } from '../../infra/local/tools.js';
import { startApi, type ApiClient } from '../helpers/api.js';
import { testRuntime, type TestRuntime } from '../helpers/runtime.js';

/** Fixed, so a failure here is a failure on every machine; bounded, so the run stays within about 3 minutes. */
export const FUZZ_SEED = 20261201;
export const FUZZ_MAX_EXAMPLES = 10;

export function schemathesisArgs(url: string, token: string): string[] {
  return [
    'run',
    `${url}/api/openapi.json`,
    '--url',
    url, // the document's `servers` names the local stack's port, not this test server's
    '-H',
    `Authorization: Bearer ${token}`,
    // every check: CONFIG turns them all on (a --checks flag would override its per-operation line)
    '--phases',
    'examples,coverage,fuzzing,stateful',
    '--seed',
    String(FUZZ_SEED),
    '--max-examples',
    String(FUZZ_MAX_EXAMPLES),
    '--workers',
    '1',
    '--request-timeout',
    '20',
    // The two event streams stay open until their job ends (and hold a stream slot while they do): a
    // request/response fuzzer would wait on them forever. test/api/queue-sse.test.ts covers them.
    '--exclude-path-regex',
    '/events$',
    '--no-color',
  ];
}

/**
 * The one check turned off for one operation, because no schema can state the rule it trips on: a project's
 * artifacts must have distinct `key`s (JSON Schema's uniqueItems compares whole items, not one property), so
 * a generator that only knows the schema sends repeated keys and gets the 400 they deserve. Every other check
 * stays on for POST /api/projects; test/integration/projects.test.ts covers the repeated keys.
 */
const CONFIG = `
checks.enabled = true

[[operations]]
include-path = "/api/projects"
include-method = "POST"
checks.positive_data_acceptance.enabled = false
`;

function run(tool: ToolCommand, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const env = { ...process.env, NO_COLOR: '1', COLUMNS: '140' };
    // a fresh working directory: schemathesis keeps a crash database in ./.schemathesis and replays it on the next
    // run, which would make a run depend on the ones before it
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'verity-schemathesis-'));
    writeFileSync(path.join(cwd, 'schemathesis.toml'), CONFIG);
    const child = spawn(tool.command, [...tool.args, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env });
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.on('error', (err) => resolve({ code: null, output: `${output}\n${String(err)}` }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

const LOG_DIR = path.join(REPO_ROOT, '.verity', 'test-logs');

/** The report from its FAILURES section on, each line cut short (a generated body can run to megabytes). */
function failures(output: string): string {
  const from = output.search(/=+ FAILURES =+/);
  return (from < 0 ? output : output.slice(from))
    .split('\n')
    .map((l) => (l.length > 600 ? `${l.slice(0, 600)}…` : l))
    .join('\n');
}

let rt: TestRuntime;
let api: ApiClient;
let tool: ToolCommand;
before(async () => {
  tool = await ensureSchemathesis(REPO_ROOT);
  rt = await testRuntime('fuzz');
  api = await startApi(rt, 'fuzzer');
});
after(async () => {
  await api?.close();
  await rt?.db.terminate();
});

describe('schemathesis against /api/openapi.json', () => {
  it('finds no failure with all checks and the stateful phase', async () => {
    const { code, output } = await run(tool, schemathesisArgs(api.url, await api.token('fuzzer')));
    mkdirSync(LOG_DIR, { recursive: true });
    writeFileSync(path.join(LOG_DIR, 'schemathesis.log'), output);
    assert.equal(
      code,
      0,
      `schemathesis exited ${String(code)} (whole output: .verity/test-logs/schemathesis.log):\n${failures(output)}`,
    );
    assert.match(output, /stateful/i, 'the stateful phase ran');
  });
});
