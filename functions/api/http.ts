/** HTTP plumbing shared by the HTTP deploy units: error bodies, body checks, auth. */
import type { Request, Response } from '@google-cloud/functions-framework';
import { z } from 'zod';
import { ErrorCode, ValidationError, VerityError } from '../../shared/src/core/index.js';
import type { Logger } from '../../shared/src/log.js';
import type { BodyError } from './json-errors.js';

export const MAX_BODY_BYTES = 1024 * 1024;

export function sendError(res: Response, err: VerityError, extra: Record<string, unknown> = {}): void {
  res.status(err.httpStatus).json({ error: { code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) }, ...extra });
}

/** Checks size and media type and validates the JSON body against a schema. */
export function parseBody<T extends z.ZodType>(req: Request, schema: T, opts: { optional?: boolean } = {}): z.infer<T> {
  const raw = (req as Request & { rawBody?: Buffer }).rawBody;
  const length = Number(req.headers['content-length'] ?? raw?.length ?? 0);
  if (length > MAX_BODY_BYTES || (raw?.length ?? 0) > MAX_BODY_BYTES) {
    throw new VerityError(ErrorCode.PAYLOAD_TOO_LARGE, `body over ${MAX_BODY_BYTES} bytes`, 413);
  }
  const bodyError = (req as Request & { verityBodyError?: BodyError }).verityBodyError;
  if (bodyError?.type === 'entity.parse.failed') throw new ValidationError(`body is not valid JSON: ${bodyError.message}`, undefined, ErrorCode.INVALID_JSON);
  if (bodyError) throw new VerityError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, bodyError.message, 415);
  const empty = (raw?.length ?? 0) === 0 && (req.body === undefined || (typeof req.body === 'object' && req.body !== null && Object.keys(req.body).length === 0 && !req.is('application/json')));
  if (empty) {
    if (opts.optional) return schema.parse({});
    throw new ValidationError('a JSON body is required');
  }
  if (!req.is('application/json')) {
    throw new VerityError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Content-Type must be application/json', 415);
  }
  const parsed = schema.safeParse(req.body);
  if (!parsed.success) {
    throw new ValidationError(
      'invalid request body',
      parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
    );
  }
  return parsed.data;
}

export function handleError(res: Response, err: unknown, log: Logger): void {
  if (err instanceof VerityError) {
    const extra = err.code === ErrorCode.ACTIVE_JOB_EXISTS && typeof err.details === 'object' && err.details !== null ? (err.details as Record<string, unknown>) : {};
    sendError(res, err, extra);
    return;
  }
  // body-parser errors (malformed JSON) carry a status and a type
  const e = err as { status?: number; type?: string; message?: string };
  if (e?.type === 'entity.parse.failed') return sendError(res, new ValidationError('body is not valid JSON', undefined, ErrorCode.INVALID_JSON));
  log.error({ err }, 'unhandled error');
  sendError(res, new VerityError(ErrorCode.INTERNAL, 'internal error', 500));
}
