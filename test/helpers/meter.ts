/**
 * Counts what Google bills, where the clients make the calls, and charges each count to the deploy unit
 * whose invocation made it (AsyncLocalStorage; calls outside any invocation go to `other`):
 *  - Firestore document reads, writes and deletes. Every RPC of the Node client passes through
 *    `Firestore#request` (commit, rollback…) or `Firestore#requestStream` (batchGetDocuments, runQuery,
 *    runAggregationQuery, listen) — internal methods, so test/integration/meter.test.ts pins what they count.
 *    Billing rules: a document a lookup returns, found or missing, is a read; a query bills its result
 *    documents, at least one read; a count() one read per 1,000 index entries, at least one; each write
 *    of a commit is a write, each delete a delete. Documents of a TTL collection are remembered: Firestore
 *    deletes them later, billed as deletes.
 *  - Cloud Storage operations by class (the client's public `interceptors`): object reads and metadata are
 *    class B, lists and uploads class A, deletes free.
 *  - Pub/Sub messages and bytes published (`PubSub#request`, which every Topic of the instance binds).
 *  - Function invocations, counted by `unit(name, handler)`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import type { Storage } from '@google-cloud/storage';
import { emptyUsage, type Usage } from '../../infra/deploy/cost.js';

export type { Usage };

export interface Meter {
  /** Runs `fn` as one invocation of `unit`: everything it causes is charged to the unit. */
  invoke<T>(unit: string, fn: () => T): T;
  /** Wraps a handler so each call is one invocation of `unit`. */
  unit<A extends unknown[], R>(unit: string, handler: (...args: A) => R): (...args: A) => R;
  /** Usage by unit since the last reset. */
  byUnit(): Record<string, Usage>;
  /** Documents written to TTL collections (deleted by Firestore later) since the last reset. */
  ttlDocuments(): number;
  reset(): void;
  firestore(db: Firestore, ttlCollections: readonly string[]): void;
  storage(storage: Storage): void;
  pubsub(pubsub: PubSub): void;
}

type Proto = Record<string, any>;
interface StreamLike {
  emit(event: string | symbol, ...args: unknown[]): boolean;
}

/** Document reads a streamed response bills, by method. */
function streamCounter(method: string): { chunk(c: Proto): number; end(): number } {
  let docs = 0;
  let ended = false;
  switch (method) {
    case 'batchGetDocuments':
      return { chunk: (c) => (c.found || c.missing ? 1 : 0), end: () => 0 };
    case 'runQuery':
      return {
        chunk: (c) => (c.document ? (docs++, 1) : 0),
        end: () => (ended || docs > 0 ? 0 : ((ended = true), 1)),
      };
    case 'runAggregationQuery':
      return {
        chunk: (c) => {
          const fields = (c.result?.aggregateFields ?? {}) as Record<string, { integerValue?: string | number }>;
          const n = Math.max(0, ...Object.values(fields).map((f) => Number(f.integerValue ?? 0)));
          docs++;
          return Math.max(1, Math.ceil(n / 1000));
        },
        end: () => (ended || docs > 0 ? 0 : ((ended = true), 1)),
      };
    default:
      return { chunk: () => 0, end: () => 0 };
  }
}

