/** A minimal SSE client over fetch (headers allowed), collecting events until told to stop. */
export interface SseEvent {
  id?: string;
  event: string;
  data: any;
}

export function openSse(url: string, headers: Record<string, string>): { events: SseEvent[]; comments: number; ended: Promise<void>; close(): void; status: Promise<number> } {
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
