/**
 * (h)'s Cloud Run: the v2 fake (test/fakes/cloud-run-server.ts) in a process of its own, as the real API is
 * elsewhere — its gRPC work (encoding the executions a listing returns) stays off the event loop of the
 * functions it serves. Forked by bench/dispatch.ts with the job's full name as argument.
 * Protocol (IPC): first `{ endpoint }`; then `{ run: name, at }` for every execution RunJob creates, `at` its
 * wall-clock time (bench/stats.ts wallNow); `{ ping: true }` → `{ pong: wallNow() }` (bench/clock-offset.ts).
 */
import { fileURLToPath } from 'node:url';
import { startFakeCloudRun } from '../test/fakes/cloud-run-server.js';
import { wallNow } from './stats.js';

if (process.argv[1] === fileURLToPath(import.meta.url) && process.send) {
  const send = (m: object): void => void process.send!(m);
  const fake = await startFakeCloudRun({ onRun: (run, at) => send({ run, at }) });
  fake.addJob(process.argv[2]!);
  process.on('message', (m: { ping?: true }) => {
    if (m.ping) send({ pong: wallNow() });
  });
  process.on('disconnect', () => void fake.stop().then(() => process.exit(0)));
  send({ endpoint: fake.endpoint });
}
