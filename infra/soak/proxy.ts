/**
 * A fault-injecting HTTP proxy in front of a function: the soak points a push subscription (or the demo
 * provider's webhooks) at it. Each delivery is, with the plan's rates, dropped (acknowledged, never passed
 * on), duplicated, delayed, or held back until the next one has gone through (reordered); every fault is
 * recorded with the subject it concerned (a job id, or an object's gs:// URI).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Rng } from './plan.js';

export type MessageFault = 'drop' | 'duplicate' | 'delay' | 'reorder';

export interface FaultRecord {
  kind: string;
  at: number;
  subject: string | null;
  /** The attempt the fault concerned, when the call named it (an executor's creating call). */
  attempt?: number;
}

export interface ProxyOptions {
  port: number;
  target: string;
  rates: Record<MessageFault, number>;
  rng: Rng;
  record(f: FaultRecord): void;
  /** Whether faults are injected right now (off once the soak drains). */
  active(): boolean;
  /** Called for each delivery while faults are on (the denominator of the message-fault share). */
  delivered(): void;
  name: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The job (or object URI) a delivery is about: a worker update, a finalize notification, a webhook. */
export function subjectOf(body: Buffer): string | null {
  try {
    const json = JSON.parse(body.toString('utf8')) as { clientRef?: unknown; message?: { data?: unknown } };
    if (typeof json.clientRef === 'string') return json.clientRef.split(':')[0] ?? null;
    const data = json.message?.data;
    if (typeof data !== 'string') return null;
    const inner = JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as Record<string, unknown>;
    if (typeof inner.jobId === 'string') return inner.jobId;
    if (typeof inner.bucket === 'string' && typeof inner.name === 'string') return `gs://${inner.bucket}/${inner.name}`;
  } catch {
    // not JSON: no subject
  }
  return null;
}

export async function startFaultProxy(o: ProxyOptions): Promise<Server> {
  let held: (() => void) | null = null;
  const releaseHeld = (): void => {
    const h = held;
    held = null;
    h?.();
  };
  const forward = async (req: IncomingMessage, body: Buffer): Promise<{ status: number; text: string }> => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k)) headers[k] = v;
    try {
      const res = await fetch(o.target + (req.url ?? '/'), {
        method: req.method ?? 'POST',
        headers,
        body: new Uint8Array(body),
        signal: AbortSignal.timeout(30_000),
      });
      return { status: res.status, text: await res.text() };
    } catch {
      return { status: 503, text: 'upstream unavailable' }; // the unit is down: Pub/Sub redelivers
    }
  };
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const subject = subjectOf(body);
      const r = o.rng;
      const on = o.active();
      if (on) o.delivered();
      const fault = (kind: MessageFault): boolean => {
        if (!on || !r.chance(o.rates[kind])) return false;
        o.record({ kind: `${o.name}:${kind}`, at: Date.now(), subject });
        return true;
      };
      if (fault('drop')) {
        res.writeHead(204).end();
        return;
      }
      if (held === null && fault('reorder')) {
        // held until the next delivery has been passed on (or a moment has gone by)
        await new Promise<void>((resolve) => {
          held = resolve;
          setTimeout(() => held === resolve && releaseHeld(), 1500);
        });
      } else if (fault('delay')) await sleep(r.int(300, 3000));
      const first = forward(req, body);
      releaseHeld();
      if (fault('duplicate')) void sleep(r.int(0, 500)).then(() => forward(req, body));
      const out = await first;
      res.writeHead(out.status, { 'content-type': 'text/plain' }).end(out.text);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, '127.0.0.1', () => resolve());
  });
  return server;
}
