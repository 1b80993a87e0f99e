/**
 * How the local stack runs a function and feeds it events, as the cloud does: one process per function
 * listening on the loopback host only, and Pub/Sub push subscriptions with the cloud's dead-letter topics
 * (`<topic>-dlq`, held for inspection in `<topic>-dlq-hold`) and delivery limit (MAX_DELIVERY_ATTEMPTS).
 */
import { fileURLToPath } from 'node:url';
import { isAbsolute, resolve } from 'node:path';
import { deadLetterTopic, MAX_DELIVERY_ATTEMPTS } from '../../functions/units.js';
import { createPullSubscription, createPushSubscription, createTopic } from './emulators.js';
import type { FunctionSpec } from './function-spec.js';

/** functions-framework's main, bound to one host (infra/local/serve.ts). */
export const SERVE_SCRIPT = fileURLToPath(new URL('./serve.js', import.meta.url));

export function resolveSource(repoRoot: string, source: string): string {
  return isAbsolute(source) ? source : resolve(repoRoot, source);
}

/** The node arguments that run `spec` on host:spec.port. */
export function functionArgs(repoRoot: string, spec: FunctionSpec, host: string): string[] {
  if (spec.script) return [resolveSource(repoRoot, spec.script)];
  return [
    SERVE_SCRIPT,
    `--target=${spec.target}`,
    `--source=${resolveSource(repoRoot, spec.source)}`,
    `--port=${spec.port}`,
    `--signature-type=${spec.signature}`,
    `--host=${host}`,
  ];
}

/** The dead-letter topic of a push subscription's topic, and the pull subscription that keeps its messages. */
export const deadLetterHold = (topic: string): string => `${deadLetterTopic(topic)}-hold`;

/**
 * Creates `spec.push`'s push subscription to the function at host:port, after its dead-letter topic and the
 * subscription holding the dead letters (the emulator keeps a topic's messages only for existing subscriptions).
 */
export async function wirePush(
  pubsubHostPort: string,
  project: string,
  host: string,
  spec: FunctionSpec,
  /** Where the subscription pushes instead of the function (e.g. a fault-injecting proxy in front of it). */
  via?: string,
): Promise<void> {
  if (!spec.push) return;
  const { name, topic } = spec.push;
  const dlq = deadLetterTopic(topic);
  await createTopic(pubsubHostPort, project, dlq);
  await createPullSubscription(pubsubHostPort, project, deadLetterHold(topic), dlq);
  // functions-framework takes the topic from the push URL path (see gcp-notes)
  const endpoint = `${via ?? `http://${host}:${spec.port}`}/projects/${project}/topics/${topic}`;
  await createPushSubscription(pubsubHostPort, project, name, topic, endpoint, {
    topic: dlq,
    maxDeliveryAttempts: MAX_DELIVERY_ATTEMPTS,
  });
}
