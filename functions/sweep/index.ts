/** functions-framework target "sweep" (HTTP; Cloud Scheduler with OIDC). */
import * as functions from '@google-cloud/functions-framework';
import { bootEnv } from '../common/boot.js';
import { createRuntime, type Runtime } from '../../shared/src/runtime.js';
import { createSweepHandler } from './handler.js';

const env = bootEnv('sweep');
let runtime: Runtime | undefined;
functions.http(
  'sweep',
  createSweepHandler(() => (runtime ??= createRuntime('sweep', { env }))),
);
