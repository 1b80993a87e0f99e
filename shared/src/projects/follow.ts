/**
 * How projects follow what happens to jobs and objects (seed 001), on the project store alone: a finalized
 * object marks the artifacts at its URI present (the project is ready when the last lands), and the end of a
 * project's generation job re-derives its status. The effect runner calls `onJobTransition` after each applied
 * transition and the outputs service `onObjectFinalized` (reconcile/reactions.ts); this needs neither, so it
 * is built before them.
 */
import { deriveProjectStatus, isActive, type Job, type Transition } from '../core/index.js';
import type { FinalizedObject } from '../events/cloudevents.js';
import type { JobReactions } from '../reconcile/reactions.js';
import type { ProjectStore } from '../store/projects.js';

export const projectKey = (id: string): string => `project:${id}`;

export class ProjectFollower implements JobReactions {
  constructor(private readonly store: ProjectStore) {}

  /** A finalize event: mark the artifact present; the project is ready the moment the last one lands. */
  async onObjectFinalized(obj: FinalizedObject): Promise<number> {
    const uri = `gs://${obj.bucket}/${obj.name}`;
    const artifacts = await this.store.artifactsAt(uri);
    for (const artifact of artifacts) {
      const projectId = artifact.projectId;
      if (!(await this.store.markPresent(artifact, obj.generation))) continue;
      // Each marker counts after its own commit, so the last of many concurrent markers sees them all; only
      // a marker that has something to change opens a transaction on the project (no hot document).
      const [present, current] = await Promise.all([this.store.presentCount(projectId), this.store.get(projectId)]);
      if (!current || present < current.artifactCount || current.status === 'ready') continue;
      await this.store.update(projectId, (p) =>
        present >= p.artifactCount && p.status !== 'ready' ? { status: 'ready' } : null,
      );
    }
    return artifacts.length;
  }

  /** The generation job moved: the project follows (its end clears activeJobId and re-derives the status). */
  async onJobTransition(job: Job, t: Transition): Promise<void> {
    if (!job.resourceKey?.startsWith(projectKey('')) || isActive(t.to)) return;
    const id = job.resourceKey.slice(projectKey('').length);
    const present = await this.store.presentCount(id);
    await this.store.update(id, (p) => {
      if (p.activeJobId !== job.id && p.lastJobId !== job.id) return null;
      return {
        activeJobId: null,
        lastJobId: job.id,
        status: deriveProjectStatus({ declared: p.artifactCount, present, job }),
      };
    });
  }
}
