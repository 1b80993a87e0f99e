/**
 * `npm start`: the whole local stack in the foreground. Prints one "Verity ready — …" line once every part
 * answers; Ctrl-C / SIGTERM stops every process it started and exits 0. A missing prerequisite or a busy
 * port ends with one clear message per problem and exit code 1, with nothing left running.
 * Local state (logs) lives under <repo>/.verity/.
 */
import { nodeLine } from './node-runtime.js';
import { join } from 'node:path';
import { localPorts, PORT_ENV, type StackPorts } from './ports.js';
import { LOCAL_BUCKET, LOCAL_PROJECT, StackStartError, startStack, type FunctionSpec, type Stack } from './stack.js';
import { findRepoRoot } from './tools.js';

/** Settings the user gave for the stack win over the defaults (e.g. VERITY_WEBHOOK_SECRETS). */
function pickEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[0].startsWith('VERITY_') && e[1] !== undefined),
  );
}

function fail(problems: string[]): never {
  process.stderr.write(`Verity cannot start:\n${problems.map((p) => `  ✗ ${p}\n`).join('')}`);
  process.exit(1);
}

async function main(): Promise<void> {
  const repoRoot = findRepoRoot(import.meta.url);
  let functions: readonly FunctionSpec[];
  let extraEnv: Record<string, string>;
  let ports: StackPorts;
  try {
    ports = localPorts();
    ({ LOCAL_FUNCTIONS: functions, LOCAL_FUNCTION_ENV: extraEnv } = await import('./functions.js'));
  } catch (err) {
    fail([err instanceof Error ? err.message : String(err)]);
  }

  const aborter = new AbortController();
  let stack: Stack | undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = (code: number): Promise<void> => {
    stopping ??= (async () => {
      aborter.abort();
      if (stack) await stack.stop();
      process.exit(code);
    })();
    return stopping;
  };
  let signals = 0;
  const onSignal = (): void => {
    // a second Ctrl-C exits at once; the exit hook still SIGKILLs every process group we started
    if (++signals > 1) process.exit(1);
    if (stack) void shutdown(0);
    else aborter.abort(); // startStack stops what it started and rejects
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  try {
    stack = await startStack({
      repoRoot,
      ports,
      project: LOCAL_PROJECT,
      bucket: process.env.VERITY_BUCKET ?? LOCAL_BUCKET,
      logDir: join(repoRoot, '.verity', 'logs'),
      functions,
      portEnv: PORT_ENV,
      functionOutput: 'console',
      extraEnv: { ...extraEnv, ...pickEnv(process.env) },
      signal: aborter.signal,
    });
  } catch (err) {
    if (aborter.signal.aborted) process.exit(0);
    fail(err instanceof StackStartError ? err.problems : [String(err)]);
  }
  if (aborter.signal.aborted) return shutdown(0);

  const api = stack.env.VERITY_API_URL ?? `http://127.0.0.1:${ports.api}`;
  const { startSweepTick } = await import('./tick.js');
  const stopTick = await startSweepTick(repoRoot);
  process.on('exit', stopTick);
  process.stdout.write(
    `Verity ready — API ${api} (Firestore ${stack.firestore.hostPort}, Pub/Sub ${stack.pubsub.hostPort}, GCS ${stack.gcs.url}; ` +
      `${nodeLine()})\n`,
  );
  const message = await stack.died;
  if (!stopping) {
    process.stderr.write(`Verity stopped: ${message}\n`);
    await shutdown(1);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`Verity failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
