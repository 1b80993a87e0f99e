/**
 * Attach (issue 30): a job that tracks an execution started elsewhere — a Cloud Run execution of the type's
 * job, an http provider's job, a local process — instead of starting one. Only an admin attaches (an execution
 * started elsewhere has no owner Verity could check, and a job can cancel what it tracks), only within the
 * type's configuration (a name of the shape attach-names.ts states: else 400), and only an execution the
 * executor knows (else 404 EXECUTION_NOT_FOUND): checked before anything is written.
 */
import { ErrorCode, ForbiddenError, ValidationError, VerityError } from '../core/index.js';
import { attachPattern } from '../evidence/executors/attach-names.js';
import type { Principal } from '../auth/principal.js';
import type { JobType } from '../config/job-types.js';
import type { ExecutorSet, StartedExecution } from '../evidence/executors/types.js';
import type { EnqueueRequest } from '../schemas.js';

export interface Attached {
  execution: StartedExecution;
  /** Whose job it becomes. */
  ownerId: string;
  /** Attaching the same execution again answers the first job (unless the request names its own key). */
  idempotencyKey: string;
}

export async function resolveAttach(
  executors: ExecutorSet,
  who: Principal,
  type: JobType,
  attach: NonNullable<EnqueueRequest['attach']>,
  jobId: string,
  idempotencyKey: string | undefined,
): Promise<Attached> {
  if (!who.admin) throw new ForbiddenError('attaching an execution started elsewhere needs an admin');
  const executor = executors[type.executor.kind];
  const field = { field: 'attach.execution' };
  const pattern = attachPattern(type.executor);
  if (!executor?.adopt || pattern === null)
    throw new ValidationError(`type ${type.name} (${type.executor.kind}) cannot track work it did not start`, field);
  if (!new RegExp(pattern).test(attach.execution))
    throw new ValidationError(`"${attach.execution}" is not the name of an execution of type ${type.name}`, field);
  // of the right shape: what is not there (or not this type's work) is not found
  const execution = await executor.adopt(type, attach.execution, jobId);
  const seen = execution ? await tries(() => executor.status(execution.executionRef)) : null;
  if (!execution || !seen || seen.state === 'lost')
    throw new VerityError(
      ErrorCode.EXECUTION_NOT_FOUND,
      `no execution of type ${type.name} is known as "${attach.execution}"${seen?.detail ? `: ${seen.detail}` : ''}`,
      field,
    );
  return {
    execution,
    ownerId: attach.ownerId ?? who.userId,
    idempotencyKey: idempotencyKey ?? `attach:${execution.executionRef}`,
  };
}

/**
 * A look that failed (the executor's API unavailable for a moment) is tried again, twice, within the request:
 * nothing is written before it, and a caller should not have to resend for a blip. Then the error stands (503).
 */
async function tries<T>(look: () => Promise<T>, left = 2): Promise<T> {
  try {
    return await look();
  } catch (err) {
    if (left <= 0) throw err;
    await new Promise((r) => setTimeout(r, 250));
    return tries(look, left - 1);
  }
}
