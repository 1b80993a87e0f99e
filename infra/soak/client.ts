/**
 * The soak's API client: one bearer token per owner; a request the API could not answer (its instance was
 * killed: connection reset, 5xx) is sent again, as a client with an idempotency key may.
 */
import { mintLocalToken } from '../../shared/src/auth/local-issuer.js';

/** The API's JSON answers, as far as the soak reads them. */
export interface ApiBody {
  job: { id: string; outputs: { uri: string }[] };
  project: { id: string };
}

export interface ApiAnswer {
  status: number;
  body: ApiBody;
}

export class SoakClient {
  private readonly tokens = new Map<string, string>();
  constructor(
    private readonly url: string,
    private readonly secret: string,
  ) {}

  async token(owner: string, admin = false): Promise<string> {
    const key = `${owner}:${admin}`;
    let t = this.tokens.get(key);
    if (!t) this.tokens.set(key, (t = await mintLocalToken(this.secret, owner, { admin, ttlSeconds: 24 * 3600 })));
    return t;
  }

  async call(owner: string, method: string, path: string, body?: unknown, attempts = 40): Promise<ApiAnswer> {
    const headers: Record<string, string> = { authorization: `Bearer ${await this.token(owner)}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let last = 'no attempt';
    for (let i = 0; i < attempts; i++) {
      try {
        const res = await fetch(this.url + path, {
          method,
          headers,
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        if (res.status < 500) return { status: res.status, body: (text ? JSON.parse(text) : {}) as ApiBody };
        last = `${res.status} ${text.slice(0, 200)}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await new Promise((r) => setTimeout(r, 250 + 100 * i));
    }
    throw new Error(`${method} ${path}: no answer after ${attempts} attempts (${last})`);
  }
}
