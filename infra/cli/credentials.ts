/**
 * Without `--local` the CLI talks to a real project with Application Default Credentials. Finding none is
 * an operator's setup problem, not a crash: one line on stderr, exit code 2 (like a usage error).
 */
import { GoogleAuth } from 'google-auth-library';

export class CredentialsError extends Error {
  override name = 'CredentialsError';
}

const HOW =
  'run "gcloud auth application-default login", set GOOGLE_APPLICATION_CREDENTIALS to a key file, ' +
  'or pass --local for the npm start stack';

/** The first sentence of an auth library message, on one line. */
function reason(err: unknown): string {
  const text = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
  return /^(.*?[^.]\.)(\s|$)/.exec(text)?.[1] ?? text;
}

/** Is this an error of the auth library finding or reading credentials (wherever it surfaced)? */
export function isCredentialsError(err: unknown): boolean {
  if (err instanceof CredentialsError) return true;
  const m = err instanceof Error ? err.message : '';
  return /Could not load the default credentials|GOOGLE_APPLICATION_CREDENTIALS|Unable to detect a Project Id/.test(m);
}

/** One line naming what is missing and what to do. */
export function credentialsLine(err: unknown): string {
  return `verity: no Google credentials (${reason(err)}) — ${HOW}`;
}

/** Resolves when Application Default Credentials are found (no network call); emulators need none. */
export async function checkCredentials(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (env.FIRESTORE_EMULATOR_HOST) return;
  try {
    await new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] }).getClient();
  } catch (err) {
    throw new CredentialsError(reason(err));
  }
}
