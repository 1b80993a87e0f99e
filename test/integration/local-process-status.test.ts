/**
 * local-process status while executions end (found by CI: a cancel reported `lost`): the runner writes its exit,
 * then exits; a status read between "no exit yet" and "is the runner alive?" saw neither and called the
 * execution lost. Many short executions, each polled without pause until it ends: never `lost`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createLocalProcessExecutor } from '../../shared/src/evidence/executors/local-process.js';
import { newJob } from '../helpers/jobs.js';
import { nodeScriptType } from '../helpers/local-type.js';

const N = 80;

describe('local-process executor: status as an execution ends', () => {
  it('is never lost for an execution that recorded its exit, however the reads fall', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'verity-status-'));
    const exec = createLocalProcessExecutor({ stateDir, workerEnv: () => ({}) });
    const type = nodeScriptType('quick', '');
    const seen = new Map<string, number>();
    for (let i = 0; i < N; i++) {
      const job = { ...newJob({ outputs: [] }), id: `job_status_${i}` };
      const { executionRef } = await exec.start(job, type);
      for (;;) {
        const { state } = await exec.status(executionRef);
        seen.set(state, (seen.get(state) ?? 0) + 1);
        if (state !== 'pending' && state !== 'running') break;
      }
    }
    assert.equal(seen.get('lost'), undefined, JSON.stringify(Object.fromEntries(seen)));
    assert.equal(seen.get('succeeded'), N);
  });
});
