/**
 * shared/src/auth (cloud): Firebase Auth ID tokens verified against a local JWKS server with keys made here,
 * Google identities routed to the Google verification (a stub of it), admin by email only when verified,
 * owner ids namespaced and checked. No network beyond 127.0.0.1; every time is explicit.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { base64url, exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { ErrorCode, VerityError } from '../../shared/src/core/index.js';
import { TokenRejected, type TokenReason } from '../../shared/src/auth/claims.js';
import { createGoogleAuthenticator, type GoogleAuthOptions } from '../../shared/src/auth/google.js';
import { createLocalAuthenticator, mintLocalToken } from '../../shared/src/auth/local-issuer.js';
import { parseEnv } from '../../shared/src/config/env.js';
import { httpStatusOf } from '../../functions/common/http.js';

const PROJECT = 'verity-prod';
const ISS = `https://securetoken.google.com/${PROJECT}`;
const NOW = 1_780_000_000; // seconds; the authenticator's clock is pinned to it
const KID = 'key-1';

let server: Server;
let base = '';
let jwksHits = 0;
let signing: CryptoKey;
let stranger: CryptoKey; // a key the JWKS does not publish
let publicPem = '';

before(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  signing = pair.privateKey;
  stranger = (await generateKeyPair('RS256')).privateKey;
  publicPem = await exportSPKI(pair.publicKey);
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'RS256', use: 'sig' }] });
  server = createServer((req, res) => {
    if (req.url === '/jwks') {
      jwksHits++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    } else res.writeHead(500).end('down');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

interface Mint {
  claims?: JWTPayload;
  key?: CryptoKey | Uint8Array;
  alg?: string;
  kid?: string;
}

/** A Firebase-shaped ID token, valid at NOW unless the caller overrides a claim. */
function firebaseToken(o: Mint = {}): Promise<string> {
  const claims = {
    iss: ISS,
    aud: PROJECT,
    sub: 'uid-alice',
    iat: NOW - 60,
    exp: NOW + 3540,
    auth_time: NOW - 120,
    ...o.claims,
  };
  return new SignJWT(claims).setProtectedHeader({ alg: o.alg ?? 'RS256', kid: o.kid ?? KID }).sign(o.key ?? signing);
}

function auth(over: Partial<GoogleAuthOptions> = {}) {
  return createGoogleAuthenticator({
    audience: 'https://verity.example/api',
    firebaseProject: PROJECT,
    firebaseJwksUrl: `${base}/jwks`,
    verifyGoogle: () => Promise.reject(new Error('the Google path was not expected')),
    now: () => NOW * 1000,
    ...over,
  });
}

async function notAllowed(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof VerityError && err.code === ErrorCode.IDENTITY_NOT_ALLOWED, String(err));
    assert.equal(httpStatusOf(err), 403);
    return true;
  });
}

async function refused(p: Promise<unknown>, reason: TokenReason): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof TokenRejected, `expected TokenRejected, got ${String(err)}`);
    assert.equal(err.code, ErrorCode.UNAUTHENTICATED);
    assert.equal(httpStatusOf(err), 401);
    assert.equal(err.reason, reason, err.message);
    return true;
  });
}

const bearer = (t: string) => `Bearer ${t}`;
/** A Firebase token with these claims changed, presented to the authenticator `a`. */
const present = async (claims: JWTPayload, a = auth()) => a.authenticate(bearer(await firebaseToken({ claims })));