/** VERITY_METER_TRACE=1: every billed Firestore call on stderr, with its unit and documents (to find the cost). */
const TRACE = process.env.VERITY_METER_TRACE === '1';
const docPath = (name: unknown): string => String(name ?? '').replace(/^.*?\/documents\//, '');
const trace = (unit: string, what: string): void => {
  if (TRACE) process.stderr.write(`meter ${unit}: ${what}\n`);
};

export function createMeter(): Meter {
  const als = new AsyncLocalStorage<string>();
  let usage: Record<string, Usage> = {};
  let ttl = new Set<string>();
  const of = (unit = als.getStore() ?? 'other'): Usage => (usage[unit] ??= emptyUsage());

  const meter: Meter = {
    invoke(unit, fn) {
      of(unit).invocations++;
      return als.run(unit, fn);
    },
    unit(unit, handler) {
      return (...args) => meter.invoke(unit, () => handler(...args));
    },
    byUnit: () => structuredClone(usage),
    ttlDocuments: () => ttl.size,
    reset() {
      usage = {};
      ttl = new Set();
    },

    firestore(db, ttlCollections) {
      const client = db as unknown as {
        request(method: string, req: Proto, ...rest: unknown[]): Promise<unknown>;
        requestStream(method: string, bidi: boolean, req: Proto, ...rest: unknown[]): Promise<StreamLike>;
      };
      const request = client.request.bind(client);
      const requestStream = client.requestStream.bind(client);
      const inTtl = (name: string): boolean => ttlCollections.some((c) => name.includes(`/${c}/`));
      client.request = (method, req, ...rest) => {
        if (method === 'commit') {
          const u = of();
          const writes = (req.writes ?? []) as Proto[];
          trace(
            als.getStore() ?? 'other',
            `commit ${writes.map((w) => (w.delete ? `-${docPath(w.delete)}` : docPath(w.update?.name))).join(' ')}`,
          );
          for (const w of (req.writes ?? []) as Proto[]) {
            if (w.delete) u.deletes++;
            else {
              u.writes++;
              const name = String(w.update?.name ?? '');
              if (inTtl(name)) ttl.add(name);
            }
          }
        }
        return request(method, req, ...rest);
      };
      client.requestStream = async (method, bidi, req, ...rest) => {
        const u = of(); // charged to the caller, whatever context the responses arrive in
        const unit = als.getStore() ?? 'other';
        const stream = await requestStream(method, bidi, req, ...rest);
        const counter = streamCounter(method);
        const emit = stream.emit.bind(stream);
        // observe without consuming: 'data' is emitted for every chunk read, by pipe, on() or for-await
        stream.emit = (event, ...args) => {
          const before = u.reads;
          if (event === 'data') u.reads += counter.chunk(args[0] as Proto);
          else if (event === 'end' || event === 'close') u.reads += counter.end();
          if (u.reads > before) {
            const c = args[0] as Proto | undefined;
            const doc =
              c?.found?.name ??
              c?.missing ??
              c?.document?.name ??
              JSON.stringify(req.structuredQuery?.from ?? req.documents ?? '');
            trace(
              unit,
              `${method} ${u.reads - before} ${docPath(doc)}${req.transaction || req.newTransaction ? ' (tx)' : ''}`,
            );
          }
          return emit(event, ...args);
        };
        return stream;
      };
    },

    storage(storage) {
      storage.interceptors.push({
        request: (
          reqOpts: Parameters<Storage['interceptors'][number]['request']>[0] & { uri: string; method?: string },
        ) => {
          const u = of();
          const method = (reqOpts.method ?? 'GET').toUpperCase();
          const uri = reqOpts.uri;
          if (method === 'DELETE') return reqOpts;
          if (method === 'GET' && /\/o\/[^/?]+/.test(uri)) u.gcsClassB++;
          else if (method === 'GET' && /\/b\/[^/]+$/.test(uri.split('?')[0]!)) u.gcsClassB++;
          else u.gcsClassA++;
          return reqOpts;
        },
      });
    },

    pubsub(pubsub) {
      const client = pubsub as unknown as { request(config: Proto, cb: unknown): unknown };
      const request = client.request.bind(client);
      client.request = (config, cb) => {
        if (config.method === 'publish') {
          const u = of();
          for (const m of (config.reqOpts?.messages ?? []) as {
            data?: Uint8Array;
            attributes?: Record<string, string>;
          }[]) {
            u.messages++;
            const attrs = Object.entries(m.attributes ?? {}).reduce(
              (n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v),
              0,
            );
            u.messageBytes += (m.data?.length ?? 0) + attrs;
          }
        }
        return request(config, cb);
      };
    },
  };
  return meter;
}
