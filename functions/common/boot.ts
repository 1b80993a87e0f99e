/**
 * A deploy unit's environment at boot: parsed and validated (zod) for every profile, and in the cloud
 * profile every variable the unit requires (functions/units.ts) must be set — a missing one stops the
 * instance at start with the list, rather than failing the first request that needs it.
 */
import { ConfigError, parseEnv, type Env } from '../../shared/src/config/env.js';
import { DEPLOY_UNITS, requiredEnv } from '../units.js';

/** Variables that may be set to an empty value (an empty list). */
const MAY_BE_EMPTY = new Set(['VERITY_ADMINS']);

export function missingCloudEnv(unitName: string, source: NodeJS.ProcessEnv): string[] {
  const unit = DEPLOY_UNITS.find((u) => u.name === unitName);
  if (!unit) throw new ConfigError(`unknown deploy unit "${unitName}"`);
  return requiredEnv(unit).filter((k) => source[k] === undefined || (source[k] === '' && !MAY_BE_EMPTY.has(k)));
}

export function bootEnv(unitName: string, source: NodeJS.ProcessEnv = process.env): Env {
  const env = parseEnv(source);
  if (env.profile === 'cloud') {
    const missing = missingCloudEnv(unitName, source);
    if (missing.length > 0) throw new ConfigError(`deploy unit ${unitName}: missing environment variables ${missing.join(', ')} (see infra/terraform)`);
  }
  return env;
}