describe('Firebase Auth ID tokens', () => {
  it('a valid token names its principal: the uid namespaced as firebase:<uid>, not an admin', async () => {
    const who = await auth().authenticate(bearer(await firebaseToken()));
    assert.deepEqual(who, { userId: 'firebase:uid-alice', admin: false, workerJobId: null });
  });

  it('fetches the key set once and reuses it', async () => {
    const a = auth();
    const before = jwksHits;
    for (const sub of ['u1', 'u2', 'u3']) assert.equal((await present({ sub }, a)).userId, `firebase:${sub}`);
    assert.equal(jwksHits - before, 1);
  });

  it('refuses a wrong audience, an issuer of another project, and an untrusted issuer', async () => {
    await refused(present({ aud: 'other-project' }), 'audience');
    await refused(present({ iss: 'https://securetoken.google.com/other-project' }), 'issuer');
    await refused(present({ iss: 'https://evil.example' }), 'issuer');
  });

  it('refuses an expired token, and an iat or auth_time in the future', async () => {
    await refused(present({ iat: NOW - 7200, auth_time: NOW - 7200, exp: NOW - 3600 }), 'expired');
    await refused(present({ iat: NOW + 600 }), 'not-yet-valid');
    await refused(present({ auth_time: NOW + 600 }), 'not-yet-valid');
    // the same token is fine when the clock says so: time is an input
    const later = await firebaseToken({ claims: { iat: NOW + 600, auth_time: NOW + 600, exp: NOW + 4000 } });
    assert.equal(
      (await auth({ now: () => (NOW + 700) * 1000 }).authenticate(bearer(later))).userId,
      'firebase:uid-alice',
    );
  });

  it('refuses a bad signature and an unknown kid', async () => {
    await refused(auth().authenticate(bearer(await firebaseToken({ key: stranger }))), 'signature');
    await refused(auth().authenticate(bearer(await firebaseToken({ key: stranger, kid: 'key-unknown' }))), 'key');
    const t = await firebaseToken();
    const [h, p, s] = t.split('.') as [string, string, string];
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(p))) as JWTPayload;
    const tampered = `${h}.${base64url.encode(JSON.stringify({ ...claims, sub: 'uid-bob' }))}.${s}`;
    await refused(auth().authenticate(bearer(tampered)), 'signature');
  });

  it('refuses alg none and HS256 signed with the public key', async () => {
    const hs = await firebaseToken({ alg: 'HS256', key: new TextEncoder().encode(publicPem) });
    await refused(auth().authenticate(bearer(hs)), 'algorithm');
    const enc = (o: object) => base64url.encode(JSON.stringify(o));
    const claims = { iss: ISS, aud: PROJECT, sub: 'uid-alice', iat: NOW, exp: NOW + 60, auth_time: NOW };
    const none = `${enc({ alg: 'none', kid: KID })}.${enc(claims)}.`;
    await refused(auth().authenticate(bearer(none)), 'algorithm');
  });

  it('refuses missing or bad claims and subjects unusable as owner ids', async () => {
    await refused(present({ auth_time: undefined }), 'claims');
    await refused(present({ sub: '' }), 'claims');
    await refused(present({ sub: 'x'.repeat(129) }), 'claims');
    await refused(present({ sub: 'x'.repeat(120) }), 'owner-id'); // firebase: + 120 > 128
    for (const sub of ['a/b', 'a b', '{ownerId}', 'a\\b', 'é', 'a%2F']) await refused(present({ sub }), 'owner-id');
    await refused(auth().authenticate(bearer('abc.def.ghi')), 'malformed');
  });

  it('answers 503 UNAVAILABLE, retryable, when the key set cannot be fetched', async () => {
    await assert.rejects(
      auth({ firebaseJwksUrl: `${base}/down` }).authenticate(bearer(await firebaseToken())),
      (err: unknown) => {
        assert.ok(err instanceof VerityError && !(err instanceof TokenRejected));
        assert.equal(err.code, ErrorCode.UNAVAILABLE);
        assert.equal(httpStatusOf(err), 503);
        assert.equal(err.retryable, true);
        return true;
      },
    );
  });
});

describe('admins', () => {
  const admins = ['boss@example.com', 'firebase:uid-root', '1111'];

  it('by email only when email_verified is true: two unverified holders of the address are not admins', async () => {
    const a = auth({ admins });
    const token = (sub: string, verified?: boolean) =>
      firebaseToken({
        claims: { sub, email: 'boss@example.com', ...(verified === undefined ? {} : { email_verified: verified }) },
      });
    assert.equal((await a.authenticate(bearer(await token('uid-boss', true)))).admin, true);
    assert.equal((await a.authenticate(bearer(await token('uid-mallory', false)))).admin, false);
    assert.equal((await a.authenticate(bearer(await token('uid-eve')))).admin, false);
  });

  it('by owner id (namespaced: a raw uid equal to a listed Google subject is not an admin) or the admin claim', async () => {
    const a = auth({ admins });
    assert.equal((await present({ sub: 'uid-root' }, a)).admin, true);
    assert.equal((await present({ sub: '1111' }, a)).admin, false);
    assert.equal((await present({ admin: true }, a)).admin, true);
    assert.equal((await present({ admin: 'true' }, a)).admin, false);
  });
});

/** Google's verification is a stub here: only the routing and what follows it are under test. */
function googleToken(iss: string): Promise<string> {
  const claims = { iss, aud: 'https://verity.example/api', sub: '1111' };
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32)); // unchecked by the stub
}

