/**
 * Event handlers acknowledge what is done, a duplicate, or can never succeed (logged), and throw only for
 * retryable trouble, so Pub/Sub / Eventarc redeliver what may pass next time and nothing forever.
 */
import { VerityError } from '../../shared/src/core/index.js';
import type { Logger } from '../../shared/src/log.js';

/**
 * gRPC codes that no redelivery can change: INVALID_ARGUMENT (3), NOT_FOUND (5), ALREADY_EXISTS (6),
 * FAILED_PRECONDITION (9), OUT_OF_RANGE (11), UNIMPLEMENTED (12). A value that reached Firestore malformed
 * (a bad document path, a reserved field name) would fail the same way forever.
 */
const PERMANENT_GRPC_CODES = new Set([3, 5, 6, 9, 11, 12]);

export function isPermanent(err: unknown): boolean {
  if (err instanceof VerityError) return !err.retryable;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' && PERMANENT_GRPC_CODES.has(code);
}

export async function ackUnlessRetryable(
  log: Logger,
  what: Record<string, unknown>,
  work: () => Promise<void>,
): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (isPermanent(err)) {
      const e = err as { code?: unknown; message?: string };
      log.warn({ ...what, code: e.code, err: e.message }, 'acknowledged: this delivery can never succeed');
      return;
    }
    log.error({ ...what, err }, 'failed; the delivery will be retried');
    throw err;
  }
}
