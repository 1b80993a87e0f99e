/**
 * Checkpoints of a worker's steps (docs/workers.md: the layout any language can follow). Under the job's
 * checkpoint prefix (VERITY_CHECKPOINT_PREFIX), a finished step leaves two objects:
 *
 *   {prefix}{step}.{attempt}-{nonce}.out   the step's result (here: JSON), one object per writer
 *   {prefix}{step}.json                    its manifest {version: 1, step, attempt, object, sha256, size, at}:
 *                                          written after the data, create-only (ifGenerationMatch=0), so the
 *                                          first attempt to finish a step owns it and names its data `object`
 *
 * A step is done when its manifest parses and its data object has the manifest's size and SHA-256; anything
 * else (no manifest, a torn or corrupted data object, a manifest that does not parse) is not trusted: the step
 * runs again. Racing writers never share a data object, so the manifest's always matches what it names.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { parseGcsUri } from '../evidence/gcs-uri.js';

/** The objects a checkpoint store reads and writes: the Storage client, or the JSON API over fetch. */
export interface ObjectIO {
  /** The object's bytes; null when there is none. */
  read(uri: string): Promise<Buffer | null>;
  /** Writes the object; with `createOnly`, false (and nothing written) when it exists already. */
  write(uri: string, data: Buffer, opts: { contentType: string; createOnly?: boolean }): Promise<boolean>;
}

export const CheckpointManifestSchema = z
  .object({
    version: z.literal(1),
    step: z.string().min(1).max(200),
    attempt: z.number().int().min(1),
    /** The data object's name under the prefix. */
    object: z.string().regex(/^[A-Za-z0-9._%-]{1,600}$/),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    size: z.number().int().min(0),
    at: z.string(),
  })
  .strict();
export type CheckpointManifest = z.infer<typeof CheckpointManifestSchema>;

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** A step name as an object name part: letters, digits, `.`, `_` and `-` kept, the rest percent-encoded. */
const part = (step: string): string =>
  encodeURIComponent(step).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);

export class Checkpoints {
  constructor(
    private readonly io: ObjectIO,
    readonly prefix: string,
  ) {
    if (!parseGcsUri(`${prefix}x`) || !prefix.endsWith('/')) throw new Error(`not a gs:// prefix: ${prefix}`);
  }

  /** A fresh data object for one writer of the step. */
  dataName(step: string, attempt: number): string {
    return `${part(step)}.${attempt}-${randomBytes(4).toString('hex')}.out`;
  }
  manifestUri(step: string): string {
    return `${this.prefix}${part(step)}.json`;
  }

  /** The step's checkpoint when it is whole (manifest valid, data of its size and hash); else null. */
  async load(step: string): Promise<{ manifest: CheckpointManifest; data: Buffer } | null> {
    const raw = await this.io.read(this.manifestUri(step));
    if (!raw) return null;
    let manifest: CheckpointManifest;
    try {
      manifest = CheckpointManifestSchema.parse(JSON.parse(raw.toString('utf8')));
    } catch {
      return null;
    }
    if (manifest.step !== step) return null;
    const data = await this.io.read(`${this.prefix}${manifest.object}`);
    if (!data || data.length !== manifest.size || sha256(data) !== manifest.sha256) return null;
    return { manifest, data };
  }

  /**
   * Records a finished step: the data, then the manifest, create-only. Another attempt that finished the step
   * first owns it: its checkpoint is returned (`won: false`), so both go on from the same result. (The caller
   * has just looked for a checkpoint: no second look before writing.)
   */
  async save(step: string, attempt: number, data: Buffer, now = new Date()): Promise<{ won: boolean; data: Buffer }> {
    const object = this.dataName(step, attempt);
    await this.io.write(`${this.prefix}${object}`, data, { contentType: 'application/json' });
    const manifest: CheckpointManifest = {
      version: 1,
      step,
      attempt,
      object,
      sha256: sha256(data),
      size: data.length,
      at: now.toISOString(),
    };
    const body = Buffer.from(JSON.stringify(manifest));
    if (await this.io.write(this.manifestUri(step), body, { contentType: 'application/json', createOnly: true }))
      return { won: true, data };
    // lost the race (the owner's checkpoint), or a broken manifest is in the way (ours is not recorded: the
    // next attempt runs the step again, as it would have without a checkpoint)
    const winner = await this.load(step);
    return winner ? { won: false, data: winner.data } : { won: true, data };
  }
}

/** ObjectIO over the Cloud Storage JSON API with fetch: fake-gcs-server, without loading the client. */
export function restObjectIO(endpoint: string, fetchImpl: typeof fetch = fetch): ObjectIO {
  const base = endpoint.replace(/\/$/, '');
  const loc = (uri: string) => {
    const l = parseGcsUri(uri);
    if (!l) throw new Error(`not a gs:// URI: ${uri}`);
    return l;
  };
  return {
    async read(uri) {
      const { bucket, name } = loc(uri);
      const res = await fetchImpl(
        `${base}/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(name)}?alt=media`,
      );
      if (res.status === 404) return null;
      if (!res.ok) throw new Error(`read ${uri}: HTTP ${res.status}`);
      return Buffer.from(await res.arrayBuffer());
    },
    async write(uri, data, opts) {
      const { bucket, name } = loc(uri);
      // a multipart upload (metadata, then the bytes): fake-gcs-server honours its ifGenerationMatch
      const q = new URLSearchParams({
        uploadType: 'multipart',
        ...(opts.createOnly ? { ifGenerationMatch: '0' } : {}),
      });
      const boundary = `verity-${randomBytes(8).toString('hex')}`;
      const body = Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n` +
            `${JSON.stringify({ name, contentType: opts.contentType })}\r\n` +
            `--${boundary}\r\nContent-Type: ${opts.contentType}\r\n\r\n`,
        ),
        data,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      const res = await fetchImpl(`${base}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?${q}`, {
        method: 'POST',
        headers: { 'content-type': `multipart/related; boundary=${boundary}` },
        body,
      });
      if (res.status === 412) return false;
      if (!res.ok) throw new Error(`write ${uri}: HTTP ${res.status} ${await res.text()}`);
      return true;
    },
  };
}

/** ObjectIO over the Storage client (any Cloud Storage the client is pointed at). */
export function storageObjectIO(storage: import('@google-cloud/storage').Storage): ObjectIO {
  const file = (uri: string) => {
    const l = parseGcsUri(uri);
    if (!l) throw new Error(`not a gs:// URI: ${uri}`);
    return storage.bucket(l.bucket).file(l.name);
  };
  return {
    async read(uri) {
      try {
        return (await file(uri).download())[0];
      } catch (err) {
        if ((err as { code?: number }).code === 404) return null;
        throw err;
      }
    },
    async write(uri, data, opts) {
      try {
        await file(uri).save(data, {
          resumable: false,
          contentType: opts.contentType,
          ...(opts.createOnly ? { preconditionOpts: { ifGenerationMatch: 0 } } : {}),
        });
        return true;
      } catch (err) {
        if (opts.createOnly && (err as { code?: number }).code === 412) return false;
        throw err;
      }
    },
  };
}
