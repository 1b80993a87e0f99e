/** Insight (issue 16): a job explained in plain words; what recovered what. */
import { ValidationError } from '../../shared/src/core/index.js';
import { validationProblems } from '../../shared/src/api-kit.js';
import { StatsQuerySchema } from '../../shared/src/schemas.js';
import { diagnosisView } from '../../shared/src/views.js';
import { JOB, type Route } from './route.js';

export const insightRoutes: Route[] = [
  {
    method: 'GET',
    pattern: new RegExp(`^/api/jobs/${JOB}/diagnosis$`),
    auth: true,
    run: async ({ res, rt, who, id }) => {
      res.status(200).json({ diagnosis: diagnosisView(await rt.jobs.diagnosis(who, id)) });
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/stats\/recoveries$/,
    auth: true,
    run: async ({ req, res, rt, who }) => {
      const q = StatsQuerySchema.safeParse(req.query);
      if (!q.success) throw new ValidationError('invalid query', validationProblems(q.error.issues));
      // aggregations over a window read one per 1,000 index entries: one of the owner's costly calls a minute
      await rt.ledger.quotas.takeProbe(who.userId, rt.env.probesPerMinute);
      res.status(200).json(await rt.stats.recoveries(who, q.data.window));
    },
  },
];
