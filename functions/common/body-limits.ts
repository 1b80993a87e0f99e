/**
 * functions-framework parses every body before our function runs, with body-parser limits of 1024 MB and
 * inflation on: a 97 KB gzip body would be inflated to 100 MB and parsed before any check. This wraps the
 * body-parser middlewares the framework builds (json, text, urlencoded, raw), before it builds them:
 * - the limit is 1 MiB, counted on the bytes as decoded while they stream in (raw-body stops reading and
 *   the decompression stream is dropped at the cap), and a declared Content-Length over 1 MiB is refused
 *   before a byte is read (docs/contract.md, "Tenancy and limits": "at most 1 MiB as sent and at most 1 MiB
 *   once decoded");
 * - a body error (too large, not JSON, unsupported charset or encoding) is kept on the request
 *   (`verityBodyError`) and the request goes on to our handler, which answers with the JSON error body
 *   of docs/contract.md, "Errors" (413, 400 INVALID_JSON, 415) — never Express's HTML page.
 * Imported (for its side effect) by the HTTP units' handlers, and so before the framework builds its server.
 */
import { createRequire } from 'node:module';
import type { NextFunction, Request, Response } from 'express';

export const MAX_BODY_BYTES = 1024 * 1024;

type Middleware = (req: Request, res: Response, next: NextFunction) => void;
type Factory = ((opts?: Record<string, unknown>) => Middleware) & { __verityWrapped?: boolean };
type BodyParserModule = Record<'json' | 'text' | 'urlencoded' | 'raw', Factory>;

// the framework's own copy (a dependency of functions-framework, wherever npm placed it)
const fromFramework = createRequire(createRequire(import.meta.url).resolve('@google-cloud/functions-framework'));
const bodyParser = fromFramework('body-parser') as BodyParserModule;

export interface BodyError {
  type: 'entity.too.large' | 'entity.parse.failed' | 'charset.unsupported' | 'encoding.unsupported' | 'request.aborted';
  message: string;
}

// request.aborted: the client left while its body streamed in (kept, so Express's handler does not print it)
const KEPT = new Set<string>([
  'entity.too.large',
  'entity.parse.failed',
  'charset.unsupported',
  'encoding.unsupported',
  'request.size.invalid',
  'request.aborted',
]);

export function bodyErrorOf(req: unknown): BodyError | undefined {
  return (req as { verityBodyError?: BodyError }).verityBodyError;
}

function keep(req: Request, type: string, message: string): void {
  const kept: BodyError['type'] = type === 'request.size.invalid' ? 'entity.too.large' : (type as BodyError['type']);
  (req as Request & { verityBodyError?: BodyError }).verityBodyError = { type: kept, message };
  req.body = undefined;
}

function wrap(original: Factory): Factory {
  const wrapped = ((opts: Record<string, unknown> = {}): Middleware => {
    const mw = original({ ...opts, limit: MAX_BODY_BYTES });
    return (req, res, next) => {
      if (bodyErrorOf(req)) return next(); // an earlier parser refused it already
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
        keep(req, 'entity.too.large', `body over ${MAX_BODY_BYTES} bytes`);
        return next();
      }
      mw(req, res, (err?: unknown) => {
        const e = err as { type?: string; message?: string } | undefined;
        if (e?.type && KEPT.has(e.type)) {
          keep(
            req,
            e.type,
            e.type === 'entity.too.large'
              ? `body over ${MAX_BODY_BYTES} bytes (as sent or decoded)`
              : (e.message ?? 'bad body'),
          );
          return next();
        }
        next(err as Error | undefined);
      });
    };
  }) as Factory;
  wrapped.__verityWrapped = true;
  return wrapped;
}

for (const name of ['json', 'text', 'urlencoded', 'raw'] as const) {
  if (!bodyParser[name].__verityWrapped) bodyParser[name] = wrap(bodyParser[name]);
}
