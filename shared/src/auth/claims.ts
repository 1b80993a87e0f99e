/** What a verified token means: the owner id it names, whether it is an admin, and why a token was refused. */
import { z } from 'zod';
import { AuthError } from '../core/index.js';
import type { Principal } from './principal.js';

/**
 * An owner id is safe as (part of) a Firestore document id, an object path and a template value: 1–128
 * printable ASCII characters without '/', '\', whitespace, braces, '%', '#', '?', '*' or brackets, starting
 * with a letter or digit (so never '.', '..' or Firestore's reserved `__x__`).
 */
export const OWNER_ID = /^[A-Za-z0-9][A-Za-z0-9._:@+=~|-]{0,127}$/;

/** Firebase Auth uids are namespaced: `firebase:<uid>`. Google subjects stay as they are (never with this prefix). */
export const FIREBASE_OWNER_PREFIX = 'firebase:';

/** Stable reasons a bearer token is refused (all 401 UNAUTHENTICATED). */
export const TokenReason = {
  MALFORMED: 'malformed',
  ISSUER: 'issuer',
  AUDIENCE: 'audience',
  ALGORITHM: 'algorithm',
  KEY: 'key',
  SIGNATURE: 'signature',
  EXPIRED: 'expired',
  NOT_YET_VALID: 'not-yet-valid',
  CLAIMS: 'claims',
  OWNER_ID: 'owner-id',
  GOOGLE: 'google',
} as const;
export type TokenReason = (typeof TokenReason)[keyof typeof TokenReason];

export class TokenRejected extends AuthError {
  constructor(
    readonly reason: TokenReason,
    detail?: string,
  ) {
    super(`invalid token: ${reason}${detail ? ` (${detail})` : ''}`);
  }
}

/** The claims Verity reads from a verified identity token; anything else is ignored. */
export const IdentityClaims = z.object({
  sub: z.string().min(1).max(255),
  email: z.string().optional(),
  email_verified: z.boolean().optional(),
  admin: z.unknown().optional(),
});
export type IdentityClaims = z.infer<typeof IdentityClaims>;

export function parseClaims(payload: unknown): IdentityClaims {
  const parsed = IdentityClaims.safeParse(payload);
  if (parsed.success) return parsed.data;
  throw new TokenRejected(TokenReason.CLAIMS, parsed.error.issues.map((i) => i.path.join('.') || i.message).join(', '));
}

export function checkOwnerId(ownerId: string): string {
  if (!OWNER_ID.test(ownerId)) throw new TokenRejected(TokenReason.OWNER_ID, 'subject not usable as an owner id');
  return ownerId;
}

/**
 * Admin: the `admin: true` claim, the owner id in the admins list, or the email in it — the email only
 * when the issuer says it is verified (anyone can put someone else's address on an unverified account).
 */
export function principalOf(ownerId: string, claims: IdentityClaims, admins: readonly string[]): Principal {
  const byEmail = claims.email_verified === true && claims.email !== undefined && admins.includes(claims.email);
  return {
    userId: checkOwnerId(ownerId),
    admin: claims.admin === true || admins.includes(ownerId) || byEmail,
    workerJobId: null,
  };
}
