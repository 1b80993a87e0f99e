/**
 * The soak's S3-compatible store (gofakes3, bucket `{bucket}-s3`) as ground truth: every object, under both
 * names it is reachable by — `s3://bucket/key` and its path-style `http://` URL — with its ETag as the version
 * (what the demo provider records when it writes one).
 */
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

export function s3Lister(port: number, bucket: string): () => Promise<[string, string][]> {
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'verity-soak', secretAccessKey: 'verity-soak-secret' },
  });
  return async () => {
    const out: [string, string][] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        const etag = (o.ETag ?? '').replaceAll('"', '');
        out.push([`s3://${bucket}/${o.Key}`, etag], [`${endpoint}/${bucket}/${o.Key}`, etag]);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  };
}
