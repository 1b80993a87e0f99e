/** Everything published on `verity-job-events`, counted per `dedupeId`, from a subscription made before any job. */
import type { PubSub, Subscription } from '@google-cloud/pubsub';

export interface EventLog {
  /** dedupeId ({jobId}:{seq}) → deliveries seen. */
  seen: Map<string, number>;
  /** dedupeId → the state the event announced (its `to` attribute), to check against the transition. */
  to: Map<string, string>;
  stop(): Promise<void>;
}

export async function recordEvents(pubsub: PubSub, topic: string, name: string): Promise<EventLog> {
  const [sub]: [Subscription, ...unknown[]] = await pubsub
    .topic(topic)
    .createSubscription(name, { ackDeadlineSeconds: 60 });
  const seen = new Map<string, number>();
  const to = new Map<string, string>();
  sub.on('message', (m) => {
    const id = m.attributes.dedupeId ?? '?';
    seen.set(id, (seen.get(id) ?? 0) + 1);
    to.set(id, m.attributes.to ?? '?');
    m.ack();
  });
  sub.on('error', (err: Error) => process.stderr.write(`soak: event subscriber: ${err.message}\n`));
  return {
    seen,
    to,
    async stop() {
      await sub.close();
    },
  };
}
