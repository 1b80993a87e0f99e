/**
 * Server-Sent Events fed from Firestore listeners, so any instance can serve any client. Ids are the stored
 * transition seqs (`/api/events`: `{jobId}:{seq}`); a client reconnecting with `Last-Event-ID` (or
 * `?lastEventId=`) first gets every transition after it from the stored history — the listener's first
 * snapshot — then live ones, with no gap and no repeat. A comment line every 15 s keeps proxies from closing
 * the stream; the per-job stream ends after a terminal transition, after a listener error (the client
 * reconnects with its Last-Event-ID) and when the job document goes away. Each owner may hold
 * MAX_STREAMS_PER_OWNER streams per instance — a per-process limit, not a global one (sse-stream.ts).
 * A request is checked in full (no body, a valid Last-Event-ID, a visible job) before a slot is taken.
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import {
  ErrorCode,
  isActive,
  ValidationError,
  VerityError,
  type Job,
  type Transition,
} from '../../shared/src/core/index.js';
import type { Principal } from '../../shared/src/auth/principal.js';
import type { Runtime } from '../../shared/src/runtime.js';
import type { JobTransition } from '../../shared/src/store/watch.js';
import { progressView, transitionView } from '../../shared/src/views.js';
import { counted, openStream, refuseBody, streamCounts } from './sse-stream.js';

export { KEEPALIVE_MS, MAX_STREAMS_PER_OWNER, STREAM_RETRY_AFTER_SECONDS, streamCounts } from './sse-stream.js';

/** Streams open in this process (tests wait for 0 before ending their runtime). */
export const activeStreams = (): number => streamCounts().slots;

function lastEventId(req: Request): string | undefined {
  const h = req.headers['last-event-id'];
  const q = req.query.lastEventId;
  return (Array.isArray(h) ? h[0] : h) ?? (typeof q === 'string' ? q : undefined);
}

interface Subscriber<T> {
  next: (v: T) => void;
  fail: () => void;
}
interface Hub<T> {
  subscribers: Set<Subscriber<T>>;
  unsubscribe: () => void;
}

/**
 * One Firestore listener per key (a job's transitions, a job's progress) and instance, shared by every
 * stream that needs it: 200 viewers of one job cost one listener, not 200. The listener is detached when
 * its last subscriber leaves; when it fails, every subscriber is told and the next stream starts a new one.
 */
const hubs = new Map<string, Hub<never>>();

function share<T>(
  key: string,
  listen: (emit: (v: T) => void, fail: () => void) => () => void,
  sub: Subscriber<T>,
): () => void {
  let hub = hubs.get(key) as Hub<T> | undefined;
  if (!hub) {
    const subscribers = new Set<Subscriber<T>>();
    const h: Hub<T> = { subscribers, unsubscribe: () => undefined };
    const fail = (): void => {
      if (hubs.get(key) === (h as Hub<never>)) hubs.delete(key);
      h.unsubscribe();
      [...subscribers].forEach((s) => s.fail());
    };
    h.unsubscribe = counted(() => listen((v) => [...subscribers].forEach((s) => s.next(v)), fail));
    hubs.set(key, h as Hub<never>);
    hub = h;
  }
  const h = hub;
  const entry = { ...sub }; // its own identity, even for a repeated subscriber
  h.subscribers.add(entry);
  return () => {
    if (!h.subscribers.delete(entry) || h.subscribers.size > 0) return;
    if (hubs.get(key) === (h as Hub<never>)) hubs.delete(key);
    h.unsubscribe();
  };
}

/**
 * Transitions of a job as they are added (the first snapshot brings the last minute's too: a stream drops
 * what its own replay already sent, by seq, so a transition committed while the replay ran is never lost).
 */
const subscribe = (rt: Runtime, jobId: string, sub: Subscriber<Transition>): (() => void) =>
  share<Transition>(
    `transitions:${jobId}`,
    (emit, fail) =>
      rt.ledger.watch.jobTransitions(jobId, rt.clock() - 60_000, emit, (err) => {
        rt.log.warn({ err, jobId }, 'transition listener failed');
        fail();
      }),
    sub,
  );

