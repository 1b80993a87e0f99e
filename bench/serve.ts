/** A function registered with functions-framework, served by the framework's own server on loopback. */
import type { AddressInfo } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';

export async function serve(name: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = getTestServer(name);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections?.(); // keep-alive sockets would hold close() open
      }),
  };
}
