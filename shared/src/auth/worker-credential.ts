/**
 * Worker credentials (issue 29): at each start Verity mints a credential bound to one job and one attempt and
 * hands it to the execution (VERITY_WORKER_TOKEN). A worker reports with it — as the bearer token of
 * `POST /api/jobs/{id}/updates`, or as the `verityCredential` attribute of a `verity-job-updates` message — and
 * can move nothing else: not another job, not another attempt, not after it expires.
 *
 * `vw1.<payload>.<mac>`: the payload base64url JSON `{j, a, o, exp}` (job, attempt, owner, expiry in unix
 * seconds), the MAC HMAC-SHA256 of `vw1.<payload>` under VERITY_WORKER_KEY (a Secret Manager secret in the
 * cloud; on the local stack derived from the local issuer's secret), compared in constant time.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const WORKER_CREDENTIAL_PREFIX = 'vw1.';
/** The Pub/Sub attribute a worker's update carries its credential in. */
export const CREDENTIAL_ATTRIBUTE = 'verityCredential';

export interface WorkerCredential {
  jobId: string;
  attempt: number;
  ownerId: string;
  /** Unix seconds. */
  exp: number;
}

const Payload = z
  .object({
    j: z.string().min(1).max(128),
    a: z.number().int().min(1).max(1000),
    o: z.string().min(1).max(128),
    exp: z.number().int().positive(),
  })
  .strict();

const mac = (key: string, body: string): Buffer => createHmac('sha256', key).update(body).digest();

/** The key of the local stack's credentials, derived from its token issuer's secret (never the secret itself). */
export function localWorkerKey(localSecret: string): string {
  return createHash('sha256').update(`verity worker credentials\n${localSecret}`).digest('hex');
}

export function mintWorkerCredential(key: string, c: WorkerCredential): string {
  const payload = Buffer.from(JSON.stringify({ j: c.jobId, a: c.attempt, o: c.ownerId, exp: c.exp })).toString(
    'base64url',
  );
  const body = `${WORKER_CREDENTIAL_PREFIX}${payload}`;
  return `${body}.${mac(key, body).toString('base64url')}`;
}

export type CredentialProblem = 'malformed' | 'signature' | 'expired';

/** The credential a token holds, or why it holds none. */
export function verifyWorkerCredential(
  key: string,
  token: string,
  nowMs: number,
): { ok: true; credential: WorkerCredential } | { ok: false; problem: CredentialProblem } {
  if (!token.startsWith(WORKER_CREDENTIAL_PREFIX) || token.length > 2048) return { ok: false, problem: 'malformed' };
  const dot = token.lastIndexOf('.');
  const body = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = mac(key, body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, problem: 'signature' };
  let parsed: z.infer<typeof Payload>;
  try {
    parsed = Payload.parse(
      JSON.parse(Buffer.from(body.slice(WORKER_CREDENTIAL_PREFIX.length), 'base64url').toString()),
    );
  } catch {
    return { ok: false, problem: 'malformed' };
  }
  if (parsed.exp * 1000 <= nowMs) return { ok: false, problem: 'expired' };
  return { ok: true, credential: { jobId: parsed.j, attempt: parsed.a, ownerId: parsed.o, exp: parsed.exp } };
}

/** How long a credential lives: the attempt's queue and run time and a day more (a slow retry of a report). */
export function credentialExpiry(nowMs: number, queueSeconds: number, runSeconds: number): number {
  return Math.floor(nowMs / 1000) + queueSeconds + runSeconds + 24 * 3600;
}