/** The job document's progress, as JSON; `null` once the document is gone. */
const subscribeProgress = (rt: Runtime, jobId: string, sub: Subscriber<string | null>): (() => void) =>
  share<string | null>(
    `progress:${jobId}`,
    (emit, fail) =>
      rt.ledger.watch.jobDocument(
        jobId,
        (job: Job | null) => emit(job ? JSON.stringify(progressView(job)) : null),
        (err) => {
          rt.log.warn({ err, jobId }, 'progress listener failed');
          fail();
        },
      ),
    sub,
  );

export async function streamJob(
  rt: Runtime,
  req: Request,
  res: Response,
  who: Principal,
  jobId: string,
): Promise<void> {
  refuseBody(req);
  const raw = lastEventId(req);
  const after = raw === undefined ? 0 : Number(raw);
  if (!Number.isInteger(after) || after < 0) throw new ValidationError('Last-Event-ID must be a transition seq');
  const job = await rt.jobs.read(who, jobId); // 404 for others' jobs, before any header is sent or slot taken
  const s = openStream(req, res, who);
  if (!s) return; // the client left while the request was checked
  let sent = after;
  let progress = JSON.stringify(progressView(job));
  // live transitions are buffered until the replay from the stored history is out: no gap, no repeat
  const pending: Transition[] = [];
  let replayed = false;
  const emit = (t: Transition): void => {
    if (t.seq <= sent || s.ended) return;
    sent = t.seq;
    s.write(`id: ${t.seq}\nevent: transition\ndata: ${JSON.stringify({ jobId, ...transitionView(t) })}\n\n`);
    if (!isActive(t.to)) s.end();
  };
  s.own(subscribe(rt, jobId, { next: (t) => (replayed ? emit(t) : pending.push(t)), fail: s.end }));
  try {
    const history = await rt.ledger.watch.transitionsAfter(jobId, after);
    for (const t of history) emit(t);
    replayed = true;
    for (const t of pending.sort((a, b) => a.seq - b.seq)) emit(t);
    if (history.length === 0 && !isActive(job.status) && after >= job.version) s.end(); // nothing more will come
  } catch (err) {
    rt.log.warn({ err, jobId }, 'transition replay failed');
    s.end();
  }
  const onProgress = (p: string | null): void => {
    if (p === null) return s.end(); // the job document is gone: nothing more will come
    if (p === progress || s.ended) return;
    progress = p;
    s.write(`event: progress\ndata: ${JSON.stringify({ jobId, progress: JSON.parse(p) as unknown })}\n\n`);
  };
  s.own(subscribeProgress(rt, jobId, { next: onProgress, fail: s.end }));
  await s.closed;
}

export async function streamAll(rt: Runtime, req: Request, res: Response, who: Principal): Promise<void> {
  refuseBody(req);
  if (who.workerJobId) throw new VerityError(ErrorCode.FORBIDDEN, 'a worker token cannot stream');
  const raw = lastEventId(req);
  let since = rt.clock();
  if (raw !== undefined) {
    const m = /^([A-Za-z0-9_-]{1,128}):(\d{1,9})$/.exec(raw);
    if (!m) throw new ValidationError('Last-Event-ID must be {jobId}:{seq}');
    const t = await rt.ledger.watch.transitionAt(m[1]!, m[2]!);
    if (!t || (!who.admin && t.ownerId !== who.userId)) throw new ValidationError('unknown Last-Event-ID');
    since = t.at;
  }
  const s = openStream(req, res, who);
  if (!s) return;
  const seen = new Set<string>();
  const onAdded = ({ jobId, transition }: JobTransition): void => {
    const id = `${jobId}:${transition.seq}`;
    if (seen.has(id) || id === raw) return;
    seen.add(id);
    s.write(`id: ${id}\nevent: transition\ndata: ${JSON.stringify({ jobId, ...transitionView(transition) })}\n\n`);
  };
  const ownerId = who.admin ? null : who.userId;
  s.own(
    counted(() =>
      rt.ledger.watch.transitionsSince(ownerId, since, onAdded, (err) => {
        rt.log.warn({ err }, 'event stream failed');
        s.end();
      }),
    ),
  );
  await s.closed;
}
