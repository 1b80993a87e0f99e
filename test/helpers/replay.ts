/**
 * Replay of stored histories (shared/src/core/replay.ts) against the emulator. Every test runtime records
 * its Firestore project in the file `npm test` names (VERITY_TEST_PROJECTS_FILE), so test/replay/ can replay
 * every history the run stored.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { Firestore } from '@google-cloud/firestore';
import { replayStored, type ReplayMismatch } from '../../shared/src/core/index.js';
import { Collections } from '../../shared/src/store/firestore.js';
import { patchLogOf } from '../../shared/src/store/job-doc.js';
import { JobStore } from '../../shared/src/store/job-store.js';

export function recordTestProject(projectId: string): void {
  const file = process.env.VERITY_TEST_PROJECTS_FILE;
  if (file) appendFileSync(file, `${projectId}\n`);
}

export function recordedTestProjects(): string[] {
  const file = process.env.VERITY_TEST_PROJECTS_FILE;
  if (!file || !existsSync(file)) return [];
  return [...new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean))];
}

export interface ReplayReport {
  jobs: number;
  transitions: number;
  mismatches: (ReplayMismatch & { projectId: string; jobId: string })[];
}

/**
 * Replays every job's history in one project, a few jobs at a time, with the patches still pending in each
 * job document: every job document and every history (`jobs/{id}/transitions`, found as a collection group so
 * a history whose job document is gone is found too) is replayed; either without the other is a mismatch.
 */
export async function replayProject(projectId: string, db?: Firestore): Promise<ReplayReport> {
  const own = db ?? new Firestore({ projectId, ignoreUndefinedProperties: true });
  const store = new JobStore({ db: own, clock: Date.now });
  const report: ReplayReport = { jobs: 0, transitions: 0, mismatches: [] };
  try {
    const jobIds = (await own.collection(Collections.jobs).select().get()).docs.map((d) => d.id);
    const historyIds = (await own.collectionGroup(Collections.transitions).select().get()).docs
      .map((d) => d.ref.parent.parent)
      .filter((job) => job?.parent.id === Collections.jobs && job.parent.parent === null)
      .map((job) => job!.id);
    const ids = [...new Set([...jobIds, ...historyIds])];
    for (let i = 0; i < ids.length; i += 16) {
      await Promise.all(
        ids.slice(i, i + 16).map(async (jobId) => {
          const [read, history] = await Promise.all([store.read(jobId), store.recordedHistory(jobId)]);
          report.jobs++;
          report.transitions += history.length;
          const mismatches = replayStored(read?.job ?? null, history, read ? patchLogOf(read.doc) : null);
          for (const m of mismatches) report.mismatches.push({ ...m, projectId, jobId });
        }),
      );
    }
  } finally {
    if (!db) await own.terminate();
  }
  return report;
}
