/**
 * A process of the local stack that Verity did not start (issue 30: attach a local pid). Verity tracks it by
 * its pid: running while the process lives (with its real start time, from /proc), and once gone, ended with
 * no exit status Verity could know — the outputs say whether it did its work. Cancel sends SIGTERM.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PID_PATTERN } from './attach-names.js';
import type { ExecutorObservation } from '../../core/index.js';

const PID_REF = /^local-pid:([1-9]\d{0,6})$/;
/** Linux's clock ticks per second for /proc times (USER_HZ). */
const TICKS_PER_SECOND = 100;

/**
 * The reference of an attached process, from `1234` or `pid:1234`, when that process runs the type's configured
 * command (the same program, then the same arguments); null for anything else. A request never chooses what
 * Verity may signal: only a worker of this type, started by someone else.
 */
export async function adoptLocalPid(name: string, command: readonly string[]): Promise<string | null> {
  const m = new RegExp(`^${PID_PATTERN}$`).test(name) ? /([1-9]\d*)$/.exec(name) : null;
  if (!m) return null;
  let argv: string[];
  try {
    argv = (await readFile(`/proc/${m[1]}/cmdline`, 'utf8')).split('\0').filter((a) => a !== '');
  } catch {
    return null; // no such process (or not ours to read)
  }
  const same =
    argv.length >= command.length &&
    path.basename(argv[0]!) === path.basename(command[0]!) &&
    command.slice(1).every((a, i) => argv[i + 1] === a);
  return same ? `local-pid:${m[1]}` : null;
}

export function pidOfRef(ref: string): number | null {
  const m = PID_REF.exec(ref);
  return m ? Number(m[1]) : null;
}

/** Whether a process with this pid exists (one not ours to signal exists too). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** When the process started (epoch ms), from /proc; undefined where /proc cannot say. */
async function startTimeOf(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces: fields after it are counted from its closing parenthesis
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]); // field 22 of the whole line
    const boot = /^btime (\d+)$/m.exec(await readFile('/proc/stat', 'utf8'));
    if (!boot || !Number.isFinite(ticks)) return undefined;
    return Number(boot[1]) * 1000 + Math.round((ticks / TICKS_PER_SECOND) * 1000);
  } catch {
    return undefined;
  }
}

export async function pidStatus(ref: string, pid: number): Promise<ExecutorObservation> {
  if (!alive(pid))
    return { executionRef: ref, state: 'lost', detail: `process ${pid} has ended; its exit status is not known` };
  const startedAt = await startTimeOf(pid);
  return { executionRef: ref, state: 'running', ...(startedAt !== undefined ? { startedAt } : {}) };
}

export function cancelPid(pid: number): void {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
}
