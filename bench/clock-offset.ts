/**
 * Two processes' wall clocks (`performance.timeOrigin + performance.now()`) may disagree by a millisecond or
 * more: the origin is taken at each process's start. A child answering `{ ping: true }` with
 * `{ pong: wallNow() }` lets the parent estimate the offset as NTP does: of 50 round trips, the shortest, its
 * reply taken as sent half-way; the error is at most half that round trip.
 */
import type { ChildProcess } from 'node:child_process';
import { wallNow } from './stats.js';

/** The child's next message that has `key`, after sending `msg` (other messages are left to other listeners). */
export function ask<T>(child: ChildProcess, msg: object, key: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: unknown): void => {
      if (typeof m !== 'object' || m === null || !(key in m)) return;
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
    child.send(msg);
  });
}

/** The child's clock minus ours. */
export async function clockOffset(child: ChildProcess): Promise<number> {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < 50; i++) {
    const sent = wallNow();
    const { pong } = await ask<{ pong: number }>(child, { ping: true }, 'pong');
    const back = wallNow();
    if (back - sent < best.rtt) best = { rtt: back - sent, offset: pong - (sent + back) / 2 };
  }
  return best.offset;
}
