/** The HTTP API: a small route table over the shared JobsService. Built by a factory with injected deps. */
import '../common/body-limits.js';
import type { HttpFunction, Request, Response } from '@google-cloud/functions-framework';
import {
  AuthError,
  ErrorCode,
  NotFoundError,
  ValidationError,
  VerityError,
  type ExecutorKind,
} from '../../shared/src/core/index.js';
import type { Principal } from '../../shared/src/auth/principal.js';
import type { Runtime } from '../../shared/src/runtime.js';
import type { RuntimeSource } from '../common/runtime-source.js';
import {
  EnqueueRequestSchema,
  JobIdSchema,
  DryRunQuerySchema,
  JobListQuerySchema,
  SweepRequestSchema,
  WorkerUpdateSchema,
} from '../../shared/src/schemas.js';
import { ForbiddenError } from '../../shared/src/core/index.js';
import { jobView, transitionView } from '../../shared/src/views.js';
import { validationProblems } from '../../shared/src/api-kit.js';
import { handleError, parseBody, refuseOversizedBody } from '../common/http.js';
import { handleWebhook } from '../common/webhook.js';
import { streamAll, streamJob } from './sse.js';
import { DASHBOARD_HEADERS, serveDashboard } from './dashboard/serve.js';
import { openApiDocument, vocabularyOf } from './openapi/document.js';
import { bulkRoutes } from './bulk-routes.js';
import { insightRoutes } from './insight-routes.js';
import { projectRoutes } from './project-routes.js';
import { subscriptionRoutes } from './subscription-routes.js';
import { activeJobConflict, JOB, type Route } from './route.js';

const routes: Route[] = [
  ...bulkRoutes, // before the job routes: /api/jobs/bulk is no job id
  ...projectRoutes,
  ...insightRoutes,
  ...subscriptionRoutes,
  {
    method: 'POST',
    pattern: /^\/api\/sweep$/,
    auth: true,
    run: async ({ req, res, rt, who }) => {
      if (!who.admin) throw new ForbiddenError('the sweep is for admins');
      const body = parseBody(req, SweepRequestSchema, { optional: true });
      const aged = body.olderThanMinutes === undefined ? {} : { olderThanMs: body.olderThanMinutes * 60_000 };
      const shards = body.shards ? { shards: [...new Set(body.shards)].sort((a, b) => a - b) } : {};
      const opts = {
        dryRun: body.dryRun,
        budgetMs: rt.env.sweepBudgetMs,
        source: 'sweep' as const,
        ...aged,
        ...shards,
      };
      res.status(200).json(await rt.sweeper.sweep(opts));
    },
  },
  {
    method: 'POST',
    pattern: /^\/api\/jobs\/?$/,
    auth: true,
    run: async ({ req, res, rt, who }) => {
      const body = parseBody(req, EnqueueRequestSchema);
      try {
        const { created, job } = await rt.jobs.enqueue(who, body);
        res.status(created ? 201 : 200).json({ job: jobView(job, rt.clock()) });
      } catch (err) {
        if (!activeJobConflict(res, err, who, rt.clock())) throw err;
      }
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/api/jobs/${JOB}/retry$`),
    auth: true,
    run: async ({ res, rt, who, id }) => {
      try {
        res.status(202).json({ job: jobView(await rt.jobs.retry(who, id), rt.clock()) });
      } catch (err) {
        if (!activeJobConflict(res, err, who, rt.clock())) throw err;
      }
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/api/jobs/${JOB}/progress$`),
    auth: true,
    run: async ({ res, rt, who, id }) => {
      res.status(200).json(await rt.jobs.progress(who, id));
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/api/jobs/${JOB}/events$`),
    auth: true,
    stream: true,
    run: ({ req, res, rt, who, id }) => streamJob(rt, req, res, who, id),
  },
  {
    method: 'GET',
    pattern: /^\/api\/events$/,
    auth: true,
    stream: true,
    run: ({ req, res, rt, who }) => streamAll(rt, req, res, who),
  },
  {
    method: 'GET',
    pattern: /^\/api\/jobs$/,
    auth: true,
    run: async ({ req, res, rt, who }) => {
      const q = JobListQuerySchema.safeParse(req.query);
      if (!q.success) throw new ValidationError('invalid query', validationProblems(q.error.issues));
      const { jobs, stats, nextCursor } = await rt.jobs.list(who, q.data);
      const now = rt.clock();
      res.status(200).json({ jobs: jobs.map((j) => jobView(j, now)), stats, nextCursor });
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/api/jobs/${JOB}$`),
    auth: true,
    run: async ({ req, res, rt, who, id }) => {
      const verify = req.query.verify === 'true' || req.query.verify === '1';
      res.status(200).json({ job: jobView(await rt.jobs.read(who, id, { verify }), rt.clock()) });
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/api/jobs/${JOB}/reconcile$`),
    auth: true,
    run: async ({ req, res, rt, who, id }) => {
      const q = DryRunQuerySchema.safeParse(req.query);
      if (!q.success) throw new ValidationError('invalid query', validationProblems(q.error.issues));
      res.status(200).json({ report: await rt.jobs.reconcile(who, id, { dryRun: q.data.dryRun }) });
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/api/jobs/${JOB}/history$`),
    auth: true,
    run: async ({ res, rt, who, id }) => {
      res.status(200).json({ transitions: (await rt.jobs.history(who, id)).map(transitionView) });
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/api/jobs/${JOB}/cancel$`),
    auth: true,
    run: async ({ res, rt, who, id }) => {
      res.status(202).json({ job: jobView(await rt.jobs.cancel(who, id), rt.clock()) });
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/api/jobs/${JOB}/updates$`),
    auth: true,
    run: async ({ req, res, rt, who, id }) => {
      const raw = (req.body ?? {}) as Record<string, unknown>;
      if (typeof raw === 'object' && raw !== null && raw.jobId !== undefined && raw.jobId !== id) {
        throw new ValidationError('jobId in the body does not match the path', [
          { field: 'jobId', message: 'must match the path' },
        ]);
      }
      const update = parseBody(req, WorkerUpdateSchema.omit({ jobId: true }).extend({ jobId: JobIdSchema.optional() }));
      const result = await rt.jobs.report(who, { ...update, jobId: id }, update.id ? `update:${update.id}` : undefined);
      res.status(202).json({ outcome: result.outcome });
    },
  },
];

