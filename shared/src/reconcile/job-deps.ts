/** What the job commands and reads are built on (jobs-service.ts assembles them). */
import type { JobTypeRegistry } from '../config/job-types.js';
import type { OutputProbe } from '../evidence/outputs.js';
import type { ExecutorSet } from '../evidence/executors/types.js';
import type { Logger } from '../log.js';
import type { JobStore } from '../store/job-store.js';
import type { Quotas } from '../store/quotas.js';
import type { Admission } from '../store/admission.js';
import type { CheckpointEvidence } from '../store/checkpoint-evidence.js';
import type { Reconciler } from './reconciler.js';

export interface JobsServiceDeps {
  store: JobStore;
  reconciler: Reconciler;
  registry: JobTypeRegistry;
  probe: OutputProbe;
  /** The executors, for attach (an execution started elsewhere: attach.ts). */
  executors: ExecutorSet;
  log: Logger;
  clock: () => number;
  bucket: string;
  allowedBuckets: readonly string[];
  quotas: Quotas;
  /** Enqueue rate limits (issue 32); none when absent. */
  admission?: Pick<Admission, 'admit'>;
  /** Step checkpoints seen landing: the progress view shows them. */
  checkpoints?: Pick<CheckpointEvidence, 'list'>;
  newId?: () => string;
}
