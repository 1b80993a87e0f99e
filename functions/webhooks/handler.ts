/** Deploy unit `webhooks`: POST /api/webhooks/:provider through the shared handler (functions/common/webhook.ts). */
import type { HttpFunction } from '@google-cloud/functions-framework';
import type { Runtime } from '../../shared/src/runtime.js';
import { handleWebhook } from '../common/webhook.js';

export function createWebhooksHandler(getRuntime: () => Runtime): HttpFunction {
  return (req, res) => handleWebhook(getRuntime(), req, res);
}
