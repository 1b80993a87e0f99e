/**
 * Structured JSON logs in Cloud Logging's format, one line each on stdout: `severity`, `message`, an RFC 3339
 * `time`, then the fields; an error's stack also as `stack_trace`, with `serviceContext`, so Error Reporting
 * groups it by service. Plain pino with formatters: Cloud Logging reads these fields from any JSON line, and
 * no logging client is loaded (`@google-cloud/pino-logging-gcp-config` brought all of `@google-cloud/logging`,
 * about 300 ms of every cold start, and probed the metadata server).
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

const SEVERITY: Readonly<Record<string, string>> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

/** A logger for one unit; `to` is stdout unless given (tests read the lines back). */
export function createLogger(
  name: string,
  level = process.env.VERITY_LOG_LEVEL ?? 'info',
  to?: DestinationStream,
): Logger {
  const serviceContext = { service: process.env.K_SERVICE ?? name };
  const options: pino.LoggerOptions = {
    name,
    level,
    base: undefined, // no pid or hostname: Cloud Logging has its own resource labels
    messageKey: 'message',
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    formatters: {
      level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }),
      log: (o) => {
        const stack = (o.err as { stack?: unknown } | undefined)?.stack;
        return typeof stack === 'string' ? { ...o, stack_trace: stack, serviceContext } : o;
      },
    },
  };
  return to ? pino(options, to) : pino(options);
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
