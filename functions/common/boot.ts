/**
 * A deploy unit's environment at boot: parsed and validated (zod) for every profile, and in the cloud
 * profile every variable the unit requires (functions/units.ts) must be set — a missing one stops the
 * instance at start with the list, rather than failing the first request that needs it. The job-type registry
 * (VERITY_JOB_TYPES) is built once at boot too: an invalid one stops the instance with the reason.
 */
import { ConfigError, parseEnv, type Env } from '../../shared/src/config/env.js';
import { buildRegistry } from '../../shared/src/config/job-types.js';
import { DEPLOY_UNITS, requiredEnv } from '../units.js';

/** Variables that may be set to an empty value (an empty list). */
const MAY_BE_EMPTY = new Set(['VERITY_ADMINS', 'VERITY_ALLOWED_USERS']);

export function missingCloudEnv(unitName: string, source: NodeJS.ProcessEnv): string[] {
  const unit = DEPLOY_UNITS.find((u) => u.name === unitName);
  if (!unit) throw new ConfigError(`unknown deploy unit "${unitName}"`);
  return requiredEnv(unit).filter((k) => source[k] === undefined || (source[k] === '' && !MAY_BE_EMPTY.has(k)));
}

export function bootEnv(unitName: string, source: NodeJS.ProcessEnv = process.env): Env {
  const env = parseEnv(source);
  if (env.profile === 'cloud') {
    const missing = missingCloudEnv(unitName, source);
    if (missing.length > 0)
      throw new ConfigError(
        `deploy unit ${unitName}: missing environment variables ${missing.join(', ')} (see infra/terraform)`,
      );
  }
  const unit = DEPLOY_UNITS.find((u) => u.name === unitName);
  // a unit that takes users' calls in the cloud names them: an empty allowlist would leave Firebase Auth users
  // of the project by default as the only users, a choice made here explicitly or not at all
  if (
    env.profile === 'cloud' &&
    env.authMode === 'google' &&
    unit &&
    requiredEnv(unit).includes('VERITY_ALLOWED_USERS') &&
    env.allowedUsers.length === 0 &&
    !source.VERITY_FIREBASE_PROJECT
  )
    throw new ConfigError(
      `deploy unit ${unitName}: no users — VERITY_ALLOWED_USERS is empty and VERITY_FIREBASE_PROJECT unset: ` +
        'name the Google identities (emails, domain:<host>) or the Firebase project whose users may call',
    );
  // a bad job-type registry stops the instance at start, so a rollout fails before it takes traffic
  const registry = buildRegistry(env);
  if (env.projectJobType !== null && !registry.get(env.projectJobType)) {
    throw new ConfigError(
      `VERITY_PROJECT_JOB_TYPE names "${env.projectJobType}", ` +
        `which is not a configured job type (${registry.names().join(', ') || 'none'})`,
    );
  }
  return env;
}
