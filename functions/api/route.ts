/** The API's route shape, shared by the route tables (handler.ts, project-routes.ts, insight-routes.ts). */
import type { Request, Response } from '@google-cloud/functions-framework';
import { ConflictError, ErrorCode, type Job } from '../../shared/src/core/index.js';
import type { Principal } from '../../shared/src/auth/principal.js';
import type { Runtime } from '../../shared/src/runtime.js';
import { jobView } from '../../shared/src/views.js';
import type { RuntimeSource } from '../common/runtime-source.js';
import { sendError } from '../common/http.js';

export type Handler = (ctx: { req: Request; res: Response; rt: Runtime; who: Principal; id: string }) => Promise<void>;
/** A route answered without the clients: liveness, and the webhooks (whose handler loads them after its checks). */
export type LightHandler = (ctx: { req: Request; res: Response; src: RuntimeSource }) => Promise<void>;

export type Route = {
  method: string;
  pattern: RegExp;
  auth: boolean;
  /** An event stream: it never ends on its own, so HEAD (which wants only the headers) is refused there. */
  stream?: true;
} & ({ run: Handler; light?: undefined } | { light: LightHandler; run?: undefined });

export const ID = '([^/]+)';

/** A job id in a path: anything but `bulk` (/api/jobs/bulk/… are the bulk actions': bulk-routes.ts). */
export const JOB = `(?!bulk(?:/|$))${ID}`;

/** A 409 names the active job only to its owner (keys are per owner, so the holder is the caller's own). */
export const activeJobConflict = (res: Response, err: unknown, who: Principal, now: number): boolean => {
  if (!(err instanceof ConflictError) || err.code !== ErrorCode.ACTIVE_JOB_EXISTS) return false;
  const holder = (err.details as { activeJob?: Job } | undefined)?.activeJob;
  sendError(
    res,
    new ConflictError(err.code, err.message),
    holder && holder.ownerId === who.userId ? { activeJob: jobView(holder, now) } : {},
  );
  return true;
};
