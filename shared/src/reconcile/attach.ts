/**
 * Attach (issue 30): a job that tracks an execution started elsewhere — a Cloud Run execution of the type's
 * job, an http provider's job, a local process — instead of starting one. Only an admin attaches (an execution
 * started elsewhere has no owner Verity could check, and a job can cancel what it tracks), only within the
 * type's configuration (adopt), and only an execution the executor knows: checked before anything is written.
 */
import { ErrorCode, ForbiddenError, ValidationError } from '../core/index.js';
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
  if (!executor?.adopt)
    throw new ValidationError(`type ${type.name} (${type.executor.kind}) cannot track work it did not start`, field);
  const execution = await executor.adopt(type, attach.execution, jobId);
  if (!execution)
    throw new ValidationError(`"${attach.execution}" is not an execution of type ${type.name}'s executor`, field);
  const seen = await executor.status(execution.executionRef);
  if (seen.state === 'lost')
    throw new ValidationError(
      `${execution.executionRef} is not known to the executor: ${seen.detail ?? 'lost'}`,
      field,
      ErrorCode.EXECUTION_NOT_FOUND,
    );
  return {
    execution,
    ownerId: attach.ownerId ?? who.userId,
    idempotencyKey: idempotencyKey ?? `attach:${execution.executionRef}`,
  };
}
