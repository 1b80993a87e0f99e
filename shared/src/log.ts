/** Structured JSON logs in Cloud Logging's format (severity, message, fields first). */
import { createGcpLoggingPinoConfig } from '@google-cloud/pino-logging-gcp-config';
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(name: string, level = process.env.VERITY_LOG_LEVEL ?? 'info'): Logger {
  return pino(createGcpLoggingPinoConfig({}, { name, level }));
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
