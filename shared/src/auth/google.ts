/**
 * Cloud: Google-signed ID tokens. Two kinds, told apart by the token's (unverified) issuer and then verified
 * by their own rules: Google identities (`accounts.google.com`, for the configured audience) and Firebase Auth
 * users of the configured project (`https://securetoken.google.com/<project>`). Any other issuer: 401.
 */
import { decodeJwt } from 'jose';
import { OAuth2Client } from 'google-auth-library';
import { FIREBASE_OWNER_PREFIX, parseClaims, principalOf, TokenReason, TokenRejected } from './claims.js';
import { createFirebaseVerifier, firebaseIssuer } from './firebase.js';
import { bearer } from './local-issuer.js';
import type { Authenticator, Principal } from './principal.js';
import { allowedIdentity, IdentityNotAllowed } from './allowlist.js';

export const GOOGLE_ISSUERS: readonly string[] = ['accounts.google.com', 'https://accounts.google.com'];

/** Verifies a Google-issued ID token for an audience and answers its payload; throws when it is not valid. */
export type VerifyGoogleToken = (token: string, audience: string) => Promise<unknown>;

export interface GoogleAuthOptions {
  /** The audience Google identities' tokens must carry. */
  audience: string;
  /** Firebase Auth tokens of this project are accepted. */
  firebaseProject: string;
  /** Owner ids (`firebase:<uid>` for Firebase users) or verified emails of admins. */
  admins?: readonly string[];
  /** Google identities that are users (allowlist.ts); an identity neither on it nor an admin is refused (403). */
  allowedUsers?: readonly string[];
  /** Tests: a local JWKS server. Default: Google's securetoken keys. */
  firebaseJwksUrl?: string;
  /** Tests: a stand-in for Google's verification. Default: google-auth-library's OAuth2Client.verifyIdToken. */
  verifyGoogle?: VerifyGoogleToken;
  /** The clock the Firebase path checks exp / iat / auth_time against, ms. */
  now?: () => number;
}

function oauth2Verifier(): VerifyGoogleToken {
  const client = new OAuth2Client();
  return async (idToken, audience) => (await client.verifyIdToken({ idToken, audience })).getPayload();
}

function issuerOf(token: string): string {
  try {
    const iss = decodeJwt(token).iss;
    if (typeof iss === 'string') return iss;
  } catch {
    // fall through
  }
  throw new TokenRejected(TokenReason.MALFORMED);
}

export function createGoogleAuthenticator(opts: GoogleAuthOptions): Authenticator {
  const admins = opts.admins ?? [];
  const verifyGoogle = opts.verifyGoogle ?? oauth2Verifier();
  const verifyFirebase = createFirebaseVerifier({ project: opts.firebaseProject, jwksUrl: opts.firebaseJwksUrl });
  const firebaseIss = firebaseIssuer(opts.firebaseProject);
  const now = opts.now ?? (() => Date.now());

  async function google(token: string): Promise<Principal> {
    let payload: unknown;
    try {
      payload = await verifyGoogle(token, opts.audience);
    } catch (err) {
      throw new TokenRejected(TokenReason.GOOGLE, (err as Error).message);
    }
    const claims = parseClaims(payload);
    // a Google subject never takes the Firebase namespace, so the two kinds of owner can never collide
    if (claims.sub.startsWith(FIREBASE_OWNER_PREFIX)) throw new TokenRejected(TokenReason.OWNER_ID);
    const who = principalOf(claims.sub, claims, admins);
    // anyone can mint a Google ID token for any audience: only the identities configuration names are users
    if (!who.admin && !allowedIdentity({ ...claims, hd: (payload as { hd?: unknown }).hd }, opts.allowedUsers ?? []))
      throw new IdentityNotAllowed(claims.email_verified === true && claims.email ? claims.email : claims.sub);
    return who;
  }

  return {
    async authenticate(authorization): Promise<Principal> {
      const token = bearer(authorization);
      const iss = issuerOf(token);
      if (GOOGLE_ISSUERS.includes(iss)) return google(token);
      if (iss === firebaseIss) {
        const { ownerId, claims } = await verifyFirebase(token, now());
        return principalOf(ownerId, claims, admins);
      }
      throw new TokenRejected(TokenReason.ISSUER);
    },
  };
}
