/**
 * Which objects are step checkpoint manifests (docs/workers.md): `{prefix}{step}.json` under a prefix some job
 * type's `checkpointPrefix` template makes. Pure: templates in, a matcher out.
 */
export interface CheckpointManifestRef {
  /** The checkpoint prefix (gs://…/, as stored on the jobs). */
  prefix: string;
  step: string;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A matcher for the manifests under any of the templates (`{bucket}` filled, `{jobId}` and `{ownerId}` any one
 * path segment each).
 */
export function checkpointMatcher(
  templates: readonly string[],
  bucket: string,
): (uri: string) => CheckpointManifestRef | null {
  const res = [...new Set(templates)].map((t) => {
    const parts = t.split(/\{jobId\}|\{ownerId\}/).map((p) => escape(p.replace(/\{bucket\}/g, bucket)));
    return new RegExp(`^(${parts.join('[^/]+')})([^/]+)\\.json$`);
  });
  return (uri) => {
    for (const re of res) {
      const m = re.exec(uri);
      if (!m || !m[1]!.endsWith('/')) continue;
      try {
        return { prefix: m[1]!, step: decodeURIComponent(m[2]!) };
      } catch {
        return null;
      }
    }
    return null;
  };
}
