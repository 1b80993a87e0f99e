/**
 * Where outputs may live besides Cloud Storage (issue 28): `s3://bucket/key` on any S3-compatible store (AWS S3,
 * DigitalOcean Spaces, Cloudflare R2, MinIO) and `https://host/path` read with HEAD. Each store is named in the
 * deployment's configuration — an S3 bucket with its endpoint, region and the env variables holding its keys
 * (mounted from Secret Manager in the cloud), an HTTPS host with the headers to send — and an output outside
 * them is refused when a type is loaded, never probed. Parsing and configuration only: the probes are
 * store-probes.ts.
 */
import { z } from 'zod';

export interface S3Location {
  bucket: string;
  key: string;
}

/** s3://bucket/key: S3's bucket naming rules, a key of one line without `.`/`..` segments. */
const S3 = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/;

export function parseS3Uri(uri: string): S3Location | null {
  const m = S3.exec(uri);
  if (!m) return null;
  const key = m[2]!;
  if (key.length > 1024 || /[\r\n]/.test(key) || key.split('/').some((p) => p === '..' || p === '.')) return null;
  return { bucket: m[1]!, key };
}

/** An https:// URL (http:// only where `allowHttp`, the local stack) with no credentials and no fragment. */
export function parseHttpUrl(uri: string, allowHttp: boolean): URL | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) return null;
  if (url.username || url.password || url.hash || uri.length > 2048) return null;
  return url;
}

/** The scheme of an output URI Verity can look for, or null. */
export function outputScheme(uri: string): 'gs' | 's3' | 'https' | null {
  if (uri.startsWith('gs://')) return 'gs';
  if (uri.startsWith('s3://')) return 's3';
  if (uri.startsWith('https://') || uri.startsWith('http://')) return 'https';
  return null;
}

const EnvName = z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/, 'an environment variable name');

/** VERITY_S3_STORES: bucket → its store. Keys come from env variables, never from this JSON. */
export const S3StoresSchema = z.record(
  z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name'),
  z
    .object({
      /** The store's endpoint, e.g. https://nyc3.digitaloceanspaces.com; absent: AWS S3 of the region. */
      endpoint: z.url().optional(),
      region: z.string().min(1).max(64).default('us-east-1'),
      /** Path-style addressing (MinIO, most local stores); virtual-hosted style otherwise. */
      forcePathStyle: z.boolean().default(false),
      accessKeyIdEnv: EnvName.optional(),
      secretAccessKeyEnv: EnvName.optional(),
    })
    .strict(),
);
export type S3Stores = z.infer<typeof S3StoresSchema>;

/** VERITY_HTTP_OUTPUT_HOSTS: host (with its port, if any) → the headers each HEAD carries, values from env. */
export const HttpHostsSchema = z.record(
  z.string().regex(/^[a-z0-9.-]{1,253}(:\d{1,5})?$/, 'a host name, optionally with :port'),
  z.object({ headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/), EnvName).default({}) }).strict(),
);
export type HttpHosts = z.infer<typeof HttpHostsSchema>;

/** Why an output URI is outside the configured stores, or null when Verity may look for it. */
export function outsideStores(
  uri: string,
  cfg: { gcsBuckets: readonly string[]; s3: S3Stores; http: HttpHosts; allowHttp: boolean },
  parseGcs: (u: string) => { bucket: string } | null,
): string | null {
  switch (outputScheme(uri)) {
    case 'gs': {
      const loc = parseGcs(uri);
      return loc && cfg.gcsBuckets.includes(loc.bucket) ? null : `${uri}: not in an allowed gs:// bucket`;
    }
    case 's3': {
      const loc = parseS3Uri(uri);
      if (!loc) return `${uri}: not an s3://bucket/key URI`;
      return Object.hasOwn(cfg.s3, loc.bucket) ? null : `${uri}: bucket ${loc.bucket} is not in VERITY_S3_STORES`;
    }
    case 'https': {
      const url = parseHttpUrl(uri, cfg.allowHttp);
      if (!url) return `${uri}: not an https:// URL${cfg.allowHttp ? ' (or http:// on the local stack)' : ''}`;
      return Object.hasOwn(cfg.http, url.host) ? null : `${uri}: host ${url.host} is not in VERITY_HTTP_OUTPUT_HOSTS`;
    }
    case null:
      return `${uri}: not a gs://, s3:// or https:// URI`;
  }
}
