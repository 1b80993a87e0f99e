/**
 * Deploy unit `sweep`: Cloud Scheduler calls it over HTTP with an OIDC token of its service account (cloud);
 * the local stack's tick and admins call it with an admin bearer token. POST only; answers the sweep report.
 */
import '../common/body-limits.js';
import type { HttpFunction } from '@google-cloud/functions-framework';
import { OAuth2Client } from 'google-auth-library';
import { AuthError, ErrorCode, ForbiddenError, VerityError } from '../../shared/src/core/index.js';
import { bearer } from '../../shared/src/auth/local-issuer.js';
import type { Runtime } from '../../shared/src/runtime.js';
import { handleError, parseBody, refuseOversizedBody } from '../common/http.js';
import { SweepRequestSchema } from '../../shared/src/schemas.js';

/** True when the bearer token is a Google-signed OIDC token of the configured scheduler service account. */
async function isScheduler(rt: Runtime, authorization: string | undefined, client: OAuth2Client): Promise<boolean> {
  const sa = rt.env.schedulerServiceAccount;
  if (!sa || !rt.env.sweepAudience) return false;
  try {
    const ticket = await client.verifyIdToken({ idToken: bearer(authorization), audience: rt.env.sweepAudience });
    const p = ticket.getPayload();
    return p?.email === sa && p.email_verified === true;
  } catch {
    return false;
  }
}

export function createSweepHandler(getRuntime: () => Runtime): HttpFunction {
  const oidc = new OAuth2Client();
  return async (req, res) => {
    const rt = getRuntime();
    try {
      refuseOversizedBody(req); // 413 before auth, before any work
      if (req.method !== 'POST') throw new VerityError(ErrorCode.METHOD_NOT_ALLOWED, 'POST only');
      if (!(await isScheduler(rt, req.headers.authorization, oidc))) {
        const who = await rt.auth.authenticate(req.headers.authorization).catch((err: unknown) => {
          throw err instanceof VerityError ? err : new AuthError();
        });
        if (!who.admin) throw new ForbiddenError('the sweep is for admins and the scheduler');
      }
      const body = parseBody(req, SweepRequestSchema, { optional: true });
      res.status(200).json(await rt.sweeper.sweep({ dryRun: body.dryRun, budgetMs: rt.env.sweepBudgetMs }));
    } catch (err) {
      handleError(res, err, rt.log);
    }
  };
}
