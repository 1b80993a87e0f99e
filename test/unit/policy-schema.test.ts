/** shared/src/policy-schema.ts: the request's overrides and the job type's policy share one set of bounds. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildRegistry } from '../../shared/src/config/job-types.js';
import { parseEnv } from '../../shared/src/config/env.js';
import { DEFAULT_POLICY } from '../../shared/src/core/index.js';
import { PolicyConfigSchema, PolicyOverridesSchema, PolicySchema } from '../../shared/src/policy-schema.js';
import { EnqueueRequestSchema } from '../../shared/src/schemas.js';

const WEEK = 7 * 24 * 3600;

/** [field path, value, accepted?]: edge values of every field a request and a type may both set. */
const EDGES: [string, unknown, boolean][] = [
  ...[
    'queueTimeoutSeconds',
    'runTimeoutSeconds',
    'heartbeatTimeoutSeconds',
    'outputGraceSeconds',
    'probeAfterSeconds',
    'probeEverySeconds',
  ].flatMap((f): [string, unknown, boolean][] => [
    [f, 0, false],
    [f, 1, true],
    [f, 1.5, false],
    [f, WEEK, true],
    [f, WEEK + 1, false],
    [f, '60', false],
    // null: a worker that does not report (heartbeat), the default probe schedule (probe*); the rest are required
    [f, null, f === 'heartbeatTimeoutSeconds' || f.startsWith('probe')],
  ]),
  ['maxAttempts', 0, false],
  ['maxAttempts', 1, true],
  ['maxAttempts', 20, true],
  ['maxAttempts', 21, false],
  ['maxAttempts', 2.5, false],
  ['backoff.initialSeconds', -1, false],
  ['backoff.initialSeconds', 0, true],
  ['backoff.initialSeconds', 0.5, true],
  ['backoff.multiplier', 0.99, false],
  ['backoff.multiplier', 1, true],
  ['backoff.multiplier', 10, true],
  ['backoff.multiplier', 10.01, false],
  ['backoff.maxSeconds', -0.1, false],
  ['backoff.maxSeconds', 0, true],
  ['backoff.jitter', -0.01, false],
  ['backoff.jitter', 0, true],
  ['backoff.jitter', 1, true],
  ['backoff.jitter', 1.01, false],
  ['backoff.colour', 1, false],
];

/** `{a: {b: value}}` from 'a.b'. */
function nest(field: string, value: unknown): Record<string, unknown> {
  const [head, ...rest] = field.split('.');
  return { [head!]: rest.length > 0 ? nest(rest.join('.'), value) : value };
}

describe('policy schema', () => {
  it('a request and a job type accept and refuse the same edge values of every shared field', () => {
    for (const [field, value, accepted] of EDGES) {
      const policy = nest(field, value);
      const label = `${field} = ${JSON.stringify(value)}`;
      assert.equal(PolicyOverridesSchema.safeParse(policy).success, accepted, `request overrides: ${label}`);
      assert.equal(
        EnqueueRequestSchema.safeParse({ type: 'render', policy }).success,
        accepted,
        `enqueue request: ${label}`,
      );
      assert.equal(PolicyConfigSchema.safeParse(policy).success, accepted, `job-type config: ${label}`);
    }
  });

  it('the job-type registry applies the same bounds (multiplier ≤ 10) and merges a partial backoff', () => {
    const registry = (policy: unknown) =>
      buildRegistry(
        parseEnv({
          ...process.env,
          VERITY_PROFILE: 'cloud',
          VERITY_JOB_TYPES: JSON.stringify({ render: { executor: { kind: 'external' }, policy } }),
        }),
      );
    assert.throws(
      () => registry({ backoff: { multiplier: 11 } }),
      /invalid job types: render\.policy\.backoff\.multiplier/,
    );
    assert.throws(() => registry({ cancelGraceSeconds: 30 }), /invalid job types: render\.policy/, 'not configurable');
    const type = registry({ backoff: { multiplier: 3 }, maxAttempts: 5 }).get('render')!;
    assert.deepEqual(type.policy.backoff, { ...DEFAULT_POLICY.backoff, multiplier: 3 });
    assert.equal(type.policy.maxAttempts, 5);
  });

  it('a request may set only its subset; the type alone sets retries and the probe grace', () => {
    for (const policy of [
      { retryableReasons: [] },
      { retryableErrorCodes: ['E'] },
      { probeFailureGraceSeconds: 600 },
      { cancelGraceSeconds: 30 },
    ]) {
      assert.equal(PolicyOverridesSchema.safeParse(policy).success, false, JSON.stringify(policy));
    }
    for (const policy of [
      { retryableReasons: ['EXECUTOR_LOST'] },
      { retryableErrorCodes: ['E'] },
      { probeFailureGraceSeconds: 600 },
    ]) {
      assert.equal(PolicyConfigSchema.safeParse(policy).success, true, JSON.stringify(policy));
    }
    assert.equal(PolicyConfigSchema.safeParse({ probeFailureGraceSeconds: 59 }).success, false);
    assert.equal(PolicyConfigSchema.safeParse({ retryableReasons: ['WORKER_FAILED_SOMEHOW'] }).success, false);
  });

  it('the defaults are a policy the schema accepts', () => {
    assert.deepEqual(PolicySchema.parse(DEFAULT_POLICY), DEFAULT_POLICY);
  });
});
