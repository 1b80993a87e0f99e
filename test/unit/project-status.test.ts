import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deriveProjectStatus, type ProjectEvidence } from '../../shared/src/core/index.js';

const job = (status: 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled') => ({
  status,
  statusReason: 'ENQUEUED' as const,
});

describe('deriveProjectStatus (contract table, seed 001)', () => {
  const rows: [string, ProjectEvidence, string][] = [
    ['none declared → draft', { declared: 0, present: 0, job: null }, 'draft'],
    [
      'all present → ready (even if the record said generating: scenario 1)',
      { declared: 15, present: 15, job: job('running') },
      'ready',
    ],
    ['all present, no job → ready', { declared: 15, present: 15, job: null }, 'ready'],
    [
      'some present and a generation job active → generating (scenario 2 while the job runs)',
      { declared: 15, present: 7, job: job('running') },
      'generating',
    ],
    [
      'some present, job crashed → draft, recoverable (scenarios 2 and 3)',
      { declared: 15, present: 3, job: job('failed') },
      'draft',
    ],
    [
      'ready with 3 deleted, no job → draft (scenario 4)',
      { declared: 15, present: 12, job: job('succeeded') },
      'draft',
    ],
    ['none present and the job failed → error', { declared: 15, present: 0, job: job('failed') }, 'error'],
    ['none present, none active → draft', { declared: 15, present: 0, job: null }, 'draft'],
    ['none present, job queued → generating', { declared: 15, present: 0, job: job('queued') }, 'generating'],
    ['none present, job canceled → draft', { declared: 15, present: 0, job: job('canceled') }, 'draft'],
  ];
  for (const [name, e, want] of rows) it(name, () => assert.equal(deriveProjectStatus(e), want));
});
