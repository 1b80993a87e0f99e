/**
 * Object-name prefixes that are Verity's own and that the output buckets' lifecycle rules delete
 * (infra/terraform/modules/verity/storage.tf; a test compares the two): temporaries and proxies after
 * `temp_retention_days`, step checkpoints after `checkpoint_retention_days` (a backstop behind the orphan
 * sweep, past any retry window). Nothing a job declares as an output, and no project artifact, may lie under
 * one of them: a request naming such a URI is refused with OUTPUT_NOT_ALLOWED and a type deriving one does not
 * start, so a lifecycle rule can never delete a declared output.
 */
export const EPHEMERAL_PREFIXES = ['tmp/', 'proxy/'] as const;
export const CHECKPOINT_PREFIXES = ['ckpt/'] as const;
export const LIFECYCLE_PREFIXES = [...EPHEMERAL_PREFIXES, ...CHECKPOINT_PREFIXES] as const;

/** Does an object name lie under a prefix a lifecycle rule deletes? */
export function isEphemeralName(name: string): boolean {
  return LIFECYCLE_PREFIXES.some((p) => name.startsWith(p));
}