describe('Google identities', () => {
  it('a Google-issuer token goes the Google path with the configured audience; its subject is the owner id as is', async () => {
    for (const iss of ['accounts.google.com', 'https://accounts.google.com']) {
      const calls: [string, string][] = [];
      const before = jwksHits;
      const token = await googleToken(iss);
      const a = auth({
        admins: ['boss@example.com'],
        verifyGoogle: (t, audience) => {
          calls.push([t, audience]);
          return Promise.resolve({ iss, sub: '1111', email: 'boss@example.com', email_verified: true });
        },
      });
      assert.deepEqual(await a.authenticate(bearer(token)), { userId: '1111', admin: true, workerJobId: null });
      assert.deepEqual(calls, [[token, 'https://verity.example/api']]);
      assert.equal(jwksHits, before, 'no Firebase key fetch');
    }
  });

  it('admin by email only when verified; a refused verification or a subject in the Firebase namespace is 401', async () => {
    const token = await googleToken('https://accounts.google.com');
    const as = (payload: object) =>
      auth({ admins: ['boss@example.com'], verifyGoogle: () => Promise.resolve(payload) });
    // an unverified address names no one: neither the admin nor a user (403, not a non-admin principal)
    await notAllowed(as({ sub: '2222', email: 'boss@example.com', email_verified: false }).authenticate(bearer(token)));
    await notAllowed(as({ sub: '3333', email: 'boss@example.com' }).authenticate(bearer(token)));
    await refused(as({ sub: 'firebase:uid-root' }).authenticate(bearer(token)), 'owner-id');
    for (const sub of ['..', '__x__', '1/2']) await refused(as({ sub }).authenticate(bearer(token)), 'owner-id');
    await refused(as({ email: 'boss@example.com' }).authenticate(bearer(token)), 'claims');
    await refused(
      auth({ verifyGoogle: () => Promise.reject(new Error('Wrong recipient')) }).authenticate(bearer(token)),
      'google',
    );
  });
});

describe('who may call: a Google identity is a user only when configuration names it', () => {
  const token = () => googleToken('https://accounts.google.com');
  const as = (payload: object, allowedUsers: string[]) =>
    auth({ allowedUsers, verifyGoogle: () => Promise.resolve({ sub: '4444', ...payload }) });

  it('an outsider’s valid Google token (any account, any project’s service account) is 403 IDENTITY_NOT_ALLOWED', async () => {
    const list = ['ops@example.com', 'domain:example.com'];
    for (const who of [
      { email: 'stranger@gmail.com', email_verified: true },
      { email: 'sa@other-project.iam.gserviceaccount.com', email_verified: true },
      { email: 'ops@example.com', email_verified: false }, // the address, unverified
      { email: 'x@evil.example', email_verified: true, hd: 'evil.example' },
      { email: 'x@gmail.com', email_verified: true, hd: undefined }, // a consumer account of no Workspace domain
      {},
    ])
      await notAllowed(as(who, list).authenticate(bearer(await token())));
    await notAllowed(as({ email: 'ops@example.com', email_verified: true }, []).authenticate(bearer(await token())));
  });

  it('a listed verified email (a person, a service account) or a Workspace domain by its verified hd claim is a user', async () => {
    const list = ['ops@example.com', 'render@p.iam.gserviceaccount.com', 'domain:example.com'];
    for (const who of [
      { email: 'OPS@example.com', email_verified: true },
      { email: 'render@p.iam.gserviceaccount.com', email_verified: true },
      { email: 'ana@example.com', email_verified: true, hd: 'example.com' },
    ]) {
      const p = await as(who, list).authenticate(bearer(await token()));
      assert.deepEqual(p, { userId: '4444', admin: false, workerJobId: null });
    }
  });

  it('VERITY_ALLOWED_USERS: emails and domain:<host>, anything else stops the boot; local auth in the cloud too', () => {
    assert.deepEqual(parseEnv({ VERITY_ALLOWED_USERS: 'Ops@Example.com, domain:example.com' }).allowedUsers, [
      'ops@example.com',
      'domain:example.com',
    ]);
    for (const bad of ['*', 'example.com', 'domain:', '@example.com'])
      assert.throws(() => parseEnv({ VERITY_ALLOWED_USERS: bad }), /VERITY_ALLOWED_USERS/, bad);
    assert.throws(
      () => parseEnv({ VERITY_PROFILE: 'cloud', VERITY_AUTH_MODE: 'local' }),
      /VERITY_AUTH_MODE=local in the cloud profile/,
    );
  });
});

describe('local issuer', () => {
  it('holds its subjects to the same owner-id format', async () => {
    const secret = 'local-secret-0123456789';
    const local = createLocalAuthenticator(secret);
    assert.equal((await local.authenticate(bearer(await mintLocalToken(secret, 'alice')))).userId, 'alice');
    await refused(local.authenticate(bearer(await mintLocalToken(secret, 'a/b'))), 'owner-id');
  });
});

describe('VERITY_FIREBASE_PROJECT', () => {
  it('defaults to GOOGLE_CLOUD_PROJECT and can be overridden; a bad project id stops the boot', () => {
    assert.equal(parseEnv({ GOOGLE_CLOUD_PROJECT: 'acme-prod' }).firebaseProject, 'acme-prod');
    assert.equal(
      parseEnv({ GOOGLE_CLOUD_PROJECT: 'acme-prod', VERITY_FIREBASE_PROJECT: 'acme-auth' }).firebaseProject,
      'acme-auth',
    );
    assert.throws(() => parseEnv({ VERITY_FIREBASE_PROJECT: 'Bad/Project' }), /VERITY_FIREBASE_PROJECT/);
  });
});
