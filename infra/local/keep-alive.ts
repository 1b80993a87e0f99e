/**
 * Idle keep-alive sockets, server side. Node's HTTP server closes an idle socket after 5 s and advertises
 * `Keep-Alive: timeout=5`; undici's fetch keeps it for the advertised time minus 1 s. A client whose event loop
 * stalls past that second sends on a socket the server is closing, and the request fails with a reset ("fetch
 * failed", seen once in a test run). Verity's servers keep idle sockets 65 s — longer than common clients and
 * load balancers (60 s) — so a client's own idle close comes first; `headersTimeout` must exceed it.
 */
import type { Server } from 'node:http';

export const KEEP_ALIVE_MS = 65_000;

export function keepIdleSocketsLonger<S extends Server>(server: S): S {
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1_000;
  return server;
}
