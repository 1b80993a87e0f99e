/**
 * (e)'s clients in a process of their own (bench/sse.ts forks this file): the server's fan-out is timed without
 * 200 stream parsers on its event loop, as browsers are elsewhere. Receipt times are wall-clock
 * (`performance.timeOrigin + performance.now()`), comparable between processes on one machine.
 * The parent measures the offset between the two clocks first (`{ ping: true }` → `{ pong: wallNow() }`, the
 * round trip with the least delay, as NTP does) and corrects the times it is sent by it.
 * Protocol (IPC): `{ open: { url, tokens, wantId } }` → `{ opened: n }` once every stream is open;
 * `{ collect: true }` → `{ times }` once each stream has received event `wantId`; `{ close: true }` ends them.
 */
import net from 'node:net';
import { fileURLToPath } from 'node:url';

export const wallNow = (): number => performance.timeOrigin + performance.now();

export interface Client {
  opened: Promise<void>;
  got: Promise<number>;
  close: () => void;
}

/**
 * One stream as lean as a browser's network stack is to its page: a raw socket, the request written by hand,
 * the bytes searched as they come (no fetch, no stream readers, no decoding) — so that the time measured is
 * the server's, not the bench's parsing of 200 streams in one process.
 */
export function connect(url: string, token: string, wantId: string, onError?: (err: unknown) => void): Client {
  const u = new URL(url);
  let opened!: () => void;
  let got!: (t: number) => void;
  let failed!: (err: unknown) => void;
  const o = new Promise<void>((r, j) => ((opened = r), (failed = j)));
  const g = new Promise<number>((r) => (got = r));
  o.catch(() => undefined);
  let closed = false;
  let head = true;
  let isOpen = false;
  let buf = '';
  const want = `id: ${wantId}\n`;
  const socket = net.connect({ host: u.hostname, port: Number(u.port), noDelay: true });
  socket.setEncoding('latin1');
  socket.write(
    `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${token}\r\n` +
      'Accept: text/event-stream\r\n\r\n',
  );
  socket.on('data', (chunk: string) => {
    buf += chunk;
    if (head) {
      if (!buf.startsWith('HTTP/1.1 200')) {
        const err = new Error(`HTTP ${buf.slice(9, 12)}: ${buf.slice(0, 300)}`);
        failed(err);
        onError?.(err);
        socket.destroy();
        return;
      }
      head = false;
    }
    if (!isOpen && buf.includes(': stream open')) {
      isOpen = true;
      opened();
      buf = buf.slice(buf.lastIndexOf('\n'));
    }
    if (isOpen && buf.includes(want)) {
      got(wallNow());
      buf = '';
    } else if (buf.length > 4096) buf = buf.slice(-64);
  });
  socket.on('error', (err) => {
    if (closed) return;
    failed(err);
    onError?.(err);
  });
  return {
    opened: o,
    got: g,
    close: () => {
      closed = true;
      socket.destroy();
    },
  };
}

type Msg = { open?: { url: string; tokens: string[]; wantId: string }; collect?: true; close?: true; ping?: true };

if (process.argv[1] === fileURLToPath(import.meta.url) && process.send) {
  let open: Client[] = [];
  const fail = (err: unknown): void => {
    process.stderr.write(`sse client: ${String((err as Error).cause ?? err)}\n`);
  };
  process.on('message', (m: Msg) => {
    void (async () => {
      if (m.ping) {
        process.send!({ pong: wallNow() });
      } else if (m.open) {
        open = m.open.tokens.map((t) => connect(m.open!.url, t, m.open!.wantId, fail));
        await Promise.all(open.map((c) => c.opened));
        process.send!({ opened: open.length });
      } else if (m.collect) {
        process.send!({ times: await Promise.all(open.map((c) => c.got)) });
      } else if (m.close) {
        open.forEach((c) => c.close());
        open = [];
        process.send!({ closed: true });
      }
    })();
  });
}
