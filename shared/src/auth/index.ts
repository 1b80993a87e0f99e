import { ConfigError, type Env } from '../config/env.js';
import { AuthError } from '../core/index.js';
import { localWorkerKey, verifyWorkerCredential } from './worker-credential.js';
import { createGoogleAuthenticator } from './google.js';
import { createLocalAuthenticator, loadLocalSecret } from './local-issuer.js';
import type { Authenticator } from './principal.js';

export * from './principal.js';
export * from './local-issuer.js';
export { OWNER_ID, TokenReason, TokenRejected } from './claims.js';
export * from './worker-credential.js';

/** The key worker credentials are minted and checked with: configured, or on the local stack derived. */
export function workerKeyOf(env: Env): string {
  if (env.workerKey) return env.workerKey;
  if (env.profile === 'local') return localWorkerKey(loadLocalSecret(env.localJwtSecret, env.stateDir));
  throw new ConfigError('VERITY_WORKER_KEY is required in the cloud profile (Secret Manager: verity-worker-key)');
}

/** Callers: a worker credential (`vw1.…`) names one job's attempt; anything else goes to the users' check. */
export function createAuthenticator(env: Env): Authenticator {
  const users = userAuthenticator(env);
  const key = workerKeyOf(env);
  return {
    async authenticate(authorization) {
      const token = /^Bearer\s+(vw1\.\S+)$/.exec(authorization ?? '')?.[1];
      if (token === undefined) return users.authenticate(authorization);
      const v = verifyWorkerCredential(key, token, Date.now());
      if (!v.ok) throw new AuthError(`invalid worker credential: ${v.problem}`);
      const c = v.credential;
      return { userId: c.ownerId, admin: false, workerJobId: c.jobId, workerAttempt: c.attempt };
    },
  };
}

function userAuthenticator(env: Env): Authenticator {
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
