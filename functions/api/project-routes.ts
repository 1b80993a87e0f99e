/** Projects (seed 001): create, list, read, reconcile, generate what is missing. */
import { ValidationError } from '../../shared/src/core/index.js';
import { validationProblems } from '../../shared/src/api-kit.js';
import { CreateProjectSchema, DryRunQuerySchema, ListQuerySchema } from '../../shared/src/schemas.js';
import { jobView, projectView } from '../../shared/src/views.js';
import { parseBody } from '../common/http.js';
import { activeJobConflict, ID, type Route } from './route.js';

export const projectRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/api\/projects$/,
    auth: true,
    run: async ({ req, res, rt, who }) => {
      const { project, artifacts, warnings } = await rt.projects.create(who, parseBody(req, CreateProjectSchema));
      res.status(201).json({ project: projectView(project, artifacts), ...(warnings.length > 0 ? { warnings } : {}) });
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/projects$/,
    auth: true,
    run: async ({ req, res, rt, who }) => {
      const q = ListQuerySchema.safeParse(req.query);
      if (!q.success) throw new ValidationError('invalid query', validationProblems(q.error.issues));
      const { projects, nextCursor } = await rt.projects.list(who, q.data.limit, q.data.cursor);
      const readiness = (p: (typeof projects)[number]) => ({
        artifactCount: p.artifactCount,
        presentCount: p.presentCount,
      });
      res.status(200).json({ projects: projects.map((p) => ({ ...projectView(p), ...readiness(p) })), nextCursor });
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/api/projects/${ID}$`),
    auth: true,
    run: async ({ res, rt, who, id }) => {
      const { project, artifacts } = await rt.projects.read(who, id);
      res.status(200).json({ project: projectView(project, artifacts) });
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/api/projects/${ID}/reconcile$`),
    auth: true,
    run: async ({ req, res, rt, who, id }) => {
      const q = DryRunQuerySchema.safeParse(req.query);
      if (!q.success) throw new ValidationError('invalid query', validationProblems(q.error.issues));
      const { report } = await rt.projects.requestReconcile(who, id, { dryRun: q.data.dryRun });
      res.status(200).json({ report });
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/api/projects/${ID}/generate$`),
    auth: true,
    run: async ({ res, rt, who, id }) => {
      try {
        const { created, project, job } = await rt.projects.generate(who, id);
        const artifacts = (await rt.projects.read(who, id)).artifacts;
        res
          .status(created ? 202 : 200)
          .json({ project: projectView(project, artifacts), ...(job ? { job: jobView(job, rt.clock()) } : {}) });
      } catch (err) {
        if (!activeJobConflict(res, err, who, rt.clock())) throw err;
      }
    },
  },
];
