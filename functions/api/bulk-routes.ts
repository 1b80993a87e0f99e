/** Bulk actions (issue 33, docs/api.md "Bulk actions"): one action on every job a filter matches. */
import { ValidationError, type BulkFilter } from '../../shared/src/core/index.js';
import { validationProblems } from '../../shared/src/api-kit.js';
import { BulkItemsQuerySchema, BulkRequestSchema } from '../../shared/src/schemas.js';
import { jobView } from '../../shared/src/views.js';
import { parseBody } from '../common/http.js';
import { ID, type Route } from './route.js';

const asMs = (t: string | number | undefined): number | undefined =>
  t === undefined ? undefined : typeof t === 'number' ? t : Date.parse(t);

export const bulkRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/api\/jobs\/bulk$/,
    auth: true,
    run: async ({ req, res, rt, who }) => {
      const body = parseBody(req, BulkRequestSchema);
      const { createdBefore, createdAfter, ...rest } = body.filter;
      const filter: BulkFilter = {
        ...rest,
        ...(createdBefore !== undefined ? { createdBefore: asMs(createdBefore) } : {}),
        ...(createdAfter !== undefined ? { createdAfter: asMs(createdAfter) } : {}),
      } as BulkFilter;
      const r = await rt.bulks.start(who, { ...body, filter });
      if ('dryRun' in r)
        res.status(200).json({ bulk: { matched: r.matched, sample: r.sample.map((j) => jobView(j, rt.clock())) } });
      else res.status(202).json({ bulk: await rt.bulks.read(who, r.id, { advance: false }) });
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/api/jobs/bulk/${ID}$`),
    auth: true,
    run: async ({ res, rt, who, id }) => {
      res.status(200).json({ bulk: await rt.bulks.read(who, id) });
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/api/jobs/bulk/${ID}/items$`),
    auth: true,
    run: async ({ req, res, rt, who, id }) => {
      const q = BulkItemsQuerySchema.safeParse(req.query);
      if (!q.success) throw new ValidationError('invalid query', validationProblems(q.error.issues));
      res.status(200).json({ items: await rt.bulks.items(who, id, q.data.state, q.data.limit) });
    },
  },
];
