/** Cloud: Google-signed ID tokens (Firebase Auth / Google identities) for a configured audience. */
import { OAuth2Client } from 'google-auth-library';
import { AuthError } from '../core/index.js';
import { bearer } from './local-issuer.js';
import type { Authenticator, Principal } from './principal.js';

export function createGoogleAuthenticator(audience: string, admins: readonly string[] = []): Authenticator {
  const client = new OAuth2Client();
  return {
    async authenticate(authorization): Promise<Principal> {
      const token = bearer(authorization);
      try {
        const ticket = await client.verifyIdToken({ idToken: token, audience });
        const p = ticket.getPayload();
        if (!p?.sub) throw new Error('no subject');
        return { userId: p.sub, admin: (p as { admin?: unknown }).admin === true || admins.includes(p.sub) || (p.email !== undefined && admins.includes(p.email)), workerJobId: null };
      } catch (err) {
        throw new AuthError(`invalid token: ${(err as Error).message}`);
      }
    },
  };
}
