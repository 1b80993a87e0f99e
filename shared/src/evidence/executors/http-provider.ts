/**
 * http: a third-party media API (render farm, transcoder…) that Verity submits to and then observes. Its
 * webhooks are unreliable (late, or never), so the execution must stay observable without them: the status
 * endpoint is polled by the reconciler, and the outputs live at URIs predictable from the provider's job id.
 *
 * The protocol Verity speaks (one per provider name, base URL from the job-type configuration):
 *
 *   Submit   POST {baseUrl}/jobs  {clientRef: "<jobId>:<attempt>", input, callbackUrl}
 *            → 200/201 {externalJobId}. Idempotent by clientRef: the same clientRef returns the same
 *            externalJobId, so a crash between submit and recording the reference never submits twice.
 *   Status   GET {baseUrl}/jobs/{externalJobId}
 *            → 200 {externalJobId, status: queued|running|succeeded|failed|canceled, outputUrl?, error?: {code, message}}
 *            → 404 the provider does not know the job (lost).
 *   Cancel   POST {baseUrl}/jobs/{externalJobId}/cancel → 200/202; 404 and 409 (already finished) are fine.
 *   Auth     every call carries the provider's API key, when VERITY_PROVIDER_KEYS has one: `authorization:
 *            Bearer <key>`, or `<apiKeyHeader>: <key>` when the type names another header.
 *   Webhook  POST callbackUrl on completion: {eventId, externalJobId, status: succeeded|failed, outputUrl?, error?}
 *            signed with X-Verity-Signature (shared/src/webhooks/signature.ts). Received by the API, not here.
 *
 * The execution reference is `http:<provider>:<externalJobId>`; the provider name maps to its base URL through
 * `providers`, so any process (API, trigger, sweep) can observe or cancel an execution started by another.
 * Outputs: the executor config's `outputTemplates` filled with {bucket}, {jobId} and {externalJobId}.
 */
import { retryableHttpStatus, type ExecutorObservation, type ExecutionState, type Job } from '../../core/index.js';
import type { JobType } from '../../config/job-types.js';
import { parseGcsUri } from '../gcs-uri.js';
import { fillOutputs, hasAlternatives, type OutputTemplate } from '../output-templates.js';
import { outputScheme, parseHttpUrl, parseS3Uri } from '../stores.js';
import { EXTERNAL_ID_PATTERN } from './attach-names.js';
import { ExecutorStartError, type Executor } from './types.js';

export interface HttpProvider {
  baseUrl: string;
  /** Sent on every call (VERITY_PROVIDER_KEYS): `authorization: Bearer <key>`, or `<apiKeyHeader>: <key>`. */
  apiKey?: string;
  apiKeyHeader?: string;
}

