/**
 * Bench part (f)'s first real requests: for each deploy unit, a request that does the unit's real work on data
 * seeded for it (a fresh job per sample where the request changes it), and the same for its floor — the bare
 * function of bench/bare-clients-fn.ts making the client calls that request makes. Seeding is not timed.
 *  - api: GET /api/jobs/:id of an existing job inside its deadlines (one document read).
 *  - objectFinalized: the bucket notification of an object a queued job expects (it succeeds).
 *  - jobUpdates: a worker's `started` for a queued job, published as a worker publishes it (it runs).
 *  - webhooks: a signed `succeeded` from the demo provider for a job it runs (it succeeds).
 *  - sweep: an admin's sweep with one job past its queue deadline (it is corrected).
 * Each comes with a check, run after the sample: did the request do what it is for.
 */
import { Firestore } from '@google-cloud/firestore';
import { createJob, DEFAULT_POLICY, type JobStatus } from '../shared/src/core/index.js';
import { mintLocalToken } from '../shared/src/auth/local-issuer.js';
import { parseEnv } from '../shared/src/config/env.js';
import { createStorage } from '../shared/src/evidence/storage.js';
import { createLedger } from '../shared/src/store/ledger.js';
import { signPayload, SIGNATURE_HEADER } from '../shared/src/webhooks/signature.js';
import { createTopic } from '../infra/local/emulators.js';
import { LOCAL_DEMO_PROVIDER_SECRET } from '../infra/local/functions.js';
import { jobSpec } from '../test/helpers/jobs.js';
import type { BareCalls } from './bare-clients-fn.js';

/** The query a bare function makes to find the job a notification or a webhook concerns, as the unit does. */
const jobsWhere = (field: string, op: '==' | 'array-contains', value: string, limit: number) => ({
  collection: 'jobs',
  field,
  op,
  value,
  limit,
});

export type Request = { method: string; path: string; body?: string; headers?: Record<string, string> };
export interface RealRequest {
  request: Request;
  /** After the answer: did the request do its work (the job moved as it should)? */
  check: () => Promise<boolean>;
}

const OWNER = 'cold-owner';
// every seeded job keeps its deadlines far away: only the sweep's own stale job is ever due
const POLICY = { ...DEFAULT_POLICY, queueTimeoutSeconds: 3600, runTimeoutSeconds: 7200, heartbeatTimeoutSeconds: 3600 };
const HOUR = 3600_000;

/** A bucket notification as the Pub/Sub emulator pushes it (functions-framework makes it a CloudEvent). */
function pushed(topic: string, attributes: Record<string, string>, data: string): Request {
  return {
    method: 'POST',
    path: `/projects/verity-bench/topics/${topic}`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      message: { data: Buffer.from(data).toString('base64'), attributes, messageId: `cold-${Math.random()}` },
      subscription: 'projects/verity-bench/subscriptions/cold',
    }),
  };
}
const bareCalls = (calls: BareCalls): Request => ({
  method: 'POST',
  path: '/',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(calls),
});

export interface ColdRequests {
  /** A fresh real request for a unit (`target` as functions/units names it). */
  unit(target: string): Promise<RealRequest>;
  /** Its floor's request: the same client calls, made by the bare function. */
  bare(target: string): Promise<RealRequest>;
  close(): Promise<void>;
}

