/** Deploy unit `object-finalized`: an output object landed; record it on the jobs that expect it. */
import type { CloudEvent } from '@google-cloud/functions-framework';
import { parseFinalizeEvent } from '../../shared/src/events/cloudevents.js';
import { ackUnlessRetryable } from '../common/ack.js';
import type { RuntimeSource } from '../common/runtime-source.js';

export function createObjectFinalizedHandler(src: RuntimeSource): (ce: CloudEvent<unknown>) => Promise<void> {
  return async (ce) => {
    const { log } = src;
    const parsed = parseFinalizeEvent(ce);
    if ('invalid' in parsed) {
      log.warn({ eventId: ce.id, type: ce.type, problem: parsed.invalid }, 'malformed finalize event acknowledged');
      return;
    }
    if ('ignored' in parsed) {
      log.debug({ eventId: ce.id, why: parsed.ignored }, 'event ignored');
      return;
    }
    await ackUnlessRetryable(
      log,
      { eventId: ce.id, object: `${parsed.object.bucket}/${parsed.object.name}` },
      async () => {
        await (await src.runtime()).outputs.onObjectFinalized(parsed.object);
      },
    );
  };
}
