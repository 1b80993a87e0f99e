/** functions-framework target "webhooks" (HTTP). */
import * as functions from '@google-cloud/functions-framework';
import { bootEnv } from '../common/boot.js';
import { lazyRuntime } from '../common/runtime-source.js';
import { createWebhooksHandler } from './handler.js';

// the environment is checked at boot (a bad one stops the instance); the clients load on first use
functions.http('webhooks', createWebhooksHandler(lazyRuntime('webhooks', bootEnv('webhooks'))));
