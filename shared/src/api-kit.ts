/**
 * The small things every resource of the API does alike, written once: minting ids, deciding who may see a
 * record, and turning zod issues into the `{field, message}` problems of a 400. (Cursors: store/cursor.ts.)
 */
import { randomUUID } from 'node:crypto';
import type { Principal } from './auth/principal.js';

/** A validation problem as the API reports it: `details` of an INVALID_INPUT error. */
export interface ValidationProblem {
  field: string;
  message: string;
}

/** A zod issue, as far as this module reads it. */
interface Issue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** `{field: 'a.0.b', message}` for each issue; `under` prefixes the field (e.g. ['input'] for a job's input). */
export function validationProblems(issues: readonly Issue[], under: readonly PropertyKey[] = []): ValidationProblem[] {
  return issues.map((i) => ({ field: [...under, ...i.path].join('.'), message: i.message }));
}

/** The issues as `field: message` lines, for configuration errors and logs. */
export function issueLines(issues: readonly Issue[]): string[] {
  return validationProblems(issues).map((p) => `${p.field}: ${p.message}`);
}

/** A new document id: the kind's prefix and the first 20 hex digits of a random UUID, e.g. job_3f0c…, prj_9a1e…. */
function newId(prefix: 'job' | 'prj'): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
}

export const newJobId = (): string => newId('job');
export const newProjectId = (): string => newId('prj');

/**
 * May `who` see a record owned by `ownerId`? Its owner or an admin; a worker token sees only the job it runs
 * (`jobId`), never a project. Callers answer "not found" otherwise, so others' ids are not disclosed.
 */
export function canSee(who: Principal, record: { ownerId: string; jobId?: string }): boolean {
  if (who.workerJobId !== null && who.workerJobId !== record.jobId) return false;
  return who.admin || record.ownerId === who.userId;
}
