/** Firebase Auth ID tokens: RS256, signed by keys of Google's securetoken JWKS, for one Firebase project. */
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { ErrorCode, VerityError } from '../core/index.js';
import { FIREBASE_OWNER_PREFIX, parseClaims, TokenReason, TokenRejected, type IdentityClaims } from './claims.js';

export const FIREBASE_JWKS_URL =
  'https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com';

export function firebaseIssuer(project: string): string {
  return `https://securetoken.google.com/${project}`;
}

export interface FirebaseVerifierOptions {
  project: string;
  /** Where the signing keys are (tests: a local JWKS server). */
  jwksUrl?: string;
  /** Clock skew allowed on exp / iat / auth_time, seconds. */
  clockToleranceSec?: number;
}

export interface VerifiedIdentity {
  ownerId: string;
  claims: IdentityClaims;
}

const TimeClaims = z.object({
  sub: z.string().min(1).max(128),
  iat: z.number(),
  exp: z.number(),
  auth_time: z.number(),
});

/** jose's refusals mapped to stable reasons; anything about fetching the keys is our trouble (503), not the caller's. */
function reject(err: unknown): Error {
  if (err instanceof errors.JWTExpired) return new TokenRejected(TokenReason.EXPIRED);
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return new TokenRejected(TokenReason.AUDIENCE);
    if (err.claim === 'iss') return new TokenRejected(TokenReason.ISSUER);
    if (err.claim === 'nbf' || err.claim === 'iat') return new TokenRejected(TokenReason.NOT_YET_VALID);
    return new TokenRejected(TokenReason.CLAIMS, `${err.claim} ${err.reason}`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported)
    return new TokenRejected(TokenReason.ALGORITHM);
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys)
    return new TokenRejected(TokenReason.KEY);
  if (err instanceof errors.JWSSignatureVerificationFailed) return new TokenRejected(TokenReason.SIGNATURE);
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid)
    return new TokenRejected(TokenReason.MALFORMED);
  if (err instanceof TokenRejected) return err;
  return new VerityError(ErrorCode.UNAVAILABLE, 'cannot fetch the Firebase signing keys', undefined, true);
}

/** A verifier for one project; its key set is fetched on first use and cached (jose refetches for an unknown kid). */
export function createFirebaseVerifier(
  opts: FirebaseVerifierOptions,
): (token: string, nowMs: number) => Promise<VerifiedIdentity> {
  const issuer = firebaseIssuer(opts.project);
  const tolerance = opts.clockToleranceSec ?? 30;
  let keys: JWTVerifyGetKey | undefined;
  return async (token, nowMs) => {
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new TokenRejected(TokenReason.MALFORMED);
    }
    if (header.alg !== 'RS256') throw new TokenRejected(TokenReason.ALGORITHM, String(header.alg));
    if (typeof header.kid !== 'string' || header.kid.length === 0) throw new TokenRejected(TokenReason.KEY, 'no kid');
    keys ??= createRemoteJWKSet(new URL(opts.jwksUrl ?? FIREBASE_JWKS_URL));
    let payload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer,
        audience: opts.project,
        algorithms: ['RS256'],
        requiredClaims: ['sub', 'iat', 'exp', 'auth_time'],
        currentDate: new Date(nowMs),
        clockTolerance: tolerance,
      }));
    } catch (err) {
      throw reject(err);
    }
    const t = TimeClaims.safeParse(payload);
    if (!t.success) throw new TokenRejected(TokenReason.CLAIMS, t.error.issues.map((i) => i.path.join('.')).join(', '));
    const nowSec = nowMs / 1000;
    if (t.data.iat > nowSec + tolerance || t.data.auth_time > nowSec + tolerance)
      throw new TokenRejected(TokenReason.NOT_YET_VALID);
    return { ownerId: `${FIREBASE_OWNER_PREFIX}${t.data.sub}`, claims: parseClaims(payload) };
  };
}
