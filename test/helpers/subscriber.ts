/**
 * A webhook subscriber on 127.0.0.1 (issue 31): records every delivery it gets, verifies each signature with
 * the Standard Webhooks reference library (`standardwebhooks`), and answers what the test tells it to.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  /** The request's path: one subscriber serves several subscriptions at their own paths. */
  path: string;
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  event: { type: string; data: { jobId: string; seq: number; from: string | null; to: string; job: any } };
  /** The status it was answered with. */
  answered: number;
}

export interface Subscriber {
  url: string;
  received: Received[];
  /** What the next deliveries are answered (default 204); may hold the answer (a slow endpoint). */
  answer: (r: Omit<Received, 'answered'>) => number | Promise<number>;
  /** The first acknowledged delivery of each webhook id to `path`, in the order they came. */
  firsts(path: string): Received[];
  close(): Promise<void>;
}

const header = (h: IncomingHttpHeaders, name: string): string => {
  const v = h[name];
  return typeof v === 'string' ? v : '';
};

export async function startSubscriber(): Promise<Subscriber> {
  const received: Received[] = [];
  const sub: Subscriber = {
    url: '',
    received,
    answer: () => 204,
    firsts: (path) => {
      const seen = new Set<string>();
      const mine = received.filter((r) => r.path === path && r.answered < 300);
      return mine.filter((r) => !seen.has(r.id) && (seen.add(r.id), true));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const r = {
        path: req.url ?? '',
        id: header(req.headers, 'webhook-id'),
        timestamp: header(req.headers, 'webhook-timestamp'),
        signature: header(req.headers, 'webhook-signature'),
        body,
        event: JSON.parse(body) as Received['event'],
      };
      void Promise.resolve(sub.answer(r)).then((status) => {
        received.push({ ...r, answered: status });
        res.writeHead(status).end();
      });
    });
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return sub;
}

/** Whether the reference library accepts this delivery as signed by `secret` (it also checks the timestamp). */
export function verifies(secret: string, r: Pick<Received, 'id' | 'timestamp' | 'signature' | 'body'>): boolean {
  try {
    new Webhook(secret).verify(r.body, {
      'webhook-id': r.id,
      'webhook-timestamp': r.timestamp,
      'webhook-signature': r.signature,
    });
    return true;
  } catch {
    return false;
  }
}
