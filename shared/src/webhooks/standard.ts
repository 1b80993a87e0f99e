/**
 * Signing outbound webhooks by the Standard Webhooks spec (docs/api.md "Subscriptions"): headers `webhook-id`,
 * `webhook-timestamp` (unix seconds) and `webhook-signature`, `v1,<base64 HMAC-SHA256(key, "<id>.<ts>.<body>")>`
 * for each secret that signs (a rotation's overlap signs with both, space-separated). A secret is `whsec_` and
 * the base64 of its key bytes. Tested against the spec's reference library (`standardwebhooks`).
 */
import { createHmac, randomBytes } from 'node:crypto';

export const WEBHOOK_ID = 'webhook-id';
export const WEBHOOK_TIMESTAMP = 'webhook-timestamp';
export const WEBHOOK_SIGNATURE = 'webhook-signature';
const PREFIX = 'whsec_';

/** A new secret: 32 random bytes (the spec asks for 24 to 64). */
export function newSigningSecret(): string {
  return PREFIX + randomBytes(32).toString('base64');
}

const keyOf = (secret: string): Buffer =>
  Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');

/** The three headers of one delivery of `body`, signed with every secret in `secrets`. */
export function standardHeaders(
  secrets: readonly string[],
  id: string,
  unixSeconds: number,
  body: string,
): Record<string, string> {
  const signed = `${id}.${unixSeconds}.${body}`;
  const signatures = secrets.map((s) => `v1,${createHmac('sha256', keyOf(s)).update(signed).digest('base64')}`);
  return { [WEBHOOK_ID]: id, [WEBHOOK_TIMESTAMP]: String(unixSeconds), [WEBHOOK_SIGNATURE]: signatures.join(' ') };
}
