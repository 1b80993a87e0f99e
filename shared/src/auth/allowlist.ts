/**
 * Who may call in the cloud (issue 29): a Google-signed ID token proves an identity, not a user — anyone can mint
 * one for any audience. A Google identity is a user only when configuration names it: its verified email (a
 * person or a service account) or its Workspace domain (`domain:<host>`, by the verified `hd` claim), or it is an
 * admin. Firebase Auth users of the configured project are users (their project controls sign-up).
 */
import { VerityError, ErrorCode } from '../core/index.js';
import type { IdentityClaims } from './claims.js';

const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;
const DOMAIN = /^domain:([a-z0-9-]+(\.[a-z0-9-]+)+)$/;

/** The entries of VERITY_ALLOWED_USERS, lower-cased, and those that are neither an email nor domain:<host>. */
export function parseAllowlist(entries: readonly string[]): { entries: string[]; bad: string[] } {
  const out = entries.map((e) => e.trim().toLowerCase()).filter((e) => e.length > 0);
  return { entries: out, bad: out.filter((e) => !EMAIL.test(e) && !DOMAIN.test(e)) };
}

/** A Google identity that is not a user: 403 IDENTITY_NOT_ALLOWED, before anything is read or written. */
export class IdentityNotAllowed extends VerityError {
  constructor(who: string) {
    super(ErrorCode.IDENTITY_NOT_ALLOWED, `${who} is not an allowed user of this Verity (VERITY_ALLOWED_USERS)`);
  }
}

/** Whether a verified Google identity is on the allowlist: its verified email, or its verified Workspace domain. */
export function allowedIdentity(claims: IdentityClaims & { hd?: unknown }, allowlist: readonly string[]): boolean {
  if (claims.email_verified !== true || claims.email === undefined) return false;
  const email = claims.email.toLowerCase();
  if (allowlist.includes(email)) return true;
  // `hd` is set by Google for Workspace accounts only, and only for the account's own domain
  return typeof claims.hd === 'string' && allowlist.includes(`domain:${claims.hd.toLowerCase()}`);
}
