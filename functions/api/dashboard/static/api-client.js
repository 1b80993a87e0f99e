// The API client: JSON over fetch with the session's bearer token. A rejected token (401) is announced as a
// window event, UNAUTHORIZED, that the router answers by signing out (so this module imports no view).
import { session } from './session.js';

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

export const UNAUTHORIZED = 'verity:unauthorized';

/** Reports a rejected token (the ApiError as the event's detail); listeners run before this returns. */
export function rejectToken(err) {
  window.dispatchEvent(new CustomEvent(UNAUTHORIZED, { detail: err }));
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      cache: 'no-store',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new ApiError(0, 'NETWORK', `cannot reach the API: ${err.message}`);
  }
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const e = json?.error ?? {};
    const err = new ApiError(
      res.status,
      e.code ?? `HTTP_${res.status}`,
      e.message ?? (res.statusText || 'request failed'),
      json,
    );
    if (res.status === 401) rejectToken(err);
    throw err;
  }
  return json;
}

/** Route not there yet (an API older than the dashboard): not an error worth an alert. */
export const missing = (err) =>
  err instanceof ApiError &&
  (err.status === 405 || (err.status === 404 && (/^no route/.test(err.message) || err.code.startsWith('HTTP_'))));

const job = (id, rest = '') => `/api/jobs/${encodeURIComponent(id)}${rest}`;
const project = (id, rest = '') => `/api/projects/${encodeURIComponent(id)}${rest}`;
const subscription = (id, rest = '') => `/api/subscriptions/${encodeURIComponent(id)}${rest}`;
const bulk = (id, rest = '') => `/api/jobs/bulk/${encodeURIComponent(id)}${rest}`;

/** The calls the views make, one per route. */
export const client = {
  listJobs: (query) => api('GET', `/api/jobs?${query}`),
  getJob: (id) => api('GET', job(id)),
  jobHistory: (id) => api('GET', job(id, '/history')),
  jobProgress: (id) => api('GET', job(id, '/progress')),
  jobDiagnosis: (id) => api('GET', job(id, '/diagnosis')),
  stats: (window) => api('GET', `/api/stats/recoveries?window=${encodeURIComponent(window)}`),
  listProjects: (query = '') => api('GET', `/api/projects?${query}`),
  cancelJob: (id) => api('POST', job(id, '/cancel')),
  retryJob: (id) => api('POST', job(id, '/retry')),
  /** dryRun: what a reconcile would correct, nothing written. */
  reconcileJob: (id, dryRun = false) => api('POST', job(id, `/reconcile${dryRun ? '?dryRun=true' : ''}`)),
  getProject: (id) => api('GET', project(id)),
  reconcileProject: (id, dryRun = false) => api('POST', project(id, `/reconcile${dryRun ? '?dryRun=true' : ''}`)),
  generateProject: (id) => api('POST', project(id, '/generate')),
  listSubscriptions: () => api('GET', '/api/subscriptions'),
  /** {url, types, statuses, projectId?} → {subscription, secret}: the secret is answered this once. */
  createSubscription: (body) => api('POST', '/api/subscriptions', body),
  deleteSubscription: (id) => api('DELETE', subscription(id)),
  rotateSubscription: (id) => api('POST', subscription(id, '/rotate'), {}),
  enableSubscription: (id) => api('POST', subscription(id, '/enable')),
  subscriptionDeliveries: (id, query) => api('GET', subscription(id, `/deliveries?${query}`)),
  /** No body: the dead-letter list pending again. */
  replaySubscription: (id) => api('POST', subscription(id, '/replay'), {}),
  /** {action, filter, dryRun?, requestId?}: a dry run answers {bulk: {matched, sample}}, else 202 {bulk}. */
  startBulk: (body) => api('POST', '/api/jobs/bulk', body),
  /** Reading a running bulk carries it on (the API's own progress). */
  getBulk: (id) => api('GET', bulk(id)),
  /** Its jobs in one state ('failed', 'skipped', …), each with why: {items: [{jobId, state, detail}]}. */
  bulkItems: (id, state, limit = 100) =>
    api('GET', bulk(id, `/items?state=${encodeURIComponent(state)}&limit=${limit}`)),
  /** The registered job types, as the API's own document names them (the enum of an enqueue's `type`). */
  jobTypes: async () => {
    const doc = await api('GET', '/api/openapi.json');
    const type = doc?.paths?.['/api/jobs']?.post?.requestBody?.content?.['application/json']?.schema?.properties?.type;
    return Array.isArray(type?.enum) ? type.enum.filter((t) => typeof t === 'string') : [];
  },
};

/** The event streams (Server-Sent Events) the views follow. */
export const streams = {
  all: '/api/events',
  job: (id) => job(id, '/events'),
};
