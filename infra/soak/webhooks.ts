/**
 * The soak's webhook subscriber (issue 31): an admin subscription for every owner's jobs, made before any job,
 * delivers to this server on 127.0.0.1. It checks each delivery's signature with the Standard Webhooks
 * reference library (not Verity's code), answers a share of them 500 while faults are on (so retries happen),
 * and records the first receipt of each `webhook-id` in order. At the end every transition of every job must
 * have been delivered, each job's first receipts in `seq` order, every signature good: else a finding.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { RecordedTransition } from '../../shared/src/core/index.js';
import type { Rng } from './plan.js';

export interface WebhookSink {
  url: string;
  /** The subscription's secret, once it is made. */
  secret: string | null;
  stop(): Promise<void>;
  /** Expected (every transition) against delivered; the problems, one line each. */
  check(histories: Map<string, RecordedTransition[]>): WebhookVerdict;
}

export interface WebhookVerdict {
  expected: number;
  delivered: number;
  duplicates: number;
  refused: number;
  problems: string[];
}

export async function startWebhookSink(r: Rng, failRate: number, faultsOn: () => boolean): Promise<WebhookSink> {
  const firsts = new Map<string, number>(); // webhook-id → order of first receipt
  const lastSeq = new Map<string, number>(); // jobId → the highest seq received first so far
  const problems: string[] = [];
  let duplicates = 0;
  let refused = 0;
  const sink: WebhookSink = {
    url: '',
    secret: null,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
    check: (histories) => {
      let expected = 0;
      const missing: string[] = [];
      for (const [jobId, h] of histories)
        for (const t of h) {
          expected++;
          if (!firsts.has(`${jobId}:${t.seq}`)) missing.push(`${jobId}:${t.seq} (${t.from ?? 'new'} → ${t.to})`);
        }
      const out = [...problems, ...missing.map((m) => `webhook never delivered: ${m}`)];
      return { expected, delivered: firsts.size, duplicates, refused, problems: out };
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const h = (name: string) => String(req.headers[name] ?? '');
      const id = h('webhook-id');
      try {
        new Webhook(sink.secret ?? '').verify(body, {
          'webhook-id': id,
          'webhook-timestamp': h('webhook-timestamp'),
          'webhook-signature': h('webhook-signature'),
        });
      } catch (err) {
        problems.push(`webhook ${id}: signature refused by the reference library: ${(err as Error).message}`);
        return void res.writeHead(400).end();
      }
      if (faultsOn() && r.chance(failRate)) {
        refused++;
        return void res.writeHead(500).end();
      }
      if (firsts.has(id)) duplicates++;
      else {
        const { jobId, seq } = (JSON.parse(body) as { data: { jobId: string; seq: number } }).data;
        if (id !== `${jobId}:${seq}`) problems.push(`webhook ${id}: its body says ${jobId}:${seq}`);
        const last = lastSeq.get(jobId) ?? 0;
        if (seq < last) problems.push(`webhook ${id}: came after seq ${last} of its job (out of order)`);
        lastSeq.set(jobId, Math.max(last, seq));
        firsts.set(id, firsts.size);
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/verity`;
  return sink;
}

/** Makes the every-owner subscription through the API (the API may be down a moment: tried until it answers). */
export async function subscribeSink(apiUrl: string, adminToken: string, sink: WebhookSink): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      const res = await fetch(`${apiUrl}/api/subscriptions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url: sink.url, ownerId: '*' }),
        signal: AbortSignal.timeout(10_000),
      });
      if (res.status === 201) return void (sink.secret = ((await res.json()) as { secret: string }).secret);
      if (res.status < 500) throw new Error(`subscription refused: ${res.status} ${await res.text()}`);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('subscription refused')) throw err;
      if (i >= 30) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
