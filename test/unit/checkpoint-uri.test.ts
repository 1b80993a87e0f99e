/** Which finalized objects are step checkpoint manifests (shared/src/evidence/checkpoint-uri.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkpointMatcher } from '../../shared/src/evidence/checkpoint-uri.js';

describe('checkpointMatcher', () => {
  const match = checkpointMatcher(['gs://{bucket}/ckpt/{ownerId}/{jobId}/', 'gs://{bucket}/resume/{jobId}/'], 'media');

  it('a manifest under a job type’s checkpoint prefix: its prefix and step (decoded)', () => {
    assert.deepEqual(match('gs://media/ckpt/alice/job_1/step-3.json'), {
      prefix: 'gs://media/ckpt/alice/job_1/',
      step: 'step-3',
    });
    assert.deepEqual(match('gs://media/ckpt/alice/job_1/voice%2Fen.json'), {
      prefix: 'gs://media/ckpt/alice/job_1/',
      step: 'voice/en',
    });
    assert.deepEqual(match('gs://media/resume/job_2/mix.json'), { prefix: 'gs://media/resume/job_2/', step: 'mix' });
  });

  it('not a manifest: data objects, other prefixes and buckets, deeper paths, bad encodings', () => {
    for (const uri of [
      'gs://media/ckpt/alice/job_1/step-3.1-abcd.out',
      'gs://media/renders/job_1.json',
      'gs://other/ckpt/alice/job_1/step-3.json',
      'gs://media/ckpt/alice/job_1/x/step-3.json',
      'gs://media/ckpt/job_1/step-3.json',
      'gs://media/ckpt/alice/job_1/%E0%A4%A.json',
    ])
      assert.equal(match(uri), null, uri);
  });
});
