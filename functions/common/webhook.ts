/**
 * POST /api/webhooks/:provider, authenticated by HMAC signature (no bearer token). One handler, served by
 * two deploy units: `webhooks` (its own function) and `api` (docs/contract.md, "Webhooks in", puts the path
 * on the API host).
 */
import './body-limits.js';
import type { Request, Response } from '@google-cloud/functions-framework';
import { AuthError, ErrorCode, NotFoundError, VerityError } from '../../shared/src/core/index.js';
import type { RuntimeSource } from './runtime-source.js';
import { SIGNATURE_HEADER, verifySignature } from '../../shared/src/webhooks/signature.js';
import { handleError, refuseOversizedBody } from './http.js';

const PATH = /^\/api\/webhooks\/([a-z][a-z0-9-]{0,62})\/?$/;

export async function handleWebhook(src: RuntimeSource, req: Request, res: Response): Promise<void> {
  try {
    const m = PATH.exec(req.path);
    if (!m) throw new NotFoundError(`no route for ${req.method} ${req.path}`);
    if (req.method !== 'POST') throw new VerityError(ErrorCode.METHOD_NOT_ALLOWED, 'POST only');
    refuseOversizedBody(req);
    const raw = (req as Request & { rawBody?: Buffer }).rawBody ?? Buffer.alloc(0);
    const header = req.headers[SIGNATURE_HEADER];
    const signature = Array.isArray(header) ? header[0] : header;
    // the signature is checked before the runtime (its clients, the registry) is loaded: a stranger costs nothing
    const secrets = src.env.webhookSecrets;
    const secret = Object.hasOwn(secrets, m[1]!) ? secrets[m[1]!] : undefined;
    if (!secret) throw new AuthError(`unknown webhook provider "${m[1]!}"`);
    const check = verifySignature(secret, raw, signature, src.clock?.() ?? Date.now());
    if (!check.ok) throw new AuthError(`webhook signature ${check.reason}`);
    const rt = await src.runtime();
    const result = await rt.webhooks.receive(m[1]!, raw, signature);
    rt.log.info({ provider: m[1], ...result }, 'webhook received');
    res.status(204).end();
  } catch (err) {
    handleError(res, err, src.log);
  }
}
