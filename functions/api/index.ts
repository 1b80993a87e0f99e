/** Deploy unit `api`: functions-framework target "api". Real clients are wired on first request. */
import * as functions from '@google-cloud/functions-framework';
import { bootEnv } from '../common/boot.js';
import { createRuntime, type Runtime } from '../../shared/src/runtime.js';
import { createApiHandler } from './handler.js';

const env = bootEnv('api'); // fail fast at boot on a bad environment
let runtime: Runtime | undefined;
const getRuntime = (): Runtime => (runtime ??= createRuntime('api', { env }));

functions.http('api', createApiHandler(getRuntime));
