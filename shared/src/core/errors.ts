/**
 * A handful of error classes with stable codes, transport-agnostic: the HTTP units map them to statuses
 * (functions/common/http.ts, `httpStatusOf`), the event units to ack or redeliver (functions/common/ack.ts).
 */

export const ErrorCode = {
  INVALID_INPUT: 'INVALID_INPUT',
  INVALID_JSON: 'INVALID_JSON',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  /** A verified Google identity that configuration does not name as a user (VERITY_ALLOWED_USERS). */
  IDENTITY_NOT_ALLOWED: 'IDENTITY_NOT_ALLOWED',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  ACTIVE_JOB_EXISTS: 'ACTIVE_JOB_EXISTS',
  JOB_TERMINAL: 'JOB_TERMINAL',
  CONFLICT: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** The job would not fit its stored-size budget (under Firestore's 1 MiB document limit). */
  JOB_TOO_LARGE: 'JOB_TOO_LARGE',
  /** An output or artifact URI outside the prefixes the job type allows the caller. */
  OUTPUT_NOT_ALLOWED: 'OUTPUT_NOT_ALLOWED',
  /** An execution to attach that its executor does not know (issue 30). */
  EXECUTION_NOT_FOUND: 'EXECUTION_NOT_FOUND',
  /** A per-owner quota (active jobs, probes) is spent: a QuotaError, which says when a retry may pass. */
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  TOO_MANY_STREAMS: 'TOO_MANY_STREAMS',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  UNAVAILABLE: 'UNAVAILABLE',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class VerityError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Only retryable errors make a trigger redeliver. */
    readonly retryable = false,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends VerityError {
  constructor(message: string, details?: unknown, code: ErrorCode = ErrorCode.INVALID_INPUT) {
    super(code, message, details);
  }
}

export class AuthError extends VerityError {
  constructor(message = 'missing or invalid bearer token') {
    super(ErrorCode.UNAUTHENTICATED, message);
  }
}

export class ForbiddenError extends VerityError {
  constructor(message = 'not allowed') {
    super(ErrorCode.FORBIDDEN, message);
  }
}

export class NotFoundError extends VerityError {
  constructor(message = 'not found') {
    super(ErrorCode.NOT_FOUND, message);
  }
}

export class ConflictError extends VerityError {
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(code, message, details);
  }
}

/** A per-owner quota is spent, with the seconds after which a retry may pass (the HTTP units' Retry-After). */
export class QuotaError extends VerityError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    details?: unknown,
  ) {
    super(ErrorCode.QUOTA_EXCEEDED, message, details);
  }
}

/** What decide answers when an event can never apply to the job (a user command on the wrong state). */
export interface Rejection {
  rejected: true;
  code: ErrorCode;
  message: string;
}

export function reject(code: ErrorCode, message: string): Rejection {
  return { rejected: true, code, message };
}

export function isRejection(value: unknown): value is Rejection {
  return typeof value === 'object' && value !== null && (value as { rejected?: unknown }).rejected === true;
}
