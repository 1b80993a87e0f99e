/**
 * Events out (contract: topic `verity-job-events`): one message per applied transition. The write that
 * commits a transition also puts it in its job's outbox (store/outbox-store.ts); it leaves once Pub/Sub
 * accepted the message and the transition's effects have run. If a function dies between commit and publish,
 * `republishPending` (run by the sweep) publishes it later: at-least-once, consumers dedupe on `dedupeId` =
 * `{jobId}:{seq}`.
 */
import type { PubSub } from '@google-cloud/pubsub';
import type { Effect, Job, Transition } from '../core/index.js';
import { mapLimit } from '../evidence/limits.js';
import { faultPoint } from '../faults.js';
import type { Logger } from '../log.js';
import type { JobRead } from '../store/job-doc.js';
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
  /**
   * Publishes one applied transition, then (once `effectsRun` has settled) takes it out of the outbox. Never
   * throws: a failure is retried later.
   */
  publish(job: Job, t: Transition, effectsRun?: Promise<unknown>, known?: JobRead): Promise<boolean>;
  /**
   * Publishes outbox entries still pending when their time to be taken up again has come (each entry's `due`:
   * core's outboxRetryMs after its commit) and runs their recorded effects again through `rerun` (a process died
   * between the commit and the mark); returns how many.
   */
  republishPending(
    nowMs: number,
    limit?: number,
    rerun?: (effects: Effect[], job: Job) => Promise<void>,
  ): Promise<number>;
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
  store: OutboxStore;
  pubsub: PubSub;
  topic: string;
  log: Logger;
  clock: () => number;
}): EventPublisher {
  // one message per transition, sent at once: the default batching would hold each for up to 10 ms
  const topic = deps.pubsub.topic(deps.topic, { batching: { maxMessages: 1, maxMilliseconds: 0 } });

  const send = async (job: Job, t: Transition): Promise<boolean> => {
    try {
      await topic.publishMessage(eventMessage(job, t));
      faultPoint('mid-publish', job.id);
      return true;
    } catch (err) {
      deps.log.warn({ err, jobId: job.id, seq: t.seq }, 'event not published yet; the sweep will retry');
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
  const publish = async (job: Job, t: Transition, effectsRun?: Promise<unknown>, known?: JobRead): Promise<boolean> => {
    if (!(await send(job, t))) return false;
    await effectsRun?.catch(() => undefined); // an effect that failed is retried by reconcile, not from here
    return markPublished(job, t, known);
  };

  /** Entries this process is republishing now: an overlapping sweep leaves them to it. */
  const inFlight = new Set<string>();
  return {
    send,
    markPublished,
    publish,
    async republishPending(nowMs, limit = 200, rerun) {
      const entries = (await deps.store.pending(nowMs, limit)).filter(
        (e) => !inFlight.has(`${e.job.id}:${e.transition.seq}`),
      );
      // independent entries, each effect idempotent: a few at once, so one slow effect holds back no other
      const done = await mapLimit(entries, 8, async ({ job, transition, effects, read }) => {
        const key = `${job.id}:${transition.seq}`;
        inFlight.add(key);
        try {
          // effects that write the job make `read` stale: the mark then reads the job again
          return await publish(job, transition, effects.length > 0 ? rerun?.(effects, job) : undefined, read);
        } finally {
          inFlight.delete(key);
        }
      });
      return done.filter(Boolean).length;
    },
  };
}
