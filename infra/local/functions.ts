/**
 * The functions `npm start` runs, one functions-framework process each, as deployed, each listening on
 * 127.0.0.1 only (infra/local/serve.ts). Add new ones here.
 * `push` wires a topic to a cloudevent function through a push subscription on the Pub/Sub emulator,
 * exactly like the push subscriptions (or Eventarc triggers) of the cloud deployment.
 */
import { LOCAL_HOST, localPorts } from './ports.js';
import { SUBSCRIPTIONS } from '../../functions/units.js';
import type { FunctionSpec } from './stack.js';

const ports = localPorts();
const port = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);

/** The local stack's webhook secret for the demo provider (local only; the cloud reads real secrets). */
export const LOCAL_DEMO_PROVIDER_SECRET = 'local-demo-provider-secret';
export const DEMO_PROVIDER_PORT = port('VERITY_DEMO_PROVIDER_PORT', 8090);
export const SWEEP_PORT = port('VERITY_SWEEP_PORT', 8084);
/** The local stand-in for Cloud Scheduler: how often the sweep is called. */
export const SWEEP_INTERVAL_SECONDS = port('VERITY_SWEEP_INTERVAL_SECONDS', 10);

export const LOCAL_FUNCTIONS: readonly FunctionSpec[] = [
  { target: 'api', source: 'dist/functions/api/index.js', port: ports.api, portEnv: 'VERITY_PORT', signature: 'http' },
  {
    target: 'objectFinalized',
    source: 'dist/functions/object-finalized/index.js',
    port: port('VERITY_FINALIZE_PORT', 8081),
    portEnv: 'VERITY_FINALIZE_PORT',
    signature: 'cloudevent',
    push: SUBSCRIPTIONS.objectFinalized,
  },
  {
    target: 'jobUpdates',
    source: 'dist/functions/job-updates/index.js',
    port: port('VERITY_UPDATES_PORT', 8082),
    portEnv: 'VERITY_UPDATES_PORT',
    signature: 'cloudevent',
    push: SUBSCRIPTIONS.jobUpdates,
  },
  {
    target: 'sweep',
    source: 'dist/functions/sweep/index.js',
    port: SWEEP_PORT,
    portEnv: 'VERITY_SWEEP_PORT',
    signature: 'http',
  },
  {
    target: 'webhooks',
    source: 'dist/functions/webhooks/index.js',
    port: port('VERITY_WEBHOOKS_PORT', 8083),
    portEnv: 'VERITY_WEBHOOKS_PORT',
    signature: 'http',
  },
  {
    target: 'demoProvider',
    source: 'dist/infra/local/demo-provider.js',
    script: 'dist/infra/local/demo-provider.js',
    port: DEMO_PROVIDER_PORT,
    portEnv: 'VERITY_DEMO_PROVIDER_PORT',
    signature: 'http',
    env: {
      DEMO_PROVIDER_PORT: String(DEMO_PROVIDER_PORT),
      DEMO_PROVIDER_HOST: LOCAL_HOST,
      DEMO_PROVIDER_SECRET: LOCAL_DEMO_PROVIDER_SECRET,
    },
  },
];

/** Env every local function gets. */
export const LOCAL_FUNCTION_ENV: Record<string, string> = {
  VERITY_WEBHOOK_SECRETS: JSON.stringify({ demo: LOCAL_DEMO_PROVIDER_SECRET, 'demo-s3': LOCAL_DEMO_PROVIDER_SECRET }),
  VERITY_DEMO_PROVIDER_URL: `http://127.0.0.1:${DEMO_PROVIDER_PORT}`,
};
