/** A function registered with functions-framework, served by the framework's own server on loopback. */
import type { AddressInfo } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';

export async function serve(name: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = getTestServer(name);
  // a burst opens a thousand connections at once: a backlog of the default 511 would drop some of them
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections?.(); // keep-alive sockets would hold close() open
      }),
  };
}
