/**
 * Server-Sent Events fed from Firestore listeners, so any instance can serve any client. Ids are the stored
 * transition seqs (`/api/events`: `{jobId}:{seq}`); a client reconnecting with `Last-Event-ID` (or
 * `?lastEventId=`) first gets every transition after it from the stored history — the listener's first
 * snapshot — then live ones, with no gap and no repeat. A comment line every 15 s keeps proxies from closing
 * the stream; the per-job stream ends after a terminal transition; each owner may hold a few streams per
 * instance.
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

export const MAX_STREAMS_PER_OWNER = 10;
export const KEEPALIVE_MS = 15_000;
const open = new Map<string, number>();
let listening = 0;

/** Streams whose Firestore listeners are still attached (tests wait for 0 before closing the client). */
export const activeStreams = (): number => listening;

function lastEventId(req: Request): string | undefined {
  const h = req.headers['last-event-id'];
  const q = req.query.lastEventId;
  return (Array.isArray(h) ? h[0] : h) ?? (typeof q === 'string' ? q : undefined);
}

/** Opens the stream and returns `write`, `end` and a promise that settles when the client goes away. */
function begin(req: Request, res: Response, who: Principal): { write: (chunk: string) => void; closed: Promise<void>; end: () => void } {
  const n = open.get(who.userId) ?? 0;
  if (n >= MAX_STREAMS_PER_OWNER) throw new VerityError(ErrorCode.TOO_MANY_STREAMS, `at most ${MAX_STREAMS_PER_OWNER} open streams per user`, 429);
  open.set(who.userId, n + 1);
  res.status(200);
  res.set({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.flushHeaders();
  res.write(': stream open\n\n');
  const keepalive = setInterval(() => res.write(': keep-alive\n\n'), KEEPALIVE_MS);
  let done!: () => void;
  const closed = new Promise<void>((r) => (done = r));
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    clearInterval(keepalive);
    open.set(who.userId, (open.get(who.userId) ?? 1) - 1);
    done();
  };
  req.on('close', finish);
  return { write: (c) => void (finished || res.write(c)), closed, end: () => (res.end(), finish()) };
}

type TransitionDoc = FirebaseFirestore.DocumentData;

/**
 * One Firestore listener per key (a job's transitions, a job's progress) and instance, shared by every
 * stream that needs it: 200 viewers of one job cost one listener, not 200. The listener is detached when
 * its last subscriber leaves.
 */
const hubs = new Map<string, { subscribers: Set<(v: never) => void>; unsubscribe: () => void }>();

function share<T>(key: string, listen: (emit: (v: T) => void) => () => void, fn: (v: T) => void): () => void {
  let hub = hubs.get(key) as { subscribers: Set<(v: T) => void>; unsubscribe: () => void } | undefined;
  if (!hub) {
    const subscribers = new Set<(v: T) => void>();
    hub = { subscribers, unsubscribe: listen((v) => subscribers.forEach((s) => s(v))) };
    hubs.set(key, hub as never);
  }
  const h = hub;
  h.subscribers.add(fn);
  return () => {
    h.subscribers.delete(fn);
    if (h.subscribers.size === 0) {
      h.unsubscribe();
      hubs.delete(key);
    }
  };
}

/**
 * Transitions of a job as they are added (the first snapshot brings the last minute's too: a stream drops
 * what its own replay already sent, by seq, so a transition committed while the replay ran is never lost).
 */
const subscribe = (rt: Runtime, jobId: string, fn: (d: TransitionDoc) => void): (() => void) =>
  share<TransitionDoc>(
    `transitions:${jobId}`,
    (emit) =>
      rt.db
        .collection(Collections.jobs)
        .doc(jobId)
        .collection(Collections.transitions)
        .where('at', '>=', Timestamp.fromMillis(rt.clock() - 60_000))
        .onSnapshot(
          (snap) => snap.docChanges().forEach((c) => c.type === 'added' && emit(c.doc.data())),
          (err) => rt.log.warn({ err, jobId }, 'transition listener failed'),
        ),
    fn,
  );

/** The job document's progress, as JSON. */
const subscribeProgress = (rt: Runtime, jobId: string, fn: (progressJson: string) => void): (() => void) =>
  share<string>(
    `progress:${jobId}`,
    (emit) =>
      rt.db
        .collection(Collections.jobs)
        .doc(jobId)
        .onSnapshot(
          (snap) => emit(JSON.stringify(snap.exists ? progressView(jobFromDoc(snap.data()!)) : null)),
          (err) => rt.log.warn({ err, jobId }, 'progress listener failed'),
        ),
    fn,
  );

export async function streamJob(rt: Runtime, req: Request, res: Response, who: Principal, jobId: string): Promise<void> {
  const job = await rt.jobs.read(who, jobId); // 404 for others' jobs, before any header is sent
  const raw = lastEventId(req);
  const after = raw === undefined ? 0 : Number(raw);
  if (!Number.isInteger(after) || after < 0) throw new ValidationError('Last-Event-ID must be a transition seq');
  const s = begin(req, res, who);
  const ref = rt.db.collection(Collections.jobs).doc(jobId);
  let sent = after;
  let progress = JSON.stringify(progressView(job));
  // live transitions are buffered until the replay from the stored history is out: no gap, no repeat
  const pending: TransitionDoc[] = [];
  let replayed = false;
  const emit = (d: TransitionDoc): void => {
    const t = transitionFromDoc(d);
    if (t.seq <= sent) return;
    sent = t.seq;
    s.write(`id: ${t.seq}\nevent: transition\ndata: ${JSON.stringify({ jobId, ...transitionView(t) })}\n\n`);
    if (!isActive(t.to as JobStatus)) s.end();
  };
  const unsubT = subscribe(rt, jobId, (d) => (replayed ? emit(d) : pending.push(d)));
  listening++;
  try {
    const history = await ref.collection(Collections.transitions).where('seq', '>', after).orderBy('seq').get();
    for (const d of history.docs) emit(d.data());
    replayed = true;
    for (const d of pending.sort((a, b) => Number(a.seq) - Number(b.seq))) emit(d);
    if (history.empty && !isActive(job.status) && after >= job.version) s.end(); // nothing more will come
  } catch (err) {
    rt.log.warn({ err, jobId }, 'transition replay failed');
    s.end();
  }
  const unsubJ = subscribeProgress(rt, jobId, (p) => {
    if (p === progress) return;
    progress = p;
    s.write(`event: progress\ndata: ${JSON.stringify({ jobId, progress: JSON.parse(p) as unknown })}\n\n`);
  });
  await s.closed;
  unsubT();
  unsubJ();
  listening--;
}

export async function streamAll(rt: Runtime, req: Request, res: Response, who: Principal): Promise<void> {
  if (who.workerJobId) throw new VerityError(ErrorCode.FORBIDDEN, 'a worker token cannot stream', 403);
  const raw = lastEventId(req);
  let since = Timestamp.fromMillis(rt.clock());
  if (raw !== undefined) {
    const m = /^([A-Za-z0-9_-]{1,128}):(\d{1,9})$/.exec(raw);
    if (!m) throw new ValidationError('Last-Event-ID must be {jobId}:{seq}');
    const t = await rt.db.collection(Collections.jobs).doc(m[1]!).collection(Collections.transitions).doc(m[2]!).get();
    if (!t.exists || (!who.admin && t.get('ownerId') !== who.userId)) throw new ValidationError('unknown Last-Event-ID');
    since = t.get('at') as Timestamp;
  }
  const s = begin(req, res, who);
  const seen = new Set<string>();
  listening++;
  const unsub = QUERIES.transitionsSince(rt.db, who.admin ? null : who.userId, since).onSnapshot(
    (snap) => {
      for (const change of snap.docChanges()) {
        if (change.type !== 'added') continue;
        const d = change.doc.data();
        const id = `${String(d.jobId)}:${String(d.seq)}`;
        if (seen.has(id) || id === raw) continue;
        seen.add(id);
        s.write(`id: ${id}\nevent: transition\ndata: ${JSON.stringify({ jobId: d.jobId, ...transitionView(transitionFromDoc(d)) })}\n\n`);
      }
    },
    (err) => (rt.log.warn({ err }, 'event stream failed'), s.end()),
  );
  await s.closed;
  unsub();
  listening--;
}
