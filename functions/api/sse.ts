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
import { Timestamp } from '@google-cloud/firestore';
import { ErrorCode, isActive, ValidationError, VerityError, type JobStatus } from '../../shared/src/core/index.js';
import type { Principal } from '../../shared/src/auth/principal.js';
import type { Runtime } from '../../shared/src/runtime.js';
import { jobFromDoc, transitionFromDoc } from '../../shared/src/store/codec.js';
import { Collections } from '../../shared/src/store/firestore.js';
import { QUERIES } from '../../shared/src/store/queries.js';
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

type TransitionDoc = FirebaseFirestore.DocumentData;
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

const jobRef = (rt: Runtime, jobId: string): FirebaseFirestore.DocumentReference =>
  rt.db.collection(Collections.jobs).doc(jobId);

/**
 * Transitions of a job as they are added (the first snapshot brings the last minute's too: a stream drops
 * what its own replay already sent, by seq, so a transition committed while the replay ran is never lost).
 */
const subscribe = (rt: Runtime, jobId: string, sub: Subscriber<TransitionDoc>): (() => void) =>
  share<TransitionDoc>(
    `transitions:${jobId}`,
    (emit, fail) =>
      jobRef(rt, jobId)
        .collection(Collections.transitions)
        .where('at', '>=', Timestamp.fromMillis(rt.clock() - 60_000))
        .onSnapshot(
          (snap) => snap.docChanges().forEach((c) => c.type === 'added' && emit(c.doc.data())),
          (err) => (rt.log.warn({ err, jobId }, 'transition listener failed'), fail()),
        ),
    sub,
  );

/** The job document's progress, as JSON; `null` once the document is gone. */
const subscribeProgress = (rt: Runtime, jobId: string, sub: Subscriber<string | null>): (() => void) =>
  share<string | null>(
    `progress:${jobId}`,
    (emit, fail) =>
      jobRef(rt, jobId).onSnapshot(
        (snap) => emit(snap.exists ? JSON.stringify(progressView(jobFromDoc(snap.data()!))) : null),
        (err) => (rt.log.warn({ err, jobId }, 'progress listener failed'), fail()),
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
  const pending: TransitionDoc[] = [];
  let replayed = false;
  const emit = (d: TransitionDoc): void => {
    const t = transitionFromDoc(d);
    if (t.seq <= sent || s.ended) return;
    sent = t.seq;
    s.write(`id: ${t.seq}\nevent: transition\ndata: ${JSON.stringify({ jobId, ...transitionView(t) })}\n\n`);
    if (!isActive(t.to as JobStatus)) s.end();
  };
  s.own(subscribe(rt, jobId, { next: (d) => (replayed ? emit(d) : pending.push(d)), fail: s.end }));
  try {
    const history = await jobRef(rt, jobId)
      .collection(Collections.transitions)
      .where('seq', '>', after)
      .orderBy('seq')
      .get();
    for (const d of history.docs) emit(d.data());
    replayed = true;
    for (const d of pending.sort((a, b) => Number(a.seq) - Number(b.seq))) emit(d);
    if (history.empty && !isActive(job.status) && after >= job.version) s.end(); // nothing more will come
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
  let since = Timestamp.fromMillis(rt.clock());
  if (raw !== undefined) {
    const m = /^([A-Za-z0-9_-]{1,128}):(\d{1,9})$/.exec(raw);
    if (!m) throw new ValidationError('Last-Event-ID must be {jobId}:{seq}');
    const t = await jobRef(rt, m[1]!).collection(Collections.transitions).doc(m[2]!).get();
    if (!t.exists || (!who.admin && t.get('ownerId') !== who.userId))
      throw new ValidationError('unknown Last-Event-ID');
    since = t.get('at') as Timestamp;
  }
  const s = openStream(req, res, who);
  if (!s) return;
  const seen = new Set<string>();
  const onSnap = (snap: FirebaseFirestore.QuerySnapshot): void => {
    for (const change of snap.docChanges()) {
      if (change.type !== 'added') continue;
      const d = change.doc.data();
      const id = `${String(d.jobId)}:${String(d.seq)}`;
      if (seen.has(id) || id === raw) continue;
      seen.add(id);
      s.write(
        `id: ${id}\nevent: transition\ndata: ${JSON.stringify({ jobId: d.jobId, ...transitionView(transitionFromDoc(d)) })}\n\n`,
      );
    }
  };
  const query = QUERIES.transitionsSince(rt.db, who.admin ? null : who.userId, since);
  s.own(counted(() => query.onSnapshot(onSnap, (err) => (rt.log.warn({ err }, 'event stream failed'), s.end()))));
  await s.closed;
}
