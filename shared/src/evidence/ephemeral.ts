/**
 * Object-name prefixes that the output buckets' lifecycle rule deletes after `temp_retention_days`
 * (infra/terraform/modules/verity/storage.tf; a test compares the two). Nothing a job declares as an
 * output, and no project artifact, may lie under one of them: a request naming such a URI is refused with
 * OUTPUT_NOT_ALLOWED, so the lifecycle rule can never delete a declared output.
 */
export const EPHEMERAL_PREFIXES = ['tmp/', 'proxy/'] as const;

/** Does an object name lie under an ephemeral prefix? */
export function isEphemeralName(name: string): boolean {
  return EPHEMERAL_PREFIXES.some((p) => name.startsWith(p));
}
