// The queue's filter as it lives in the address (#/?status=failed&type=render&resourceKey=…): read and checked
// (a value the API would refuse is ignored and named), written in one order, said in words, and as a bulk filter.
import { STATUSES } from './format.js';

/** The job type names the API takes (shared/src/schemas.ts: JobTypeNameSchema). */
const TYPE_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const MAX_KEY = 500;
const control = (v) => [...v].some((c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127);

const CHECKS = {
  status: (v) => (STATUSES.includes(v) ? null : 'not a job status'),
  type: (v) => (TYPE_NAME.test(v) ? null : 'not a job type name'),
  resourceKey: (v) =>
    v.length > MAX_KEY ? `longer than ${MAX_KEY} characters` : control(v) ? 'holds a control character' : null,
};

/** The filter's keys, in the order the address writes them. */
const FILTER_KEYS = Object.keys(CHECKS);

/**
 * The filter a query holds: {filter: {status?, type?, resourceKey?}, ignored: ['status=bogus (not a job status)']}.
 * Empty values are no filter; unknown keys are ignored silently (another view's, a tracker's); a repeated key
 * takes its first value.
 */
export function readFilter(query) {
  const filter = {};
  const ignored = [];
  for (const key of FILTER_KEYS) {
    const value = query.get(key);
    if (value === null || value === '') continue;
    const problem = CHECKS[key](value);
    if (problem) ignored.push(`${key}=${value.length > 40 ? `${value.slice(0, 40)}…` : value} (${problem})`);
    else filter[key] = value;
  }
  return { filter, ignored };
}

/** The filter as a query, its keys in one order (so one filter has one address). */
export function filterQuery(filter) {
  const q = new URLSearchParams();
  for (const key of FILTER_KEYS) if (filter[key]) q.set(key, filter[key]);
  return q;
}

/** In words: "status failed, type render" — or "every job you can see". */
export function describeFilter(filter) {
  const parts = [];
  if (filter.status) parts.push(`status ${filter.status}`);
  if (filter.type) parts.push(`type ${filter.type}`);
  if (filter.resourceKey) parts.push(`resource key ${filter.resourceKey}`);
  return parts.length ? parts.join(', ') : 'every job you can see (no filter)';
}

/** Whether a job matches the filter as the list API applies it. */
export const matchesFilter = (filter, job) =>
  (!filter.status || job.status === filter.status) &&
  (!filter.type || job.type === filter.type) &&
  (!filter.resourceKey || job.resourceKey === filter.resourceKey);
