/**
 * Events out (docs/contract.md: topic `verity-job-events`): one message per applied transition. The write
 * that commits a transition also puts it in its job's outbox (store/outbox-store.ts); it leaves once Pub/Sub
 * accepted the message and the transition's effects have run. The effect runner (reconcile/effect-runner.ts)
 * sends it right after the commit; if a function dies between commit and publish, the runner's `drainPending`
 * (run by the sweep) publishes it later: at-least-once, consumers dedupe on `dedupeId` = `{jobId}:{seq}`. A job
 * imported with write back has its record written the same way, as part of sending (store/mirror-writer.ts), and
 * so are the transition's outbound webhook deliveries (reconcile/deliveries.ts).
 */
import type { PubSub } from '@google-cloud/pubsub';
import { transitionData, type Job, type Transition } from '../core/index.js';
import { faultPoint } from '../faults.js';
import type { Logger } from '../log.js';
import type { JobRead } from '../store/job-doc.js';
import type { MirrorWriter } from '../store/mirror-writer.js';
import type { OutboxStore } from '../store/outbox-store.js';
import { jobView } from '../views.js';

export interface EventPublisher {
  /** Publishes the event of one applied transition. Never throws: false when it did not go out. */
  send(job: Job, t: Transition): Promise<boolean>;
  /**
   * Takes a transition whose event is out and whose effects have run out of its job's outbox; `known`: the job
   * document as last read or written (no read when it is still current). Never throws: false when it failed.
   */
  markPublished(job: Job, t: Transition, known?: JobRead): Promise<boolean>;
}

export function eventMessage(job: Job, t: Transition): { data: Buffer; attributes: Record<string, string> } {
  const body = transitionData(t, job.id, jobView(job, t.at));
  return {
    data: Buffer.from(JSON.stringify(body)),
    attributes: { jobId: job.id, to: t.to, dedupeId: `${job.id}:${t.seq}` },
  };
}

export function createOutbox(deps: {
  store: OutboxStore;
  pubsub: PubSub;
  topic: string;
  log: Logger;
  clock: () => number;
  /** Writes an imported job's status back to its record (store/mirror-writer.ts): part of sending. */
  mirror?: MirrorWriter;
  /** Writes the transition's webhook deliveries (reconcile/deliveries.ts): part of sending. */
  fanOut?: (job: Job, t: Transition) => Promise<void>;
}): EventPublisher {
  // one message per transition, sent at once: the default batching would hold each for up to 10 ms
  const topic = deps.pubsub.topic(deps.topic, { batching: { maxMessages: 1, maxMilliseconds: 0 } });

  const send = async (job: Job, t: Transition): Promise<boolean> => {
    try {
      await topic.publishMessage(eventMessage(job, t));
      faultPoint('mid-publish', job.id);
    } catch (err) {
      deps.log.warn({ err, jobId: job.id, seq: t.seq }, 'event not published yet; the sweep will retry');
      return false;
    }
    // webhook deliveries, and the record written back, are part of sending: until both are written, the
    // entry stays and the sweep tries again (each is idempotent)
    try {
      await deps.fanOut?.(job, t);
    } catch (err) {
      deps.log.warn({ err, jobId: job.id, seq: t.seq }, 'webhook fan-out failed; the sweep will retry');
      return false;
    }
    if (!job.mirror || !deps.mirror) return true;
    try {
      const r = await deps.mirror.write(job, t);
      if (r === 'gone') deps.log.warn({ jobId: job.id, path: job.mirror.path }, 'write back: the record is gone');
      return true;
    } catch (err) {
      deps.log.warn({ err, jobId: job.id, seq: t.seq }, 'write back failed; the sweep will retry');
      return false;
    }
  };
  const markPublished = async (job: Job, t: Transition, known?: JobRead): Promise<boolean> => {
    try {
      await deps.store.markPublished(job.id, t.seq, known);
      return true;
    } catch (err) {
      deps.log.warn({ err, jobId: job.id, seq: t.seq }, 'event out, not yet marked; the sweep will publish it again');
      return false;
    }
  };
  return { send, markPublished };
}
