/**
 * A stand-in for a third-party media API (the `http` executor's protocol, shared/src/evidence/executors/
 * http-provider.ts), for the local stack and the tests. It behaves like the real ones Verity has to live with:
 *
 *  - a submit "renders" for `input.durationMs ?? durationMs` ms, then writes its output to fake-gcs-server (or,
 *    with `s3`, to an S3-compatible store, reporting its URL) at the predictable name
 *    `provider/{externalJobId}_output_0.mp4` (or `provider/{input.outputName}`) and reports succeeded;
 *  - `input.silent === true`: the provider never says so — no webhook, and its status stays "running" after
 *    the output is written (seed 003's jobs stuck "processing": only the output shows the work is done);
 *  - `input.fail === true` makes the render fail instead (no output, status failed);
 *  - the completion webhook is signed (X-Verity-Signature) but dropped with probability `dropWebhookRate`,
 *    so the fallbacks (status polling, output probe) have something to do;
 *  - submit is idempotent by clientRef; cancel stops a render that has not finished.
 *
 * As a process: `node dist/infra/local/demo-provider.js`, configured by DEMO_PROVIDER_PORT (8090),
 * DEMO_PROVIDER_HOST (127.0.0.1), DEMO_PROVIDER_SECRET (required), VERITY_BUCKET (verity-local),
 * VERITY_GCS_ENDPOINT (required), GOOGLE_CLOUD_PROJECT (verity-local), DEMO_PROVIDER_DROP_RATE (0.5) and
 * DEMO_PROVIDER_DURATION_MS (3000); it prints one ready line, then one line per event. With
 * DEMO_PROVIDER_TRUTH_LOG (the soak sets it), it also records each render it really started, each cancel it
 * received, each end and each output it wrote, in the soak's ground truth (infra/local/truth-log.ts).
 */
import { keepIdleSocketsLonger } from './keep-alive.js';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isMain } from './is-main.js';
import { SIGNATURE_HEADER, signPayload } from '../../shared/src/webhooks/signature.js';
import { truthWriter, type TruthRecord } from './truth-log.js';
import { HttpError, readBody, send } from './demo-provider-http.js';
import { gcsWriter, outputNameOf, s3StoreFromEnv, s3Writer, type DemoS3Store } from './demo-provider-outputs.js';

export interface DemoProviderOptions {
  /** 0: an ephemeral port (see `url`). */
  port: number;
  host?: string;
  /** Webhook signing secret (the API's secret for this provider). */
  secret: string;
  bucket: string;
  gcsEndpoint: string;
  projectId: string;
  /** Where jobs submitted under `/s3/` (or every job, with `s3Only`) write: an S3-compatible store. */
  s3?: DemoS3Store;
  s3Only?: boolean;
  /** 0..1: the probability that a completion webhook is never sent. */
  dropWebhookRate: number;
  /** Render time when the input names none. */
  durationMs: number;
  /** Uniform [0, 1); default Math.random. */
  random?: () => number;
  /** One line per event (submit, completion, webhook); default: silent. */
  log?: (line: string) => void;
  /** The soak's ground truth: renders started, cancels received, ends, outputs written. */
  truth?: (r: TruthRecord) => void;
}

export type DemoJobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled';

export interface DemoJob {
  externalJobId: string;
  clientRef: string;
  input: Record<string, unknown>;
  callbackUrl: string;
  status: DemoJobStatus;
  outputUrl?: string;
  error?: { code: string; message: string };
  submittedAt: number;
  endedAt?: number;
  /** Where its output goes: fake-gcs-server, or the S3-compatible store (submitted under /s3/). */
  store: 'gcs' | 's3';
  /** What became of the completion webhook. */
  webhook?: 'sent' | 'dropped' | 'undeliverable';
}

export interface DemoProvider {
  url: string;
  stop(): Promise<void>;
  jobs: Map<string, DemoJob>;
  readonly webhooksSent: number;
  readonly webhooksDropped: number;
}

