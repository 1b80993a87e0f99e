/**
 * The local stack's demo worker for type `demo-render`. Input: durationMs, steps, and a fault to show what
 * Verity recovers from: none | crash (dies mid-way, says nothing) | hang (stops making progress but keeps
 * heartbeating, as a stuck render whose heartbeat thread lives: only the run deadline ends it) |
 * silent (does the work, writes the output, never reports) | fail (reports a non-retryable failure).
 * `faultAtStep` (1-based) stages crash, hang or fail at that step; `faultAttempts` hits only the first N attempts.
 * Each step runs through the SDK's step API: with a checkpoint prefix (VERITY_CHECKPOINT_PREFIX), an attempt
 * after a crash, or a retry, skips the steps an earlier attempt checkpointed (docs/workers.md).
 * `--truth=<file>` (the soak's job type passes it): the worker's own record of its start, each output it
 * wrote, a cancel (SIGTERM) it received and its exit, in the soak's ground truth (infra/local/truth-log.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DemoRenderInput } from '../../shared/src/config/job-types.js';
import { parseGcsUri } from '../../shared/src/evidence/gcs-uri.js';
import { reporterFromEnv } from '../../shared/src/worker/reporter.js';
import { stepsFromEnv } from '../../shared/src/worker/steps.js';
import { truthWriter } from './truth-log.js';

const jobId = process.env.VERITY_JOB_ID ?? '';
const attempt = Number(process.env.VERITY_ATTEMPT ?? '1');
const input = DemoRenderInput.parse(JSON.parse(process.env.VERITY_INPUT ?? '{}'));
const outputs = JSON.parse(process.env.VERITY_OUTPUTS ?? '[]') as string[];
const gcsEndpoint = process.env.VERITY_GCS_ENDPOINT;
const truth = truthWriter(process.argv.find((a) => a.startsWith('--truth='))?.slice('--truth='.length));
const execution = { executor: 'local' as const, jobId, attempt, exec: `pid:${process.pid}` };
truth({ t: 'start', ...execution, at: Date.now() });
process.on('exit', (code) => truth({ t: 'exit', ...execution, at: Date.now(), outcome: `exit ${code}` }));
/** Uploads under way: a stop waits for the one in flight (and its record), as a worker's graceful stop would. */
let writing = 0;
let stopping = false;
/** Ends the process by the signal itself, as without a handler (its runner records `signal: SIGTERM`). */
const stopNow = (): void => {
  truth({ t: 'exit', ...execution, at: Date.now(), outcome: 'signal SIGTERM' });
  process.removeAllListeners('exit'); // recorded just now
  process.removeAllListeners('SIGTERM');
  process.kill(process.pid, 'SIGTERM');
};
// the executor's cancel: recorded as received; the process then ends as the signal's default would
process.on('SIGTERM', () => {
  truth({ t: 'cancel', ...execution, at: Date.now() });
  stopping = true;
  if (writing === 0) stopNow();
});
const writeDone = (): void => {
  writing--;
  if (stopping && writing === 0) stopNow();
};

const reporter = await reporterFromEnv();

/** A report that fails is logged, not fatal: Verity's deadlines and probes cover a lost report. */
async function report(what: string, send: () => Promise<void>): Promise<void> {
  try {
    await send();
  } catch (err) {
    process.stderr.write(`report ${what} failed: ${(err as Error).message}\n`);
  }
}

/**
 * One object per output. Against fake-gcs-server, a plain media upload over its JSON API: loading the Storage
 * client costs about a second of CPU per worker process, and the local stack and the soak start hundreds.
 */
async function writeOutputs(): Promise<void> {
  for (const uri of outputs) {
    if (stopping) return;
    writing++;
    try {
      await writeOutput(uri);
    } finally {
      writeDone();
    }
  }
}

async function writeOutput(uri: string): Promise<void> {
  const body = `demo render of ${jobId}, attempt ${attempt}\n`;
  const loc = parseGcsUri(uri);
  if (!loc) return;
  if (gcsEndpoint) {
    const base = `${gcsEndpoint.replace(/\/$/, '')}/upload/storage/v1/b/${encodeURIComponent(loc.bucket)}/o`;
    const url = `${base}?uploadType=media&name=${encodeURIComponent(loc.name)}`;
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'video/mp4' }, body });
    if (!res.ok) throw new Error(`upload ${uri}: HTTP ${res.status} ${await res.text()}`);
    const { generation } = (await res.json()) as { generation?: string | number };
    truth({ t: 'output', at: Date.now(), writer: 'local', uri, generation: String(generation), jobId, attempt });
    return;
  }
  const { Storage } = await import('@google-cloud/storage');
  const storage = new Storage({ projectId: process.env.GOOGLE_CLOUD_PROJECT ?? 'verity-local' });
  const file = storage.bucket(loc.bucket).file(loc.name);
  await file.save(body, { resumable: false, contentType: 'video/mp4' });
  truth({
    t: 'output',
    at: Date.now(),
    writer: 'local',
    uri,
    generation: String(file.metadata.generation),
    jobId,
    attempt,
  });
}

async function main(): Promise<void> {
  const stepMs = input.durationMs / input.steps;
  const names = Array.from({ length: input.steps }, (_, i) => `step-${i + 1}`);
  if (input.fault === 'silent') {
    await sleep(input.durationMs);
    await writeOutputs();
    return;
  }
  // the plan, with weights: the last step (the "encode") counts double; sent with "started", one message
  const plan = names.map((name, i) => ({ name, weight: i === names.length - 1 && names.length > 1 ? 2 : 1 }));
  await report('started', () =>
    reporter.reportStarted({ step: names[0] ?? null, stepPct: 0, completedSteps: [], steps: plan }),
  );
  const steps = await stepsFromEnv(reporter, process.env, (err) =>
    process.stderr.write(`report progress failed: ${(err as Error).message}\n`),
  );
  const faulty = input.fault !== 'none' && attempt <= (input.faultAttempts ?? Number.POSITIVE_INFINITY);
  // where the fault strikes: the step named, else (as before) crash mid-way, hang after the first, fail at the end
  const at = (i: number, fallback: boolean): boolean =>
    faulty && (input.faultAtStep !== undefined ? i === input.faultAtStep - 1 : fallback);
  for (let i = 0; i < input.steps; i++) {
    await steps.run(names[i]!, async () => {
      if (input.fault === 'crash' && at(i, i >= Math.floor(input.steps / 2))) process.exit(1);
      if (input.fault === 'hang' && at(i, i >= 1)) {
        // alive, heartbeating, no progress: the diagnosis calls it WORKER_HUNG; only the run deadline ends it
        setInterval(() => void report('heartbeat', () => reporter.reportHeartbeat()), Math.max(1000, stepMs));
        return new Promise<never>(() => undefined);
      }
      if (input.fault === 'fail' && input.faultAtStep !== undefined && at(i, false)) await failNow();
      await sleep(stepMs);
      return { step: names[i], attempt };
    });
  }
  if (input.fault === 'fail' && faulty && input.faultAtStep === undefined) await failNow();
  await writeOutputs();
  await report('succeeded', () => reporter.reportSucceeded());
}

async function failNow(): Promise<never> {
  await report('failed', () =>
    reporter.reportFailed({ code: 'RENDER_FAILED', message: 'the demo renderer was told to fail', retryable: false }),
  );
  process.exit(1);
}

main().catch((err: unknown) => {
  process.stderr.write(`demo worker: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
