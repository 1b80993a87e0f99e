/**
 * Existence probes for outputs outside Cloud Storage (stores.ts): S3-compatible stores with the official AWS SDK
 * v3 (`HeadObject`), HTTPS URLs with `HEAD`. Each answers an observation (size, etag as the generation, last
 * modified as the creation time) or `exists: false` on 404, and throws on anything else — a failed probe, which
 * holds a due deadline rather than failing the job (core/holds.ts). Bounded in time; HTTP redirects are followed
 * only to the same host (at most 3), never with the configured headers elsewhere.
 */
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { OutputObservation } from '../core/index.js';
import { parseHttpUrl, parseS3Uri, type HttpHosts, type S3Stores } from './stores.js';

export type HeadProbe = (uri: string, signal: AbortSignal) => Promise<OutputObservation>;

const httpStatus = (err: unknown): number | undefined =>
  (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/** One S3 client per configured bucket, built on first use; keys from the env variables the config names. */
export function createS3Head(stores: S3Stores, env: NodeJS.ProcessEnv = process.env): HeadProbe {
  const clients = new Map<string, S3Client>();
  const clientFor = (bucket: string): S3Client => {
    const known = clients.get(bucket);
    if (known) return known;
    const s = stores[bucket];
    if (!s) throw new Error(`bucket ${bucket} is not in VERITY_S3_STORES`);
    const id = s.accessKeyIdEnv ? env[s.accessKeyIdEnv] : undefined;
    const secret = s.secretAccessKeyEnv ? env[s.secretAccessKeyEnv] : undefined;
    const client = new S3Client({
      region: s.region,
      forcePathStyle: s.forcePathStyle,
      maxAttempts: 1, // the look is retried by the sweep, with backoff, not inside one probe
      ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      ...(id && secret ? { credentials: { accessKeyId: id, secretAccessKey: secret } } : {}),
    });
    clients.set(bucket, client);
    return client;
  };
  return async (uri, signal) => {
    const loc = parseS3Uri(uri);
    if (!loc) throw new Error(`${uri}: not an s3:// URI`);
    try {
      const head = await clientFor(loc.bucket).send(new HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key }), {
        abortSignal: signal,
      });
      return {
        uri,
        exists: true,
        generation: head.VersionId ?? head.ETag ?? null,
        size: head.ContentLength ?? null,
        timeCreated: head.LastModified ? head.LastModified.getTime() : null,
      };
    } catch (err) {
      if (httpStatus(err) === 404 || (err as { name?: string }).name === 'NotFound') return { uri, exists: false };
      throw err;
    }
  };
}

const MAX_REDIRECTS = 3;

/** HEAD over https (http on the local stack), redirects followed to the same host only. */
export function createHttpHead(hosts: HttpHosts, allowHttp: boolean, env: NodeJS.ProcessEnv = process.env): HeadProbe {
  return async (uri, signal) => {
    const first = parseHttpUrl(uri, allowHttp);
    if (!first) throw new Error(`${uri}: not an https:// URL`);
    let url: URL = first;
    const host = url.host;
    const cfg = hosts[host];
    if (!cfg) throw new Error(`${uri}: host ${host} is not in VERITY_HTTP_OUTPUT_HOSTS`);
    const headers: Record<string, string> = {};
    for (const [name, envName] of Object.entries(cfg.headers)) {
      const value = env[envName];
      if (value !== undefined) headers[name] = value;
    }
    for (let hop = 0; ; hop++) {
      const res = await fetch(url, { method: 'HEAD', redirect: 'manual', headers, signal });
      if (res.status >= 300 && res.status < 400) {
        const next = res.headers.get('location');
        const to: URL | null = next ? parseHttpUrl(new URL(next, url).toString(), allowHttp) : null;
        if (!to || to.host !== host) throw new Error(`${uri}: redirected to another host (${next ?? 'nowhere'})`);
        if (hop >= MAX_REDIRECTS) throw new Error(`${uri}: more than ${MAX_REDIRECTS} redirects`);
        url = to;
        continue;
      }
      if (res.status === 404 || res.status === 410) return { uri, exists: false };
      if (!res.ok) throw new Error(`${uri}: HEAD answered ${res.status}`);
      const length = res.headers.get('content-length');
      const modified = res.headers.get('last-modified');
      const time = modified ? Date.parse(modified) : NaN;
      return {
        uri,
        exists: true,
        generation: res.headers.get('etag'),
        size: length !== null && /^\d+$/.test(length) ? Number(length) : null,
        timeCreated: Number.isFinite(time) ? time : null,
      };
    }
  };
}
