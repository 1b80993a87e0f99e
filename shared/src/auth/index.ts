import type { Env } from '../config/env.js';
import { createGoogleAuthenticator } from './google.js';
import { createLocalAuthenticator, loadLocalSecret } from './local-issuer.js';
import type { Authenticator } from './principal.js';

export * from './principal.js';
export * from './local-issuer.js';
export { OWNER_ID, TokenReason, TokenRejected } from './claims.js';

export function createAuthenticator(env: Env): Authenticator {
  if (env.authMode === 'google') {
    if (!env.authAudience) throw new Error('VERITY_AUTH_AUDIENCE is required when VERITY_AUTH_MODE=google');
    return createGoogleAuthenticator({
      audience: env.authAudience,
      firebaseProject: env.firebaseProject,
      admins: env.admins,
      allowedUsers: env.allowedUsers,
    });
  }
  return createLocalAuthenticator(loadLocalSecret(env.localJwtSecret, env.stateDir), env.admins);
}
