/**
 * Where the demo provider (demo-provider.ts) writes its renders: fake-gcs-server, as a provider uploading to the
 * pipeline's bucket; or an S3-compatible store (gofakes3 on the local stack), as seed 003's provider uploads to
 * DigitalOcean Spaces and reports a public URL. Real servers, spoken to by their official SDKs.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Storage } from '@google-cloud/storage';

/** An S3-compatible store: path-style URLs `{endpoint}/{bucket}/{key}` (gofakes3, MinIO, Spaces with paths). */
export interface DemoS3Store {
  endpoint: string;
  bucket: string;
  region?: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface WrittenOutput {
  /** The object as Verity names it: gs://bucket/name or s3://bucket/key. */
  uri: string;
  /** What the provider reports as the output's URL (its webhook's and status's `outputUrl`). */
  url: string;
  /** The object's version as the store gives it (a GCS generation, an S3 ETag). */
  generation: string;
}

export type OutputWriter = (name: string, body: string) => Promise<WrittenOutput>;

export function gcsWriter(o: { gcsEndpoint: string; projectId: string; bucket: string }): OutputWriter {
  const storage = new Storage({ apiEndpoint: o.gcsEndpoint, projectId: o.projectId, useAuthWithCustomEndpoint: false });
  return async (name, body) => {
    const file = storage.bucket(o.bucket).file(name);
    await file.save(body, { resumable: false, contentType: 'video/mp4' });
    const uri = `gs://${o.bucket}/${name}`;
    return { uri, url: uri, generation: String(file.metadata.generation) };
  };
}

export function s3Writer(s: DemoS3Store): OutputWriter {
  const client = new S3Client({
    endpoint: s.endpoint,
    region: s.region ?? 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
  });
  return async (name, body) => {
    const put = await client.send(
      new PutObjectCommand({ Bucket: s.bucket, Key: name, Body: body, ContentType: 'video/mp4' }),
    );
    return {
      uri: `s3://${s.bucket}/${name}`,
      url: `${s.endpoint.replace(/\/+$/, '')}/${s.bucket}/${name}`,
      generation: (put.ETag ?? '').replaceAll('"', ''),
    };
  };
}

/** `input.outputName`: a name with {externalJobId} and nothing that leaves the folder (seed 004's alternatives). */
const OUTPUT_NAME = /^[A-Za-z0-9_.-]*\{externalJobId\}[A-Za-z0-9_.-]*$/;

/** The object name of a render: `provider/{externalJobId}_output_0.mp4`, or the name the input asks for. */
export function outputNameOf(input: Record<string, unknown>, externalJobId: string): string | { bad: string } {
  const asked = input.outputName;
  if (asked === undefined) return `provider/${externalJobId}_output_0.mp4`;
  if (typeof asked !== 'string' || !OUTPUT_NAME.test(asked) || asked.includes('..'))
    return { bad: 'input.outputName must be a file name with {externalJobId}' };
  return `provider/${asked.replace('{externalJobId}', externalJobId)}`;
}

/**
 * The stack's S3-compatible store as the demo provider process finds it: bucket `{bucket}-s3` in
 * VERITY_S3_STORES, its keys from the variables that entry names (infra/local/stack.ts sets all three).
 */
export function s3StoreFromEnv(env: NodeJS.ProcessEnv, bucket: string): DemoS3Store | undefined {
  let stores: Record<string, { endpoint?: string; accessKeyIdEnv?: string; secretAccessKeyEnv?: string }>;
  try {
    stores = JSON.parse(env.VERITY_S3_STORES ?? '{}') as typeof stores;
  } catch {
    return undefined;
  }
  const name = `${bucket}-s3`;
  const s = Object.hasOwn(stores, name) ? stores[name] : undefined;
  if (!s?.endpoint || !s.accessKeyIdEnv || !s.secretAccessKeyEnv) return undefined;
  const accessKeyId = env[s.accessKeyIdEnv];
  const secretAccessKey = env[s.secretAccessKeyEnv];
  if (!accessKeyId || !secretAccessKey) return undefined;
  return { endpoint: s.endpoint, bucket: name, accessKeyId, secretAccessKey };
}
