/**
 * Starts a dead process left, made by whichever unit is at work. A start request whose process died is found by
 * the sweep once its lease is over (core: dispatchDueAt); but Cloud Scheduler fires at most once a minute, and a
 * sweep can itself be down, so a short queue timeout (40 s in the soak) could pass first: the attempt would fail
 * QUEUE_TIMEOUT for work never tried (issue 26: *never dispatched*). So every unit that commits also looks, at
 * most once per `everyMs` per instance, for the jobs whose start is due (their stored `startDueAt`: only those,
 * so no other due job — an external job at its queue deadline, a held one — crowds them out of the page) and
 * looks at those with only a start to make (core: onlyDispatchDue): one query of at most `limit` documents, then per job the one
 * conditional write that takes the start lease (one winner, whoever else looks) and the start. Best effort, off
 * the caller's path: the sweep stays the guarantee. Built by the reconciler (reconciler.ts), from its parts.
 */
import { onlyDispatchDue, type Job } from '../core/index.js';
import { mapLimit } from '../evidence/limits.js';
import type { Logger } from '../log.js';

export interface DueStartsDeps {
  /** The jobs whose start is due, soonest first (store: startsDue). */
  startsDue(nowMs: number, limit: number): Promise<Job[]>;
  /** A look at one job (observe.ts) and the draining of what it committed. */
  look(jobId: string, known: Job): Promise<unknown>;
  clock: () => number;
  log: Logger;
  /** At most one look per this many ms per instance; 0: never. */
  everyMs: number;
  limit?: number;
}

export class DueStarts {
  private last = -Infinity;
  private running: Promise<number> | null = null;
  constructor(private readonly deps: DueStartsDeps) {}

  /** Looks now unless one is under way or the last was within `everyMs`; the starts made (0 when skipped). */
  kick(): Promise<number> {
    const now = this.deps.clock();
    if (this.deps.everyMs <= 0 || this.running || now - this.last < this.deps.everyMs) return Promise.resolve(0);
    this.last = now;
    const run = this.look(now).catch((err: unknown) => {
      this.deps.log.warn({ err }, 'due starts: the look failed; the sweep makes them');
      return 0;
    });
    this.running = run.finally(() => (this.running = null));
    return this.running;
  }

  /** The look under way, if any (tests). */
  idle(): Promise<unknown> {
    return this.running ?? Promise.resolve();
  }

  private async look(now: number): Promise<number> {
    const starts = (await this.deps.startsDue(now, this.deps.limit ?? 20)).filter((j) => onlyDispatchDue(j, now));
    const made = await mapLimit(starts, 4, async (job) => {
      try {
        await this.deps.look(job.id, job);
        return 1;
      } catch (err) {
        this.deps.log.warn({ err, jobId: job.id }, 'due starts: a start failed; the sweep retries it');
        return 0;
      }
    });
    const n = made.reduce<number>((a, b) => a + b, 0);
    if (n > 0) this.deps.log.info({ starts: n }, 'due starts: starts a dead process left, made');
    return n;
  }
}
