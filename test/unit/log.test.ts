/** The log lines Cloud Logging reads from stdout: severity, message, an RFC 3339 time, the fields, a stack. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../shared/src/log.js';

function capture(level = 'debug') {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('api', level, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log, lines };
}

describe('log lines', () => {
  it("carry Cloud Logging's fields: severity for each level, message, an RFC 3339 time, the fields", () => {
    const { log, lines } = capture();
    log.debug('d');
    log.info({ jobId: 'j1' }, 'job moved');
    log.warn('w');
    log.error('e');
    assert.deepEqual(
      lines.map((l) => l.severity),
      ['DEBUG', 'INFO', 'WARNING', 'ERROR'],
    );
    const info = lines[1]!;
    assert.equal(info.message, 'job moved');
    assert.equal(info.jobId, 'j1');
    assert.equal(info.name, 'api');
    assert.equal(new Date(String(info.time)).toISOString(), info.time);
    assert.equal('pid' in info || 'hostname' in info || 'level' in info, false, 'no pino-only fields');
  });

  it("an error's stack as stack_trace with the service, for Error Reporting", () => {
    const { log, lines } = capture();
    log.error({ err: new Error('boom') }, 'failed');
    assert.match(String(lines[0]!.stack_trace), /^Error: boom\n/);
    assert.deepEqual(lines[0]!.serviceContext, { service: process.env.K_SERVICE ?? 'api' });
  });

  it('below the level, nothing', () => {
    const { log, lines } = capture('warn');
    log.info('quiet');
    assert.equal(lines.length, 0);
  });
});
