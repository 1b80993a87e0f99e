/** HTTP plumbing shared by the HTTP deploy units (api, webhooks, sweep): error bodies, body checks. */
import type { Request, Response } from '@google-cloud/functions-framework';
import { z } from 'zod';
import { ConflictError, ErrorCode, QuotaError, ValidationError, VerityError } from '../../shared/src/core/index.js';
import type { Logger } from '../../shared/src/log.js';
import { jsonShapeProblem } from '../../shared/src/json-limits.js';
import { validationProblems } from '../../shared/src/api-kit.js';
import { Code, codeOf } from '../../shared/src/store/conflicts.js';
import { bodyErrorOf, MAX_BODY_BYTES } from './body-limits.js';

export { MAX_BODY_BYTES };

/** The HTTP status of each stable code (docs/contract.md, "Errors"); the core's errors know no transport. */
const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_INPUT: 400,
  INVALID_JSON: 400,
  OUTPUT_NOT_ALLOWED: 400,
  EXECUTION_NOT_FOUND: 404,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  IDENTITY_NOT_ALLOWED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  ACTIVE_JOB_EXISTS: 409,
  JOB_TERMINAL: 409,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  JOB_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  QUOTA_EXCEEDED: 429,
  TOO_MANY_STREAMS: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};

/** A conflict is a 409 whatever its code (a rejection of decide names why: JOB_TERMINAL, CONFLICT, …). */
export function httpStatusOf(err: VerityError): number {
  return err instanceof ConflictError ? 409 : HTTP_STATUS[err.code];
}

/** 413 for a body refused while it streamed in (over 1 MiB as sent or decoded): before auth, before any work. */
export function refuseOversizedBody(req: Request): void {
  if (bodyErrorOf(req)?.type === 'entity.too.large')
    throw new VerityError(ErrorCode.PAYLOAD_TOO_LARGE, `body over ${MAX_BODY_BYTES} bytes (as sent or decoded)`);
}

export function sendError(res: Response, err: VerityError, extra: Record<string, unknown> = {}): void {
  if (err instanceof QuotaError) res.set('Retry-After', String(Math.max(1, Math.ceil(err.retryAfterSeconds))));
  res.status(httpStatusOf(err)).json({
    error: { code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) },
    ...extra,
  });
}

/** Checks size and media type and validates the JSON body against a schema. */
export function parseBody<T extends z.ZodType>(req: Request, schema: T, opts: { optional?: boolean } = {}): z.infer<T> {
  const raw = (req as Request & { rawBody?: Buffer }).rawBody;
  refuseOversizedBody(req);
  const bodyError = bodyErrorOf(req);
  if (bodyError?.type === 'entity.parse.failed')
    throw new ValidationError(`body is not valid JSON: ${bodyError.message}`, undefined, ErrorCode.INVALID_JSON);
  if (bodyError) throw new VerityError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, bodyError.message);
  const empty =
    (raw?.length ?? 0) === 0 &&
    (req.body === undefined ||
      (typeof req.body === 'object' &&
        req.body !== null &&
        Object.keys(req.body).length === 0 &&
        !req.is('application/json')));
  if (empty) {
    if (opts.optional) return schema.parse({});
    throw new ValidationError('a JSON body is required');
  }
  if (!req.is('application/json')) {
    throw new VerityError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Content-Type must be application/json');
  }
  const shape = jsonShapeProblem(req.body);
  if (shape) throw new ValidationError('invalid request body', [shape]);
  const parsed = schema.safeParse(req.body);
  if (!parsed.success) {
    throw new ValidationError('invalid request body', validationProblems(parsed.error.issues));
  }
  return parsed.data;
}

/** gRPC codes of a dependency that may pass: ABORTED, UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED. */
const TRANSIENT_CODES: ReadonlySet<number> = new Set([
  Code.ABORTED,
  Code.UNAVAILABLE,
  Code.DEADLINE_EXCEEDED,
  Code.RESOURCE_EXHAUSTED,
]);

export function handleError(res: Response, err: unknown, log: Logger): void {
  if (err instanceof VerityError) {
    // an active-job conflict that no route shaped (activeJobConflict): never the raw job
    sendError(res, err.code === ErrorCode.ACTIVE_JOB_EXISTS ? new ConflictError(err.code, err.message) : err);
    return;
  }
  // body-parser errors (malformed JSON) carry a status and a type
  const e = err as { status?: number; type?: string; message?: string };
  if (e?.type === 'entity.parse.failed')
    return sendError(res, new ValidationError('body is not valid JSON', undefined, ErrorCode.INVALID_JSON));
  // a dependency's transient answer (Firestore's ABORTED after its own retries, UNAVAILABLE, a deadline): the
  // request changed nothing it did not also record, and may be sent again — 503 with Retry-After, not a 500
  if (TRANSIENT_CODES.has(codeOf(err) ?? -1)) {
    log.warn({ err }, 'a dependency failed for now; answered 503');
    res.set('Retry-After', '1');
    return sendError(res, new VerityError(ErrorCode.UNAVAILABLE, 'a dependency is unavailable for now; retry'));
  }
  log.error({ err }, 'unhandled error');
  sendError(res, new VerityError(ErrorCode.INTERNAL, 'internal error'));
}
