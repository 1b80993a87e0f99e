/** Deploy unit `object-finalized`: an output object landed; record it on the jobs that expect it. */
import type { CloudEvent } from '@google-cloud/functions-framework';
import { parseFinalizeEvent } from '../../shared/src/events/cloudevents.js';
import type { Runtime } from '../../shared/src/runtime.js';
import { ackUnlessRetryable } from '../common/ack.js';

export function createObjectFinalizedHandler(getRuntime: () => Runtime): (ce: CloudEvent<unknown>) => Promise<void> {
  return async (ce) => {
    const rt = getRuntime();
    const parsed = parseFinalizeEvent(ce);
    if ('invalid' in parsed) {
      rt.log.warn({ eventId: ce.id, type: ce.type, problem: parsed.invalid }, 'malformed finalize event acknowledged');
      return;
    }
    if ('ignored' in parsed) {
      rt.log.debug({ eventId: ce.id, why: parsed.ignored }, 'event ignored');
      return;
    }
    await ackUnlessRetryable(
      rt.log,
      { eventId: ce.id, object: `${parsed.object.bucket}/${parsed.object.name}` },
      async () => {
        await rt.outputs.onObjectFinalized(parsed.object);
      },
    );
  };
}
