/** gs:// URIs: parsing, and the allow-list of buckets a request may name. */
export interface GcsLocation {
  bucket: string;
  name: string;
}

/** gs://bucket/object: bucket naming rules, a non-empty object name on one line. */
export const GCS_URI_PATTERN = /^gs:\/\/[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]\/[^\r\n]+$/;
const GS = /^gs:\/\/([a-z0-9][a-z0-9._-]{1,220}[a-z0-9])\/(.+)$/;

export function parseGcsUri(uri: string): GcsLocation | null {
  const m = GS.exec(uri);
  if (!m) return null;
  const name = m[2]!;
  if (
    name.length > 1024 ||
    name.includes('\n') ||
    name.includes('\r') ||
    name.split('/').some((p) => p === '..' || p === '.')
  )
    return null;
  return { bucket: m[1]!, name };
}

/** Fills `{bucket}` and `{jobId}` (and other simple keys) in a template. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{([a-zA-Z]+)\}/g, (whole, key: string) => values[key] ?? whole);
}
