/** The local stack's token issuer: HS256 JWTs signed with a secret kept in the state folder. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jwtVerify, SignJWT } from 'jose';
import { AuthError } from '../core/index.js';
import { checkOwnerId } from './claims.js';
import type { Authenticator, Principal } from './principal.js';

export const LOCAL_ISSUER = 'verity-local';
export const LOCAL_AUDIENCE = 'verity';

/** The secret from env, else from `<stateDir>/local-issuer.key`, created on first use. */
export function loadLocalSecret(explicit: string | undefined, stateDir: string): string {
  if (explicit) return explicit;
  const file = path.join(stateDir, 'local-issuer.key');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(stateDir, { recursive: true });
    const secret = randomBytes(32).toString('hex');
    try {
      writeFileSync(file, secret, { flag: 'wx', mode: 0o600 });
      return secret;
    } catch {
      return readFileSync(file, 'utf8').trim(); // another process created it first
    }
  }
}

export interface MintOptions {
  admin?: boolean;
  workerJobId?: string;
  ttlSeconds?: number;
}

export async function mintLocalToken(secret: string, userId: string, opts: MintOptions = {}): Promise<string> {
  const claims = {
    ...(opts.admin ? { admin: true } : {}),
    ...(opts.workerJobId ? { jobId: opts.workerJobId, role: 'worker' } : {}),
  };
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuer(LOCAL_ISSUER)
    .setAudience(LOCAL_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${opts.ttlSeconds ?? 12 * 3600}s`);
  return jwt.sign(new TextEncoder().encode(secret));
}

export function bearer(authorization: string | undefined): string {
  const m = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/.exec(authorization ?? '');
  if (!m) throw new AuthError('missing bearer token');
  return m[1]!;
}

export function createLocalAuthenticator(secret: string, admins: readonly string[] = []): Authenticator {
  const key = new TextEncoder().encode(secret);
  return {
    async authenticate(authorization): Promise<Principal> {
      const token = bearer(authorization);
      let payload;
      try {
        ({ payload } = await jwtVerify(token, key, {
          issuer: LOCAL_ISSUER,
          audience: LOCAL_AUDIENCE,
          algorithms: ['HS256'],
        }));
      } catch (err) {
        throw new AuthError(`invalid token: ${(err as Error).message}`);
      }
      if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw new AuthError('token has no subject');
      checkOwnerId(payload.sub);
      const worker = payload.role === 'worker' && typeof payload.jobId === 'string' ? payload.jobId : null;
      const admin = worker === null && (payload.admin === true || admins.includes(payload.sub));
      return { userId: payload.sub, admin, workerJobId: worker };
    },
  };
}
