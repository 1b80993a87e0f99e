/** Output probe: does each expected object exist (generation, size, timeCreated)? Bounded, with timeouts. */
import type { Storage } from '@google-cloud/storage';
import type { OutputObservation } from '../core/index.js';
import { parseGcsUri } from './gcs-uri.js';
import { mapLimit, withTimeout } from './limits.js';
import type { HeadProbe } from './store-probes.js';
import { outputScheme } from './stores.js';

export interface OutputProbe {
  /** Observations for the URIs it could check; `complete` is false when any probe failed. */
  probe(uris: readonly string[]): Promise<{ observations: OutputObservation[]; complete: boolean; errors: string[] }>;
}

export interface GcsProbeOptions {
  concurrency?: number;
  timeoutMs?: number;
  /** Probes for outputs outside Cloud Storage (store-probes.ts): s3:// and https:// URIs; absent: refused. */
  s3?: HeadProbe;
  https?: HeadProbe;
}

function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 404;
}

export function createGcsOutputProbe(storage: Storage, opts: GcsProbeOptions = {}): OutputProbe {
  const concurrency = opts.concurrency ?? 16;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return {
    async probe(uris) {
      const errors: string[] = [];
      const results = await mapLimit(uris, concurrency, async (uri): Promise<OutputObservation | null> => {
        const scheme = outputScheme(uri);
        if (scheme === 's3' || scheme === 'https') {
          const head = opts[scheme];
          if (!head) {
            errors.push(`${uri}: no ${scheme} store is configured`);
            return null;
          }
          try {
            return await head(uri, AbortSignal.timeout(timeoutMs));
          } catch (err) {
            errors.push(`${uri}: ${(err as Error).message}`);
            return null;
          }
        }
        const loc = parseGcsUri(uri);
        if (!loc) {
          errors.push(`${uri}: not a gs:// URI`);
          return null;
        }
        try {
          const [meta] = await withTimeout(
            storage.bucket(loc.bucket).file(loc.name).getMetadata(),
            timeoutMs,
            `probe ${uri}`,
          );
          return {
            uri,
            exists: true,
            generation: meta.generation === undefined ? null : String(meta.generation),
            size: meta.size === undefined ? null : Number(meta.size),
            timeCreated: meta.timeCreated ? Date.parse(meta.timeCreated) : null,
          };
        } catch (err) {
          if (isNotFound(err)) return { uri, exists: false };
          errors.push(`${uri}: ${(err as Error).message}`);
          return null;
        }
      });
      const observations = results.filter((r): r is OutputObservation => r !== null);
      return { observations, complete: errors.length === 0, errors };
    },
  };
}
