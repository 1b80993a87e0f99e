/** Deploy unit `webhooks`: POST /api/webhooks/:provider, authenticated by HMAC signature (no bearer token). */
import '../api/json-errors.js';
import type { HttpFunction, Request, Response } from '@google-cloud/functions-framework';
import { ErrorCode, NotFoundError, VerityError } from '../../shared/src/core/index.js';
import type { Runtime } from '../../shared/src/runtime.js';
import { SIGNATURE_HEADER } from '../../shared/src/webhooks/signature.js';
import { handleError, refuseOversizedBody } from '../api/http.js';

const PATH = /^\/api\/webhooks\/([a-z][a-z0-9-]{0,62})\/?$/;

/** Shared by the `webhooks` deploy unit and the API (which serves the same path). */
export async function handleWebhook(rt: Runtime, req: Request, res: Response): Promise<void> {
  try {
    const m = PATH.exec(req.path);
    if (!m) throw new NotFoundError(`no route for ${req.method} ${req.path}`);
    if (req.method !== 'POST') throw new VerityError(ErrorCode.METHOD_NOT_ALLOWED, 'POST only', 405);
    refuseOversizedBody(req);
    const raw = (req as Request & { rawBody?: Buffer }).rawBody ?? Buffer.alloc(0);
    const header = req.headers[SIGNATURE_HEADER];
    const result = await rt.webhooks.receive(m[1]!, raw, Array.isArray(header) ? header[0] : header);
    rt.log.info({ provider: m[1], ...result }, 'webhook received');
    res.status(204).end();
  } catch (err) {
    handleError(res, err, rt.log);
  }
}

export function createWebhooksHandler(getRuntime: () => Runtime): HttpFunction {
  return (req, res) => handleWebhook(getRuntime(), req, res);
}
