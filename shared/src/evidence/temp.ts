/**
 * Temporary artifacts: each job may leave objects under its type's temp prefix (default
 * gs://{bucket}/tmp/{jobId}/). They are deleted when the job ends. Declared outputs are never deleted, nor
 * anything outside an allowed bucket, nor a prefix that does not name the job.
 */
import type { Storage } from '@google-cloud/storage';
import type { Job } from '../core/index.js';
import { fillTemplate, parseGcsUri } from './gcs-uri.js';

/** Where a job's proxies live (seed 002; the orphan sweep's `proxy/` root). */
export const PROXY_PREFIX = 'gs://{bucket}/proxy/{jobId}/';

export interface TempCleaner {
  /** The job's temp prefix as a gs:// URI, or null when the template does not resolve safely. */
  prefixFor(job: Pick<Job, 'id'>, template: string): { bucket: string; prefix: string } | null;
  /** Deletes the job's temp objects; returns how many were deleted. */
  cleanup(job: Pick<Job, 'id' | 'outputUris'>, template: string): Promise<number>;
}

export function createTempCleaner(deps: {
  storage: Storage;
  bucket: string;
  allowedBuckets: readonly string[];
}): TempCleaner {
  const prefixFor: TempCleaner['prefixFor'] = (job, template) => {
    const filled = fillTemplate(template, { bucket: deps.bucket, jobId: job.id });
    const loc = parseGcsUri(filled.startsWith('gs://') ? filled : `gs://${deps.bucket}/${filled}`);
    if (!loc || !deps.allowedBuckets.includes(loc.bucket)) return null;
    if (!loc.name.endsWith('/') || !loc.name.includes(job.id)) return null; // never a broad prefix
    return { bucket: loc.bucket, prefix: loc.name };
  };
  return {
    prefixFor,
    async cleanup(job, template) {
      const where = prefixFor(job, template);
      if (!where) return 0;
      const [files] = await deps.storage.bucket(where.bucket).getFiles({ prefix: where.prefix, autoPaginate: true });
      const outputs = new Set(job.outputUris);
      let deleted = 0;
      for (const f of files) {
        if (outputs.has(`gs://${where.bucket}/${f.name}`)) continue;
        await f.delete({ ignoreNotFound: true });
        deleted++;
      }
      return deleted;
    },
  };
}
