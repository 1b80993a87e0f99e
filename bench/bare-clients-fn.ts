/**
 * Bench part (f)'s floor for a unit's first real request: functions-framework and one HTTP handler that makes
 * the client calls the unit's request makes, and nothing else — no validation, no auth, no decisions. Like the
 * units, it loads each client on first use (GET answers without any, as a unit's first answer does), and only
 * the clients it calls: what a unit loads beyond them is the unit's cost.
 * POST body (bench/cold-requests.ts writes it): the documents to act on — one by path (`get`), or a query's
 * (`query`; a value `{ "nowMs": true }` is the time of the call) — then for each, `update` written to it and
 * a message published to `publish`.
 */
import * as ff from '@google-cloud/functions-framework';
import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';

export interface BareCalls {
  get?: string;
  query?: { collection: string; field: string; op: FirebaseFirestore.WhereFilterOp; value: unknown; limit: number };
  update?: Record<string, unknown>;
  publish?: string;
}

let db: Promise<Firestore> | undefined;
let pubsub: Promise<PubSub> | undefined;
const firestore = (): Promise<Firestore> =>
  (db ??= import('@google-cloud/firestore').then((m) => new m.Firestore({ ignoreUndefinedProperties: true })));
const topics = (): Promise<PubSub> => (pubsub ??= import('@google-cloud/pubsub').then((m) => new m.PubSub()));

async function run(calls: BareCalls): Promise<number> {
  const fs = await firestore();
  let docs: FirebaseFirestore.DocumentSnapshot[];
  if (calls.get) docs = [await fs.doc(calls.get).get()];
  else if (calls.query) {
    const q = calls.query;
    const { Timestamp } = await import('@google-cloud/firestore');
    const value = (q.value as { nowMs?: true } | null)?.nowMs ? Timestamp.now() : q.value;
    docs = (await fs.collection(q.collection).where(q.field, q.op, value).limit(q.limit).get()).docs;
  } else docs = [];
  for (const d of docs) {
    if (calls.update) await d.ref.update(calls.update);
    if (calls.publish)
      await (await topics()).topic(calls.publish).publishMessage({ json: { id: d.id }, attributes: { id: d.id } });
  }
  return docs.length;
}

ff.http('bareClients', async (req, res) => {
  if (req.method !== 'POST') return void res.status(200).json({ ok: true });
  res.status(200).json({ docs: await run(req.body as BareCalls) });
});
