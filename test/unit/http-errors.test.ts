/**
 * How the HTTP units answer an error nobody shaped: a dependency's transient failure (Firestore ABORTED after
 * its own retries, UNAVAILABLE, a deadline) is a 503 with Retry-After — the request may be sent again — and
 * anything else a 500 (the soak's ground truth counts every 5xx: issue 26).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Response } from '@google-cloud/functions-framework';
import { handleError } from '../../functions/common/http.js';
import { createLogger } from '../../shared/src/log.js';

function answer(err: unknown): { status: number; headers: Record<string, string>; body: unknown } {
  const out = { status: 0, headers: {} as Record<string, string>, body: undefined as unknown };
  const res = {
    set(name: string, value: string) {
      out.headers[name.toLowerCase()] = value;
      return res;
    },
    status(code: number) {
      out.status = code;
      return res;
    },
    json(body: unknown) {
      out.body = body;
      return res;
    },
  };
  handleError(res as unknown as Response, err, createLogger('test', 'silent'));
  return out;
}

describe('handleError', () => {
  it('a transient dependency error is a 503 with Retry-After', () => {
    for (const code of [10, 14, 4, 8]) {
      const a = answer(Object.assign(new Error('10 ABORTED: Transaction lock timeout.'), { code }));
      assert.equal(a.status, 503, `code ${code}`);
      assert.equal(a.headers['retry-after'], '1');
      assert.equal((a.body as { error: { code: string } }).error.code, 'UNAVAILABLE');
    }
  });

  it('anything else is a 500 without Retry-After', () => {
    const a = answer(Object.assign(new Error('boom'), { code: 3 }));
    assert.equal(a.status, 500);
    assert.equal(a.headers['retry-after'], undefined);
    assert.equal(answer(new Error('plain')).status, 500);
  });
});
