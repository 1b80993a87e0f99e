/**
 * functions-framework parses JSON bodies before our function runs, and a malformed body ends in Express's
 * default HTML error page (with a stack trace outside production). The contract says every error is our
 * JSON body, so this wraps the body-parser JSON middleware the framework builds: a parse failure is kept on
 * the request (`verityBodyError`) and the request goes on to our handler, which answers 400 INVALID_JSON.
 * Imported by the HTTP entry points before the framework builds its server.
 */
import { createRequire } from 'node:module';
import type { NextFunction, Request, Response } from 'express';

type Middleware = (req: Request, res: Response, next: NextFunction) => void;
interface BodyParserModule {
  json: ((opts?: unknown) => Middleware) & { __verityWrapped?: boolean };
}

// the framework's own copy (a dependency of functions-framework, wherever npm placed it)
const fromFramework = createRequire(createRequire(import.meta.url).resolve('@google-cloud/functions-framework'));
const bodyParser = fromFramework('body-parser') as BodyParserModule;

export interface BodyError {
  type: string;
  message: string;
}

if (!bodyParser.json.__verityWrapped) {
  const original = bodyParser.json;
  const wrapped = ((opts?: unknown): Middleware => {
    const mw = original(opts);
    return (req, res, next) =>
      mw(req, res, (err?: unknown) => {
        const e = err as { type?: string; message?: string } | undefined;
        if (e?.type === 'entity.parse.failed' || e?.type === 'charset.unsupported' || e?.type === 'encoding.unsupported') {
          (req as Request & { verityBodyError?: BodyError }).verityBodyError = { type: e.type, message: e.message ?? 'bad body' };
          req.body = undefined;
          next();
          return;
        }
        next(err as Error | undefined);
      });
  }) as BodyParserModule['json'];
  wrapped.__verityWrapped = true;
  bodyParser.json = wrapped;
}
