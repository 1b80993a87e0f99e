/**
 * The soak's API client: one bearer token per owner, every try recorded in the ground truth (the answer's
 * status, job id, code, a 409's holder). It sends a request again only when the API could not answer (its
 * instance was killed: connection reset, timeout) or answered 503 with Retry-After, as a client with an
 * idempotency key may; any other answer, a 500 included, is the answer. Every 5xx is in the record.
 */
import { mintLocalToken } from '../../shared/src/auth/local-issuer.js';
import type { TruthRecord } from '../local/truth-log.js';

/** The API's JSON answers, as far as the soak reads them. */
export interface ApiBody {
  job?: { id: string; outputs: { uri: string }[] };
  project?: { id: string };
  error?: { code?: string; details?: { activeJob?: { id?: string } } };
  activeJob?: { id?: string };
}

export interface ApiAnswer {
  status: number;
  body: ApiBody;
}

/** `/api/jobs/job_x/cancel` → `/api/jobs/:id/cancel`: the route, for the 5xx count. */
export const routeOf = (method: string, path: string): string =>
  `${method} ${path.replace(/^(\/api\/(?:jobs|projects))\/[^/]+/, '$1/:id')}`;

/** The holder a 409 names (route.ts puts it beside the error; a decide conflict names none). */
const holderOf = (body: ApiBody): string | undefined => body.activeJob?.id ?? body.error?.details?.activeJob?.id;

export class SoakClient {
  private readonly tokens = new Map<string, string>();
  constructor(
    private readonly url: string,
    private readonly secret: string,
    private readonly truth: (r: TruthRecord) => void = () => undefined,
  ) {}

  async token(owner: string, admin = false): Promise<string> {
    const key = `${owner}:${admin}`;
    let t = this.tokens.get(key);
    if (!t) this.tokens.set(key, (t = await mintLocalToken(this.secret, owner, { admin, ttlSeconds: 24 * 3600 })));
    return t;
  }

  async call(
    owner: string,
    method: string,
    path: string,
    body?: { resourceKey?: unknown } & Record<string, unknown>,
    attempts = 40,
    admin = false,
  ): Promise<ApiAnswer> {
    const headers: Record<string, string> = { authorization: `Bearer ${await this.token(owner, admin)}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const route = routeOf(method, path);
    const resourceKey = typeof body?.resourceKey === 'string' ? { resourceKey: body.resourceKey } : {};
    let last = 'no attempt';
    for (let i = 0; i < attempts; i++) {
      const sentAt = Date.now();
      const base = { t: 'request' as const, sentAt, owner, method, path, route, try: i + 1, ...resourceKey };
      let wait = 250 + 100 * i;
      try {
        const res = await fetch(this.url + path, {
          method,
          headers,
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        let parsed: ApiBody = {};
        try {
          parsed = (text ? JSON.parse(text) : {}) as ApiBody;
        } catch {
          parsed = {};
        }
        const jobId = parsed.job?.id;
        const code = parsed.error?.code;
        const holder = res.status === 409 ? holderOf(parsed) : undefined;
        this.truth({
          ...base,
          at: Date.now(),
          status: res.status,
          ...(jobId ? { jobId } : {}),
          ...(code ? { code } : {}),
          ...(holder ? { activeJobId: holder } : {}),
        });
        const retryAfter = res.headers.get('retry-after');
        if (!(res.status === 503 && retryAfter !== null)) return { status: res.status, body: parsed };
        wait = Math.max(wait, Number(retryAfter) * 1000 || 0);
        last = `${res.status} ${text.slice(0, 200)}`;
      } catch (err) {
        last = (err as Error).message;
        this.truth({ ...base, at: Date.now(), status: 0, error: last.slice(0, 200) });
      }
      await new Promise((r) => setTimeout(r, wait));
    }
    throw new Error(`${method} ${path}: no answer after ${attempts} attempts (${last})`);
  }
}
