/**
 * Process supervision for the local stack and the tests: a child process in its own process group with its
 * output in a log file (or prefixed lines), readiness polling, and stopping that leaves nothing behind.
 *
 * Stopping kills the whole process group (gcloud → shell script → java), SIGTERM first, SIGKILL after a
 * grace period, and waits until no process of the group is left. Groups still alive when this Node
 * process exits are SIGKILLed synchronously, so a crash does not leave emulators behind.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  name: string;
  pid: number;
  /** Where its output goes, when it goes to a file. */
  logFile: string | undefined;
  /** Resolves when the group leader exits (or could not start: code null, signal null). */
  exited: Promise<ProcessExit>;
  hasExited(): boolean;
  /** Kills the whole process group: SIGTERM, then SIGKILL after graceMs; resolves when the group is gone. */
  stop(graceMs?: number): Promise<void>;
}

export type ProcessOutput =
  | {
      kind: 'file';
      path: string;
      /** Append instead of truncating (a restarted process keeps one log). */ append?: boolean;
    }
  /** Each line of stdout/stderr is written as "[prefix] line" to `to` (default: this process's stdout/stderr). */
  | { kind: 'prefix'; prefix: string; to?: NodeJS.WritableStream };

export interface SpawnManagedOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  output: ProcessOutput;
  /**
   * Stop by SIGTERMing the innermost processes first and letting their parents exit on their own (gcloud →
   * script → java): signalling the whole group at once orphans java to init, which may reap it late.
   */
  stopLeavesFirst?: boolean;
}

const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of liveGroups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

interface Member {
  pid: number;
  ppid: number;
  zombie: boolean;
}

/** The processes of a group, from /proc (Linux); null where there is no /proc. */
function groupMembers(pgid: number): Member[] | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  const out: Member[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid pgrp …" — comm may contain spaces and parentheses
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid) continue;
    out.push({ pid: Number(entry), ppid: Number(fields[1]), zombie: fields[0] === 'Z' });
  }
  return out;
}

/** True while a live (non-zombie) process is in the group. Zombies are dead: their reaper may be slow. */
function groupAlive(pgid: number): boolean {
  const members = groupMembers(pgid);
  if (members) return members.some((m) => !m.zombie);
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Live members of the group without a live child in it (for gcloud: the java process). */
function groupLeaves(pgid: number): number[] {
  const live = (groupMembers(pgid) ?? []).filter((m) => !m.zombie);
  return live.filter((m) => m.pid !== pgid && !live.some((c) => c.ppid === m.pid)).map((m) => m.pid);
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitGroupGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (groupAlive(pgid)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

/** Spawns `command args` as the leader of a new process group (setsid), output to a file or prefixed lines. */
export function spawnManaged(name: string, command: string, args: string[], opts: SpawnManagedOptions): ManagedProcess {
  installExitHook();
  let fd: number | undefined;
  if (opts.output.kind === 'file') fd = openSync(opts.output.path, opts.output.append ? 'a' : 'w');
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: fd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', fd, fd],
  });
  if (fd !== undefined) closeSync(fd);
  if (opts.output.kind === 'prefix') {
    const { prefix, to } = opts.output;
    const forward = (from: NodeJS.ReadableStream | null, dest: NodeJS.WritableStream): void => {
      if (from) createInterface({ input: from }).on('line', (line) => dest.write(`[${prefix}] ${line}\n`));
    };
    forward(child.stdout, to ?? process.stdout);
    forward(child.stderr, to ?? process.stderr);
  }
  const pid = child.pid;
  let done = false;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('error', () => {
      done = true;
      resolve({ code: null, signal: null });
    });
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
  });
  if (pid !== undefined) liveGroups.add(pid);
  return {
    name,
    pid: pid ?? -1,
    logFile: opts.output.kind === 'file' ? opts.output.path : undefined,
    exited,
    hasExited: () => done,
    async stop(graceMs = 5000): Promise<void> {
      if (pid === undefined) return;
      const leaves = opts.stopLeavesFirst ? groupLeaves(pid) : [];
      if (leaves.length > 0) {
        for (const leaf of leaves) signalPid(leaf, 'SIGTERM');
        if (await waitGroupGone(pid, graceMs)) leaves.length = 0;
      }
      if (groupAlive(pid)) {
        signalGroup(pid, 'SIGTERM');
        if (!(await waitGroupGone(pid, leaves.length > 0 ? 2000 : graceMs))) {
          signalGroup(pid, 'SIGKILL');
          await waitGroupGone(pid, 5000);
        }
      }
      liveGroups.delete(pid);
      // let Node reap the leader (its 'exit' event), so no zombie is handed to init when we exit right after
      await Promise.race([exited, sleep(1000)]);
    },
  };
}

/** The last lines of a log file, indented, for error messages ('' when unreadable). */
export function logTail(path: string | undefined, lines = 15): string {
  if (!path) return '';
  try {
    const text = readFileSync(path, 'utf8').trimEnd();
    if (!text) return '';
    return (
      '\n' +
      text
        .split('\n')
        .slice(-lines)
        .map((l) => `    ${l}`)
        .join('\n')
    );
  } catch {
    return '';
  }
}

export interface WaitReadyOptions {
  what: string;
  where: string;
  timeoutMs: number;
  proc?: ManagedProcess;
  intervalMs?: number;
  /** Aborting stops the wait with an error (the caller stops the process). */
  signal?: AbortSignal;
}

/** Polls `probe` until it answers true; fails early when `proc` exits, or after the timeout. */
export async function waitUntilReady(probe: () => Promise<boolean>, o: WaitReadyOptions): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  const seeLog = o.proc?.logFile ? ` — see ${o.proc.logFile}` : '';
  for (;;) {
    if (o.signal?.aborted) throw new Error(`interrupted while waiting for ${o.what}`);
    if (o.proc?.hasExited()) {
      const exit = await o.proc.exited;
      const how = exit.signal
        ? `signal ${exit.signal}`
        : exit.code === null
          ? 'could not start'
          : `exit code ${exit.code}`;
      throw new Error(
        `${o.what} stopped before it was ready at ${o.where} (${how})${seeLog}${logTail(o.proc.logFile)}`,
      );
    }
    if (await probe().catch(() => false)) return;
    if (Date.now() >= deadline) {
      throw new Error(
        `${o.what} did not become ready at ${o.where} within ${Math.round(o.timeoutMs / 1000)} s${seeLog}${logTail(o.proc?.logFile)}`,
      );
    }
    await sleep(o.intervalMs ?? 200);
  }
}

/** GET url; true when `accept(status, body)` says so. Network errors reject (waitUntilReady maps them to false). */
export async function httpProbe(url: string, accept: (status: number, body: string) => boolean): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return accept(res.status, await res.text());
}

/** True once something accepts TCP connections on host:port (no request is sent). */
export function tcpProbe(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2000);
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
