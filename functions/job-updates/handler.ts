/** Deploy unit `job-updates`: worker reports from the `verity-job-updates` topic. */
import type { CloudEvent } from '@google-cloud/functions-framework';
import { parsePubsubEvent } from '../../shared/src/events/cloudevents.js';
import { WorkerUpdateSchema } from '../../shared/src/schemas.js';
import { jsonShapeProblem } from '../../shared/src/json-limits.js';
import { issueLines } from '../../shared/src/api-kit.js';
import { ackUnlessRetryable } from '../common/ack.js';
import { CREDENTIAL_ATTRIBUTE, verifyWorkerCredential } from '../../shared/src/auth/worker-credential.js';
import { workerKeyOf } from '../../shared/src/auth/index.js';
import type { Principal } from '../../shared/src/auth/principal.js';
import type { RuntimeSource } from '../common/runtime-source.js';

export function createJobUpdatesHandler(src: RuntimeSource): (ce: CloudEvent<unknown>) => Promise<void> {
  return async (ce) => {
    const { log } = src;
    const msg = parsePubsubEvent(ce);
    if ('invalid' in msg) {
      log.warn({ eventId: ce.id, problem: msg.invalid }, 'malformed message acknowledged');
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(msg.text);
    } catch {
      log.warn({ messageId: msg.messageId }, 'worker update is not JSON; acknowledged');
      return;
    }
    const shape = jsonShapeProblem(json);
    if (shape) {
      log.warn(
        { messageId: msg.messageId, problem: `${shape.field}: ${shape.message}` },
        'invalid worker update acknowledged',
      );
      return;
    }
    const parsed = WorkerUpdateSchema.safeParse(json);
    if (!parsed.success) {
      log.warn(
        { messageId: msg.messageId, issues: issueLines(parsed.error.issues) },
        'invalid worker update acknowledged',
      );
      return;
    }
    const update = parsed.data;
    if (msg.attributes.jobId !== undefined && msg.attributes.jobId !== update.jobId) {
      log.warn(
        { messageId: msg.messageId, attribute: msg.attributes.jobId, jobId: update.jobId },
        'jobId attribute and body disagree; acknowledged',
      );
      return;
    }
    // the worker's credential (one job's attempt), required in the cloud: checked before anything is read
    const credential = msg.attributes[CREDENTIAL_ATTRIBUTE];
    let who: Principal | null = null;
    if (credential !== undefined) {
      const v = verifyWorkerCredential(workerKeyOf(src.env), credential, Date.now());
      if (!v.ok) {
        log.warn(
          { messageId: msg.messageId, jobId: update.jobId, problem: v.problem },
          'bad worker credential; acknowledged',
        );
        return;
      }
      const c = v.credential;
      who = { userId: c.ownerId, admin: false, workerJobId: c.jobId, workerAttempt: c.attempt };
    } else if (src.env.workerCredentials === 'required') {
      log.warn({ messageId: msg.messageId, jobId: update.jobId }, 'worker update without a credential; acknowledged');
      return;
    }
    // The update's own id, when the worker gave one, survives publisher retries; else the message id.
    const dedupeKey = update.id ? `update:${update.id}` : `pubsub:${msg.messageId}`;
    await ackUnlessRetryable(log, { messageId: msg.messageId, jobId: update.jobId }, async () => {
      await (await src.runtime()).jobs.report(who, update, dedupeKey);
    });
  };
}
