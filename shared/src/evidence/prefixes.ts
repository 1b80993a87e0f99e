/**
 * Tenancy of objects: outputs and project artifacts that a request names must lie under a prefix the job
 * type allows the caller (contract: "Tenancy and limits"). The check looks only at the URI, before any probe,
 * so a refused request learns nothing about the object (existence, size, generation).
 */
import { EPHEMERAL_PREFIXES, isEphemeralName } from './ephemeral.js';
import { fillTemplate, parseGcsUri } from './gcs-uri.js';

/** Every type's default: the caller's own folder of the main bucket. */
export const DEFAULT_REQUEST_PREFIXES = ['gs://{bucket}/u/{ownerId}/'] as const;

/**
 * The caller's prefixes. The owner id is URI-encoded, so it never holds a '/': one owner's folder can never
 * lie inside another's (`u/alice/` vs an owner named `alice/x` → `u/alice%2Fx/`).
 */
export function ownerPrefixes(templates: readonly string[], bucket: string, ownerId: string): string[] {
  return templates.map((t) => fillTemplate(t, { bucket, ownerId: encodeURIComponent(ownerId) }));
}

/** Why a URI named by a request may not be used by this caller, or null when it may. */
export function requestUriProblem(uri: string, prefixes: readonly string[]): string | null {
  const loc = parseGcsUri(uri);
  if (!loc) return 'must be a gs://bucket/object URI';
  if (isEphemeralName(loc.name)) return `objects under ${EPHEMERAL_PREFIXES.join(' or ')} are temporary (a lifecycle rule deletes them)`;
  if (!prefixes.some((p) => uri.startsWith(p) && uri.length > p.length)) return `must lie under ${prefixes.join(' or ')}`;
  return null;
}
