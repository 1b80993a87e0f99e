/**
 * functions-framework's own `main`, listening on one host (default 127.0.0.1) instead of every interface.
 *
 *   node dist/infra/local/serve.js --target=api --source=dist/functions/api/index.js --port=8080 \
 *     --signature-type=http [--host=127.0.0.1]
 *
 * functions-framework v5 has no host option: its main calls `server.listen(port)`, which binds all
 * interfaces. This does what that main does — the framework's own option parsing, loader, getServer and
 * error handler — and only then listens on `--host`. Local stack only; Cloud Run runs the framework as is.
 */
import { keepIdleSocketsLonger } from './keep-alive.js';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const DEFAULT_LISTEN_HOST = '127.0.0.1';

interface Framework {
  parseOptions(
    argv: string[],
    env: NodeJS.ProcessEnv,
  ): {
    port: string;
    target: string;
    sourceLocation: string;
    signatureType: string;
    printHelp: boolean;
    enableExecutionId: boolean;
  };
  OptionsError: new (...args: unknown[]) => Error;
  helpText: string;
  getUserFunction(
    source: string,
    target: string,
    signature: string,
  ): Promise<{ userFunction: unknown; signatureType: string } | null>;
  getServer(fn: unknown, options: object): Server;
  ErrorHandler: new (server: Server) => { register(): void };
  loggingHandlerAddExecutionContext(): void;
}

/** The framework's internals, from the files its main uses (the package exports only `.` and `./testing`). */
function loadFramework(): Framework {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@google-cloud/functions-framework'));
  const load = (file: string): Record<string, unknown> => require(join(dir, file)) as Record<string, unknown>;
  const fw = {
    ...load('options.js'),
    ...load('loader.js'),
    ...load('server.js'),
    ...load('invoker.js'),
    ...load('logger.js'),
  };
  for (const name of [
    'parseOptions',
    'getUserFunction',
    'getServer',
    'ErrorHandler',
    'loggingHandlerAddExecutionContext',
  ]) {
    if (typeof fw[name] !== 'function')
      throw new Error(`functions-framework at ${dir} has no ${name}: update infra/local/serve.ts`);
  }
  return fw as unknown as Framework;
}

/** `--host=H` or `--host H` from argv; the default otherwise. */
function hostArg(argv: readonly string[]): string {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--host=')) return a.slice('--host='.length);
    if (a === '--host' && argv[i + 1]) return argv[i + 1]!;
  }
  return DEFAULT_LISTEN_HOST;
}

async function main(): Promise<void> {
  const fw = loadFramework();
  let options: ReturnType<Framework['parseOptions']>;
  try {
    options = fw.parseOptions(process.argv, process.env);
  } catch (err) {
    if (err instanceof fw.OptionsError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  if (options.printHelp) {
    process.stderr.write(`${fw.helpText}\n  --host=H   listen on H only (default ${DEFAULT_LISTEN_HOST})\n`);
    return;
  }
  if (options.enableExecutionId) fw.loggingHandlerAddExecutionContext();
  const loaded = await fw.getUserFunction(options.sourceLocation, options.target, options.signatureType);
  if (!loaded) {
    process.stderr.write('Could not load the function, shutting down.\n');
    process.exit(1);
  }
  options.signatureType = loaded.signatureType;
  const server = keepIdleSocketsLonger(fw.getServer(loaded.userFunction, options));
  const host = hostArg(process.argv);
  server.once('error', (err: NodeJS.ErrnoException) => {
    process.stderr.write(
      `function ${options.target}: cannot listen on ${host}:${options.port}: ${err.code ?? err.message}\n`,
    );
    process.exit(1);
  });
  server
    .listen(Number(options.port), host, () => {
      new fw.ErrorHandler(server).register();
      const { address, port } = server.address() as AddressInfo;
      process.stdout.write(
        `Serving function ${options.target} (${loaded.signatureType}) at http://${address}:${port}/\n`,
      );
    })
    .setTimeout(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`serve: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
