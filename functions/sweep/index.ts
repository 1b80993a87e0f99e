/** functions-framework target "sweep" (HTTP; Cloud Scheduler with OIDC). */
import * as functions from '@google-cloud/functions-framework';
import { bootEnv } from '../common/boot.js';
import { lazyRuntime } from '../common/runtime-source.js';
import { createSweepHandler } from './handler.js';

// the environment is checked at boot (a bad one stops the instance); the clients load on first use
functions.http('sweep', createSweepHandler(lazyRuntime('sweep', bootEnv('sweep'))));
