// Server-Sent Events over fetch (EventSource cannot send Authorization), and live updates that fall back to
// polling while the stream is down.
import { ApiError, rejectToken } from './api-client.js';
import { session } from './session.js';

const POLL_MS = 3000;
const MAX_DELAY_MS = 15000;

const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

const drop = (res) => res.body?.cancel().catch(() => {});

/**
 * Follows an SSE stream, reconnecting with Last-Event-ID. Calls onEvent({type, id, data}); onState('live' |
 * 'down' | 'unavailable' | 'ended'); stops on abort, on 404/405/501 (unavailable), on 401 (signed out), or
 * when reconnect() says so after the server ends the stream.
 */
export async function followEvents(path, { signal, onEvent, onState, reconnect = () => true }) {
  let lastId = null;
  let delay = 1000;
  const backOff = async () => {
    onState('down');
    await sleep(delay, signal);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  };
  while (!signal.aborted) {
    let res;
    try {
      const headers = { Accept: 'text/event-stream', Authorization: `Bearer ${session.token}` };
      if (lastId !== null) headers['Last-Event-ID'] = lastId;
      res = await fetch(path, { headers, signal, cache: 'no-store' });
    } catch {
      if (signal.aborted) return;
      await backOff();
      continue;
    }
    if (res.status === 404 || res.status === 405 || res.status === 501) {
      await drop(res);
      onState('unavailable');
      return;
    }
    if (res.status === 401) {
      await drop(res);
      rejectToken(new ApiError(401, 'UNAUTHENTICATED', 'the token was rejected'));
      return;
    }
    if (!res.ok || !(res.headers.get('content-type') ?? '').includes('text/event-stream') || !res.body) {
      await drop(res);
      await backOff();
      continue;
    }
    onState('live');
    delay = 1000;
    let ended = false;
    try {
      await readSse(res.body, (ev) => {
        if (ev.id !== null) lastId = ev.id;
        if (ev.retry) delay = ev.retry;
        if (ev.data === null) return;
        onEvent({ type: ev.type, id: ev.id, data: parseData(ev.data) });
      });
      ended = true;
    } catch {
      if (signal.aborted) return;
    }
    if (signal.aborted) return;
    if (ended && !reconnect()) {
      onState('ended');
      return;
    }
    onState('down');
    await sleep(delay, signal);
  }
}

function parseData(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Parses an SSE byte stream (WHATWG rules: id, event, data, retry fields; comments ignored). */
export async function readSse(body, dispatch) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  let type = 'message';
  let data = [];
  let id = null;
  let retry = null;
  const line = (l) => {
    if (l === '') {
      if (data.length > 0 || id !== null) dispatch({ type, id, data: data.length ? data.join('\n') : null, retry });
      type = 'message';
      data = [];
      id = null;
      retry = null;
      return;
    }
    if (l.startsWith(':')) return;
    const colon = l.indexOf(':');
    const field = colon < 0 ? l : l.slice(0, colon);
    let value = colon < 0 ? '' : l.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(buf);
      if (!m) break;
      if (m[0] === '\r' && m.index === buf.length - 1) break; // maybe a \r\n split across chunks
      line(buf.slice(0, m.index));
      buf = buf.slice(m.index + m[0].length);
    }
  }
}

const STATE_TEXT = {
  connecting: 'Connecting to live updates…',
  live: 'Live: updates stream in as they happen.',
  ended: 'Finished: no more live updates.',
  unavailable: 'Live stream unavailable: refreshing every 3 s.',
  down: 'Reconnecting… refreshing every 3 s meanwhile.',
};

/**
 * Live updates: the SSE stream while it works, poll() every 3 s while it does not. The indicator element
 * says which; everything stops when signal aborts.
 */
export function live(signal, path, { onEvent, poll, reconnect, indicator }) {
  let timer = null;
  const startPolling = () => {
    if (timer !== null) return;
    timer = setInterval(() => {
      poll().catch(() => {});
    }, POLL_MS);
    signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  };
  const stopPolling = () => {
    if (timer !== null) clearInterval(timer);
    timer = null;
  };
  const say = (state) => {
    if (indicator) indicator.textContent = STATE_TEXT[state];
  };
  say('connecting');
  followEvents(path, {
    signal,
    onEvent,
    reconnect,
    onState: (s) => {
      if (s === 'ended' || s === 'live') stopPolling();
      else startPolling();
      say(s === 'unavailable' || s === 'ended' || s === 'live' ? s : 'down');
      if (s === 'live') poll().catch(() => {}); // catch up on anything missed while down
    },
  }).catch(() => startPolling());
}
