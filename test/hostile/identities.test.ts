/**
 * Hostile suite, who may call (issue 29): in Google mode a valid Google ID token proves an identity, not a
 * right — anyone can mint one for any audience. An identity the allowlist does not name gets 403
 * IDENTITY_NOT_ALLOWED on every route and creates nothing (no job, no quota, no execution); a listed one works.
 * Google's verification is the stand-in the unit tests use (an injected verifier); the rest is the real API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { createGoogleAuthenticator } from '../../shared/src/auth/google.js';
import { startApi, type ApiClient } from '../helpers/api.js';
import { countDocuments, testRuntime, type TestRuntime } from '../helpers/runtime.js';

const AUDIENCE = 'https://verity.example/api';
/** Each token's claims, as Google's verification would answer them (the token is the key). */
const identities = new Map<string, Record<string, unknown>>();
let rt: TestRuntime;
let api: ApiClient;

async function tokenOf(claims: Record<string, unknown>): Promise<string> {
  const token = await new SignJWT({ iss: 'https://accounts.google.com', aud: AUDIENCE, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new Uint8Array(32));
  identities.set(token, { iss: 'https://accounts.google.com', ...claims });
  return token;
}

before(async () => {
  rt = await testRuntime('hostile-who', {
    // the cloud profile's rules (the API description needs a token), with a type of its own configuration
    envOverrides: { VERITY_JOB_TYPES: JSON.stringify({ external: { executor: { kind: 'external' } } }) },
    envPatch: { profile: 'cloud' },
    authenticator: createGoogleAuthenticator({
      audience: AUDIENCE,
      firebaseProject: 'verity-hostile',
      admins: ['ops@example.com'],
      allowedUsers: ['pipeline@render.iam.gserviceaccount.com', 'domain:example.com'],
      verifyGoogle: async (token, audience) => {
        assert.equal(audience, AUDIENCE);
        const claims = identities.get(token);
        if (!claims) throw new Error('invalid token');
        return claims;
      },
    }),
  });
  api = await startApi(rt);
});
after(async () => {
  await api.close();
  await rt.db.terminate();
});

describe('hostile: an outsider’s valid Google token', () => {
  const outsiders = [
    { sub: 's1', email: 'stranger@gmail.com', email_verified: true },
    { sub: 's2', email: 'sa@another-project.iam.gserviceaccount.com', email_verified: true },
    { sub: 's3', email: 'ana@example.com', email_verified: false, hd: 'example.com' }, // unverified
    { sub: 's4', email: 'x@evil.example', email_verified: true, hd: 'evil.example' },
  ];
  const routes: [string, string, unknown?][] = [
    ['POST', '/api/jobs', { type: 'external', outputs: [] }],
    ['GET', '/api/jobs'],
    ['POST', '/api/projects', { name: 'p', artifacts: [] }],
    ['GET', '/api/stats/recoveries'],
    ['POST', '/api/subscriptions', { url: 'https://hooks.example.com/verity' }],
    ['GET', '/api/subscriptions'],
  ];
  for (const who of outsiders)
    it(`${who.email} (verified ${who.email_verified}): 403 IDENTITY_NOT_ALLOWED on every route, nothing written`, async () => {
      const token = await tokenOf(who);
      const before = await countDocuments(rt.db);
      for (const [method, path, body] of routes) {
        const res = await api.call(method, path, { token, ...(body ? { body } : {}) });
        assert.equal(res.status, 403, `${method} ${path}: ${res.text}`);
        assert.equal(res.body.error.code, 'IDENTITY_NOT_ALLOWED');
      }
      assert.equal(await countDocuments(rt.db), before, 'nothing was written');
    });

  it('GET /api/openapi.json (types, limits, prefixes): 401 without a valid token in the cloud, 200 with one', async () => {
    assert.equal((await api.call('GET', '/api/openapi.json', { token: null })).status, 401);
    const outsider = await tokenOf({ sub: 's9', email: 'stranger@gmail.com', email_verified: true });
    assert.equal((await api.call('GET', '/api/openapi.json', { token: outsider })).status, 401);
    const user = await tokenOf({ sub: 'u9', email: 'pipeline@render.iam.gserviceaccount.com', email_verified: true });
    assert.equal((await api.call('GET', '/api/openapi.json', { token: user })).status, 200);
  });

  it('a listed service account, a Workspace domain member and an admin are users', async () => {
    for (const who of [
      { sub: 'u1', email: 'pipeline@render.iam.gserviceaccount.com', email_verified: true },
      { sub: 'u2', email: 'ana@example.com', email_verified: true, hd: 'example.com' },
      { sub: 'u3', email: 'ops@example.com', email_verified: true },
    ]) {
      const res = await api.call('POST', '/api/jobs', {
        token: await tokenOf(who),
        body: { type: 'external', outputs: [] },
      });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.job.ownerId, who.sub);
    }
  });
});