const MAX_DURATION_MS = 600_000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
function view(job: DemoJob): Record<string, unknown> {
  const silent = job.input.silent === true && job.status === 'succeeded';
  if (silent) return { externalJobId: job.externalJobId, status: 'running' };
  return {
    externalJobId: job.externalJobId,
    status: job.status,
    ...(job.outputUrl ? { outputUrl: job.outputUrl } : {}),
    ...(job.error ? { error: job.error } : {}),
  };
}

export async function startDemoProvider(o: DemoProviderOptions): Promise<DemoProvider> {
  if (!(o.dropWebhookRate >= 0 && o.dropWebhookRate <= 1))
    throw new Error(`dropWebhookRate must be within 0..1, not ${o.dropWebhookRate}`);
  if (!o.secret) throw new Error('the demo provider needs a webhook secret');
  const random = o.random ?? Math.random;
  const log = o.log ?? ((): void => undefined);
  const truth = o.truth ?? ((): void => undefined);
  const execOf = (job: DemoJob) => {
    const i = job.clientRef.lastIndexOf(':');
    const attempt = Number(job.clientRef.slice(i + 1));
    return {
      executor: 'provider' as const,
      jobId: i > 0 ? job.clientRef.slice(0, i) : job.clientRef,
      attempt: Number.isInteger(attempt) ? attempt : 0,
      exec: job.externalJobId,
    };
  };
  const writers = { gcs: gcsWriter(o), s3: o.s3 ? s3Writer(o.s3) : null };
  const jobs = new Map<string, DemoJob>();
  const byClientRef = new Map<string, string>();
  const timers = new Map<string, NodeJS.Timeout>();
  const stopping = new AbortController();
  let webhooksSent = 0;
  let webhooksDropped = 0;

  async function deliver(job: DemoJob): Promise<void> {
    // the webhook echoes the clientRef Verity sent, so it finds its job even before the submit's answer was recorded
    const body = JSON.stringify({ eventId: `evt_${randomUUID()}`, clientRef: job.clientRef, ...view(job) });
    try {
      const res = await fetch(job.callbackUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signPayload(o.secret, body, Math.floor(Date.now() / 1000)),
        },
        body,
        signal: AbortSignal.any([stopping.signal, AbortSignal.timeout(5000)]),
      });
      await res.text().catch(() => '');
      log(`webhook ${job.externalJobId} ${job.status} → ${res.status}`);
    } catch (err) {
      job.webhook = 'undeliverable';
      log(`webhook ${job.externalJobId} undeliverable: ${(err as Error).message}`);
    }
  }

  /** The terminal state; the webhook's fate is decided in the same tick, so tests need not wait for it. */
  function complete(job: DemoJob, status: 'succeeded' | 'failed', extra: Pick<DemoJob, 'outputUrl' | 'error'>): void {
    Object.assign(job, { status, endedAt: Date.now() }, extra);
    truth({ t: 'exit', ...execOf(job), at: job.endedAt!, outcome: status });
    if (job.input.silent === true || random() < o.dropWebhookRate) {
      webhooksDropped++;
      job.webhook = 'dropped';
      log(`${job.externalJobId} ${status}; webhook dropped`);
      return;
    }
    webhooksSent++;
    job.webhook = 'sent';
    log(`${job.externalJobId} ${status}; sending webhook`);
    void deliver(job);
  }

  async function finish(job: DemoJob): Promise<void> {
    timers.delete(job.externalJobId);
    if (job.status !== 'running' || stopping.signal.aborted) return;
    if (job.input.fail === true) {
      complete(job, 'failed', { error: { code: 'RENDER_FAILED', message: 'the demo provider was told to fail' } });
      return;
    }
    const name = outputNameOf(job.input, job.externalJobId) as string; // checked at submit
    let written: Awaited<ReturnType<typeof writers.gcs>>;
    try {
      written = await writers[job.store]!(name, `demo provider render ${job.externalJobId} (${job.clientRef})\n`);
      const { jobId, attempt } = execOf(job);
      // one object, reachable under both names when the store serves URLs (s3:// and http://)
      for (const uri of new Set([written.uri, written.url]))
        truth({ t: 'output', at: Date.now(), writer: 'provider', uri, generation: written.generation, jobId, attempt });
    } catch (err) {
      if (job.status === 'running' && !stopping.signal.aborted) {
        complete(job, 'failed', { error: { code: 'OUTPUT_WRITE_FAILED', message: (err as Error).message } });
      }
      return;
    }
    if (job.status !== 'running' || stopping.signal.aborted) return; // canceled while writing
    complete(job, 'succeeded', { outputUrl: written.url });
  }

  function submit(raw: string, store: DemoJob['store']): { status: number; body: unknown } {
    if (store === 's3' && !writers.s3) throw new HttpError(404, 'NOT_FOUND', 'no S3-compatible store is configured');
    let req: unknown;
    try {
      req = JSON.parse(raw);
    } catch {
      throw new HttpError(400, 'INVALID_JSON', 'the body is not JSON');
    }
    if (!isObject(req)) throw new HttpError(400, 'INVALID_REQUEST', 'the body must be an object');
    const { clientRef, callbackUrl } = req;
    const input = req.input ?? {};
    if (typeof clientRef !== 'string' || clientRef.length === 0 || clientRef.length > 300)
      throw new HttpError(400, 'INVALID_REQUEST', 'clientRef must be a non-empty string');
    if (typeof callbackUrl !== 'string' || !/^https?:\/\//.test(callbackUrl) || !URL.canParse(callbackUrl))
      throw new HttpError(400, 'INVALID_REQUEST', 'callbackUrl must be an http(s) URL');
    if (!isObject(input)) throw new HttpError(400, 'INVALID_INPUT', 'input must be an object');
    const d = input.durationMs;
    if (d !== undefined && !(typeof d === 'number' && Number.isInteger(d) && d >= 0 && d <= MAX_DURATION_MS)) {
      throw new HttpError(400, 'INVALID_INPUT', `input.durationMs must be an integer within 0..${MAX_DURATION_MS}`);
    }
    if (typeof outputNameOf(input, 'x') !== 'string')
      throw new HttpError(400, 'INVALID_INPUT', 'input.outputName must be a file name with {externalJobId}');
    const existing = byClientRef.get(clientRef);
    if (existing) return { status: 200, body: { externalJobId: existing } };
    const job: DemoJob = {
      externalJobId: `ext_${randomUUID()}`,
      clientRef,
      input,
      callbackUrl,
      status: 'running',
      submittedAt: Date.now(),
      store,
    };
    jobs.set(job.externalJobId, job);
    byClientRef.set(clientRef, job.externalJobId);
    timers.set(
      job.externalJobId,
      setTimeout(() => void finish(job), typeof d === 'number' ? d : o.durationMs),
    );
    truth({ t: 'start', ...execOf(job), at: job.submittedAt });
    log(`submitted ${clientRef} as ${job.externalJobId}`);
    return { status: 201, body: { externalJobId: job.externalJobId } };
  }

  function cancel(job: DemoJob): { status: number; body: unknown } {
    truth({ t: 'cancel', ...execOf(job), at: Date.now() });
    if (job.status === 'succeeded' || job.status === 'failed')
      throw new HttpError(409, 'ALREADY_FINISHED', `job ${job.externalJobId} is ${job.status}`);
    if (job.status !== 'canceled') {
      clearTimeout(timers.get(job.externalJobId));
      timers.delete(job.externalJobId);
      Object.assign(job, { status: 'canceled', endedAt: Date.now() });
      truth({ t: 'exit', ...execOf(job), at: job.endedAt!, outcome: 'canceled' });
      log(`canceled ${job.externalJobId}`);
    }
    return { status: 200, body: view(job) };
  }

  async function route(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const full = new URL(req.url ?? '/', 'http://x').pathname;
    // under /s3/: the same API, rendering into the S3-compatible store (a second provider on one port)
    const underS3 = full.startsWith('/s3/');
    const path = underS3 ? full.slice(3) : full;
    const raw = req.method === 'POST' ? await readBody(req) : '';
    if (req.method === 'GET' && path === '/healthz') return { status: 200, body: { ok: true } };
    if (req.method === 'POST' && path === '/jobs') return submit(raw, underS3 || o.s3Only ? 's3' : 'gcs');
    const m = /^\/jobs\/([^/]+)(\/cancel)?$/.exec(path);
    if (!m) throw new HttpError(404, 'NOT_FOUND', `no route ${req.method ?? ''} ${path}`);
    const job = jobs.get(decodeURIComponent(m[1]!));
    if (m[2] ? req.method !== 'POST' : req.method !== 'GET')
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method ?? ''} ${path}`);
    if (!job) throw new HttpError(404, 'NOT_FOUND', `no job ${m[1]!}`);
    return m[2] ? cancel(job) : { status: 200, body: view(job) };
  }

  const server = keepIdleSocketsLonger(
    createServer((req, res) => {
      route(req).then(
        (r) => send(res, r.status, r.body),
        (err: unknown) => {
          if (err instanceof HttpError) send(res, err.status, { error: { code: err.code, message: err.message } });
          else send(res, 500, { error: { code: 'INTERNAL', message: (err as Error).message } });
        },
      );
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE' ? `port ${o.port} is already in use — set DEMO_PROVIDER_PORT` : err.message,
        ),
      ),
    );
    server.listen(o.port, o.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;

  return {
    url: `http://${host}:${addr.port}`,
    jobs,
    get webhooksSent() {
      return webhooksSent;
    },
    get webhooksDropped() {
      return webhooksDropped;
    },
    async stop() {
      stopping.abort();
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function main(): Promise<void> {
  const env = process.env;
  const need = (name: string): string => {
    const v = env[name];
    if (!v) throw new Error(`${name} is required`);
    return v;
  };
  const port = Number(env.DEMO_PROVIDER_PORT ?? '8090');
  const dropWebhookRate = Number(env.DEMO_PROVIDER_DROP_RATE ?? '0.5');
  const durationMs = Number(env.DEMO_PROVIDER_DURATION_MS ?? '3000');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`DEMO_PROVIDER_PORT is not a port: ${env.DEMO_PROVIDER_PORT}`);
  if (!Number.isInteger(durationMs) || durationMs < 0)
    throw new Error(`DEMO_PROVIDER_DURATION_MS is not a duration: ${env.DEMO_PROVIDER_DURATION_MS}`);
  const bucket = env.VERITY_BUCKET ?? 'verity-local';
  const provider = await startDemoProvider({
    port,
    host: env.DEMO_PROVIDER_HOST ?? '127.0.0.1',
    secret: need('DEMO_PROVIDER_SECRET'),
    bucket,
    gcsEndpoint: need('VERITY_GCS_ENDPOINT'),
    projectId: env.GOOGLE_CLOUD_PROJECT ?? 'verity-local',
    dropWebhookRate,
    durationMs,
    s3: s3StoreFromEnv(env, bucket),
    log: (line) => process.stdout.write(`${line}\n`),
    truth: truthWriter(env.DEMO_PROVIDER_TRUTH_LOG),
  });
  process.stdout.write(
    `demo provider ready at ${provider.url} (bucket ${bucket}, drops ${Math.round(dropWebhookRate * 100)}% of webhooks)\n`,
  );
  const shutdown = (): void => {
    void provider.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (isMain(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`demo provider: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
