/** functions-framework target "jobUpdates" (CloudEvent: messagePublished on verity-job-updates). */
import * as functions from '@google-cloud/functions-framework';
import { bootEnv } from '../common/boot.js';
import { createRuntime, type Runtime } from '../../shared/src/runtime.js';
import { createJobUpdatesHandler } from './handler.js';

const env = bootEnv('job-updates');
let runtime: Runtime | undefined;
functions.cloudEvent(
  'jobUpdates',
  createJobUpdatesHandler(() => (runtime ??= createRuntime('job-updates', { env }))),
);
