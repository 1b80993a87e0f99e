/**
 * One delivery attempt: POST the body to the endpoint through the address guard (endpoint.ts), bounded in time
 * and in what is read back, never following a redirect (a 3xx is a failure like any non-2xx). Never throws.
 */
import http from 'node:http';
import https from 'node:https';
import { endpointRefusal, guardedLookup } from './endpoint.js';

export interface PostLimits {
  /** The whole attempt, connection to the last byte read. */
  timeoutMs: number;
  /** The most of the answer read (what is kept of it is shown as the delivery's last error). */
  maxResponseBytes: number;
  /** The local stack: http://127.0.0.1 allowed. */
  local: boolean;
}

export const POST_LIMITS: Omit<PostLimits, 'local'> = { timeoutMs: 10_000, maxResponseBytes: 64 * 1024 };

export type PostResult = { ok: true; status: number } | { ok: false; status: number | null; error: string };

export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  limits: PostLimits,
): Promise<PostResult> {
  const form = endpointRefusal(url, limits.local);
  if (!form.ok) return Promise.resolve({ ok: false, status: null, error: `refused: ${form.reason}` });
  const send = form.url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = send(
      form.url,
      {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'Verity-Webhooks/1',
        },
        lookup: guardedLookup(limits.local),
        agent: false,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= limits.maxResponseBytes) chunks.push(c);
          else res.destroy(); // read no more than the bound
        });
        const finish = () => {
          if (status >= 200 && status < 300) return done({ ok: true, status });
          const text = Buffer.concat(chunks).toString('utf8').slice(0, 200).replace(/\s+/g, ' ').trim();
          const redirect = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
          done({ ok: false, status, error: `HTTP ${status}${redirect}${text ? `: ${text}` : ''}` });
        };
        res.on('end', finish);
        res.on('close', finish);
        res.on('error', finish);
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      done({ ok: false, status: null, error: `no answer within ${limits.timeoutMs} ms` });
    }, limits.timeoutMs);
    req.on('error', (err) => done({ ok: false, status: null, error: err.message }));
    req.end(body);
  });
}