/** `env`: the units' environment (project, bucket, emulators, secrets); `secret` signs the local tokens. */
export async function coldRequests(env: NodeJS.ProcessEnv, pubsubHost: string, secret: string): Promise<ColdRequests> {
  const e = parseEnv(env);
  const db = new Firestore({ projectId: e.projectId, ignoreUndefinedProperties: true });
  const ledger = createLedger(db, Date.now);
  // the sweep's stale jobs: created as if two hours ago, their queue deadline long passed
  const past = createLedger(db, () => Date.now() - 2 * HOUR);
  const storage = createStorage(e.projectId, e.gcsEndpoint);
  await storage.createBucket(e.bucket).catch((err: { code?: number }) => {
    if (err.code !== 409) throw err;
  });
  for (const topic of [e.eventsTopic, e.updatesTopic]) await createTopic(pubsubHost, e.projectId, topic);
  const [ownerToken, adminToken] = await Promise.all([
    mintLocalToken(secret, OWNER),
    mintLocalToken(secret, 'cold-admin', { admin: true }),
  ]);

  let n = 0;
  const seed = async (
    o: { type?: string; kind?: 'external' | 'http'; outputs?: string[]; stale?: boolean } = {},
  ): Promise<string> => {
    const id = `job_cold_${Date.now()}_${++n}`;
    await (o.stale ? past : ledger).jobs.create((ctx) =>
      createJob(
        jobSpec({
          id,
          type: o.type ?? 'external',
          ownerId: OWNER,
          outputUris: o.outputs ?? [],
          executorKind: o.kind ?? 'external',
          policy: o.stale ? DEFAULT_POLICY : POLICY,
        }),
        [],
        ctx,
      ),
    );
    return id;
  };
  const is =
    (id: string, ...statuses: JobStatus[]) =>
    async (): Promise<boolean> =>
      statuses.includes((await ledger.jobs.get(id))?.status ?? ('none' as JobStatus));
  const apiJob = await seed();

  /** A queued job expecting an object, and the object written (its notification is what the request carries). */
  const expected = async (): Promise<{ id: string; uri: string; attributes: Record<string, string>; data: string }> => {
    const name = `cold/${Date.now()}-${++n}.mp4`;
    const uri = `gs://${e.bucket}/${name}`;
    const id = await seed({ outputs: [uri] });
    const [meta] = await storage
      .bucket(e.bucket)
      .file(name)
      .save('x', { resumable: false })
      .then(() => storage.bucket(e.bucket).file(name).getMetadata());
    const generation = String(meta.generation);
    const data = JSON.stringify({
      bucket: e.bucket,
      name,
      generation,
      size: String(meta.size),
      timeCreated: meta.timeCreated,
    });
    return {
      id,
      uri,
      attributes: { eventType: 'OBJECT_FINALIZE', bucketId: e.bucket, objectId: name, objectGeneration: generation },
      data,
    };
  };
  /** A job the demo provider runs (as an http executor leaves it), and the provider's signed webhook. */
  const providerJob = async (): Promise<{ id: string; ref: string; request: Request }> => {
    const id = await seed({ type: 'demo-provider', kind: 'http' });
    const ext = `ext-${id}`;
    await ledger.jobs.apply(id, {
      kind: 'dispatched',
      source: 'executor',
      attempt: 1,
      executionRef: `http:demo:${ext}`,
    });
    const body = JSON.stringify({ eventId: `evt-${id}`, externalJobId: ext, status: 'succeeded' });
    const request = {
      method: 'POST',
      path: '/api/webhooks/demo',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signPayload(LOCAL_DEMO_PROVIDER_SECRET, body, Math.floor(Date.now() / 1000)),
      },
      body,
    };
    return { id, ref: `http:demo:${ext}`, request };
  };
  const done = { status: 'succeeded' };

  return {
    async unit(target) {
      switch (target) {
        case 'api':
          return {
            request: { method: 'GET', path: `/api/jobs/${apiJob}`, headers: { authorization: `Bearer ${ownerToken}` } },
            check: is(apiJob, 'queued'),
          };
        case 'objectFinalized': {
          const x = await expected();
          return { request: pushed('verity-gcs-notifications', x.attributes, x.data), check: is(x.id, 'succeeded') };
        }
        case 'jobUpdates': {
          const id = await seed();
          const update = JSON.stringify({ jobId: id, attempt: 1, kind: 'started' });
          return { request: pushed(e.updatesTopic, { jobId: id }, update), check: is(id, 'running') };
        }
        case 'webhooks': {
          const p = await providerJob();
          return { request: p.request, check: is(p.id, 'succeeded') };
        }
        case 'sweep': {
          const id = await seed({ stale: true });
          return {
            request: { method: 'POST', path: '/', headers: { authorization: `Bearer ${adminToken}` } },
            check: is(id, 'failed', 'succeeded'),
          };
        }
        default:
          throw new Error(`no real request for ${target}`);
      }
    },
    async bare(target) {
      switch (target) {
        case 'api':
          return { request: bareCalls({ get: `jobs/${apiJob}` }), check: is(apiJob, 'queued') };
        case 'objectFinalized': {
          const x = await expected();
          const query = jobsWhere('outputUris', 'array-contains', x.uri, 50);
          return { request: bareCalls({ query, update: done, publish: e.eventsTopic }), check: is(x.id, 'succeeded') };
        }
        case 'jobUpdates': {
          const id = await seed();
          return {
            request: bareCalls({ get: `jobs/${id}`, update: { status: 'running' }, publish: e.eventsTopic }),
            check: is(id, 'running'),
          };
        }
        case 'webhooks': {
          const p = await providerJob();
          const query = jobsWhere('executor.executionRef', '==', p.ref, 2);
          return { request: bareCalls({ query, update: done, publish: e.eventsTopic }), check: is(p.id, 'succeeded') };
        }
        case 'sweep': {
          const id = await seed({ stale: true });
          const query = {
            collection: 'jobs',
            field: 'nextCheckAt',
            op: '<=' as const,
            value: { nowMs: true },
            limit: 200,
          };
          return {
            request: bareCalls({ query, update: { status: 'failed', nextCheckAt: null }, publish: e.eventsTopic }),
            check: is(id, 'failed'),
          };
        }
        default:
          throw new Error(`no bare request for ${target}`);
      }
    },
    close: () => db.terminate(),
  };
}
