/** Serve a registered functions-framework function on a real port (HTTP or CloudEvent), as deployed. */
import type { AddressInfo } from 'node:net';
import * as functions from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { keepIdleSocketsLonger } from '../../infra/local/keep-alive.js';

let n = 0;

export interface Served {
  url: string;
  close(): Promise<void>;
}

async function serve(name: string): Promise<Served> {
  const server = keepIdleSocketsLonger(getTestServer(name));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

export function serveCloudEvent(handler: Parameters<typeof functions.cloudEvent>[1]): Promise<Served> {
  const name = `ce-test-${++n}`;
  functions.cloudEvent(name, handler);
  return serve(name);
}

export function serveHttp(handler: Parameters<typeof functions.http>[1]): Promise<Served> {
  const name = `http-test-${++n}`;
  functions.http(name, handler);
  return serve(name);
}

/** POSTs a raw Pub/Sub push body, as the Pub/Sub emulator or a push subscription does. */
export async function pushMessage(
  url: string,
  project: string,
  topic: string,
  msg: { data?: string | Buffer; attributes?: Record<string, string>; messageId: string },
): Promise<number> {
  const data = msg.data === undefined ? undefined : Buffer.from(msg.data).toString('base64');
  const res = await fetch(`${url}/projects/${project}/topics/${topic}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      message: {
        ...(data !== undefined ? { data } : {}),
        attributes: msg.attributes ?? {},
        messageId: msg.messageId,
        publishTime: new Date().toISOString(),
      },
      subscription: `projects/${project}/subscriptions/test`,
    }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** POSTs a structured-mode CloudEvent (what Eventarc's storage trigger sends, in JSON form). */
export async function postCloudEvent(
  url: string,
  type: string,
  data: unknown,
  id = `ce-${Date.now()}-${Math.random()}`,
): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents+json' },
    body: JSON.stringify({
      specversion: '1.0',
      id,
      source: '//storage.googleapis.com/projects/_/buckets/b',
      type,
      datacontenttype: 'application/json',
      data,
    }),
  });
  await res.arrayBuffer();
  return res.status;
}
