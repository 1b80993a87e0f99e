/**
 * The worker SDK: what a render/stitch/voice-over worker calls to tell Verity where it stands. Messages go
 * to the `verity-job-updates` topic (shape and attribute `jobId`: docs/contract.md, "Topics and messages"),
 * or over HTTP to `POST /api/jobs/:id/updates` where Pub/Sub is not at hand. Each report carries its own
 * `id`, so a publisher retry that delivers it twice still applies once.
 */
import { randomUUID } from 'node:crypto';
import type { PubSub } from '@google-cloud/pubsub';
import type { WorkerUpdate } from '../schemas.js';
import { CREDENTIAL_ATTRIBUTE } from '../auth/worker-credential.js';

/** `{pct?, step?, stepPct?, completedSteps?, steps?}`: with a step plan the overall percent is computed. */
export type ProgressReport = NonNullable<WorkerUpdate['progress']>;

export interface WorkerReporter {
  /** Started; may carry the first progress (e.g. the step plan), saving a second message. */
  reportStarted(progress?: ProgressReport): Promise<void>;
  reportProgress(progress: ProgressReport): Promise<void>;
  reportHeartbeat(): Promise<void>;
  reportSucceeded(): Promise<void>;
  reportFailed(error: { code: string; message: string; retryable?: boolean }): Promise<void>;
}

export type Transport = (update: WorkerUpdate) => Promise<void>;

export function createReporter(jobId: string, attempt: number, send: Transport): WorkerReporter {
  const report = (u: Omit<WorkerUpdate, 'jobId' | 'attempt' | 'id'>): Promise<void> =>
    send({ id: randomUUID(), jobId, attempt, ...u });
  return {
    reportStarted: (progress) => report({ kind: 'started', ...(progress ? { progress } : {}) }),
    reportProgress: (progress) => report({ kind: 'progress', progress }),
    reportHeartbeat: () => report({ kind: 'heartbeat' }),
    reportSucceeded: () => report({ kind: 'succeeded' }),
    reportFailed: (error) => report({ kind: 'failed', error }),
  };
}

/** A message's attributes: its job, and the worker's credential when it has one (required in the cloud). */
const attributesOf = (update: WorkerUpdate, credential?: string): Record<string, string> => ({
  jobId: update.jobId,
  ...(credential ? { [CREDENTIAL_ATTRIBUTE]: credential } : {}),
});

export function pubsubTransport(pubsub: PubSub, topic: string, credential?: string): Transport {
  const t = pubsub.topic(topic);
  return async (update) => {
    await t.publishMessage({ data: Buffer.from(JSON.stringify(update)), attributes: attributesOf(update, credential) });
  };
}

/**
 * Publishing to the Pub/Sub emulator over its REST API: the same message as `pubsubTransport`, without loading
 * the client (about a second of CPU per worker process, which the local stack and the soak start by the hundred).
 */
export function emulatorTransport(
  host: string,
  project: string,
  topic: string,
  fetchImpl: typeof fetch = fetch,
  credential?: string,
): Transport {
  const url = `http://${host}/v1/projects/${encodeURIComponent(project)}/topics/${encodeURIComponent(topic)}:publish`;
  return async (update) => {
    const data = Buffer.from(JSON.stringify(update)).toString('base64');
    const res = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ data, attributes: attributesOf(update, credential) }] }),
    });
    if (!res.ok) throw new Error(`publish ${update.kind}: HTTP ${res.status} ${await res.text()}`);
  };
}

export function httpTransport(apiUrl: string, token: string, fetchImpl: typeof fetch = fetch): Transport {
  return async (update) => {
    const res = await fetchImpl(`${apiUrl.replace(/\/$/, '')}/api/jobs/${encodeURIComponent(update.jobId)}/updates`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(update),
    });
    if (!res.ok) throw new Error(`update ${update.kind}: HTTP ${res.status} ${await res.text()}`);
  };
}

/** The reporter a worker started by Verity gets from its environment (VERITY_JOB_ID, VERITY_ATTEMPT, …). */
export async function reporterFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<WorkerReporter> {
  const jobId = env.VERITY_JOB_ID;
  if (!jobId) throw new Error('VERITY_JOB_ID is not set: this process was not started by Verity');
  const attempt = Number(env.VERITY_ATTEMPT ?? '1');
  if (env.VERITY_REPORT_VIA === 'http') {
    return createReporter(
      jobId,
      attempt,
      httpTransport(env.VERITY_API_URL ?? 'http://127.0.0.1:8080', env.VERITY_WORKER_TOKEN ?? ''),
    );
  }
  const topic = env.VERITY_UPDATES_TOPIC ?? 'verity-job-updates';
  const credential = env.VERITY_WORKER_TOKEN || undefined;
  if (env.PUBSUB_EMULATOR_HOST && env.GOOGLE_CLOUD_PROJECT) {
    const transport = emulatorTransport(env.PUBSUB_EMULATOR_HOST, env.GOOGLE_CLOUD_PROJECT, topic, fetch, credential);
    return createReporter(jobId, attempt, transport);
  }
  const { PubSub: PubSubClient } = await import('@google-cloud/pubsub');
  const pubsub = new PubSubClient({ projectId: env.GOOGLE_CLOUD_PROJECT });
  return createReporter(jobId, attempt, pubsubTransport(pubsub, topic, credential));
}
