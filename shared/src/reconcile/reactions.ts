/**
 * The port through which another aggregate follows jobs: the projects (projects-service.ts) follow their
 * generation job's transitions and their artifacts' finalized objects. The reconciler and the outputs
 * service call it; runtime.ts binds it to the projects service.
 */
import type { Job, Transition } from '../core/index.js';
import type { FinalizedObject } from '../events/cloudevents.js';

export interface JobReactions {
  /** After every applied transition, with the job as committed. */
  onJobTransition(job: Job, t: Transition): Promise<void>;
  /** For every finalized object, beside the jobs expecting it. */
  onObjectFinalized(obj: FinalizedObject): Promise<unknown>;
}
