/** functions-framework target "objectFinalized" (CloudEvent: Eventarc storage finalize, or a bucket notification via Pub/Sub). */
import * as functions from '@google-cloud/functions-framework';
import { bootEnv } from '../common/boot.js';
import { lazyRuntime } from '../common/runtime-source.js';
import { createObjectFinalizedHandler } from './handler.js';

// the environment is checked at boot (a bad one stops the instance); the clients load on first use
functions.cloudEvent(
  'objectFinalized',
  createObjectFinalizedHandler(lazyRuntime('object-finalized', bootEnv('object-finalized'))),
);
