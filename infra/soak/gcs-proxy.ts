/**
 * A fault-injecting proxy in front of fake-gcs-server for the units (their VERITY_GCS_ENDPOINT): object
 * metadata reads (the output probes) answer 503 at the plan's rate, and now and then an outage of a few
 * seconds answers 503 to every one of them, so the client's own retries run out and a probe fails. Uploads
 * and listings pass untouched. Each 503 is recorded with the object it concerned.
 */
import { createServer, request, type Server } from 'node:http';
import type { Rng } from './plan.js';
import type { FaultRecord } from './proxy.js';

export interface GcsProxyOptions {
  port: number;
  /** fake-gcs-server's URL. */
  target: string;
  /** Per metadata read: a 503; a fifth of it: an outage of 2–8 s begins. */
  errorRate: number;
  rng: Rng;
  record(f: FaultRecord): void;
  active(): boolean;
}

/** `GET /storage/v1/b/<bucket>/o/<object>`: the probe's read of one object's metadata. */
const METADATA = /^\/storage\/v1\/b\/([^/?]+)\/o\/([^?]+)/;

export async function startGcsFaultProxy(o: GcsProxyOptions): Promise<Server> {
  const target = new URL(o.target);
  let outageUntil = 0;
  const server = createServer((req, res) => {
    const m = req.method === 'GET' ? METADATA.exec(req.url ?? '') : null;
    if (m && o.active() && o.errorRate > 0) {
      const now = Date.now();
      if (now >= outageUntil && o.rng.chance(o.errorRate / 5)) outageUntil = now + o.rng.int(2000, 8000);
      if (now < outageUntil || o.rng.chance(o.errorRate)) {
        const subject = `gs://${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`;
        o.record({ kind: now < outageUntil ? 'gcs:outage' : 'gcs:error', at: now, subject });
        const body = JSON.stringify({ error: { code: 503, message: 'soak: injected unavailability' } });
        res.writeHead(503, { 'content-type': 'application/json' }).end(body);
        return;
      }
    }
    const up = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(up);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, '127.0.0.1', () => resolve());
  });
  return server;
}
