/**
 * schemathesis (PyPI, pinned and installed into .tools/venv-schemathesis by infra/local/python-tools.ts) against the
 * API's own /api/openapi.json: every check, every phase including the stateful one (which follows the
 * document's links from POST /api/jobs, POST /api/projects and POST /api/subscriptions to every route on the new
 * id), a fixed seed and a bounded example count. Zero failures, or the test prints schemathesis's report.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../../shared/src/config/env.js';
import { ensureSchemathesis, type ToolCommand } from '../../infra/local/tools.js';
import { createExternalExecutor } from '../../shared/src/evidence/executors/external.js';
import { startApi, type ApiClient } from '../helpers/api.js';
import { recordingExecutor } from '../helpers/executors.js';
import { testRuntime, type TestRuntime } from '../helpers/runtime.js';

/** Fixed, so a failure here is a failure on every machine; bounded, so each run stays within a few minutes. */
export const FUZZ_SEED = 20261201;
export const FUZZ_MAX_EXAMPLES = 60;

/**
 * One schemathesis run. The coverage phase runs alone with one worker: with more, schemathesis 4.32 fails inside
 * its coverage generator (a KeyError from a cache the workers share); the fuzzing and stateful phases run with
 * four workers beside it, since the API's store, not the generator, is what they wait on.
 */
export function schemathesisArgs(url: string, token: string, part: 'coverage' | 'fuzzing'): string[] {
  return [
    'run',
    `${url}/api/openapi.json`,
    '--url',
    url, // the document's `servers` names the local stack's port, not this test server's
    '-H',
    `Authorization: Bearer ${token}`,
    // every check: CONFIG turns them all on (a --checks flag would override its per-operation line)
    '--phases',
    part === 'coverage' ? 'examples,coverage' : 'fuzzing,stateful',
    '--seed',
    String(FUZZ_SEED),
    '--max-examples',
    String(FUZZ_MAX_EXAMPLES),
    '--workers',
    part === 'coverage' ? '1' : '4',
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
 * Every check on every operation: nothing is turned off (a --checks flag would override this line). One check
 * expects more of one operation than a schema can promise: a subscription URL of the document's form is refused
 * (400) when its name does not resolve or resolves to an address no subscription may send to — DNS decides
 * that, not the schema (and here, without a network, no name resolves). So POST /api/subscriptions may answer
 * schema-valid data with 400 too; every other check applies to it as to the rest.
 */
const CONFIG = `
checks.enabled = true

[[operations]]
include-operation-id = "createSubscription"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
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
  // the fuzzer's jobs start nothing real: it tests the HTTP contract, and a process per generated job would
  // spend its minutes spawning demo workers (the executors have tests of their own)
  rt = await testRuntime('fuzz', {
    executors: { external: createExternalExecutor(), 'local-process': recordingExecutor() },
  });
  api = await startApi(rt, 'fuzzer');
});
after(async () => {
  await api?.close();
  await rt?.deliveries.idle(); // the subscriptions it made: their first tries, to whatever local port they name
  await rt?.db.terminate();
});

// The two tokens' runs, and each one's two parts, run at once: each waits mostly on the API, not on a core.
describe('schemathesis against /api/openapi.json', { concurrency: true }, () => {
  // a user sees its own jobs and projects; an admin sees every owner's and may act on them (other checks apply)
  for (const who of [
    { name: 'user', admin: false },
    { name: 'admin', admin: true },
  ]) {
    for (const part of ['coverage', 'fuzzing'] as const) {
      it(`finds no failure with every check in the ${part} phases, as ${who.name}`, async () => {
        const token = await api.token(`fuzz-${who.name}`, { admin: who.admin });
        const { code, output } = await run(tool, schemathesisArgs(api.url, token, part));
        const log = `schemathesis-${who.name}-${part}.log`;
        mkdirSync(LOG_DIR, { recursive: true });
        writeFileSync(path.join(LOG_DIR, log), output);
        assert.equal(
          code,
          0,
          `schemathesis exited ${String(code)} (whole output: .verity/test-logs/${log}):\n${failures(output)}`,
        );
        assert.match(output, part === 'coverage' ? /Coverage \(in/ : /Stateful \(in/, `the ${part} phases ran`);
      });
    }
  }
});
