/**
 * The life of one Server-Sent Events response and the bookkeeping behind it: per-owner stream slots,
 * keep-alive timers and Firestore listeners.
 *
 * The stream limit is PER INSTANCE: each process counts only its own streams and nothing is shared between
 * instances, so an owner may hold MAX_STREAMS_PER_OWNER streams on every instance that serves them. It bounds
 * one instance's sockets, timers and listeners; it is not a global quota.
 *
 * Every way a stream ends — the client going away (abort, reset, half-close), the server ending it after a
 * terminal transition, a listener error, the job vanishing — funnels into one `release`, guarded so that the
 * slot, the timer and every listener the stream owns go back exactly once. It listens on the response (which
 * emits 'close' when its connection goes, whatever happened to the request), never on the request: a request
 * whose body was read has already emitted its own 'close' before the handler runs.
 */
import type { Socket } from 'node:net';
import type { Request, Response } from '@google-cloud/functions-framework';
import { ErrorCode, ValidationError, VerityError } from '../../shared/src/core/index.js';
import type { Principal } from '../../shared/src/auth/principal.js';

export const MAX_STREAMS_PER_OWNER = 10;
export const KEEPALIVE_MS = 15_000;
/** What a 429 asks the client to wait: one keep-alive period, long enough for another stream to end. */
export const STREAM_RETRY_AFTER_SECONDS = 15;

const slots = new Map<string, number>();
let timers = 0;
let listeners = 0;

/** What this process holds right now: stream slots taken, Firestore listeners attached, keep-alive timers. */
export function streamCounts(): { slots: number; listeners: number; timers: number } {
  let n = 0;
  for (const v of slots.values()) n += v;
  return { slots: n, listeners, timers };
}

/** Calls `fn` once; later calls do nothing. */
export function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

/** Starts a Firestore listener and counts it until its (idempotent) unsubscribe runs. */
export function counted(start: () => () => void): () => void {
  const stop = start();
  listeners++;
  return once(() => {
    listeners--;
    stop();
  });
}

/** A stream request carries no body: one that does is refused before anything is taken. */
export function refuseBody(req: Request): void {
  const length = req.headers['content-length'];
  if (req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')) {
    throw new ValidationError('an event stream request carries no body', [{ field: 'body', message: 'must be empty' }]);
  }
}

/** The client is gone, or its connection can no longer carry a response. */
function clientGone(req: Request, res: Response): boolean {
  const socket = req.socket as Socket | null;
  return res.writableEnded || res.destroyed || !socket || socket.destroyed || !socket.writable;
}

export interface Stream {
  /** Writes a chunk unless the stream has ended. */
  write(chunk: string): void;
  /** Ends the response from the server's side and releases everything (idempotent). */
  end(): void;
  /** Hands a cleanup to the stream: it runs exactly once at release, at once when already released. */
  own(cleanup: () => void): void;
  readonly ended: boolean;
  /** Settles once everything is released. */
  readonly closed: Promise<void>;
}

/**
 * Takes one of the owner's slots (429 with Retry-After when none is left), sends the headers and starts the
 * keep-alive. Call it last, once the request is valid and the job visible: nothing before it holds anything.
 * Answers null, holding nothing, when the client left while the request was being checked.
 */
export function openStream(req: Request, res: Response, who: Principal): Stream | null {
  if (clientGone(req, res)) return null;
  const held = slots.get(who.userId) ?? 0;
  if (held >= MAX_STREAMS_PER_OWNER) {
    res.set('Retry-After', String(STREAM_RETRY_AFTER_SECONDS));
    const details = { limit: MAX_STREAMS_PER_OWNER, scope: 'owner and instance' };
    throw new VerityError(
      ErrorCode.TOO_MANY_STREAMS,
      `at most ${MAX_STREAMS_PER_OWNER} open streams per user and instance`,
      details,
    );
  }
  slots.set(who.userId, held + 1);
  const keepalive = setInterval(() => write(': keep-alive\n\n'), KEEPALIVE_MS);
  timers++;
  const cleanups: (() => void)[] = [];
  let ended = false;
  let settle!: () => void;
  const closed = new Promise<void>((r) => (settle = r));
  const release = once(() => {
    ended = true;
    clearInterval(keepalive);
    timers--;
    const left = (slots.get(who.userId) ?? 1) - 1;
    if (left > 0) slots.set(who.userId, left);
    else slots.delete(who.userId);
    res.off('close', release);
    res.off('error', release);
    for (const c of cleanups.splice(0)) c();
    settle();
  });
  const write = (chunk: string): void => void (ended || res.write(chunk));
  res.on('close', release);
  res.on('error', release);
  res.status(200);
  res.set({
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  write(': stream open\n\n');
  return {
    write,
    end: () => {
      if (ended) return;
      release();
      res.end();
    },
    own: (cleanup) => (ended ? cleanup() : void cleanups.push(cleanup)),
    get ended() {
      return ended;
    },
    closed,
  };
}
