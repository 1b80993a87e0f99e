/**
 * What the API and the triggers do with jobs, by role: commands (job-commands.ts: enqueue, retry, cancel,
 * worker reports) and reads (job-reads.ts: the queue, one job with reconcile-on-read, progress, history).
 */
import type { Principal } from '../auth/principal.js';
import type { Attribution, Diagnosis, Job, Transition } from '../core/index.js';
import type { EnqueueRequest, WorkerUpdate } from '../schemas.js';
import { JobCommands, type EnqueueOptions } from './job-commands.js';
import { JobReads } from './job-reads.js';
import type { JobsServiceDeps } from './job-deps.js';
import type { ReconcileReport } from './reconciler.js';

export { MAX_NEW_JOB_BYTES, type EnqueueOptions } from './job-commands.js';
export type { JobsServiceDeps } from './job-deps.js';

export class JobsService {
  readonly reads: JobReads;
  readonly commands: JobCommands;
  constructor(deps: JobsServiceDeps) {
    this.reads = new JobReads(deps);
    this.commands = new JobCommands(deps, this.reads);
  }

  enqueue(who: Principal, req: EnqueueRequest, opts?: EnqueueOptions): Promise<{ created: boolean; job: Job }> {
    return this.commands.enqueue(who, req, opts);
  }
  retry(who: Principal, id: string, by?: Attribution): Promise<Job> {
    return this.commands.retry(who, id, by);
  }
  cancel(who: Principal, id: string, by?: Attribution): Promise<Job> {
    return this.commands.cancel(who, id, by);
  }
  report(
    who: Principal | null,
    update: WorkerUpdate,
    dedupeKey?: string,
  ): Promise<{ outcome: string; job: Job | null }> {
    return this.commands.report(who, update, dedupeKey);
  }
  requestPrefixesOf(typeName: string | null, ownerId: string): string[] {
    return this.commands.requestPrefixesOf(typeName, ownerId);
  }
  list(who: Principal, q: Parameters<JobReads['list']>[1]): ReturnType<JobReads['list']> {
    return this.reads.list(who, q);
  }
  read(who: Principal, id: string, opts?: { verify?: boolean }): Promise<Job> {
    return this.reads.read(who, id, opts);
  }
  reconcile(who: Principal, id: string, opts?: { dryRun?: boolean; by?: Attribution }): Promise<ReconcileReport> {
    return this.reads.reconcile(who, id, opts);
  }
  progress(who: Principal, id: string): Promise<Record<string, unknown>> {
    return this.reads.progress(who, id);
  }
  history(who: Principal, id: string): Promise<Transition[]> {
    return this.reads.history(who, id);
  }
  diagnosis(who: Principal, id: string): Promise<Diagnosis> {
    return this.reads.diagnosis(who, id);
  }
}
