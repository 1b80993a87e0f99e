/** Deploy unit `api`: functions-framework target "api". The clients load on the first request that needs them. */
import * as functions from '@google-cloud/functions-framework';
import { bootEnv } from '../common/boot.js';
import { lazyRuntime } from '../common/runtime-source.js';
import { createApiHandler } from './handler.js';

// the environment is checked at boot (a bad one stops the instance); the clients load on first use
functions.http('api', createApiHandler(lazyRuntime('api', bootEnv('api'))));
