/**
 * A bulk action in the soak (issue 33): halfway through the workload, carol cancels every job of hers at once —
 * the active ones are canceled, the ended ones skipped — through POST /api/jobs/bulk while units are killed around
 * it; the drain waits until no item of the bulk is pending (carried on by the API's background batches and the
 * sweep), and the read-back checks it against what happened: the bulk ended; each item it calls done is a job
 * whose history holds a cancel naming the bulk; no transition names it but carol's, and none names another bulk.
 * Whether each canceled execution really stopped is the invariants' own check ("a canceled job whose execution
 * never got the cancel and ran on").
 */
import type { Firestore } from '@google-cloud/firestore';
import type { Job, RecordedTransition } from '../../shared/src/core/index.js';
import { Collections, col } from '../../shared/src/store/firestore.js';
import type { SoakClient } from './client.js';

export const BULK_OWNER = 'carol';

export interface SoakBulk {
  /** Makes the bulk (once); its answer's status is kept for the report. */
  start(): Promise<void>;
  /** Its items still pending (0 before it was made). */
  pending(): Promise<number>;
  check(
    histories: ReadonlyMap<string, RecordedTransition[]>,
    jobs: ReadonlyMap<string, Job>,
  ): Promise<{ wrong: string[]; stuck: string[]; line: string }>;
}

export function soakBulk(client: SoakClient, db: Firestore): SoakBulk {
  let id: string | null = null;
  let answer = 'not made';
  const items = () => col(db, Collections.bulks).doc(id!).collection(Collections.bulkItems);
  return {
    async start() {
      if (id || answer !== 'not made') return;
      answer = 'asked';
      // every job of hers so far: the active ones are canceled, the ended ones skipped
      const body = { action: 'cancel', filter: {}, requestId: 'soak-bulk' };
      const r = await client.call(BULK_OWNER, 'POST', '/api/jobs/bulk', body);
      answer = String(r.status);
      if (r.status === 202) id = String((r.body as { bulk?: { id?: string } }).bulk?.id);
    },
    async pending() {
      if (!id) return 0;
      return (await items().where('state', '==', 'pending').count().get()).data().count;
    },
    async check(histories, jobs) {
      const wrong: string[] = [];
      const stuck: string[] = [];
      for (const [jobId, h] of histories)
        for (const t of h) {
          const by = t.evidence.bulk as { bulkId?: string; userId?: string } | undefined;
          if (!by) continue;
          if (by.bulkId !== id || by.userId !== BULK_OWNER)
            wrong.push(`${jobId}: a transition names bulk ${by.bulkId} by ${by.userId}, not the soak's`);
        }
      if (!id) return { wrong, stuck, line: `soak: bulk cancel: no bulk made (answer ${answer})` };
      const bulk = await col(db, Collections.bulks).doc(id).get();
      if (bulk.get('state') !== 'done') stuck.push(`bulk ${id}: ${String(bulk.get('state'))} after the drain`);
      const counts: Record<string, number> = {};
      const why: string[] = [];
      for (const d of (await items().get()).docs) {
        const state = String(d.get('state'));
        counts[state] = (counts[state] ?? 0) + 1;
        if (state === 'failed' && why.length < 5) why.push(`${d.id}: ${String(d.get('detail'))}`);
        const h = histories.get(d.id) ?? [];
        // done: canceled by a transition naming the bulk, or its cancel asked of the executor in the bulk's name
        // (a job whose work ended first, succeeded or failed, before the executor confirmed the cancel)
        const named = h.some((t) => t.to === 'canceled' && (t.evidence.bulk as { bulkId?: string })?.bulkId === id);
        const asked = jobs.get(d.id)?.executor.cancelRequestedBy?.bulkId === id;
        if (state === 'done' && !named && !asked)
          wrong.push(`${d.id}: the bulk says done, yet no cancel names it (history or request)`);
        if (state === 'pending') stuck.push(`${d.id}: still pending in bulk ${id}`);
      }
      const line =
        `soak: bulk cancel ${id}: ${bulk.get('matched')} matched, ${JSON.stringify(counts)}` +
        (why.length > 0 ? `; failed: ${why.join('; ')}` : '');
      return { wrong, stuck, line };
    },
  };
}
