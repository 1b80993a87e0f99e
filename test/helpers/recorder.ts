/** A job's life recorded in memory the way JobStore records it (for replay and the soak's checks). */
import {
  causePatches,
  createJob,
  decide,
  emptyPatchLog,
  isRejection,
  logPatch,
  patchFieldsOf,
  type Job,
  type JobEvent,
  type PatchLog,
  type Policy,
  type RecordedTransition,
} from '../../shared/src/core/index.js';
import { jobSpec, policy, T0 } from './jobs.js';

/**
 * Records like JobStore: the created job, then per transition its event, the patches since the transition
 * before (the patch log, `pending` after the last one), its prior patchable fields and its draws.
 */
export function recorder(
  seed: number,
  id = 'job_r',
  o: { executorKind?: 'external' | 'local-process'; policy?: Partial<Policy> } = {},
) {
  let x = seed;
  const rnd = () => (x = (x * 16807) % 2147483647) / 2147483647;
  const spec = jobSpec({
    id,
    type: 'demo-render',
    input: { scene: 1 },
    outputUris: ['gs://b/u/alice/out.mp4'],
    reuseExistingOutputs: false,
    executorKind: o.executorKind ?? 'external',
    policy: policy({ maxAttempts: 4, ...o.policy }),
    stepPlan: [
      { name: 'render', weight: 3 },
      { name: 'mux', weight: 1 },
    ],
  });
  const first = createJob(spec, [], { now: T0, random: rnd });
  const { input: _, ...initial } = first.job;
  const history: RecordedTransition[] = [
    { ...first.transition!, cause: { kind: 'created', initial, draws: [], patches: [] } },
  ];
  let job: Job = first.job;
  let log: PatchLog = emptyPatchLog();
  return {
    history,
    get job() {
      return job;
    },
    /** The patches since the last transition (the job document's log). */
    get pending() {
      return log;
    },
    apply(event: JobEvent, now: number) {
      const draws: number[] = [];
      const d = decide(job, event, { now, random: () => (draws.push(rnd()), draws[draws.length - 1]!) });
      if (isRejection(d) || d.job === job) return;
      if (d.transition) {
        const cause = { kind: 'event' as const, event, prior: patchFieldsOf(job), draws, ...causePatches(log) };
        history.push({ ...d.transition, cause });
        log = emptyPatchLog();
      } else log = logPatch(log, JSON.parse(JSON.stringify({ event, at: now, draws })), job, d.job);
      job = d.job;
    },
  };
}
