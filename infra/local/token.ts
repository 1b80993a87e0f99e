/** `npm run --silent token -- <userId> [--admin]`: prints a bearer token the local stack accepts. */
import { parseEnv } from '../../shared/src/config/env.js';
import { loadLocalSecret, mintLocalToken } from '../../shared/src/auth/local-issuer.js';

const args = process.argv.slice(2);
const admin = args.includes('--admin');
const user = args.find((a) => !a.startsWith('--'));
if (!user || !/^[A-Za-z0-9._@-]{1,128}$/.test(user)) {
  process.stderr.write('usage: npm run --silent token -- <userId> [--admin]\n');
  process.exit(2);
}
const env = parseEnv();
const secret = loadLocalSecret(env.localJwtSecret, env.stateDir);
process.stdout.write(`${await mintLocalToken(secret, user, { admin })}\n`);
