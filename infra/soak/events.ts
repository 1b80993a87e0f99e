/** Everything published on `verity-job-events`, counted per `dedupeId`, from a subscription made before any job. */
import type { PubSub, Subscription } from '@google-cloud/pubsub';

export interface EventLog {
  /** dedupeId ({jobId}:{seq}) → deliveries seen. */
  seen: Map<string, number>;
  stop(): Promise<void>;
}

export async function recordEvents(pubsub: PubSub, topic: string, name: string): Promise<EventLog> {
  const [sub]: [Subscription, ...unknown[]] = await pubsub
    .topic(topic)
    .createSubscription(name, { ackDeadlineSeconds: 60 });
  const seen = new Map<string, number>();
  sub.on('message', (m) => {
    const id = m.attributes.dedupeId ?? '?';
    seen.set(id, (seen.get(id) ?? 0) + 1);
    m.ack();
  });
  sub.on('error', (err: Error) => process.stderr.write(`soak: event subscriber: ${err.message}\n`));
  return {
    seen,
    async stop() {
      await sub.close();
    },
  };
}