export interface HttpProviderOptions {
  /** Provider name → its API. Status and cancel only have the reference, so they look the base URL up here. */
  providers: Record<string, HttpProvider>;
  /** Where the provider should send its completion webhook (the API's POST /api/webhooks/:provider). */
  callbackUrl: (provider: string) => string;
  /** Fills {bucket} in the output templates. */
  bucket: string;
  /** Per request; default 10 s. */
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

const PROVIDER = /^[a-z][a-z0-9-]{0,62}$/;
/** Safe in a URL path segment and in an object name (no '/', no '..' on its own). */
const EXTERNAL_ID = new RegExp(`^${EXTERNAL_ID_PATTERN}$`);

/**
 * A provider's execution as Verity records it: its reference and the outputs its templates name — from the
 * submit's answer, or from a webhook that arrived before that answer was recorded. `bad`: an id unfit for an
 * object name, or a template that gives no valid gs:// URI.
 */
export function httpExecution(
  cfg: { provider: string; outputTemplates: readonly OutputTemplate[] },
  bucket: string,
  jobId: string,
  externalJobId: string,
): { executionRef: string; outputUris?: string[]; outputAlternatives?: string[][] } | { bad: string } {
  if (!EXTERNAL_ID.test(externalJobId)) return { bad: externalJobId };
  const { uris, alternatives } = fillOutputs(cfg.outputTemplates, { bucket, jobId, externalJobId });
  const bad = [...uris, ...alternatives.flat()].find((u) => /\{[a-zA-Z]+\}/.test(u) || !validOutputUri(u));
  if (bad !== undefined) return { bad };
  const executionRef = `http:${cfg.provider}:${externalJobId}`;
  if (uris.length === 0) return { executionRef };
  return hasAlternatives(cfg.outputTemplates)
    ? { executionRef, outputUris: uris, outputAlternatives: alternatives }
    : { executionRef, outputUris: uris };
}

/** A gs://, s3:// or http(s):// URI that parses (its store was checked when the type was loaded: stores.ts). */
function validOutputUri(u: string): boolean {
  switch (outputScheme(u)) {
    case 'gs':
      return parseGcsUri(u) !== null;
    case 's3':
      return parseS3Uri(u) !== null;
    case 'https':
      return parseHttpUrl(u, true) !== null;
    case null:
      return false;
  }
}

export function parseHttpRef(ref: string): { provider: string; externalJobId: string } | null {
  const m = /^http:([^:]+):(.+)$/.exec(ref);
  if (!m || !PROVIDER.test(m[1]!) || !EXTERNAL_ID.test(m[2]!)) return null;
  return { provider: m[1]!, externalJobId: m[2]! };
}

/**
 * The providers map for `createHttpProviderExecutor`, from every http job type (a provider has one base URL
 * and one API key header), with the API keys of VERITY_PROVIDER_KEYS (provider → key).
 */
export function httpProvidersOf(
  types: Iterable<JobType>,
  apiKeys: Readonly<Record<string, string>> = {},
): Record<string, HttpProvider> {
  const out: Record<string, HttpProvider> = {};
  for (const t of types) {
    if (t.executor.kind !== 'http') continue;
    const { provider, baseUrl, apiKeyHeader } = t.executor;
    const known = out[provider];
    if (known && known.baseUrl !== baseUrl)
      throw new Error(`provider ${provider} has two base URLs: ${known.baseUrl} and ${baseUrl} (type ${t.name})`);
    if (known && known.apiKeyHeader !== apiKeyHeader)
      throw new Error(
        `provider ${provider} has two API key headers: ${known.apiKeyHeader} and ${apiKeyHeader} (type ${t.name})`,
      );
    const apiKey = apiKeys[provider];
    out[provider] = { baseUrl, apiKeyHeader, ...(apiKey ? { apiKey } : {}) };
  }
  return out;
}

function authHeaders(p: HttpProvider | undefined): Record<string, string> {
  if (!p?.apiKey) return {};
  const header = p.apiKeyHeader ?? 'authorization';
  return { [header]: header === 'authorization' ? `Bearer ${p.apiKey}` : p.apiKey };
}

const STATES: Record<string, ExecutionState> = {
  queued: 'pending',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  canceled: 'canceled',
};

interface StatusBody {
  status?: unknown;
  outputUrl?: unknown;
  error?: { code?: unknown; message?: unknown } | null;
}

const trimSlash = (url: string): string => url.replace(/\/+$/, '');
const joinUrl = (baseUrl: string, path: string): string => `${trimSlash(baseUrl)}${path}`;

function errorText(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timed out';
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? err.message;
  }
  return String(err);
}

async function bodyText(res: Response): Promise<string> {
  try {
    return (await res.text()).slice(0, 300);
  } catch {
    return '';
  }
}

