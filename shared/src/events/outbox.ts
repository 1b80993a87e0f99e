/**
 * Events out (contract: topic `verity-job-events`): one message per applied transition, published from the
 * stored transition after its commit. A transition is written with `published: false`; the flag is set once
 * Pub/Sub accepted the message. If a function dies between commit and publish, `republishPending` (run by
 * the sweep) publishes it later: at-least-once, consumers dedupe on `dedupeId` = `{jobId}:{seq}`.
 */
import { Timestamp, type Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import type { Job, Transition } from '../core/index.js';
import type { Logger } from '../log.js';
import { transitionFromDoc } from '../store/codec.js';
import { Collections } from '../store/firestore.js';
import { QUERIES } from '../store/queries.js';
import { jobFromDoc } from '../store/codec.js';
import { jobView } from '../views.js';

export interface EventPublisher {
  /** Publishes one applied transition and marks it published. Never throws: a failure is retried later. */
  publish(job: Job, t: Transition): Promise<boolean>;
  /** Publishes transitions still unpublished after `olderThanMs`; returns how many. */
  republishPending(nowMs: number, olderThanMs?: number, limit?: number): Promise<number>;
}

export function eventMessage(job: Job, t: Transition): { data: Buffer; attributes: Record<string, string> } {
  const body = {
    jobId: job.id,
    seq: t.seq,
    from: t.from,
    to: t.to,
    reason: t.reason,
    source: t.source,
    at: new Date(t.at).toISOString(),
    job: jobView(job),
  };
  return {
    data: Buffer.from(JSON.stringify(body)),
    attributes: { jobId: job.id, to: t.to, dedupeId: `${job.id}:${t.seq}` },
  };
}

export function createOutbox(deps: {
  db: Firestore;
  pubsub: PubSub;
  topic: string;
  log: Logger;
  clock: () => number;
}): EventPublisher {
  // one message per transition, sent at once: the default batching would hold each for up to 10 ms
  const topic = deps.pubsub.topic(deps.topic, { batching: { maxMessages: 1, maxMilliseconds: 0 } });
  const mark = (jobId: string, seq: number) =>
    deps.db
      .collection(Collections.jobs)
      .doc(jobId)
      .collection(Collections.transitions)
      .doc(String(seq))
      .update({ published: true, publishedAt: Timestamp.fromMillis(deps.clock()) });

  const publish = async (job: Job, t: Transition): Promise<boolean> => {
    try {
      await topic.publishMessage(eventMessage(job, t));
      await mark(job.id, t.seq);
      return true;
    } catch (err) {
      deps.log.warn({ err, jobId: job.id, seq: t.seq }, 'event not published yet; the sweep will retry');
      return false;
    }
  };

  return {
    publish,
    async republishPending(nowMs, olderThanMs = 60_000, limit = 200) {
      const snap = await QUERIES.unpublishedTransitions(
        deps.db,
        Timestamp.fromMillis(nowMs - olderThanMs),
        limit,
      ).get();
      let n = 0;
      for (const doc of snap.docs) {
        const jobRef = doc.ref.parent.parent;
        if (!jobRef) continue;
        const jobSnap = await jobRef.get();
        if (!jobSnap.exists) continue;
        if (await publish(jobFromDoc(jobSnap.data()!), transitionFromDoc(doc.data()))) n++;
      }
      return n;
    },
  };
}
