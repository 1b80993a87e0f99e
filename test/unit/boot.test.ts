/** functions/common/boot.ts: what stops a deploy unit's instance at start in the cloud profile, with the reason. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bootEnv } from '../../functions/common/boot.js';
import { DEPLOY_UNITS, requiredEnv } from '../../functions/units.js';

const TYPES = JSON.stringify({
  narration: {
    executor: {
      kind: 'http',
      provider: 'voicecorp',
      baseUrl: 'https://api.voicecorp.example/v1',
      apiKeyHeader: 'X-Api-Key',
    },
  },
});

/** Every variable the unit requires, with a plausible value. */
function cloudEnv(unit: string, over: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const u = DEPLOY_UNITS.find((x) => x.name === unit)!;
  const env: NodeJS.ProcessEnv = {};
  for (const k of requiredEnv(u)) env[k] = /URL$|AUDIENCE$/.test(k) ? 'https://example.test/verity' : 'value';
  return {
    ...env,
    VERITY_PROFILE: 'cloud',
    VERITY_JOB_TYPES: TYPES,
    VERITY_WEBHOOK_SECRETS: '{}',
    VERITY_PROVIDER_KEYS: '{}',
    VERITY_ADMINS: '',
    VERITY_ALLOWED_USERS: 'ops@example.com',
    VERITY_WORKER_KEY: 'a-worker-key-of-32-characters-or-more',
    ...over,
  };
}

describe('boot (cloud profile)', () => {
  it('accepts a complete environment: every unit', () => {
    for (const u of DEPLOY_UNITS) assert.equal(bootEnv(u.name, cloudEnv(u.name)).profile, 'cloud', u.name);
    assert.equal(bootEnv('api', cloudEnv('api', { VERITY_PROJECT_JOB_TYPE: 'narration' })).projectJobType, 'narration');
    assert.equal(bootEnv('api', cloudEnv('api')).projectJobType, null, 'none unless configured');
  });

  it('refuses an API with no users: an empty allowlist and no Firebase project named', () => {
    assert.throws(
      () => bootEnv('api', cloudEnv('api', { VERITY_ALLOWED_USERS: '' })),
      /no users — VERITY_ALLOWED_USERS/,
    );
    assert.equal(
      bootEnv('api', cloudEnv('api', { VERITY_ALLOWED_USERS: '', VERITY_FIREBASE_PROJECT: 'acme-auth' }))
        .firebaseProject,
      'acme-auth',
    );
    assert.throws(() => bootEnv('api', cloudEnv('api', { VERITY_ALLOWED_USERS: undefined })), /VERITY_ALLOWED_USERS/);
    assert.throws(() => bootEnv('api', cloudEnv('api', { VERITY_AUTH_MODE: 'local' })), /cloud profile/);
  });

  it('refuses a provider base URL without TLS (its API key would travel in clear); loopback is on the host', () => {
    const types = (baseUrl: string) =>
      JSON.stringify({ narration: { executor: { kind: 'http', provider: 'voicecorp', baseUrl } } });
    assert.throws(
      () => bootEnv('api', cloudEnv('api', { VERITY_JOB_TYPES: types('http://api.voicecorp.example/v1') })),
      /baseUrl must be https:\/\/ in the cloud profile/,
    );
    assert.equal(
      bootEnv('api', cloudEnv('api', { VERITY_JOB_TYPES: types('http://127.0.0.1:9/v1') })).profile,
      'cloud',
    );
  });

  it('refuses a missing variable, naming it', () => {
    assert.throws(
      () => bootEnv('sweep', cloudEnv('sweep', { VERITY_SCHEDULER_SA: undefined })),
      /missing environment variables VERITY_SCHEDULER_SA/,
    );
  });

  it('refuses a bad job-type registry, an unknown generation type, short secrets and keys with spaces', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [
        { VERITY_JOB_TYPES: '{"render": {"executor": {"kind": "cloud-run-job", "job": "render"}}}' },
        /invalid job types: render\.executor\.job/,
      ],
      [{ VERITY_JOB_TYPES: '{"render": {"executor": {"kind": "external"}, "colour": "red"}}' }, /invalid job types/],
      [{ VERITY_JOB_TYPES: 'not json' }, /VERITY_JOB_TYPES is not JSON/],
      [
        { VERITY_PROJECT_JOB_TYPE: 'reel' },
        /VERITY_PROJECT_JOB_TYPE names "reel", which is not a configured job type \(narration\)/,
      ],
      [{ VERITY_WEBHOOK_SECRETS: '{"voicecorp": "short"}' }, /VERITY_WEBHOOK_SECRETS: voicecorp/],
      [{ VERITY_PROVIDER_KEYS: '{"voicecorp": "two words"}' }, /VERITY_PROVIDER_KEYS: voicecorp: no whitespace/],
      [{ VERITY_PROVIDER_KEYS: '{"Voice Corp": "k"}' }, /VERITY_PROVIDER_KEYS/],
    ];
    for (const [over, expected] of cases)
      assert.throws(() => bootEnv('api', cloudEnv('api', over)), expected, JSON.stringify(over));
  });

  it('parses provider keys for the http executor', () => {
    assert.deepEqual(
      bootEnv('job-updates', cloudEnv('job-updates', { VERITY_PROVIDER_KEYS: '{"voicecorp": "sk-1"}' })).providerKeys,
      { voicecorp: 'sk-1' },
    );
  });
});