export function createHttpProviderExecutor(opts: HttpProviderOptions): Executor {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const fetchImpl = opts.fetchImpl ?? fetch;

  const request = (provider: string, url: string, method: 'GET' | 'POST', body?: unknown): Promise<Response> =>
    fetchImpl(url, {
      method,
      headers: {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...authHeaders(opts.providers[provider]),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      // a redirect is an answer, never followed: the API key goes to the configured origin only
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });

  const baseUrlOf = (provider: string): string => {
    const p = opts.providers[provider];
    if (!p) throw new Error(`http provider ${provider} is not configured`);
    return p.baseUrl;
  };

  return {
    kind: 'http',

    async adopt(type, name, jobId) {
      // the provider's own job id: the job's outputs follow from it as from a submit's answer
      if (type.executor.kind !== 'http' || !opts.providers[type.executor.provider]) return null;
      const execution = httpExecution(type.executor, opts.bucket, jobId, name);
      return 'bad' in execution ? null : execution;
    },

    async start(job: Job, type: JobType) {
      const cfg = type.executor;
      if (cfg.kind !== 'http') throw new ExecutorStartError(`type ${type.name} is not an http type`, false);
      const known = opts.providers[cfg.provider];
      if (!known) throw new ExecutorStartError(`http provider ${cfg.provider} is not configured`, false);
      if (trimSlash(known.baseUrl) !== trimSlash(cfg.baseUrl)) {
        // status and cancel would ask another server than the one that ran the job
        throw new ExecutorStartError(
          `type ${type.name}: provider ${cfg.provider} is configured at ${known.baseUrl}, not ${cfg.baseUrl}`,
          false,
        );
      }
      const clientRef = `${job.id}:${job.attempt}`;
      const url = joinUrl(cfg.baseUrl, '/jobs');
      let res: Response;
      try {
        res = await request(cfg.provider, url, 'POST', {
          clientRef,
          input: job.input,
          callbackUrl: opts.callbackUrl(cfg.provider),
        });
      } catch (err) {
        throw new ExecutorStartError(`submit to ${cfg.provider} failed: ${errorText(err)}`, true);
      }
      if (!res.ok) {
        const text = await bodyText(res);
        // 408 and 429 are "try later"; any other 4xx means this request will never be accepted as it is
        const retryable = retryableHttpStatus(res.status);
        throw new ExecutorStartError(`submit to ${cfg.provider} answered ${res.status}: ${text}`, retryable);
      }
      let externalJobId: unknown;
      try {
        externalJobId = ((await res.json()) as { externalJobId?: unknown } | null)?.externalJobId;
      } catch (err) {
        throw new ExecutorStartError(`submit to ${cfg.provider}: unreadable answer (${errorText(err)})`, true);
      }
      if (typeof externalJobId !== 'string' || !EXTERNAL_ID.test(externalJobId)) {
        throw new ExecutorStartError(
          `submit to ${cfg.provider}: answer has no usable externalJobId (${JSON.stringify(externalJobId)})`,
          true,
        );
      }
      const execution = httpExecution(cfg, opts.bucket, job.id, externalJobId);
      if ('bad' in execution)
        throw new ExecutorStartError(
          `type ${type.name}: output template gives an invalid gs:// URI: ${execution.bad}`,
          false,
        );
      return execution;
    },

    async status(ref): Promise<ExecutorObservation> {
      const p = parseHttpRef(ref);
      if (!p) return { executionRef: ref, state: 'lost', detail: 'not an http execution reference' };
      const url = joinUrl(baseUrlOf(p.provider), `/jobs/${encodeURIComponent(p.externalJobId)}`);
      let res: Response;
      try {
        res = await request(p.provider, url, 'GET');
      } catch (err) {
        throw new Error(`status of ${ref}: ${errorText(err)}`);
      }
      if (res.status === 404)
        return { executionRef: ref, state: 'lost', detail: `provider ${p.provider} does not know ${p.externalJobId}` };
      if (!res.ok) throw new Error(`status of ${ref}: provider answered ${res.status}: ${await bodyText(res)}`);
      const body = (await res.json()) as StatusBody | null;
      const state = typeof body?.status === 'string' ? STATES[body.status] : undefined;
      if (!state) throw new Error(`status of ${ref}: unknown provider status ${JSON.stringify(body?.status)}`);
      if (state === 'failed') {
        const code = typeof body?.error?.code === 'string' ? body.error.code : 'PROVIDER_FAILED';
        const message =
          typeof body?.error?.message === 'string' ? body.error.message : 'the provider reported a failure';
        return { executionRef: ref, state, detail: `${code}: ${message}` };
      }
      if (state === 'succeeded' && typeof body?.outputUrl === 'string')
        return { executionRef: ref, state, detail: `output ${body.outputUrl}` };
      return { executionRef: ref, state };
    },

    async cancel(ref) {
      const p = parseHttpRef(ref);
      if (!p) return;
      const url = joinUrl(baseUrlOf(p.provider), `/jobs/${encodeURIComponent(p.externalJobId)}/cancel`);
      let res: Response;
      try {
        res = await request(p.provider, url, 'POST', {});
      } catch (err) {
        throw new Error(`cancel of ${ref}: ${errorText(err)}`);
      }
      // 404: never known or forgotten; 409: already finished. Either way there is nothing left to stop.
      if (res.ok || res.status === 404 || res.status === 409) {
        await bodyText(res);
        return;
      }
      throw new Error(`cancel of ${ref}: provider answered ${res.status}: ${await bodyText(res)}`);
    },
  };
}
