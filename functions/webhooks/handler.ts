/** Deploy unit `webhooks`: POST /api/webhooks/:provider through the shared handler (functions/common/webhook.ts). */
import type { HttpFunction } from '@google-cloud/functions-framework';
import type { RuntimeSource } from '../common/runtime-source.js';
import { handleWebhook } from '../common/webhook.js';

export function createWebhooksHandler(src: RuntimeSource): HttpFunction {
  return (req, res) => handleWebhook(src, req, res);
}
