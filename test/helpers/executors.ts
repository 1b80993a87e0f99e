/** Executors for tests of what lies before them (the API, its document): they start nothing real. */
import type { Executor } from '../../shared/src/evidence/executors/types.js';

/** Records what it was asked to start; an execution reports "running" until it is canceled. */
export function recordingExecutor(): Executor & { started: string[] } {
  const started: string[] = [];
  const canceled = new Set<string>();
  return {
    kind: 'local-process',
    started,
    async start(job) {
      started.push(`${job.id}:${job.attempt}`);
      return { executionRef: `local:${job.id}:${job.attempt}` };
    },
    async status(executionRef) {
      return { executionRef, state: canceled.has(executionRef) ? 'canceled' : 'running' };
    },
    async cancel(executionRef) {
      canceled.add(executionRef);
    },
  };
}
