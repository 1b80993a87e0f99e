/**
 * The functions `npm start` runs, one functions-framework process each. Add new ones here.
 * `push` wires a topic to a cloudevent function through a push subscription on the Pub/Sub emulator.
 */
import { localPorts } from './ports.js';
import type { FunctionSpec } from './stack.js';

const ports = localPorts();

export const LOCAL_FUNCTIONS: readonly FunctionSpec[] = [
  { target: 'api', source: 'dist/functions/api/index.js', port: ports.api, portEnv: 'VERITY_PORT', signature: 'http' },
];
