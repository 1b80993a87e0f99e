/** A job played through decide() event by event, keeping its history: for the diagnosis table (diagnose.test.ts). */
import { diagnose, type Diagnosis, type Job, type JobEvent, type Transition } from '../../shared/src/core/index.js';
import { run } from './decide.js';

/** A job played through events: the job and its history at each step. */
export class Play {
  history: Transition[] = [];
  constructor(public job: Job) {
    this.history.push({
      seq: 1,
      from: null,
      to: job.status,
      reason: job.statusReason,
      source: 'api',
      attempt: 1,
      at: job.createdAt,
      evidence: {},
    });
  }
  on(event: JobEvent, at: number): this {
    const d = run(this.job, event, at);
    this.job = d.job;
    if (d.transition) this.history.push(d.transition);
    return this;
  }
  set(fields: Partial<Job>): this {
    this.job = { ...this.job, ...fields };
    return this;
  }
  at(now: number): Diagnosis {
    return diagnose(this.job, this.history, now);
  }
}
