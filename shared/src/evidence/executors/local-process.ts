/**
 * local-process: runs the type's configured command as a detached child, through a small runner that
 * records the exit in a state folder. Status and cancel read that folder, so any process of the local
 * stack (the API, a trigger, the sweep) can observe or stop an execution started by another.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { openSync, closeSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutorObservation, Job } from '../../core/index.js';
import type { JobType } from '../../config/job-types.js';
import { adoptLocalPid, alive, cancelPid, pidOfRef, pidStatus } from './local-pid.js';
import { ExecutorStartError, type Executor } from './types.js';

export interface LocalProcessOptions {
  stateDir: string;
  /** Environment for the worker (job id, attempt, input, where to report). */
  workerEnv: (job: Job, type: JobType) => Promise<Record<string, string>> | Record<string, string>;
  /** A started execution whose runner has not written its pid after this long is lost. */
  startGraceMs?: number;
  /** The environment the allow-listed variables are taken from; default process.env. */
  inheritFrom?: NodeJS.ProcessEnv;
}

const RUNNER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'local-runner.js');

/**
 * The only variables a worker inherits from the process that starts it (the API, a trigger, the sweep): what a
 * program needs to run at all, and where the local emulators are. Everything else a worker needs comes from
 * `workerEnv` (job id, attempt, input, outputs, its own scoped token). Never the starter's secrets: the webhook
 * secrets, provider keys, the local JWT secret, the admin list, credentials.
 */
export const WORKER_ENV_ALLOWLIST = [
  'PATH',
  'HOME',
  'TZ',
  'LANG',
  'LC_ALL',
  'TMPDIR',
  'PUBSUB_EMULATOR_HOST',
  'VERITY_GCS_ENDPOINT',
  'METADATA_SERVER_DETECTION',
  'GOOGLE_CLOUD_PROJECT',
] as const;

/** The worker's environment: the allow-listed part of `parent`, then the worker's own variables. */
export function workerProcessEnv(
  parent: NodeJS.ProcessEnv,
  own: Readonly<Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of WORKER_ENV_ALLOWLIST) {
    const value = parent[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...own };
}

interface RunnerInfo {
  runnerPid: number;
  childPid?: number;
}
interface ExitInfo {
  code: number | null;
  signal: string | null;
}

export function parseLocalRef(ref: string): { jobId: string; attempt: number } | null {
  const m = /^local:([A-Za-z0-9_-]{1,128}):(\d{1,4})$/.exec(ref);
  return m ? { jobId: m[1]!, attempt: Number(m[2]) } : null;
}

async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

export function createLocalProcessExecutor(opts: LocalProcessOptions): Executor {
  const startGraceMs = opts.startGraceMs ?? 30_000;
  const dirOf = (ref: string): string | null => {
    const p = parseLocalRef(ref);
    return p ? path.join(opts.stateDir, 'executions', `${p.jobId}.${p.attempt}`) : null;
  };

  return {
    kind: 'local-process',

    async start(job, type) {
      if (type.executor.kind !== 'local-process')
        throw new ExecutorStartError(`type ${type.name} is not a local-process type`, false);
      const ref = `local:${job.id}:${job.attempt}`;
      const dir = dirOf(ref)!;
      await mkdir(dir, { recursive: true });
      const env = {
        ...workerProcessEnv(opts.inheritFrom ?? process.env, await opts.workerEnv(job, type)),
        VERITY_RUNNER_COMMAND: JSON.stringify(type.executor.command),
      };
      // The claim is the log's exclusive creation, right before the spawn with no await between them: a
      // start that died after making the folder (while its env was built) leaves no claim, and is redone.
      let out: number;
      try {
        out = openSync(path.join(dir, 'output.log'), 'wx');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { executionRef: ref }; // started before: same execution
        throw err;
      }
      try {
        const child = spawn(process.execPath, [RUNNER, dir], { detached: true, stdio: ['ignore', out, out], env });
        child.unref();
      } finally {
        closeSync(out);
      }
      return { executionRef: ref };
    },

    async find(job, _type, attempt) {
      const ref = `local:${job.id}:${attempt}`;
      // the claim of a start (see start): an execution was spawned, or was about to be
      return existsSync(path.join(dirOf(ref)!, 'output.log')) ? ref : null;
    },

    async adopt(type, name) {
      if (type.executor.kind !== 'local-process') return null;
      const executionRef = await adoptLocalPid(name, type.executor.command);
      return executionRef ? { executionRef } : null;
    },

    async status(ref): Promise<ExecutorObservation> {
      const pid = pidOfRef(ref);
      if (pid !== null) return pidStatus(ref, pid); // a process started elsewhere (attach)
      const dir = dirOf(ref);
      if (!dir) return { executionRef: ref, state: 'lost', detail: 'not a local-process execution reference' };
      /** How the execution ended, when its runner recorded the exit. */
      const ended = async (): Promise<ExecutorObservation | null> => {
        const exit = await readJson<ExitInfo>(path.join(dir, 'exit.json'));
        if (!exit) return null;
        if ((await readJson<unknown>(path.join(dir, 'cancel.json'))) !== null)
          return { executionRef: ref, state: 'canceled', detail: 'canceled' };
        if (exit.code === 0) return { executionRef: ref, state: 'succeeded' };
        return {
          executionRef: ref,
          state: 'failed',
          detail: exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`,
        };
      };
      const first = await ended();
      if (first) return first;
      const info = await readJson<RunnerInfo>(path.join(dir, 'runner.json'));
      if (info && alive(info.runnerPid)) return { executionRef: ref, state: 'running' };
      // the runner may have written its exit and gone between the two reads: look once more before calling it lost
      const late = info ? await ended() : null;
      if (late) return late;
      if (info) return { executionRef: ref, state: 'lost', detail: 'the runner died without recording an exit' };
      try {
        const st = await stat(dir);
        if (Date.now() - st.mtimeMs < startGraceMs) return { executionRef: ref, state: 'pending' };
        return { executionRef: ref, state: 'lost', detail: 'the execution never started' };
      } catch {
        return { executionRef: ref, state: 'lost', detail: 'no record of this execution' };
      }
    },

    async cancel(ref) {
      const pid = pidOfRef(ref);
      if (pid !== null) return cancelPid(pid);
      const dir = dirOf(ref);
      if (!dir) return;
      try {
        await writeFile(path.join(dir, 'cancel.json'), JSON.stringify({ at: new Date().toISOString() }), {
          flag: 'wx',
        });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return; // never started
        if (code !== 'EEXIST') throw err;
      }
      const info = await readJson<RunnerInfo>(path.join(dir, 'runner.json'));
      if (info?.childPid) {
        try {
          process.kill(-info.childPid, 'SIGTERM');
        } catch {
          /* already gone */
        }
      }
    },
  };
}
