/**
 * Runs one local-process execution: `node local-runner.js <dir>` with the command in
 * VERITY_RUNNER_COMMAND. Records runner.json (pids) and, when the command ends, exit.json.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
const command = JSON.parse(process.env.VERITY_RUNNER_COMMAND ?? '[]') as string[];
if (!dir || command.length === 0) {
  process.stderr.write('usage: local-runner <dir> (VERITY_RUNNER_COMMAND=["cmd", ...])\n');
  process.exit(2);
}
const env = { ...process.env };
delete env.VERITY_RUNNER_COMMAND;
const child = spawn(command[0]!, command.slice(1), { stdio: 'inherit', env, detached: true });
writeFileSync(path.join(dir, 'runner.json'), JSON.stringify({ runnerPid: process.pid, childPid: child.pid }));
const finish = (code: number | null, signal: string | null): void => {
  writeFileSync(path.join(dir, 'exit.json'), JSON.stringify({ code, signal, at: new Date().toISOString() }));
  process.exit(0);
};
child.on('error', (err) => {
  process.stderr.write(`cannot start ${command[0]}: ${err.message}\n`);
  finish(127, null);
});
child.on('exit', (code, signal) => finish(code, signal));
