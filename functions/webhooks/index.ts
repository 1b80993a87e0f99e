/** functions-framework target "webhooks" (HTTP). */
import * as functions from '@google-cloud/functions-framework';
import { bootEnv } from '../common/boot.js';
import { createRuntime, type Runtime } from '../../shared/src/runtime.js';
import { createWebhooksHandler } from './handler.js';

const env = bootEnv('webhooks');
let runtime: Runtime | undefined;
functions.http(
  'webhooks',
  createWebhooksHandler(() => (runtime ??= createRuntime('webhooks', { env }))),
);
