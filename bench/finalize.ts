/**
 * (c) Finalize-to-succeeded latency: an object written to fake-gcs-server → bucket notification on the Pub/Sub
 * emulator → push → functions/object-finalized → the job committed `succeeded`; against the bare transport
 * floor measured on the same uploads: a second push subscription on the same topic to a function that does
 * nothing but note the arrival. Latency is from the upload's completion to the handler's completion.
 * Every upload is a sample on both sides: arrivals are noted whenever they come (even before the upload's own
 * answer reached the bench), and the bench waits for the last of them (VERITY_BENCH_FINALIZE_WAIT_S, default
 * 300 s) — a slow delivery is the tail this part is about; what never came is counted and printed.
 */
import { Firestore } from '@google-cloud/firestore';
import { Storage } from '@google-cloud/storage';
import { createObjectFinalizedHandler } from '../functions/object-finalized/handler.js';
import { createPushSubscription, createTopic } from '../infra/local/emulators.js';
import { parseEnv } from '../shared/src/config/env.js';
import { parseFinalizeEvent } from '../shared/src/events/cloudevents.js';
import { silentLogger } from '../shared/src/log.js';
import { createRuntime } from '../shared/src/runtime.js';
import * as functions from '@google-cloud/functions-framework';
import type { CloudEvent } from '@google-cloud/functions-framework';
import { readyRuntime } from '../functions/common/runtime-source.js';
import { serve } from './serve.js';
import { pct } from './stats.js';

const WAIT_MS = 1000 * Number(process.env.VERITY_BENCH_FINALIZE_WAIT_S ?? 300);

export async function benchFinalize(opts: {
  objects: number;
  project: string;
  pubsubHost: string;
  gcsUrl: string;
  topic: string;
}): Promise<{
  floorP50: number;
  floorP99: number;
  verityP50: number;
  verityP99: number;
  ratioP50: number;
  ratioP99: number;
  succeeded: number;
  /** Samples per side (each upload's delivery), and deliveries that never came within the wait. */
  n: { floor: number; verity: number };
  missing: { floor: number; verity: number };
  /** Deliveries noted before the upload's own answer reached the bench (their latency is ≤ 0). */
  early: number;
  /**
   * object-finalized's handler alone, every delivery (ms), and the most deliveries it had at once: when the
   * handler is slower than the uploads come, the emulator's push (which keeps few in flight) queues them.
   */
  handler: { p50: number; p99: number; n: number; maxInFlight: number };
}> {
  const bucket = `bench-${Date.now()}`;
  const env = parseEnv({
    ...process.env,
    GOOGLE_CLOUD_PROJECT: opts.project,
    VERITY_PROFILE: 'local',
    VERITY_BUCKET: bucket,
    VERITY_GCS_ENDPOINT: opts.gcsUrl,
    VERITY_LOCAL_JWT_SECRET: 'bench-secret-0123456789abcdef',
  });
  const db = new Firestore({ projectId: opts.project, ignoreUndefinedProperties: true });
  const storage = new Storage({ projectId: opts.project, apiEndpoint: opts.gcsUrl, useAuthWithCustomEndpoint: false });
  await storage.createBucket(bucket);
  await createTopic(opts.pubsubHost, opts.project, 'verity-job-events');
  const rt = createRuntime('bench', { env, db, storage, log: silentLogger() });

  const uploadedAt = new Map<string, number>();
  // each object's first completed delivery (a redelivery after a failed one counts from the same upload)
  const floor = new Map<string, number>();
  const verity = new Map<string, number>();
  const note = (into: Map<string, number>, name: string): void => {
    if (!into.has(name)) into.set(name, performance.now());
  };
  functions.cloudEvent('bench-noop', (ce: CloudEvent<unknown>) => {
    const p = parseFinalizeEvent(ce);
    if ('object' in p && p.object.bucket === bucket) note(floor, p.object.name);
  });
  const verityHandler = createObjectFinalizedHandler(readyRuntime(rt));
  const handled: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  functions.cloudEvent('bench-verity', async (ce: CloudEvent<unknown>) => {
    const h0 = performance.now();
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    try {
      await verityHandler(ce);
    } finally {
      inFlight--;
      handled.push(performance.now() - h0);
    }
    const p = parseFinalizeEvent(ce);
    if ('object' in p && p.object.bucket === bucket) note(verity, p.object.name);
  });
  const noop = await serve('bench-noop');
  const ver = await serve('bench-verity');
  const stamp = Date.now();
  await createPushSubscription(
    opts.pubsubHost,
    opts.project,
    `bench-noop-${stamp}`,
    opts.topic,
    `${noop.url}/projects/${opts.project}/topics/${opts.topic}`,
  );
  await createPushSubscription(
    opts.pubsubHost,
    opts.project,
    `bench-verity-${stamp}`,
    opts.topic,
    `${ver.url}/projects/${opts.project}/topics/${opts.topic}`,
  );

  const who = { userId: 'bench', admin: false, workerJobId: null };
  const ids: string[] = [];
  for (let i = 0; i < opts.objects; i++) {
    const { job } = await rt.jobs.enqueue(who, {
      type: 'external',
      outputs: [`gs://${bucket}/u/bench/out/${i}.mp4`],
      reuseExistingOutputs: true,
    });
    ids.push(job.id);
  }
  process.stdout.write(
    `(c) ${opts.objects} objects, one every 40 ms, each observed by a no-op push function and by object-finalized…\n`,
  );
  const uploads: Promise<void>[] = [];
  for (let i = 0; i < opts.objects; i++) {
    const name = `u/bench/out/${i}.mp4`; // the declared output (under the owner's request prefix)
    uploads.push(
      storage
        .bucket(bucket)
        .file(name)
        .save('x', { resumable: false })
        .then(() => void uploadedAt.set(name, performance.now())),
    );
    await new Promise((r) => setTimeout(r, 40));
  }
  await Promise.all(uploads);
  const deadline = Date.now() + WAIT_MS;
  while ((floor.size < opts.objects || verity.size < opts.objects) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  let succeeded = 0;
  for (const id of ids) if ((await rt.store.get(id))?.status === 'succeeded') succeeded++;
  await fetch(`http://${opts.pubsubHost}/v1/projects/${opts.project}/subscriptions/bench-noop-${stamp}`, {
    method: 'DELETE',
  });
  await fetch(`http://${opts.pubsubHost}/v1/projects/${opts.project}/subscriptions/bench-verity-${stamp}`, {
    method: 'DELETE',
  });
  await noop.close();
  await ver.close();
  await db.terminate();
  const latencies = (m: Map<string, number>): number[] => [...m].map(([name, at]) => at - uploadedAt.get(name)!);
  const f = latencies(floor);
  const v = latencies(verity);
  const r = {
    floorP50: pct(f, 50),
    floorP99: pct(f, 99),
    verityP50: pct(v, 50),
    verityP99: pct(v, 99),
    succeeded,
    n: { floor: f.length, verity: v.length },
    missing: { floor: opts.objects - f.length, verity: opts.objects - v.length },
    early: [...f, ...v].filter((x) => x <= 0).length,
    handler: { p50: pct(handled, 50), p99: pct(handled, 99), n: handled.length, maxInFlight },
  };
  return { ...r, ratioP50: r.verityP50 / r.floorP50, ratioP99: r.verityP99 / r.floorP99 };
}
