/**
 * Tenancy of objects: outputs and project artifacts that a request names must lie under a prefix the job
 * type allows the caller (docs/contract.md: "Tenancy and limits"). The check looks only at the URI, before any
 * probe, so a refused request learns nothing about the object (existence, size, generation).
 */
import { isEphemeralName, LIFECYCLE_PREFIXES } from './ephemeral.js';
import { fillTemplate, parseGcsUri } from './gcs-uri.js';
import { ErrorCode, ValidationError } from '../core/index.js';

/** Every type's default: the caller's own folder of the main bucket. */
export const DEFAULT_REQUEST_PREFIXES = ['gs://{bucket}/u/{ownerId}/'] as const;

/**
 * The caller's prefixes. The owner id is URI-encoded, so it never holds a '/': one owner's folder can never
 * lie inside another's (`u/alice/` vs an owner named `alice/x` → `u/alice%2Fx/`).
 */
export function ownerPrefixes(templates: readonly string[], bucket: string, ownerId: string): string[] {
  return templates.map((t) => fillTemplate(t, { bucket, ownerId: encodeURIComponent(ownerId) }));
}

export interface UriProblem {
  /** INVALID_INPUT: not a usable gs:// URI at all; OUTPUT_NOT_ALLOWED: a URI this caller may not name. */
  code: 'INVALID_INPUT' | 'OUTPUT_NOT_ALLOWED';
  message: string;
}

/** Why a URI named by a request may not be used by this caller, or null when it may. */
export function requestUriProblem(uri: string, prefixes: readonly string[]): UriProblem | null {
  const loc = parseGcsUri(uri);
  if (!loc) return { code: 'INVALID_INPUT', message: 'must be a gs://bucket/object URI (no . or .. segments)' };
  if (isEphemeralName(loc.name)) {
    return {
      code: 'OUTPUT_NOT_ALLOWED',
      message: `objects under ${LIFECYCLE_PREFIXES.join(', ')} are Verity's own (lifecycle rules delete them)`,
    };
  }
  if (!prefixes.some((p) => uri.startsWith(p) && uri.length > p.length))
    return { code: 'OUTPUT_NOT_ALLOWED', message: `must lie under ${prefixes.join(' or ')}` };
  return null;
}

/** Throws for the URIs a request may not name: 400 INVALID_INPUT for malformed ones, else OUTPUT_NOT_ALLOWED. */
export function assertRequestUris(field: string, uris: readonly string[], prefixes: readonly string[]): void {
  const problems = uris.flatMap((uri, i) => {
    const p = requestUriProblem(uri, prefixes);
    return p ? [{ field: `${field}.${i}`, ...p }] : [];
  });
  if (problems.length === 0) return;
  const code = problems.some((p) => p.code === 'INVALID_INPUT')
    ? ErrorCode.INVALID_INPUT
    : ErrorCode.OUTPUT_NOT_ALLOWED;
  const details = problems.filter((p) => p.code === code).map(({ field: f, message }) => ({ field: f, message }));
  throw new ValidationError(
    code === ErrorCode.INVALID_INPUT ? 'invalid URIs' : 'not allowed for you: outside your prefixes',
    details,
    code,
  );
}
