/** Insight (issue 16): a job explained in plain words. */
import { diagnosisView } from '../../shared/src/views.js';
import { ID, type Route } from './route.js';

export const insightRoutes: Route[] = [
  {
    method: 'GET',
    pattern: new RegExp(`^/api/jobs/${ID}/diagnosis$`),
    auth: true,
    run: async ({ res, rt, who, id }) => {
      res.status(200).json({ diagnosis: diagnosisView(await rt.jobs.diagnosis(who, id)) });
    },
  },
];
