/**
 * Webhook signatures (docs/contract.md, "Webhooks in"): header
 * `X-Verity-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. Verification is
 * constant-time and refuses anything older (or newer) than the window.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-verity-signature';
export const REPLAY_WINDOW_SECONDS = 5 * 60;

export function signPayload(secret: string, rawBody: string | Buffer, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.`).update(rawBody).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

export function verifySignature(
  secret: string,
  rawBody: Buffer,
  header: string | undefined,
  nowMs: number,
  windowSeconds = REPLAY_WINDOW_SECONDS,
): SignatureCheck {
  if (!header) return { ok: false, reason: 'missing' };
  const parts = new Map<string, string[]>();
  for (const item of header.split(',')) {
    const i = item.indexOf('=');
    if (i <= 0) return { ok: false, reason: 'malformed' };
    const k = item.slice(0, i).trim();
    parts.set(k, [...(parts.get(k) ?? []), item.slice(i + 1).trim()]);
  }
  const t = parts.get('t')?.[0];
  const candidates = parts.get('v1') ?? [];
  if (!t || !/^\d{1,12}$/.test(t) || candidates.length === 0) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowMs / 1000 - Number(t)) > windowSeconds) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest('hex'), 'hex');
  for (const c of candidates) {
    if (!/^[0-9a-f]{64}$/.test(c)) continue;
    if (timingSafeEqual(expected, Buffer.from(c, 'hex'))) return { ok: true };
  }
  return { ok: false, reason: 'mismatch' };
}
