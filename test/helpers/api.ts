/** The API function served by functions-framework's own test server, on a real HTTP port. */
import { keepIdleSocketsLonger } from '../../infra/local/keep-alive.js';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import * as functions from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { mintLocalToken } from '../../shared/src/auth/local-issuer.js';
import type { Runtime } from '../../shared/src/runtime.js';
import { createApiHandler } from '../../functions/api/handler.js';
import { TEST_SECRET } from './runtime.js';
import { readyRuntime } from '../../functions/common/runtime-source.js';

export interface ApiClient {
  url: string;
  server: Server;
  call(
    method: string,
    path: string,
    opts?: {
      token?: string | null;
      body?: unknown;
      raw?: string | Buffer;
      contentType?: string;
      headers?: Record<string, string>;
    },
  ): Promise<{ status: number; body: any; text: string }>;
  token(user: string, opts?: { admin?: boolean; workerJobId?: string }): Promise<string>;
  close(): Promise<void>;
}

let counter = 0;

export async function startApi(rt: Runtime, defaultUser = 'alice'): Promise<ApiClient> {
  const name = `api-test-${++counter}`;
  functions.http(name, createApiHandler(readyRuntime(rt)));
  const server = keepIdleSocketsLonger(getTestServer(name));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const defaultToken = await mintLocalToken(TEST_SECRET, defaultUser);
  return {
    url,
    server,
    token: (user, opts = {}) => mintLocalToken(TEST_SECRET, user, opts),
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      const token = opts.token === undefined ? defaultToken : opts.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let body: string | Buffer | undefined;
      if (opts.raw !== undefined) {
        body = opts.raw;
        headers['content-type'] = opts.contentType ?? 'application/json';
      } else if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['content-type'] = opts.contentType ?? 'application/json';
      }
      const res = await fetch(url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
      return { status: res.status, body: parsed, text };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
