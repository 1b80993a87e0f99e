/**
 * How a handler reaches its Runtime. A deploy unit's first answer must not pay for clients it may not need
 * (a malformed event, a liveness probe, the dashboard): the unit boots with its logger only, and the Runtime —
 * the module that loads the Firestore, Pub/Sub, Storage and Cloud Run clients — is imported and built on the
 * first request that needs it (issue 15: cold start). A failed load is not kept: the next request tries again.
 */
import type { Authenticator } from '../../shared/src/auth/principal.js';
import type { Env } from '../../shared/src/config/env.js';
import { createLogger, type Logger } from '../../shared/src/log.js';
import type { Runtime } from '../../shared/src/runtime.js';

export interface RuntimeSource {
  readonly env: Env;
  readonly log: Logger;
  /** Callers are authenticated before the clients load: a stranger's request costs no client. */
  auth(): Promise<Authenticator>;
  runtime(): Promise<Runtime>;
  /** The runtime's clock (tests move it); absent: the wall clock. */
  readonly clock?: () => number;
}

/** A promise kept once it resolves; a rejection is dropped so the next call tries again. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () =>
    (p ??= load().catch((err: unknown) => {
      p = undefined;
      throw err;
    }));
}

export function lazyRuntime(name: string, env: Env): RuntimeSource {
  const log = createLogger(name);
  return {
    env,
    log,
    auth: once(() => import('../../shared/src/auth/index.js').then((m) => m.createAuthenticator(env))),
    runtime: once(async () => {
      const t0 = performance.now();
      const rt = (await import('../../shared/src/runtime.js')).createRuntime(name, { env, log });
      log.info({ ms: Math.round(performance.now() - t0) }, 'clients loaded on first use');
      return rt;
    }),
  };
}

/** A Runtime already built (tests, the bench): the same interface. */
export function readyRuntime(rt: Runtime): RuntimeSource {
  const ready = Promise.resolve(rt);
  return { env: rt.env, log: rt.log, auth: async () => rt.auth, runtime: () => ready, clock: rt.clock };
}
