/**
 * Projects (seed 001): N expected artifacts; the status is a function of what really exists and of the
 * generation job, never a stored claim. Pure.
 */
import type { JobStatus, Reason } from './states.js';

export const ProjectStatus = {
  draft: 'draft',
  generating: 'generating',
  ready: 'ready',
  error: 'error',
} as const;
export type ProjectStatus = (typeof ProjectStatus)[keyof typeof ProjectStatus];

export interface ProjectEvidence {
  /** Artifacts declared. */
  declared: number;
  /** Artifacts verified present. */
  present: number;
  /** The project's generation job, if it has one. */
  job: { status: JobStatus; statusReason: Reason } | null;
}

/**
 * The table of docs/contract.md, "Job states and reasons": none declared → draft; all present → ready; a
 * generation job active → generating; some present, none active → draft; none present and the generation job
 * failed or went stale → error; none present, none active → draft.
 */
export function deriveProjectStatus(e: ProjectEvidence): ProjectStatus {
  if (e.declared === 0) return ProjectStatus.draft;
  if (e.present >= e.declared) return ProjectStatus.ready;
  const active = e.job !== null && (e.job.status === 'queued' || e.job.status === 'running');
  if (active) return ProjectStatus.generating;
  if (e.present > 0) return ProjectStatus.draft;
  if (e.job?.status === 'failed') return ProjectStatus.error;
  return ProjectStatus.draft;
}
