/** shared/src/api-kit.ts: ids, who may see a record, zod issues as validation problems. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { canSee, issueLines, newJobId, newProjectId, validationProblems } from '../../shared/src/api-kit.js';
import { JobIdSchema } from '../../shared/src/schemas.js';

const alice = { userId: 'alice', admin: false, workerJobId: null };
const admin = { userId: 'root', admin: true, workerJobId: null };
const worker = (jobId: string, admin = false) => ({ userId: 'alice', admin, workerJobId: jobId });

describe('api kit', () => {
  it('mints prefixed ids that are valid document ids and do not repeat', () => {
    const jobs = Array.from({ length: 100 }, newJobId);
    const projects = Array.from({ length: 100 }, newProjectId);
    for (const id of jobs) assert.match(id, /^job_[0-9a-f]{20}$/);
    for (const id of projects) assert.match(id, /^prj_[0-9a-f]{20}$/);
    for (const id of [...jobs, ...projects]) assert.ok(JobIdSchema.safeParse(id).success, id);
    assert.equal(new Set([...jobs, ...projects]).size, 200);
  });

  it('lets the owner and admins see a record; a worker token only the job it runs, never a project', () => {
    const cases: [string, Parameters<typeof canSee>[0], Parameters<typeof canSee>[1], boolean][] = [
      ['owner, job', alice, { ownerId: 'alice', jobId: 'j1' }, true],
      ['owner, project', alice, { ownerId: 'alice' }, true],
      ['stranger, job', alice, { ownerId: 'bob', jobId: 'j1' }, false],
      ['stranger, project', alice, { ownerId: 'bob' }, false],
      ['admin, job', admin, { ownerId: 'bob', jobId: 'j1' }, true],
      ['admin, project', admin, { ownerId: 'bob' }, true],
      ['worker, its job', worker('j1'), { ownerId: 'alice', jobId: 'j1' }, true],
      ['worker, another job of its owner', worker('j1'), { ownerId: 'alice', jobId: 'j2' }, false],
      ["worker, its owner's project", worker('j1'), { ownerId: 'alice' }, false],
      ['admin worker, another job', worker('j1', true), { ownerId: 'bob', jobId: 'j2' }, false],
      ['worker, its job owned by someone else', worker('j1'), { ownerId: 'bob', jobId: 'j1' }, false],
    ];
    for (const [label, who, record, expected] of cases) assert.equal(canSee(who, record), expected, label);
  });

  it('maps zod issues to {field, message}, with a prefix, and to lines', () => {
    const schema = z.object({ a: z.array(z.object({ b: z.number() })), c: z.string() }).strict();
    const r = schema.safeParse({ a: [{ b: 'x' }], c: 1, d: true });
    assert.ok(!r.success);
    const problems = validationProblems(r.error.issues);
    assert.deepEqual(
      problems.map((p) => p.field),
      ['a.0.b', 'c', ''],
    );
    assert.ok(problems.every((p) => typeof p.message === 'string' && p.message.length > 0));
    assert.deepEqual(
      validationProblems(r.error.issues, ['input']).map((p) => p.field),
      ['input.a.0.b', 'input.c', 'input'],
    );
    assert.deepEqual(
      issueLines(r.error.issues),
      problems.map((p) => `${p.field}: ${p.message}`),
    );
  });
});
