/**
 * Event handlers acknowledge what is done, a duplicate, or can never succeed (logged), and throw only for
 * retryable trouble, so Pub/Sub / Eventarc redeliver what may pass next time and nothing forever.
 */
import { VerityError } from '../../shared/src/core/index.js';
import type { Logger } from '../../shared/src/log.js';

export async function ackUnlessRetryable(log: Logger, what: Record<string, unknown>, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (err instanceof VerityError && !err.retryable) {
      log.warn({ ...what, code: err.code, err: err.message }, 'acknowledged: this delivery can never succeed');
      return;
    }
    log.error({ ...what, err }, 'failed; the delivery will be retried');
    throw err;
  }
}
