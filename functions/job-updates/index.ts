/** functions-framework target "jobUpdates" (CloudEvent: messagePublished on verity-job-updates). */
import * as functions from '@google-cloud/functions-framework';
import { bootEnv } from '../common/boot.js';
import { lazyRuntime } from '../common/runtime-source.js';
import { createJobUpdatesHandler } from './handler.js';

// the environment is checked at boot (a bad one stops the instance); the clients load on first use
functions.cloudEvent('jobUpdates', createJobUpdatesHandler(lazyRuntime('job-updates', bootEnv('job-updates'))));
