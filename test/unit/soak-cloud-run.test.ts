/** The soak's Cloud Run: the faults it injects into a start are recorded against that start's job and attempt. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runJobSubject } from '../../infra/soak/cloud-run.js';

describe('soak: Cloud Run faults', () => {
  it("the Cloud Run fake's faults name the job and attempt of a RunJob", () => {
    const env = [
      { name: 'VERITY_JOB_ID', value: 'job_q' },
      { name: 'VERITY_ATTEMPT', value: '2' },
    ];
    assert.deepEqual(runJobSubject({ overrides: { containerOverrides: [{ env }] } }), { subject: 'job_q', attempt: 2 });
    assert.deepEqual(runJobSubject({ name: 'projects/p/locations/l/jobs/j' }), { subject: null });
  });
});
