/** functions-framework target "objectFinalized" (CloudEvent: Eventarc storage finalize, or a bucket notification via Pub/Sub). */
import * as functions from '@google-cloud/functions-framework';
import { bootEnv } from '../common/boot.js';
import { createRuntime, type Runtime } from '../../shared/src/runtime.js';
import { createObjectFinalizedHandler } from './handler.js';

const env = bootEnv('object-finalized');
let runtime: Runtime | undefined;
functions.cloudEvent(
  'objectFinalized',
  createObjectFinalizedHandler(() => (runtime ??= createRuntime('object-finalized', { env }))),
);
