/** functions-framework target "webhooks" (HTTP). */
import * as functions from '@google-cloud/functions-framework';
import { parseEnv } from '../../shared/src/config/env.js';
import { createRuntime, type Runtime } from '../../shared/src/runtime.js';
import { createWebhooksHandler } from './handler.js';

const env = parseEnv();
let runtime: Runtime | undefined;
functions.http('webhooks', createWebhooksHandler(() => (runtime ??= createRuntime('webhooks', { env }))));
