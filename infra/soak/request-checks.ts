/**
 * The API's answers against what exists (issue 26): every id answered 2xx is a job with its history
 * (*acknowledged*, counted as lost otherwise); every 5xx, by route, whatever was injected at that moment; every
 * 409 against the job that really held the key then (or, for a command on an ended job, against its end).
 */
import { isActive, type Job, type JobStatus, type RecordedTransition } from '../../shared/src/core/index.js';
import type { TruthRecord } from '../local/truth-log.js';
import { firstEndAt } from './bounds.js';

type Request = Extract<TruthRecord, { t: 'request' }>;

export interface RequestFindings {
  lost: string[];
  wrong: string[];
  fiveXX: string[];
}

export function checkRequests(
  requests: readonly Request[],
  jobs: ReadonlyMap<string, Job>,
  histories: ReadonlyMap<string, readonly RecordedTransition[]>,
): RequestFindings {
  const f: RequestFindings = { lost: [], wrong: [], fiveXX: [] };
  const acknowledged = new Set<string>();
  for (const r of requests) {
    if (r.status >= 500) f.fiveXX.push(`${r.route} answered ${r.status}${r.code ? ` ${r.code}` : ''} (try ${r.try})`);
    if (r.status >= 200 && r.status < 300 && r.jobId) acknowledged.add(r.jobId);
    if (r.status === 409) {
      const why = conflictProblem(r, jobs, histories);
      if (why) f.wrong.push(`${r.route} 409 ${r.code ?? '?'}: ${why}`);
    }
  }
  for (const id of acknowledged) {
    const h = histories.get(id) ?? [];
    if (!jobs.has(id)) f.lost.push(`${id} was acknowledged (2xx) but does not exist`);
    else if (h.length === 0 || h[0]!.cause?.kind !== 'created')
      f.lost.push(`${id} was acknowledged (2xx) but has no history from its creation`);
  }
  return f;
}

/** Why a 409 was not what it says (null: it was). */
function conflictProblem(
  r: Request,
  jobs: ReadonlyMap<string, Job>,
  histories: ReadonlyMap<string, readonly RecordedTransition[]>,
): string | null {
  if (r.code === 'ACTIVE_JOB_EXISTS') {
    if (!r.activeJobId) return 'names no holder';
    const holder = jobs.get(r.activeJobId);
    if (!holder) return `its holder ${r.activeJobId} does not exist`;
    if (holder.ownerId !== r.owner) return `its holder ${holder.id} is ${holder.ownerId}'s, not ${r.owner}'s`;
    if (r.resourceKey !== undefined && holder.resourceKey !== r.resourceKey)
      return `its holder ${holder.id} holds ${holder.resourceKey}, not ${r.resourceKey}`;
    const end = firstEndAt(histories.get(holder.id) ?? []);
    if (holder.createdAt > r.at) return `its holder ${holder.id} was created after the answer`;
    if (end !== null && end < r.sentAt)
      return `its holder ${holder.id} had ended ${end - r.sentAt} ms before the request was sent`;
    return null;
  }
  // a command refused for the job's state: the job was in such a state at some moment of the request
  const id = /^\/api\/jobs\/([^/]+)\/(cancel|retry)$/.exec(r.path);
  const h = id ? (histories.get(id[1]!) ?? []) : [];
  if (id && r.code === 'JOB_TERMINAL') {
    if (!statesDuring(h, r.sentAt, r.at).some((s) => !isActive(s))) return `${id[1]} was active throughout`;
    return null;
  }
  if (id?.[2] === 'retry' && r.code === 'CONFLICT') {
    if (statesDuring(h, r.sentAt, r.at).every((s) => s === 'failed' || s === 'canceled'))
      return `${id[1]} was failed or canceled throughout: a retry was due`;
    return null;
  }
  return 'not a conflict the soak can check against what happened';
}

/** The states the job was in at some moment between `from` and `to` (its history's, by transition time). */
function statesDuring(history: readonly RecordedTransition[], from: number, to: number): JobStatus[] {
  const before = history.filter((t) => t.at <= from).at(-1);
  return [...(before ? [before.to] : []), ...history.filter((t) => t.at > from && t.at <= to).map((t) => t.to)];
}
