/**
 * Every port of the local stack in one place.
 *
 * `npm start` uses LOCAL defaults (docs/contract.md, "Local stack"); `npm test` uses a separate TEST
 * set so that a test run never collides with a running `npm start`. Each port can be overridden by env.
 */

export const LOCAL_HOST = '127.0.0.1';

export interface StackPorts {
  /** The API function (functions/api). */
  api: number;
  firestore: number;
  pubsub: number;
  /** fake-gcs-server (plain http). */
  gcs: number;
  /** gofakes3, the S3-compatible store (plain http). */
  s3: number;
}

export type PortName = keyof StackPorts;

export const PORT_NAMES: readonly PortName[] = ['api', 'firestore', 'pubsub', 'gcs', 's3'];

/** Human names, used in messages ("port 8681 (Firestore emulator) is in use"). */
export const PORT_LABELS: Readonly<Record<PortName, string>> = {
  api: 'Verity API',
  firestore: 'Firestore emulator',
  pubsub: 'Pub/Sub emulator',
  gcs: 'fake-gcs-server',
  s3: 'gofakes3 (S3-compatible store)',
};

export const DEFAULT_PORTS: Readonly<StackPorts> = { api: 8080, firestore: 8681, pubsub: 8685, gcs: 4443, s3: 4569 };
export const PORT_ENV: Readonly<Record<PortName, string>> = {
  api: 'VERITY_PORT',
  firestore: 'VERITY_FIRESTORE_PORT',
  pubsub: 'VERITY_PUBSUB_PORT',
  gcs: 'VERITY_GCS_PORT',
  s3: 'VERITY_S3_PORT',
};

export const DEFAULT_TEST_PORTS: Readonly<StackPorts> = {
  api: 18080,
  firestore: 18681,
  pubsub: 18685,
  gcs: 14443,
  s3: 14569,
};
export const TEST_PORT_ENV: Readonly<Record<PortName, string>> = {
  api: 'VERITY_TEST_API_PORT',
  firestore: 'VERITY_TEST_FIRESTORE_PORT',
  pubsub: 'VERITY_TEST_PUBSUB_PORT',
  gcs: 'VERITY_TEST_GCS_PORT',
  s3: 'VERITY_TEST_S3_PORT',
};

export class PortConfigError extends Error {
  override name = 'PortConfigError';
}

function parsePort(envName: string, raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new PortConfigError(`${envName}=${JSON.stringify(raw)} is not a valid port (1–65535)`);
  }
  return port;
}

/** Defaults overridden by the given env names; throws PortConfigError on a malformed value. */
export function readPorts(
  defaults: Readonly<StackPorts>,
  envNames: Readonly<Record<PortName, string>>,
  env: NodeJS.ProcessEnv = process.env,
): StackPorts {
  const out: StackPorts = { ...defaults };
  for (const name of PORT_NAMES) {
    const raw = env[envNames[name]];
    if (raw !== undefined && raw.trim() !== '') out[name] = parsePort(envNames[name], raw);
  }
  return out;
}

/** Ports for `npm start` (VERITY_PORT, VERITY_FIRESTORE_PORT, VERITY_PUBSUB_PORT, VERITY_GCS_PORT, VERITY_S3_PORT). */
export function localPorts(env: NodeJS.ProcessEnv = process.env): StackPorts {
  return readPorts(DEFAULT_PORTS, PORT_ENV, env);
}

/** Ports for `npm test` (VERITY_TEST_API_PORT, VERITY_TEST_FIRESTORE_PORT, …). */
export function testPorts(env: NodeJS.ProcessEnv = process.env): StackPorts {
  return readPorts(DEFAULT_TEST_PORTS, TEST_PORT_ENV, env);
}
