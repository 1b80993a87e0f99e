/**
 * Which names of an execution started elsewhere a type's executor can attach (issue 30), as one pattern per
 * type: the executors' `adopt` reads a name only when it matches, and the OpenAPI document states it, so a
 * request of the right shape that names no execution is a 404, never a 400.
 */
import type { JobType } from '../../config/job-types.js';

/** Cloud Run execution ids: a job's name and a suffix (an RFC 1035 label). */
export const EXECUTION_ID_PATTERN = '[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?';
/** A provider's job id, as the http executor takes it from a submit's answer. */
export const EXTERNAL_ID_PATTERN = '[A-Za-z0-9_][A-Za-z0-9._-]{0,199}';
/** A local process: its pid, alone or as `pid:N`. */
export const PID_PATTERN = '(?:pid:)?[1-9][0-9]{0,6}';

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The pattern of the names a type can attach, or null when its executor cannot track work it did not start. */
export function attachPattern(executor: JobType['executor']): string | null {
  switch (executor.kind) {
    case 'cloud-run-job':
      return `^(?:${escape(executor.job)}/executions/)?${EXECUTION_ID_PATTERN}$`;
    case 'http':
      return `^${EXTERNAL_ID_PATTERN}$`;
    case 'local-process':
      return `^${PID_PATTERN}$`;
    default:
      return null;
  }
}
