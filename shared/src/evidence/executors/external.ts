import type { Executor } from './types.js';

/** Nobody is started: evidence alone (outputs, reports, webhooks, deadlines) drives the job. */
export function createExternalExecutor(): Executor {
  return {
    kind: 'external',
    start() {
      return Promise.reject(new Error('the external executor starts nothing'));
    },
    status(executionRef) {
      return Promise.resolve({ executionRef, state: 'running' });
    },
    cancel() {
      return Promise.resolve();
    },
  };
}
