/**
 * Deploy unit `sweep`: Cloud Scheduler calls it over HTTP with an OIDC token of its service account (cloud);
 * the local stack's tick and admins call it with an admin bearer token. POST only; answers the sweep report.
 */
import '../common/body-limits.js';
import type { HttpFunction } from '@google-cloud/functions-framework';
import type { OAuth2Client } from 'google-auth-library';
import { AuthError, ErrorCode, ForbiddenError, VerityError } from '../../shared/src/core/index.js';
import { bearer } from '../../shared/src/auth/local-issuer.js';
import type { Env } from '../../shared/src/config/env.js';
import type { RuntimeSource } from '../common/runtime-source.js';
import { handleError, parseBody, refuseOversizedBody } from '../common/http.js';
import { SweepRequestSchema } from '../../shared/src/schemas.js';
import { scheduledOrphanSweep } from '../../shared/src/evidence/orphan-schedule.js';
import { randomUUID } from 'node:crypto';

/** True when the bearer token is a Google-signed OIDC token of the configured scheduler service account. */
async function isScheduler(
  env: Env,
  authorization: string | undefined,
  client: () => Promise<OAuth2Client>,
): Promise<boolean> {
  const sa = env.schedulerServiceAccount;
  if (!sa || !env.sweepAudience) return false;
  try {
    const ticket = await (
      await client()
    ).verifyIdToken({ idToken: bearer(authorization), audience: env.sweepAudience });
    const p = ticket.getPayload();
    return p?.email === sa && p.email_verified === true;
  } catch {
    return false;
  }
}

export function createSweepHandler(src: RuntimeSource): HttpFunction {
  // google-auth-library loads when a scheduler token is first checked
  let client: Promise<OAuth2Client> | undefined;
  const oidc = (): Promise<OAuth2Client> =>
    (client ??= import('google-auth-library').then((m) => new m.OAuth2Client()));
  let nextOrphanTry = 0;
  return async (req, res) => {
    try {
      refuseOversizedBody(req); // 413 before auth, before any work
      if (req.method !== 'POST') throw new VerityError(ErrorCode.METHOD_NOT_ALLOWED, 'POST only');
      if (!(await isScheduler(src.env, req.headers.authorization, oidc))) {
        const who = await (await src.auth()).authenticate(req.headers.authorization).catch((err: unknown) => {
          throw err instanceof VerityError ? err : new AuthError();
        });
        if (!who.admin) throw new ForbiddenError('the sweep is for admins and the scheduler');
      }
      const body = parseBody(req, SweepRequestSchema, { optional: true });
      const rt = await src.runtime();
      const aged = body.olderThanMinutes === undefined ? {} : { olderThanMs: body.olderThanMinutes * 60_000 };
      const shards = body.shards ? { shards: [...new Set(body.shards)].sort((a, b) => a - b) } : {};
      const report = await rt.sweeper.sweep({
        dryRun: body.dryRun,
        budgetMs: rt.env.sweepBudgetMs,
        maxDocuments: rt.env.sweepMaxDocuments,
        ...aged,
        ...shards,
      });
      // the orphan sweep at its own cadence (evidence/orphan-schedule.ts); never in a dry run. An instance asks
      // for the cadence's lease once per cadence at most: an idle sweep costs no Firestore operation for it
      const now = rt.clock();
      // a fanned-out schedule (Terraform sweep_fanout): the run whose share holds shard 0 also does the rest
      const lead = !body.shards || body.shards.includes(0);
      const orphans =
        body.dryRun || !lead || now < nextOrphanTry
          ? ({ ran: false, why: 'not due' } as const)
          : await scheduledOrphanSweep(
              {
                storage: rt.storage,
                ledger: rt.ledger,
                registry: rt.registry,
                buckets: rt.env.allowedBuckets,
                owner: randomUUID(),
                now,
              },
              rt.env.orphanSweep,
            ).catch((err: unknown) => {
              src.log.error({ err }, 'orphan sweep failed; the next cadence tries again');
              return { ran: false, why: 'failed' } as const;
            });
      if (!body.dryRun && lead && now >= nextOrphanTry) nextOrphanTry = now + rt.env.orphanSweep.everyMs;
      // outbound webhooks: every delivery due (retries, and first tries a unit left undone); never in a dry run
      const deliveries =
        body.dryRun || !lead
          ? null
          : await rt.deliveries
              .deliverDue(Math.max(5_000, rt.env.sweepBudgetMs - report.durationMs))
              .catch((err: unknown) => {
                src.log.error({ err }, 'webhook deliveries failed; the next sweep tries again');
                return null;
              });
      // bulk actions still running (their API reads carry them on too); never in a dry run
      const bulks =
        body.dryRun || !lead
          ? null
          : await rt.bulks.carryOn(Math.max(5_000, rt.env.sweepBudgetMs - report.durationMs)).catch((err: unknown) => {
              src.log.error({ err }, 'bulk actions failed; the next sweep carries them on');
              return null;
            });
      res.status(200).json({ ...report, orphans, deliveries, bulks });
    } catch (err) {
      handleError(res, err, src.log);
    }
  };
}
