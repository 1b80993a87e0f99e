/** A minimal SSE client over fetch (headers allowed), collecting events until told to stop. */
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Firestore } from '@google-cloud/firestore';

export interface SseEvent {
  id?: string;
  event: string;
  data: any;
}

export function openSse(
  url: string,
  headers: Record<string, string>,
): { events: SseEvent[]; comments: number; ended: Promise<void>; close(): void; status: Promise<number> } {
  const ac = new AbortController();
  const events: SseEvent[] = [];
  const state = { comments: 0 };
  let resolveStatus!: (n: number) => void;
  const status = new Promise<number>((r) => (resolveStatus = r));
  const ended = (async () => {
    try {
      const res = await fetch(url, { headers, signal: ac.signal });
      resolveStatus(res.status);
      if (!res.body) return;
      const decoder = new TextDecoder();
      let buf = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (block.startsWith(':')) {
            state.comments++;
            continue;
          }
          const ev: SseEvent = { event: 'message', data: null };
          for (const line of block.split('\n')) {
            const [k, ...rest] = line.split(': ');
            const v = rest.join(': ');
            if (k === 'id') ev.id = v;
            else if (k === 'event') ev.event = v;
            else if (k === 'data') ev.data = JSON.parse(v);
          }
          events.push(ev);
        }
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    }
  })();
  return {
    events,
    get comments() {
      return state.comments;
    },
    ended,
    close: () => ac.abort(),
    status,
  };
}

/** One HTTP/1.1 request written by hand on a raw socket: bodies on a GET, half-closes, aborts at any point. */
export interface RawExchange {
  socket: Socket;
  /** Everything received so far. */
  readonly text: string;
  /** The status code once the response head has arrived; 0 when the socket closed before one did. */
  status: Promise<number>;
  /** Settles when the socket is fully closed (both sides). */
  closed: Promise<void>;
  /** Settles when the server ends its side (or the socket closes). */
  ended: Promise<void>;
}

export function requestText(method: string, path: string, headers: Record<string, string>, body = ''): string {
  const lines = [
    `${method} ${path} HTTP/1.1`,
    'host: 127.0.0.1',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Opens a socket to `url`, writes `request` (the client's write side stays open unless `halfClose`). */
export function rawHttp(url: string, request: string, opts: { halfClose?: boolean } = {}): RawExchange {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port), allowHalfOpen: true });
  const state = { text: '' };
  let resolveStatus!: (n: number) => void;
  const status = new Promise<number>((r) => (resolveStatus = r));
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  const ended = new Promise<void>((r) => (socket.once('end', () => r()), socket.once('close', () => r())));
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    state.text += chunk;
    const m = /^HTTP\/1\.1 (\d{3})/.exec(state.text);
    if (m && state.text.includes('\r\n\r\n')) resolveStatus(Number(m[1]));
  });
  socket.on('error', () => undefined); // a reset is one of the endings under test
  void closed.then(() => resolveStatus(0));
  socket.write(request, () => opts.halfClose && socket.end());
  return {
    socket,
    get text() {
      return state.text;
    },
    status,
    closed,
    ended,
  };
}

/** The JSON body of a complete, Content-Length-delimited raw response. */
export function rawJson(text: string): any {
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  const length = /\r\ncontent-length: (\d+)/i.exec(text);
  return JSON.parse(length ? body.slice(0, Number(length[1])) : body);
}

/**
 * Makes every Firestore listener of `db` fail the way a real permanent error does: on the client's own `listen`
 * streams (Firestore#requestStream, as test/helpers/meter.ts wraps it) a PERMISSION_DENIED error is emitted
 * where the client forwards a backend's, which its watch treats as permanent and hands to each onSnapshot
 * error callback; then the call is ended.
 */
export function listenFaults(db: Firestore): { live(): number; fail(): number } {
  const client = db as unknown as { requestStream(method: string, ...rest: unknown[]): Promise<Duplex> };
  const requestStream = client.requestStream.bind(client);
  const open = new Set<Duplex>();
  const attached = (s: Duplex): boolean => !s.destroyed && !s.writableEnded; // a detached listener ends its side
  client.requestStream = async (method, ...rest) => {
    const stream = await requestStream(method, ...rest);
    if (method === 'listen') open.add(stream);
    return stream;
  };
  return {
    live: () => [...open].filter(attached).length,
    fail() {
      const live = [...open].filter(attached);
      open.clear();
      for (const s of live) {
        s.emit('error', Object.assign(new Error('injected: permission denied'), { code: 7 })); // as the client forwards a backend error
        s.end(); // and the call ends, so the client's pool lets its channel go (terminate() waits for it)
      }
      return live.length;
    },
  };
}