/**
 * Served without a bearer token: liveness, the document, and the webhooks (signed). The api serves
 * POST /api/webhooks/:provider too because docs/contract.md ("Webhooks in") puts that path on the API host; it
 * goes through the same shared handler as the `webhooks` unit (functions/common/webhook.ts), so both answer
 * alike.
 */
const publicRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/healthz$/,
    auth: false,
    light: async ({ res }) => void res.status(200).json({ ok: true }),
  },
  {
    method: 'GET',
    pattern: /^\/api\/openapi\.json$/,
    auth: false,
    run: async ({ req, res, rt }) => void res.status(200).json(await documentOf(rt, req.headers.authorization)),
  },
  {
    method: 'POST',
    pattern: /^\/api\/webhooks\/[^/]+$/,
    auth: false,
    light: ({ req, res, src }) => handleWebhook(src, req, res),
  },
];
const allRoutes: Route[] = [...publicRoutes, ...routes];
const ANONYMOUS: Principal = { userId: '', admin: false, workerJobId: null };

/** HEAD is answered like GET (Node sends no body) on every GET route but the streams. */
const answers = (route: Route, method: string): boolean =>
  route.method === method || (method === 'HEAD' && route.method === 'GET' && !route.stream);

type Match = { route: Route; id: string } | { allow: string[] } | null;

/** The route for a method and path; else the methods the path declares (→ 405 with `Allow`); else null (→ 404). */
export function match(method: string, path: string): Match {
  const allow = new Set<string>();
  for (const route of allRoutes) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    if (answers(route, method)) return { route, id: m[1] ?? '' };
    allow.add(route.method);
    if (answers(route, 'HEAD')) allow.add('HEAD');
  }
  return allow.size > 0 ? { allow: [...allow].sort() } : null;
}

const documents = new WeakMap<object, Map<string, Record<string, unknown>>>();
const MAX_CACHED_DOCUMENTS = 64;
/**
 * The document of a runtime's configuration (its job types and buckets), built once; fetched with a valid
 * token, the caller's own prefixes are in it (a few callers' documents are cached).
 */
async function documentOf(rt: Runtime, authorization: string | undefined): Promise<Record<string, unknown>> {
  const who = authorization ? await rt.auth.authenticate(authorization).catch(() => null) : null;
  // in the cloud the document names the job types, their limits and prefixes: callers only
  if (!who && rt.env.profile === 'cloud') throw new AuthError('GET /api/openapi.json needs a valid token here');
  const key = who ? `owner:${who.userId}` : '';
  let cache = documents.get(rt.registry);
  if (!cache) documents.set(rt.registry, (cache = new Map()));
  let doc = cache.get(key);
  if (!doc) {
    const vocabulary = vocabularyOf(rt.registry, rt.env, (kind) => Boolean(rt.executors[kind as ExecutorKind]?.adopt));
    const prefixes = who
      ? [...new Set(rt.registry.names().flatMap((n) => rt.jobs.requestPrefixesOf(n, who.userId)))]
      : undefined;
    if (cache.size >= MAX_CACHED_DOCUMENTS) cache.clear();
    cache.set(key, (doc = openApiDocument({ ...vocabulary, ...(prefixes ? { prefixes } : {}) })));
  }
  return doc;
}

export function createApiHandler(src: RuntimeSource): HttpFunction {
  return async (req: Request, res: Response) => {
    try {
      refuseOversizedBody(req); // 413 before auth, before any work
      const path = req.path.replace(/\/+$/, '') || '/';
      if (req.method === 'GET' || req.method === 'HEAD') {
        const file = serveDashboard(path);
        if (file) {
          res
            .status(file.status)
            .set({ ...DASHBOARD_HEADERS, 'Content-Type': file.contentType })
            .send(file.body);
          return;
        }
      }
      const found = match(req.method, path);
      if (found === null) throw new NotFoundError(`no route for ${req.method} ${path}`);
      if ('allow' in found) {
        const allow = found.allow.join(', ');
        res.set('Allow', allow);
        throw new VerityError(ErrorCode.METHOD_NOT_ALLOWED, `${req.method} not allowed on ${path} (allowed: ${allow})`);
      }
      const { route } = found;
      if (route.light) return await route.light({ req, res, src });
      if (!route.auth) return await route.run({ req, res, rt: await src.runtime(), who: ANONYMOUS, id: found.id });
      if (found.id !== '' && !JobIdSchema.safeParse(found.id).success) throw new NotFoundError(`${found.id} not found`);
      const who = await (await src.auth()).authenticate(req.headers.authorization);
      if (who.workerJobId !== null && !(route.pattern.source.endsWith('updates$') && found.id === who.workerJobId)) {
        throw new NotFoundError('not found');
      }
      await route.run({ req, res, rt: await src.runtime(), who, id: found.id });
    } catch (err) {
      handleError(res, err, src.log);
    }
  };
}
